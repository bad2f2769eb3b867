/**
 * Commands never destroy data: `init` leaves a pool without its meta.json alone, `export` writes
 * every label (saying which reviews have no pool record), a read-only labels.json is refused and
 * kept as it is, every atomic rewrite keeps the file's mode, and temp files of killed writers are
 * cleaned up by the next writer (only theirs).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { Workspace } from '../../../src/store/workspace';
import { writePanelPosition, panelStateFile } from '../../../src/store/panelState';
import { writeGeneratedReviews } from '../../helpers/generate';
import { workspaceWithReviews } from '../../helpers/workspace';


async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: (t) => err.push(t), env: { SECREVIEW_LOCK_WAIT: '0' } });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const mode = (f: string) => statSync(f).mode & 0o777;

test('init on a pool whose meta.json is missing changes nothing and points to repair', async () => {
  const dir = await workspaceWithReviews(40);
  const pool = path.join(dir, '.secreview', 'pool');
  const reviews = readFileSync(path.join(pool, 'reviews.jsonl'));
  const index = readFileSync(path.join(pool, 'index.bin'));
  unlinkSync(path.join(pool, 'meta.json'));
  const r = await cli(['init', '-C', dir]);
  assert.notEqual(r.code, 0, 'init refuses');
  assert.match(r.err, /meta\.json is missing but the pool holds data.*nothing was changed.*secreview repair/s);
  assert.deepEqual(readFileSync(path.join(pool, 'reviews.jsonl')), reviews, 'reviews.jsonl untouched');
  assert.deepEqual(readFileSync(path.join(pool, 'index.bin')), index, 'index.bin untouched');
  const opened = await cli(['label', '1000000001', 'yes', '-C', dir]);
  assert.notEqual(opened.code, 0);
  assert.match(opened.err, /meta\.json is missing.*secreview repair/s, 'the error points to repair, not init');
});

test('export writes every label, also of reviews missing from the pool, and names those', async () => {
  const labeled = await workspaceWithReviews(5);
  for (const [id, label] of [['1000000001', 'yes'], ['1000000002', 'no'], ['1000000003', 'bot']]) assert.equal((await cli(['label', id, label, '-C', labeled])).code, 0);
  // The labels move to a workspace whose pool holds only one of those reviews.
  const other = await workspaceWithReviews(1, 2);
  copyFileSync(path.join(labeled, '.secreview', 'labels.json'), path.join(other, '.secreview', 'labels.json'));
  const out = path.join(other, 'export.jsonl');
  const r = await cli(['export', '--format', 'jsonl', '--out', out, '-C', other]);
  assert.equal(r.code, 0, r.err);
  const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; label: string; body?: string; history: unknown[] });
  assert.deepEqual(rows.map((x) => [x.id, x.label]), [['1000000001', 'yes'], ['1000000002', 'no'], ['1000000003', 'bot']]);
  assert.equal(typeof rows[1]!.body, 'string', 'a review in the pool has its record');
  assert.equal(rows[0]!.body, undefined);
  assert.equal(rows[0]!.history.length, 1, 'a review missing from the pool still has its label history');
  assert.match(r.err, /Exported 3 labeled reviews/);
  assert.match(r.err, /2 of the 3 exported labeled reviews have no record in the pool.*1000000001, 1000000003/s);
  const csv = await cli(['export', '--format', 'csv', '--out', path.join(other, 'export.csv'), '-C', other]);
  assert.equal(csv.code, 0);
  assert.equal(readFileSync(path.join(other, 'export.csv'), 'utf8').trim().split('\r\n').length, 4, 'header and three rows');
});

test('a read-only labels.json is refused with a clear message and left as it is', async () => {
  const dir = await workspaceWithReviews(3);
  const labels = path.join(dir, '.secreview', 'labels.json');
  assert.equal((await cli(['label', '1000000001', 'yes', '-C', dir])).code, 0);
  chmodSync(labels, 0o444);
  const before = readFileSync(labels, 'utf8');
  const r = await cli(['label', '1000000002', 'no', '-C', dir]);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /labels\.json is read-only \(mode 0444\).*chmod u\+w/s);
  assert.equal(readFileSync(labels, 'utf8'), before);
  assert.equal(mode(labels), 0o444, 'its mode is kept');
  // A window falls back to read-only and says why.
  const ws = await Workspace.open(dir, { fallBackToReadOnly: true });
  assert.equal(ws.readOnly, true);
  assert.match(ws.readOnlyReason!, /read-only \(mode 0444\)/);
  await ws.close();
  assert.equal(existsSync(path.join(dir, '.secreview', 'lock')), false, 'no lock is left behind');
});

test('atomic rewrites keep the file\'s mode: labels.json, pool meta.json, panel.json', async () => {
  const dir = await workspaceWithReviews(3);
  const ws = path.join(dir, '.secreview');
  chmodSync(path.join(ws, 'labels.json'), 0o600);
  chmodSync(path.join(ws, 'pool', 'meta.json'), 0o640);
  assert.equal((await cli(['label', '1000000001', 'yes', '-C', dir])).code, 0);
  assert.equal(mode(path.join(ws, 'labels.json')), 0o600);
  const more = path.join(dir, 'more.jsonl');
  await writeGeneratedReviews(more, 2, { start: 1_000_000 });
  assert.equal((await cli(['import', more, '-C', dir])).code, 0);
  assert.equal(mode(path.join(ws, 'pool', 'meta.json')), 0o640);
  writePanelPosition(ws, { reviewId: '1' });
  chmodSync(panelStateFile(ws), 0o600);
  writePanelPosition(ws, { reviewId: '2' });
  assert.equal(mode(panelStateFile(ws)), 0o600);
  assert.equal(JSON.parse(readFileSync(panelStateFile(ws), 'utf8')).reviewId, '2');
});

test('temp files left by killed writers are removed by the next writer; a live writer\'s are kept', async () => {
  const dir = await workspaceWithReviews(3);
  const ws = path.join(dir, '.secreview');
  const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
  const stale = [`.labels.json.${dead}.lq1x2.0.tmp`, `.labels.json.${dead}.lq1x3.1.tmp`, `.lock.${dead}.0a1b2c3d.tmp`];
  const live = `.labels.json.${process.ppid}.lq1x4.0.tmp`;
  for (const n of [...stale, live]) writeFileSync(path.join(ws, n), '{"schema":2');
  writeFileSync(path.join(ws, 'pool', `.meta.json.${dead}.lq1x5.0.tmp`), '{');
  assert.equal((await cli(['label', '1000000001', 'yes', '-C', dir])).code, 0);
  const left = readdirSync(ws).filter((n) => n.endsWith('.tmp'));
  assert.deepEqual(left, [live]);
  assert.deepEqual(readdirSync(path.join(ws, 'pool')).filter((n) => n.endsWith('.tmp')), []);
});
