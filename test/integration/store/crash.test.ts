import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { LockedError } from '../../../src/store/lock';
import { upgradeLabelData } from '../../../src/store/labelDb';
import { main } from '../../../src/cli/main';
import { tempDir } from '../../helpers/tmp';
import { workspaceWithReviews } from '../../helpers/workspace';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

function startTs(script: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with the stdout lines seen until `until` returns true. */
function readUntil(child: ChildProcess, until: (lines: string[]) => boolean): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines: string[] = [];
    let buf = '';
    let err = '';
    child.stderr!.on('data', (d) => { err += d; });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        lines.push(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (until(lines)) { resolve(lines); return; }
      }
    });
    child.on('exit', (code) => reject(new Error(`child exited with ${code} before the expected output: ${err}`)));
  });
}


test('SIGKILL while labeling leaves labels.json valid with every acknowledged label', async () => {
  const dir = await workspaceWithReviews(300);
  for (const killAfter of [5, 37, 120]) {
    const child = startTs(fixture('label-writer.ts'), [dir, '100000']);
    const lines = await readUntil(child, (ls) => ls.filter((l) => l.startsWith('ack ')).length >= killAfter);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const file = path.join(dir, '.secreview/labels.json');
    const data = upgradeLabelData(JSON.parse(readFileSync(file, 'utf8')), file);
    const ws = await Workspace.open(dir, { readOnly: true });
    try {
      // Every acknowledged label is on disk as the newest event for its review at that moment.
      const acks = lines.filter((l) => l.startsWith('ack ')).map((l) => l.split(' '));
      const setEvents = data.events.filter((e) => e.kind === 'set');
      for (const [, reviewId, label, i] of acks) {
        assert.ok(setEvents.some((e) => e.reviewId === reviewId && e.label === label && (Number(i) % 7 !== 0 || e.note === `note ${i}`)), `acknowledged label ${i} missing`);
      }
      assert.ok(data.events.length >= acks.length);
    } finally {
      await ws.close();
    }
    // The killed writer's lock is stale: the next writer takes over.
    const again = await Workspace.open(dir);
    await again.close();
  }
  // No temp files left visible as data.
  assert.ok(existsSync(path.join(dir, '.secreview/labels.json')));
});

test('a second writer is refused cleanly and changes nothing', async () => {
  const dir = await workspaceWithReviews(20);
  const holder = startTs(fixture('hold-lock.ts'), [dir]);
  try {
    await readUntil(holder, (ls) => ls.includes('holding'));
    const labels = path.join(dir, '.secreview/labels.json');
    const before = readFileSync(labels, 'utf8');
    const mtime = statSync(labels).mtimeMs;
    await assert.rejects(Workspace.open(dir), (e: unknown) => {
      assert.ok(e instanceof LockedError);
      assert.match((e as Error).message, /open for writing by VS Code window \(test\) \(process \d+/);
      return true;
    });
    // The CLI says so and exits non-zero.
    const err: string[] = [];
    const code = await main(['label', '1000000003', 'yes', '-C', dir], { out: () => {}, err: (t) => err.push(t), env: { SECREVIEW_LOCK_WAIT: '0' } });
    assert.equal(code, 3);
    assert.match(err.join('\n'), /secreview label: the label database is open for writing by VS Code window/);
    // Read-only access still works, and refuses writes with the reason.
    const ro = await Workspace.open(dir, { fallBackToReadOnly: true });
    assert.equal(ro.readOnly, true);
    await assert.rejects(ro.db.setLabel({ reviewId: '1000000003', label: 'yes' }), /read-only: the label database is open for writing/);
    await ro.close();
    assert.equal(readFileSync(labels, 'utf8'), before);
    assert.equal(statSync(labels).mtimeMs, mtime);
  } finally {
    holder.kill('SIGKILL');
  }
});

test('undo reaches back across sessions; relabels keep the full history', async () => {
  const dir = await workspaceWithReviews(10);
  let ws = await Workspace.open(dir);
  await ws.db.setLabel({ reviewId: '1000000001', label: 'yes' });
  await ws.db.setLabel({ reviewId: '1000000002', label: 'no' });
  await ws.db.setLabel({ reviewId: '1000000001', label: 'unclear', note: 'second look' });
  await ws.close();
  ws = await Workspace.open(dir);
  try {
    assert.equal(ws.db.labelOf('1000000001')?.label, 'unclear');
    await ws.db.undo();
    assert.equal(ws.db.labelOf('1000000001')?.label, 'yes');
    await ws.db.undo();
    assert.equal(ws.db.labelOf('1000000002'), undefined);
    await ws.db.undo();
    assert.equal(ws.db.labelOf('1000000001'), undefined);
    assert.equal(await ws.db.undo(), undefined, 'nothing left to undo');
    assert.equal(ws.db.history('1000000001').length, 4);
    await ws.db.setLabel({ reviewId: '1000000003', label: 'bot' });
    assert.equal(ws.db.current().size, 1);
  } finally {
    await ws.close();
  }
});

test('a damaged labels.json is reported and left untouched', async () => {
  const dir = await workspaceWithReviews(5);
  const file = path.join(dir, '.secreview/labels.json');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(file, '{"schema":1,"events":[');
  await assert.rejects(Workspace.open(dir), /labels.json is not valid JSON .*left untouched/);
  assert.equal(readFileSync(file, 'utf8'), '{"schema":1,"events":[');
  writeFileSync(file, JSON.stringify({ schema: 99, events: [], batches: [], models: [] }));
  await assert.rejects(Workspace.open(dir), /newer version/);
  assert.ok(!(await import('node:fs')).existsSync(path.join(dir, '.secreview/lock')), 'a failed open releases the lock');
});

test('global options work before the command name', async () => {
  const dir = tempDir();
  const out: string[] = [];
  assert.equal(await main(['-C', dir, '--json', 'init'], { out: (t) => out.push(t), err: () => {} }), 0);
  assert.equal((JSON.parse(out.join('')) as { created: boolean }).created, true);
  assert.equal(await main(['--json', 'stats', '-C', dir], { out: (t) => out.push(t), err: () => {} }), 0);
});
