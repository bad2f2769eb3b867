/**
 * Durable file writes: write a temp file beside the target, fsync it, rename it over the target,
 * fsync the folder. A crash at any point leaves either the old or the new file, never a mix.
 * The new file keeps the old one's mode (and owner, when run as root); a file without write
 * permission for its owner is refused rather than replaced, since a rename would bypass its mode.
 */
import { open, readFile, rename, unlink, mkdir, stat } from 'node:fs/promises';
import { openSync, fsyncSync, closeSync, writeSync, renameSync, unlinkSync, statSync, fchmodSync, fchownSync, mkdirSync, readdirSync, type Stats } from 'node:fs';
import path from 'node:path';
import { processAlive } from './lock';

let counter = 0;

function tempName(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.${counter++}.tmp`);
}

/** A file whose mode forbids writing: left as it is, with the way to allow changes. */
export class ReadOnlyFileError extends Error {
  constructor(readonly file: string, readonly mode: number) {
    super(`${file} is read-only (mode ${modeText(mode)}); it was left untouched. To allow changes: chmod u+w ${JSON.stringify(file)}`);
    this.name = 'ReadOnlyFileError';
  }
}

export function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

/** Whether a file's mode denies its owner writing (what `chmod a-w` or `chmod 444` does). */
export function isReadOnlyMode(st: Stats): boolean {
  return (st.mode & 0o200) === 0;
}

export interface AtomicWriteOptions {
  /** Called just before the temp file is renamed over the target; throwing cancels the write (e.g. a lost lock). */
  beforeRename?: () => void;
  /** fsync the data and folder (default). Off for files whose loss costs nothing (a panel position). */
  durable?: boolean;
}

/** The existing target's stats (undefined when there is none); throws ReadOnlyFileError when it may not be replaced. */
function existingTarget(st: Stats | undefined, target: string): Stats | undefined {
  if (st && isReadOnlyMode(st)) throw new ReadOnlyFileError(target, st.mode);
  return st;
}

function statOrUndefined(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Gives the temp file the target's mode and, as root, its owner, so the rename changes neither. */
function keepModeAndOwner(fd: number, old: Stats | undefined): void {
  if (!old) return;
  fchmodSync(fd, old.mode & 0o7777);
  if (process.getuid?.() === 0 && (old.uid !== 0 || old.gid !== 0)) fchownSync(fd, old.uid, old.gid);
}

/** fsync a file, or a folder so a rename inside it survives a power loss (a no-op where unsupported). */
export function fsyncPath(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some file systems refuse fsync on folders; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export async function writeFileAtomic(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const old = existingTarget(await stat(target).catch((e: NodeJS.ErrnoException) => { if (e.code === 'ENOENT') return undefined; throw e; }), target);
  const tmp = tempName(target);
  const fh = await open(tmp, 'w', 0o644);
  try {
    keepModeAndOwner(fh.fd, old);
    await fh.writeFile(data);
    if (options.durable !== false) await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  try {
    options.beforeRename?.();
    await rename(tmp, target);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  if (options.durable !== false) fsyncPath(path.dirname(target));
}

/**
 * The same durable write without leaving the thread: for a small file the person waits on (the label
 * database behind a keypress), where each asynchronous step would wait for the event loop again. On a
 * busy extension host those waits, not the disk, made most of the write's time (about 10 ms of 12).
 * Also for callers that cannot wait (a panel that saves its position on every move, not durably).
 */
export function writeFileAtomicSync(target: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  mkdirSync(path.dirname(target), { recursive: true });
  const old = existingTarget(statOrUndefined(target), target);
  const tmp = tempName(target);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    try {
      keepModeAndOwner(fd, old);
      const bytes = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < bytes.length;) off += writeSync(fd, bytes, off, bytes.length - off);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    options.beforeRename?.();
    renameSync(tmp, target);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* not created or already renamed */ }
    throw e;
  }
  if (options.durable !== false) fsyncPath(path.dirname(target));
}

export async function writeJsonAtomic(target: string, value: unknown, pretty = true, options: AtomicWriteOptions = {}): Promise<void> {
  await writeFileAtomic(target, JSON.stringify(value, null, pretty ? 1 : undefined) + '\n', options);
}

/**
 * The counterpart of the writers: a JSON file's value, or undefined when the file does not exist.
 * Text that is not JSON is an error naming the file, the parser's complaint and `whatToDo`.
 */
export async function readJsonFile(file: string, whatToDo: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}); ${whatToDo}`);
  }
}

/** A file-name-safe timestamp, e.g. 2026-12-04T13-49-33-903Z (sorts as time does). */
export function fileTimestamp(at = new Date()): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/**
 * Moves a file that could not be used out of the way, keeping it: `<file>.<tag>-<time>` beside it
 * (a counter is added if that name is taken). Returns the new path.
 */
export function moveAside(file: string, tag = 'damaged'): string {
  const base = `${file}.${tag}-${fileTimestamp()}`;
  for (let i = 0; ; i++) {
    const to = i ? `${base}-${i}` : base;
    if (statOrUndefined(to)) continue;
    renameSync(file, to);
    return to;
  }
}

/**
 * Removes the temp files that writers killed before their rename left in `dir`
 * (`.<name>.<pid>.*.tmp`, from this module and the lock), for the given target names or, without
 * them, for any. Only those of processes that are gone: a temp file never holds anything a writer
 * acknowledged. Returns the names removed.
 */
export function removeStaleTempFiles(dir: string, targets?: readonly string[]): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = /^\.(.+)\.(\d+)\.[0-9a-z]+(?:\.\d+)?\.tmp$/.exec(name);
    if (!m || (targets && !targets.includes(m[1]!))) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processAlive(pid)) continue;
    try {
      unlinkSync(path.join(dir, name));
      removed.push(name);
    } catch {
      // removed by another writer meanwhile
    }
  }
  return removed;
}
