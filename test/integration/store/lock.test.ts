/**
 * The writer lock under contention and after crashes: a lock left by a killed process is taken over
 * by exactly one of many writers that find it at once; a writer whose lock was taken from it saves
 * nothing; an empty or half-written lock is taken over once its writer is provably gone; nobody is
 * ever told to delete a lock that a live process holds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileLock, LockedError } from '../../../src/store/lock';
import { Workspace } from '../../../src/store/workspace';
import { tempDir } from '../../helpers/tmp';
import { workspaceWithReviews } from '../../helpers/workspace';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

/** The pid of a process that has exited (a lock naming it is stale). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

function staleLock(file: string, pid = deadPid()): void {
  writeFileSync(file, JSON.stringify({ pid, host: os.hostname(), owner: 'secreview label (killed)', since: new Date().toISOString() }));
}

/** Collects a child's stdout lines. */
function lines(child: ChildProcess): string[] {
  const out: string[] = [];
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) { out.push(buf.slice(0, nl)); buf = buf.slice(nl + 1); }
  });
  return out;
}

async function until(what: string, ok: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('many writers finding a stale lock at once: exactly one takes it over, every round', async () => {
  const dir = tempDir();
  const lockFile = path.join(dir, 'lock');
  const rounds = 12;
  const contenders = Array.from({ length: 6 }, () => spawn(process.execPath, ['--import', 'tsx', fixture('take-lock.ts'), lockFile, dir, String(rounds)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const outs = contenders.map(lines);
  try {
    await until('the contenders to start', () => outs.every((o) => o.includes('ready')));
    const dead = deadPid();
    for (let r = 0; r < rounds; r++) {
      staleLock(lockFile, dead);
      writeFileSync(path.join(dir, `go-${r}`), '');
      await until(`round ${r}`, () => outs.every((o) => o.some((l) => l.startsWith(`${r} held`) || l.startsWith(`${r} locked`))));
      const holders = outs.filter((o) => o.includes(`${r} held`)).length;
      assert.equal(holders, 1, `round ${r}: ${holders} processes believe they hold the lock\n${outs.map((o) => o.filter((l) => l.startsWith(`${r} `)).join(' | ')).join('\n')}`);
      writeFileSync(path.join(dir, `stop-${r}`), '');
      await until(`round ${r} to end`, () => outs.every((o) => o.includes(`${r} done`)));
    }
  } finally {
    for (const c of contenders) c.kill('SIGKILL');
  }
});


test('a writer whose lock was taken over saves nothing and says so', async () => {
  const dir = await workspaceWithReviews(5);
  const ws = await Workspace.open(dir, { owner: 'first writer' });
  const labels = path.join(dir, '.secreview', 'labels.json');
  try {
    await ws.db.setLabel({ reviewId: '1000000001', label: 'yes' });
    const before = readFileSync(labels, 'utf8');
    // Another process took the lock over (as it would after judging this one gone).
    writeFileSync(ws.lockFile, JSON.stringify({ pid: process.pid + 1, host: os.hostname(), owner: 'second writer', since: new Date().toISOString(), token: 'someone-else' }));
    await assert.rejects(ws.db.setLabel({ reviewId: '1000000002', label: 'no' }), /no longer holds the lock.*second writer.*not saved/s);
    assert.equal(readFileSync(labels, 'utf8'), before, 'labels.json is unchanged');
    assert.equal(ws.db.labelOf('1000000002'), undefined, 'memory does not claim the unsaved label');
  } finally {
    await ws.close();
  }
  assert.match(readFileSync(ws.lockFile, 'utf8'), /second writer/, 'closing does not remove the other writer\'s lock');
});

test('an empty lock file whose writer is gone is taken over; one still being written is not, and nobody is told to delete it', async () => {
  const dir = await workspaceWithReviews(3);
  const lockFile = path.join(dir, '.secreview', 'lock');
  // A writer that created the lock file and never wrote it (killed in between): gone.
  writeFileSync(lockFile, '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(lockFile, old, old);
  const ws = await Workspace.open(dir);
  assert.equal(ws.readOnly, false);
  await ws.db.setLabel({ reviewId: '1000000001', label: 'yes' });
  await ws.close();

  // A live process holds an empty lock file open (as a writer between creating and filling it).
  writeFileSync(lockFile, '{"pid": 12');
  const holder = spawn(process.execPath, ['-e', `require('fs').openSync(${JSON.stringify(lockFile)}, 'r'); process.stdout.write('open\\n'); setInterval(() => {}, 1000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out = lines(holder);
  try {
    await until('the holder', () => out.includes('open'));
    utimesSync(lockFile, old, old);
    await assert.rejects(Workspace.open(dir), (e: unknown) => {
      assert.ok(e instanceof LockedError, String(e));
      assert.doesNotMatch((e as Error).message, /delete/i);
      assert.match((e as Error).message, new RegExp(`process ${holder.pid}`));
      return true;
    });
  } finally {
    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
  }
  const again = await Workspace.open(dir);
  assert.equal(again.readOnly, false, 'taken over once its writer is gone');
  await again.close();
});

test('a live holder\'s refusal names it and never suggests deleting the lock', async () => {
  const dir = await workspaceWithReviews(3);
  const holder = spawn(process.execPath, ['--import', 'tsx', fixture('hold-lock.ts'), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out = lines(holder);
  try {
    await until('the holder', () => out.includes('holding'));
    assert.throws(() => FileLock.acquire(path.join(dir, '.secreview', 'lock'), 'second'), (e: unknown) => {
      assert.ok(e instanceof LockedError);
      assert.match((e as Error).message, new RegExp(`VS Code window \\(test\\) \\(process ${holder.pid}`));
      assert.doesNotMatch((e as Error).message, /delete/i);
      return true;
    });
  } finally {
    holder.kill('SIGKILL');
  }
});

test('a lock left by an earlier process with this very pid (a reboot, a container) is stale', async () => {
  const dir = tempDir();
  const lockFile = path.join(dir, 'lock');
  staleLock(lockFile, process.pid);
  const lock = FileLock.acquire(lockFile, 'me');
  assert.match(readFileSync(lockFile, 'utf8'), /"owner":"me"/);
  lock.releaseSync();
  assert.throws(() => statSync(lockFile), /ENOENT/);
});

test('a lock naming a pid that a later process got (pid reuse) is stale; the same process is not', { skip: !existsSync('/proc/self/stat') && 'needs /proc' }, async () => {
  const dir = tempDir();
  const lockFile = path.join(dir, 'lock');
  const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  try {
    const stat = readFileSync(`/proc/${other.pid}/stat`, 'utf8');
    const start = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const lockOf = (s: number) => JSON.stringify({ pid: other.pid, host: os.hostname(), owner: 'earlier writer', since: new Date().toISOString(), token: 'ab'.repeat(16), start: s });
    writeFileSync(lockFile, lockOf(start));
    assert.throws(() => FileLock.acquire(lockFile, 'me'), LockedError, 'the very process that wrote it still runs');
    writeFileSync(lockFile, lockOf(start - 1));
    FileLock.acquire(lockFile, 'me').releaseSync();
  } finally {
    other.kill('SIGKILL');
  }
});

test('a second copy of the store loaded in the same process (another bundle) does not take the first one\'s live lock', () => {
  const dir = tempDir();
  const lockFile = path.join(dir, 'lock');
  const held = FileLock.acquire(lockFile, 'VS Code window');
  const modulePath = require.resolve('../../../src/store/lock');
  const original = require.cache[modulePath];
  delete require.cache[modulePath];
  try {
    const copy = require('../../../src/store/lock') as typeof import('../../../src/store/lock');
    assert.notEqual(copy.FileLock, FileLock, 'a separate copy of the module');
    assert.throws(() => copy.FileLock.acquire(lockFile, 'second window (test)'), (e: unknown) => e instanceof copy.LockedError && /VS Code window/.test((e as Error).message));
  } finally {
    require.cache[modulePath] = original;
    held.releaseSync();
  }
});
