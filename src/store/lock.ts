/**
 * One writer at a time: a lock file created with O_EXCL holds the owner's pid, host and purpose.
 * A lock whose process is gone (same host) is stale and taken over; a live one is refused with a
 * message that says who holds it.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, fsyncSync } from 'node:fs';
import os from 'node:os';

export interface LockInfo { pid: number; host: string; owner: string; since: string }

export class LockedError extends Error {
  constructor(readonly lockFile: string, readonly holder: LockInfo | undefined) {
    super(holder
      ? `the label database is open for writing by ${holder.owner} (process ${holder.pid} on ${holder.host}, since ${holder.since}); close it there first, or open this workspace read-only`
      : `the label database is locked (${lockFile} exists but cannot be read); if no other window or command uses it, delete that file`);
    this.name = 'LockedError';
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

function readLock(file: string): LockInfo | undefined {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof v.pid === 'number' && typeof v.host === 'string') {
      return { pid: v.pid, host: v.host, owner: String(v.owner ?? 'another process'), since: String(v.since ?? '?') };
    }
  } catch {
    // unreadable or half-written lock: handled by the caller
  }
  return undefined;
}

export class FileLock {
  private held = false;
  private readonly onExit = () => this.releaseSync();

  private constructor(readonly file: string) {}

  /** Takes the lock or throws LockedError. */
  static acquire(file: string, owner: string): FileLock {
    const lock = new FileLock(file);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o644);
        const info: LockInfo = { pid: process.pid, host: os.hostname(), owner, since: new Date().toISOString() };
        writeSync(fd, JSON.stringify(info));
        fsyncSync(fd);
        closeSync(fd);
        lock.held = true;
        process.once('exit', lock.onExit);
        return lock;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const holder = readLock(file);
        const stale = holder ? holder.host === os.hostname() && (holder.pid === process.pid ? false : !processAlive(holder.pid)) : attempt > 0;
        if (!stale) throw new LockedError(file, holder);
        try { unlinkSync(file); } catch { /* someone else took it over */ }
      }
    }
    throw new LockedError(file, readLock(file));
  }

  /** Who holds the lock now, if anyone alive does. */
  static holder(file: string): LockInfo | undefined {
    const h = readLock(file);
    if (h && h.host === os.hostname() && !processAlive(h.pid)) return undefined;
    return h;
  }

  releaseSync(): void {
    if (!this.held) return;
    this.held = false;
    process.removeListener('exit', this.onExit);
    const h = readLock(this.file);
    if (h && h.pid === process.pid) {
      try { unlinkSync(this.file); } catch { /* already gone */ }
    }
  }
}
