/**
 * One writer at a time: a lock file holds the owner's pid, host, purpose and a random token. It
 * appears complete or not at all (written to a temp file, fsynced, then hard-linked into place),
 * so a reader never sees a half-written lock of this version.
 *
 * A lock whose process is gone (same host) is taken over, atomically: deleting it and creating a
 * new one would let two writers that judged it stale at the same moment each delete the other's
 * fresh lock and both go on writing. Instead the right to replace a lock file is itself claimed
 * with an exclusive create of `.lock.takeover.<key of the file being replaced>`: of all writers
 * that saw the same stale lock, exactly one creates that name; it then checks the lock still is
 * the one it judged and renames its own lock over it. A taker killed half-way leaves its claim
 * file; the next writer claims the right over that claim (`.lock.takeover.<key of the claim>`),
 * and so on, so a crash at any moment never blocks the workspace and never lets two writers in.
 *
 * A writer verifies that it still holds the lock before each write is renamed into place
 * (`assertHeld`), so a writer whose lock was taken from it saves nothing.
 */
import { closeSync, fstatSync, linkSync, openSync, readFileSync, readdirSync, readlinkSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, fsyncSync, type Stats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export interface LockInfo {
  pid: number;
  host: string;
  owner: string;
  since: string;
  /** Random, one per lock taken: tells this lock from any other (what a takeover claim is keyed by). */
  token?: string;
  /** The holder's start time in clock ticks since boot (Linux), to tell it from a later process with its pid. */
  start?: number;
}

/**
 * What stands in the way: the holder named in a readable lock, or the process that has an
 * unreadable lock file open (still writing it, as a version without atomic lock files did).
 */
export class LockedError extends Error {
  constructor(readonly lockFile: string, readonly holder: LockInfo | undefined, detail?: string) {
    super(holder
      ? `the label database is open for writing by ${holder.owner} (process ${holder.pid} on ${holder.host}, since ${holder.since}); close it there first, or open this workspace read-only`
      : `the label database is locked: ${detail ?? `${lockFile} is being written`}; try again in a moment`);
    this.name = 'LockedError';
  }
}

/** The lock was taken over by another writer since this one took it: nothing more may be written. */
export class LockLostError extends Error {
  constructor(readonly lockFile: string, readonly holder: LockInfo | undefined) {
    super(`this process no longer holds the lock ${lockFile} (${holder ? `now held by ${holder.owner}, process ${holder.pid} on ${holder.host}` : 'it is gone'}); the change was not saved`);
    this.name = 'LockLostError';
  }
}

/** Whether a process with this pid is running on this host. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Tokens of locks and claims this process holds or is taking right now: one set per process, shared
 * by every copy of this module loaded in it (an extension bundle and a test bundle, say), so that
 * none of them takes another's live lock for a stale one.
 */
const activeTokens: Set<string> = ((globalThis as Record<symbol, unknown>)[Symbol.for('secreview.lock.activeTokens')] ??= new Set<string>()) as Set<string>;

/** When the machine booted (ms since the epoch): nothing written before that is still being written. */
const bootTime = Date.now() - os.uptime() * 1000;

/**
 * When a process started, in clock ticks since boot, on Linux (from /proc): with the pid, it names
 * one process for good, so a lock whose pid was reused by another process is seen as stale.
 * Undefined elsewhere or when it cannot be read.
 */
function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    return Number.isFinite(ticks) ? ticks : undefined;
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

/**
 * Whether the process a lock names is still its writer: alive on this host and, where both start
 * times are known, the same process (not a later one that got the pid). A lock of another host
 * cannot be judged here and counts as live.
 */
function holderAlive(info: LockInfo): boolean {
  if (info.host !== os.hostname()) return true;
  // Our own pid: ours if this process holds its token, or (Linux) it names this very process;
  // otherwise an earlier process that had this pid wrote it (before a reboot, in another container).
  if (info.pid === process.pid) return (info.token !== undefined && activeTokens.has(info.token)) || (info.start !== undefined && info.start === processStartTicks(process.pid));
  if (!processAlive(info.pid)) return false;
  const started = info.start === undefined ? undefined : processStartTicks(info.pid);
  return started === undefined || started === info.start;
}

/** Pids of the processes (of this user) that have a file open, where /proc tells; undefined where it cannot. */
function openers(file: string, st: Stats): number[] | undefined {
  let pids: string[];
  let real: string;
  try {
    pids = readdirSync('/proc').filter((n) => /^\d+$/.test(n));
    real = realpathSync(file);
  } catch {
    return undefined;
  }
  const found: number[] = [];
  for (const pid of pids) {
    let fds: string[];
    try { fds = readdirSync(`/proc/${pid}/fd`); } catch { continue; }
    for (const fd of fds) {
      try {
        const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link !== real && !link.startsWith(real + ' ')) continue;
        const target = statSync(`/proc/${pid}/fd/${fd}`);
        if (target.ino === st.ino && target.dev === st.dev) { found.push(Number(pid)); break; }
      } catch {
        // closed meanwhile
      }
    }
  }
  return found;
}

