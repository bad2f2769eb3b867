/**
 * `secreview repair` on each kind of damage (missing or garbage meta.json, missing or wrong
 * index.bin, a truncated or missing labels.json, read-only files), the rolling backups it restores
 * from, and the "damaged" messages that name them. Repair deletes nothing: replaced files are kept.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, readdirSync, readFileSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { Workspace } from '../../../src/store/workspace';
import { listBackups } from '../../../src/store/backups';
import { readLabelData } from '../../../src/store/labelDb';
import type { Label } from '../../../src/core/labels';
import { tempDir } from '../../helpers/tmp';
import { writeGeneratedReviews } from '../../helpers/generate';

const LABELS: Label[] = ['yes', 'no', 'unclear', 'no', 'bot', 'language'];

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, env: { SECREVIEW_LOCK_WAIT: '0' } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A workspace of `rows` reviews with `labels` label events (written 50 at a time, as imports and sessions would). */
async function labeledWorkspace(rows: number, labels: number): Promise<string> {
  const dir = tempDir();
  const file = path.join(dir, 'r.jsonl');
  await writeGeneratedReviews(file, rows);
  const ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  for (let i = 0; i < labels; i += 50) {
    await ws.db.setLabels(Array.from({ length: Math.min(50, labels - i) }, (_, k) => ({ reviewId: ws.pool.idOf((i + k) % rows), label: LABELS[(i + k) % LABELS.length]! })));
  }
  await ws.close();
  return dir;
}

function copyOf(dir: string): string {
  const to = tempDir();
  cpSync(path.join(dir, '.secreview'), path.join(to, '.secreview'), { recursive: true });
  return to;
}

const sec = (dir: string, ...p: string[]) => path.join(dir, '.secreview', ...p);

/** Every review of the pool, in row order (what a repaired pool must give back). */
async function poolRecords(dir: string): Promise<string[]> {
  const ws = await Workspace.open(dir, { readOnly: true });
  try {
    return Array.from({ length: ws.pool.size }, (_, row) => ws.pool.text(row));
  } finally {
    await ws.close();
  }
}

test('backups: one each time the log passes a hundred events, the newest ten kept, in .secreview/backups', async () => {
  const dir = await labeledWorkspace(200, 1150);
  const backups = listBackups(sec(dir));
  assert.equal(backups.length, 10);
  assert.deepEqual(backups.map((b) => b.events), [1100, 1000, 900, 800, 700, 600, 500, 400, 300, 200]);
  const newest = await readLabelData(backups[0]!.file);
  assert.equal(newest!.events.length, 1100);
});

