/**
 * Notes typed on a review before it has a label: `labels.json` records a note with a label event,
 * so until the label is given the note waits in `.secreview/pending-notes.json`, written durably
 * (temp file, fsync, rename), and survives a reload or a crash. Given the label, it moves into the
 * label's event and leaves this file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from './atomic';

export function pendingNotesFile(workspaceDir: string): string {
  return path.join(workspaceDir, 'pending-notes.json');
}

/** The waiting notes by review id; none when the file is missing or unreadable (it only ever holds drafts). */
export function readPendingNotes(workspaceDir: string): Map<string, string> {
  try {
    const v = JSON.parse(readFileSync(pendingNotesFile(workspaceDir), 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return new Map();
    return new Map(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map();
  }
}

export function writePendingNotes(workspaceDir: string, notes: ReadonlyMap<string, string>): Promise<void> {
  return writeFileAtomic(pendingNotesFile(workspaceDir), `${JSON.stringify(Object.fromEntries(notes), null, 1)}\n`);
}