/** An unreadable lock file left alone this long, by a writer we cannot see, counts as abandoned. */
const UNREADABLE_GRACE_MS = 10_000;

/** A lock or claim file as found on disk. */
interface Found {
  /** Names this very file (its token, else its inode and change time): what a takeover claim is keyed by. */
  key: string;
  info?: LockInfo;
  alive: boolean;
  /** Why an unreadable file still counts as live. */
  detail?: string;
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return {
        pid: v.pid, host: v.host, owner: String(v.owner ?? 'another process'), since: String(v.since ?? '?'),
        token: typeof v.token === 'string' ? v.token : undefined, start: typeof v.start === 'number' ? v.start : undefined,
      };
    }
  } catch {
    // half-written or not a lock: judged by who has it open
  }
  return undefined;
}

function inspect(file: string): Found | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  let st: Stats;
  let text: string;
  try {
    st = fstatSync(fd);
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const info = parseLock(text);
  if (info) return { key: info.token && /^[0-9a-f]{8,64}$/.test(info.token) ? info.token : `i${st.ino}-${Math.round(st.ctimeMs * 1000)}`, info, alive: holderAlive(info) };
  // Unreadable: an older version's writer between creating and filling it, or a machine crash.
  const key = `i${st.ino}-${Math.round(st.ctimeMs * 1000)}-${st.size}`;
  const pids = openers(file, st);
  if (pids?.length) return { key, alive: true, detail: `${file} is being written by process ${pids.join(', ')}` };
  if (pids || st.mtimeMs < bootTime) return { key, alive: false };
  const wait = Math.ceil((UNREADABLE_GRACE_MS - (Date.now() - st.mtimeMs)) / 1000);
  return wait > 0 ? { key, alive: true, detail: `${file} is unreadable and was changed ${Math.round((Date.now() - st.mtimeMs) / 1000)} s ago; it counts as abandoned after ${UNREADABLE_GRACE_MS / 1000} s` } : { key, alive: false };
}

function claimPrefix(file: string): string {
  return `.${path.basename(file)}.takeover.`;
}
function claimFile(file: string, key: string): string {
  return path.join(path.dirname(file), claimPrefix(file) + key);
}

/**
 * Creates `target` with the temp file's content, or fails with EEXIST: a hard link, so the name
 * appears with its content. Where the file system has no hard links (FAT, some network shares),
 * an exclusive create and write instead (a reader may then see it empty for a moment).
 */