test('a truncated labels.json: the error names the newest backup and the command; repair restores it and the complete records after it', async () => {
  const dir = await labeledWorkspace(300, 250);
  const file = sec(dir, 'labels.json');
  const original = (await readLabelData(file))!;
  const text = readFileSync(file, 'utf8');
  const cut = Math.floor(text.length * 0.9);
  writeFileSync(file, text.slice(0, cut));
  const opened = await cli(['label', '1000000001', 'yes', '-C', dir]);
  assert.equal(opened.code, 1);
  assert.match(opened.err, /labels\.json is not valid JSON .*left untouched.*newest backup is \.secreview\/backups\/labels-.*-200-events\.json \(200 label events, .*secreview repair.*Repair Workspace/s);
  const r = await cli(['repair', '-C', dir]);
  assert.equal(r.code, 0, r.out + r.err);
  const completeLines = text.slice(0, cut).split('\n').slice(0, -1).filter((l) => /^\{"seq":/.test(l)).length;
  assert.match(r.out, new RegExp(`repaired: labels.json: was damaged .*restored from backup labels-.*-200-events\\.json \\(200 label events\\); recovered ${completeLines - 200} events from the damaged file's complete records; now ${completeLines} label events.*kept as labels\\.json\\.damaged-`));
  const restored = (await readLabelData(file))!;
  assert.equal(restored.events.length, completeLines);
  assert.deepEqual(restored.events, original.events.slice(0, completeLines), 'every restored event is the original one');
  const aside = readdirSync(sec(dir)).filter((n) => n.startsWith('labels.json.damaged-'));
  assert.equal(readFileSync(sec(dir, aside[0]!), 'utf8'), text.slice(0, cut), 'the damaged file is kept as it was');
  assert.equal((await cli(['label', '1000000001', 'yes', '-C', dir])).code, 0, 'labeling works again');
});

test('a missing labels.json with backups: init refuses, repair restores the newest', async () => {
  const dir = await labeledWorkspace(150, 120);
  unlinkSync(sec(dir, 'labels.json'));
  const init = await cli(['init', '-C', dir]);
  assert.notEqual(init.code, 0);
  assert.match(init.err, /labels\.json is missing but a backup of it exists.*nothing was changed.*secreview repair/s);
  const r = await cli(['repair', '-C', dir]);
  assert.equal(r.code, 0);
  assert.match(r.out, /repaired: labels\.json: was missing; restored from backup labels-.*-100-events\.json \(100 label events\)/);
  assert.equal((await readLabelData(sec(dir, 'labels.json')))!.events.length, 100);
});

test('pool damage: missing or garbage meta.json, missing or wrong index.bin; rebuilt from reviews.jsonl, replaced files kept', async () => {
  const pristine = await labeledWorkspace(500, 60);
  const records = await poolRecords(pristine);
  const labels = readFileSync(sec(pristine, 'labels.json'), 'utf8');
  const damages: [string, (dir: string) => void, RegExp][] = [
    ['missing meta.json', (d) => unlinkSync(sec(d, 'pool', 'meta.json')), /meta\.json is missing but .*reviews\.jsonl holds reviews/],
    ['garbage meta.json', (d) => writeFileSync(sec(d, 'pool', 'meta.json'), '\u0000\u0000garbage'), /meta\.json is damaged/],
    ['meta.json of another format', (d) => writeFileSync(sec(d, 'pool', 'meta.json'), '{"format": 7}'), /not a pool description this version knows/],
    ['missing index.bin', (d) => unlinkSync(sec(d, 'pool', 'index.bin')), /shorter than its meta\.json says/],
    ['index.bin of other rows', (d) => { const f = sec(d, 'pool', 'index.bin'); const b = readFileSync(f); b.writeDoubleLE(12345, 32 * 7); writeFileSync(f, b); }, /row 7 does not start where row 6 ends/],
  ];
  for (const [what, damage, reported] of damages) {
    const dir = copyOf(pristine);
    damage(dir);
    const before = await cli(['stats', '-C', dir]);
    if (!what.startsWith('index.bin of other')) {
      assert.notEqual(before.code, 0, `${what}: reported`);
      assert.match(before.err, /secreview repair/, `${what}: the error names repair`);
    }
    const r = await cli(['repair', '-C', dir]);
    assert.equal(r.code, 0, `${what}: ${r.out}${r.err}`);
    assert.match(r.out, reported, what);
    assert.match(r.out, /repaired: pool: .*rebuilt .* from reviews\.jsonl, 500 reviews/, what);
    assert.deepEqual(await poolRecords(dir), records, `${what}: every review is back, in order`);
    assert.equal(readFileSync(sec(dir, 'labels.json'), 'utf8'), labels, `${what}: labels untouched`);
    const aside = readdirSync(sec(dir, 'pool')).filter((n) => n.includes('.damaged-'));
    assert.equal(aside.length, what.startsWith('missing meta') ? 0 : what === 'missing index.bin' ? 1 : what.startsWith('index.bin') ? 2 : 1, `${what}: replaced files kept (${aside.join(', ')})`);
  }
});

test('an interrupted write at the end of reviews.jsonl is saved aside and cut; import carries on after it', async () => {
  const dir = await labeledWorkspace(50, 0);
  const reviews = sec(dir, 'pool', 'reviews.jsonl');
  writeFileSync(reviews, readFileSync(reviews, 'utf8') + '{"id":"999","body":"half a rec');
  unlinkSync(sec(dir, 'pool', 'meta.json'));
  const r = await cli(['repair', '-C', dir]);
  assert.equal(r.code, 0);
  assert.match(r.out, /an unfinished last line \(30 bytes\) was moved to reviews\.jsonl\.partial-/);
  const partial = readdirSync(sec(dir, 'pool')).find((n) => n.startsWith('reviews.jsonl.partial-'))!;
  assert.equal(readFileSync(sec(dir, 'pool', partial), 'utf8'), '{"id":"999","body":"half a rec');
  const more = path.join(dir, 'more.jsonl');
  await writeGeneratedReviews(more, 5, { start: 50 });
  assert.equal((await cli(['import', more, '-C', dir])).code, 0);
  assert.equal((await poolRecords(dir)).length, 55);
});

test('read-only files are made writable again, and said so', async () => {
  const dir = await labeledWorkspace(20, 5);
  chmodSync(sec(dir, 'labels.json'), 0o444);
  chmodSync(sec(dir, 'pool', 'meta.json'), 0o444);
  assert.equal((await cli(['label', '1000000009', 'yes', '-C', dir])).code, 3);
  const r = await cli(['repair', '-C', dir]);
  assert.equal(r.code, 0);
  assert.match(r.out, /repaired: labels\.json: was read-only \(mode 0444\); made writable for its owner \(mode 0644\)/);
  assert.match(r.out, /repaired: pool\/meta\.json: was read-only \(mode 0444\)/);
  assert.equal((await cli(['label', '1000000009', 'yes', '-C', dir])).code, 0);
  assert.equal(statSync(sec(dir, 'labels.json')).mode & 0o777, 0o644);
});

test('repair on a sound workspace changes nothing and says so; --json reports the steps', async () => {
  const dir = await labeledWorkspace(20, 5);
  const labels = readFileSync(sec(dir, 'labels.json'), 'utf8');
  const r = await cli(['--json', 'repair', '-C', dir]);
  assert.equal(r.code, 0);
  const report = JSON.parse(r.out) as { opened: boolean; pool: number; labeled: number; steps: { outcome: string }[] };
  assert.equal(report.opened, true);
  assert.deepEqual([report.pool, report.labeled], [20, 5]);
  assert.ok(report.steps.every((s) => s.outcome === 'ok'));
  assert.equal(readFileSync(sec(dir, 'labels.json'), 'utf8'), labels);
  truncateSync(sec(dir, 'labels.json'), 0);
  const empty = await cli(['repair', '-C', dir]);
  assert.match(empty.out, /repaired: labels\.json: was damaged .*no intact backup was found/);
  assert.match(empty.out, /not recovered: labels\.json: .*no label event could be recovered.*everything is still in labels\.json\.damaged-/);
});
