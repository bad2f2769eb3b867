/** Opening the workspace of the folder a command runs in. */
import type { NearDuplicateGroups } from '../core/nearDuplicates';
import { Workspace, type OpenOptions } from '../store/workspace';
import { CliError, type CliIO } from './types';

/** Seconds a command waits for another writer to finish before giving up (SECREVIEW_LOCK_WAIT). */
export const DEFAULT_LOCK_WAIT_SECONDS = 5;

export function lockWaitMs(io: CliIO): number {
  const text = io.env.SECREVIEW_LOCK_WAIT;
  if (text === undefined || text === '') return DEFAULT_LOCK_WAIT_SECONDS * 1000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0) throw new CliError(`SECREVIEW_LOCK_WAIT must be a number of seconds (0 or more), got "${text}"`);
  return seconds * 1000;
}

export async function withWorkspace<T>(io: CliIO, command: string, fn: (ws: Workspace) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const ws = await Workspace.open(io.cwd, {
    owner: `secreview ${command} (pid ${process.pid})`, annotator: io.env.SECREVIEW_ANNOTATOR,
    lockWaitMs: lockWaitMs(io), onWarning: (m) => io.err(`secreview ${command}: ${m}`), ...options,
  });
  try {
    return await fn(ws);
  } finally {
    await ws.close();
  }
}

/** The pool's near-duplicate groups, signing the reviews that have no signature yet (with progress). */
export function nearDuplicateGroups(ws: Workspace, io: CliIO): Promise<NearDuplicateGroups> {
  return ws.nearDuplicates.groups({
    signal: io.signal,
    onProgress: (p) => io.progress(p.phase === 'signing'
      ? `near-duplicates: signed ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} reviews imported before signatures existed`
      : `near-duplicates: grouping, ${p.done} of ${p.total} bands`),
  });
}

export function printJson(io: CliIO, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}