function createFrom(tmp: string, target: string): void {
  try {
    linkSync(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
    const fd = openSync(target, 'wx', 0o644);
    try {
      writeSync(fd, readFileSync(tmp));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

function tryUnlink(file: string): void {
  try { unlinkSync(file); } catch { /* already gone */ }
}

type Attempt = { held: true } | { held: false; blocker?: Found; retry?: boolean };

export class FileLock {
  private held = false;
  private readonly onExit = () => this.releaseSync();

  private constructor(readonly file: string, readonly info: LockInfo & { token: string }) {}

  /** Takes the lock or throws LockedError. */
  static acquire(file: string, owner: string): FileLock {
    const lock = FileLock.prepare(file, owner);
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        const r = lock.attempt();
        if (r.held) return lock.taken();
        if (!r.retry) throw lock.lockedBy(r.blocker);
      }
      throw lock.lockedBy(inspect(file));
    } finally {
      lock.dispose();
    }
  }

  /**
   * Takes the lock, waiting up to `waitMs` for a live holder to let go (polling; a short CLI
   * command holds it for milliseconds). Throws LockedError when the time is up.
   */
  static async acquireWaiting(file: string, owner: string, waitMs: number): Promise<FileLock> {
    const lock = FileLock.prepare(file, owner);
    const deadline = Date.now() + waitMs;
    try {
      for (let retries = 0; ; retries++) {
        const r = lock.attempt();
        if (r.held) return lock.taken();
        // Someone else moved first (released, or took over): look again at once, a few times.
        if (r.retry && retries < 5) continue;
        if (Date.now() >= deadline) throw lock.lockedBy(r.blocker ?? inspect(file));
        retries = 0;
        await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
      }
    } finally {
      lock.dispose();
    }
  }

  /** Who holds the lock now, if anyone alive does. */
  static holder(file: string): LockInfo | undefined {
    const found = inspect(file);
    return found?.alive ? found.info : undefined;
  }

  private tmp = '';

  private static prepare(file: string, owner: string): FileLock {
    const token = randomBytes(16).toString('hex');
    const lock = new FileLock(file, { pid: process.pid, host: os.hostname(), owner, since: new Date().toISOString(), token, start: processStartTicks(process.pid) });
    activeTokens.add(token);
    lock.tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${token.slice(0, 8)}.tmp`);
    const fd = openSync(lock.tmp, 'w', 0o644);
    try {
      writeSync(fd, JSON.stringify(lock.info));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return lock;
  }

  /** One try: a fresh lock, or the takeover of a lock whose writer is gone. */
  private attempt(): Attempt {
    try {
      createFrom(this.tmp, this.file);
      return { held: true };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const current = inspect(this.file);
    if (!current) return { held: false, retry: true };
    if (current.alive) return { held: false, blocker: current };
    // Claim the right to replace it; when a claim of a taker that is gone is in the way, claim the right over that claim.
    let key = current.key;
    for (let depth = 0; depth < 32; depth++) {
      const claim = claimFile(this.file, key);
      try {
        createFrom(this.tmp, claim);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const other = inspect(claim);
        if (!other) return { held: false, retry: true };
        if (other.alive) return { held: false, blocker: other };
        key = other.key;
        continue;
      }
      if (!this.rightLeadsHere()) {
        tryUnlink(claim);
        return { held: false, retry: true };
      }
      renameSync(this.tmp, this.file);
      return { held: true };
    }
    return { held: false, retry: true };
  }

  /**
   * Whether the chain of claims from the lock file as it is now ends at this lock's claim: the lock
   * is the stale one, or a claim on it (or on a claim on it ...) whose taker is gone, up to ours.
   */
  private rightLeadsHere(): boolean {
    const current = inspect(this.file);
    if (!current || current.alive) return false;
    let key = current.key;
    for (let depth = 0; depth < 32; depth++) {
      const claim = inspect(claimFile(this.file, key));
      if (!claim) return false;
      if (claim.info?.token === this.info.token) return true;
      if (claim.alive) return false;
      key = claim.key;
    }
    return false;
  }

  private taken(): FileLock {
    this.held = true;
    process.once('exit', this.onExit);
    // Claims name lock files that no longer exist (ours replaced them): none can give a right now.
    const dir = path.dirname(this.file);
    const prefix = claimPrefix(this.file);
    try {
      for (const name of readdirSync(dir)) if (name.startsWith(prefix)) tryUnlink(path.join(dir, name));
    } catch {
      // the folder is readable, or we could not have locked it; a leftover claim is harmless
    }
    return this;
  }

  private lockedBy(blocker: Found | undefined): LockedError {
    return new LockedError(this.file, blocker?.info, blocker?.detail);
  }

  /** Forgets a failed or finished acquisition's temp file (a held lock's token stays active). */
  private dispose(): void {
    if (this.tmp) tryUnlink(this.tmp);
    this.tmp = '';
    if (!this.held) activeTokens.delete(this.info.token);
  }

  /** Throws LockLostError unless this process still holds the lock (checked before each write is renamed into place). */
  assertHeld(): void {
    const found = inspect(this.file);
    if (!this.held || found?.info?.token !== this.info.token) throw new LockLostError(this.file, found?.info);
  }

  releaseSync(): void {
    if (!this.held) return;
    this.held = false;
    activeTokens.delete(this.info.token);
    process.removeListener('exit', this.onExit);
    // Only ours is removed: a lock taken over from us belongs to its new holder.
    if (inspect(this.file)?.info?.token === this.info.token) tryUnlink(this.file);
  }
}
