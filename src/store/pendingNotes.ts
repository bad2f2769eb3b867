/**
 * Notes typed on a review before it has a label: `labels.json` records a note with a label event,
 * so until the label is given the note waits in `.secreview/pending-notes.json`, written durably
 * (temp file, fsync, rename), and survives a reload or a crash. Given the label, it moves into the
 * label's event and leaves this file.
 */
import { readFileSync } from 'node:fs';
import { moveAside, writeFileAtomic } from './atomic';
import { workspacePaths } from './layout';

export function pendingNotesFile(workspaceDir: string): string {
  return workspacePaths.pendingNotes(workspaceDir);
}

export interface PendingNotes {
  notes: Map<string, string>;
  /** The file could not be read: why, and where it was moved (so the next write cannot overwrite the person's notes). */
  damaged?: { reason: string; movedTo?: string };
}

/**
 * The waiting notes by review id; none when the file is missing. A file that cannot be read as
 * notes is moved aside as `pending-notes.json.damaged-<time>` before anything writes the name again
 * (by a writer: `writable` false only reports it).
 */
export function readPendingNotes(workspaceDir: string, writable = true): PendingNotes {
  const file = pendingNotesFile(workspaceDir);
  let reason: string;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      return { notes: new Map(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === 'string')) };
    }
    reason = 'not a JSON object of notes by review id';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { notes: new Map() };
    reason = (e as Error).message;
  }
  return { notes: new Map(), damaged: { reason, movedTo: writable ? moveAside(file) : undefined } };
}

export function writePendingNotes(workspaceDir: string, notes: ReadonlyMap<string, string>): Promise<void> {
  return writeFileAtomic(pendingNotesFile(workspaceDir), `${JSON.stringify(Object.fromEntries(notes), null, 1)}\n`);
}
