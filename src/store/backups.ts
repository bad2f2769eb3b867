/**
 * Rolling backups of the label database: `.secreview/backups/labels-<time>-<events>-events.json`,
 * copies of `labels.json` written every 100 label events and before each retrain; the newest 10
 * are kept. `secreview repair` restores the newest intact one when `labels.json` is damaged, and
 * every "damaged" message names it.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import path from 'node:path';
import { workspacePaths } from './layout';
import { fileTimestamp, writeFileAtomic } from './atomic';

const BACKUPS_DIR = path.basename(workspacePaths.backups(''));
export const BACKUPS_KEPT = 10;
/** A backup is written when the event count crosses a multiple of this. */
export const BACKUP_EVERY_EVENTS = 100;

export interface BackupFile { file: string; name: string; at: string; events: number }

const NAME = /^labels-(\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z)(?:-\d+)?-(\d+)-events\.json$/;

export function backupsDirOf(workspaceDir: string): string {
  return workspacePaths.backups(workspaceDir);
}

/** The backups of a workspace, newest first (by the time in their names). */
export function listBackups(workspaceDir: string): BackupFile[] {
  const dir = backupsDirOf(workspaceDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupFile[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (!m) continue;
    const t = m[1]!;
    out.push({ file: path.join(dir, name), name, at: `${t.slice(0, 13)}:${t.slice(14, 16)}:${t.slice(17, 19)}.${t.slice(20, 23)}Z`, events: Number(m[2]) });
  }
  return out.sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
}

/** Writes a backup of the label database's text and drops all but the newest BACKUPS_KEPT. Returns its path. */
export async function writeBackup(workspaceDir: string, text: string, events: number): Promise<string> {
  const dir = backupsDirOf(workspaceDir);
  let file = path.join(dir, `labels-${fileTimestamp()}-${events}-events.json`);
  // Two backups in the same millisecond (a retrain right after the 100th event) keep both.
  for (let i = 1; listBackups(workspaceDir).some((b) => b.file === file); i++) file = path.join(dir, `labels-${fileTimestamp()}-${i}-${events}-events.json`);
  await writeFileAtomic(file, text);
  for (const old of listBackups(workspaceDir).slice(BACKUPS_KEPT)) {
    try { unlinkSync(old.file); } catch { /* removed meanwhile */ }
  }
  return file;
}

/** The sentence a "damaged" message ends with: the newest backup and the command that restores it. */
export function restoreHint(workspaceDir: string): string {
  const newest = listBackups(workspaceDir)[0];
  const how = 'run "secreview repair" in the workspace folder (or the command "Security Review: Repair Workspace")';
  if (!newest) return `No backup of labels.json exists yet; ${how} to recover the complete records of the damaged file.`;
  return `The newest backup is ${path.join(path.basename(workspaceDir), BACKUPS_DIR, newest.name)} (${newest.events} label events, ${newest.at}); ${how} to restore it (the damaged file is kept beside it).`;
}
