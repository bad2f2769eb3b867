import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { runStudy } from '../../../src/simulation/runner';

const repoRoot = path.resolve(__dirname, '../../..');
const dir = mkdtempSync(path.join(tmpdir(), 'secreview-sim-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const tiny = { rows: 3000, iterations: 3, increment: [50], start: 50, strategies: ['rare', 'random', 'rare:0.8+random:0.2'], seed: 5 };

test('a study in worker threads is reproducible and resumes where it stopped', { timeout: 180_000 }, async () => {
  const out = path.join(dir, 'study');
  const first = await runStudy({ config: tiny, runs: 2, out, workers: 2 });
  assert.equal(first.completed, 2);
  const runFile = path.join(out, 'runs', 'run-00001.csv');
  const before = readFileSync(runFile, 'utf8');
  const mtime = statSync(runFile).mtimeMs;
  const second = await runStudy({ config: tiny, runs: 3, out, workers: 2 });
  assert.equal(second.skipped, 2, 'runs on disk are not recomputed');
  assert.equal(second.completed, 1);
  assert.equal(statSync(runFile).mtimeMs, mtime);
  assert.equal(second.arms[0]!.runs, 3);
  // The same seed and run number give the same run, in another folder and in this thread.
  const again = await runStudy({ config: tiny, runs: 2, out: path.join(dir, 'again'), workers: 1 });
  assert.equal(again.completed, 2);
  assert.equal(readFileSync(path.join(dir, 'again', 'runs', 'run-00001.csv'), 'utf8').replace(/,[0-9.e-]+\n/g, '\n'),
    before.replace(/,[0-9.e-]+\n/g, '\n'), 'identical apart from the timing column');
  assert.deepEqual(readdirSync(path.join(out, 'figures')).sort(), ['gain-over-rare-label.svg', 'identification-rate-by-strategy.svg', 'loss-by-strategy.svg']);
  for (const f of ['iterations.csv', 'summary.csv', 'aggregate.csv', 'summary.md', 'result.json', 'config.json']) statSync(path.join(out, f));
  const summary = readFileSync(path.join(out, 'summary.csv'), 'utf8').trim().split('\n');
  assert.equal(summary.length, 1 + 3 * 3);
  await assert.rejects(runStudy({ config: { ...tiny, seed: 6 }, runs: 2, out }), /different configuration/);
});

test('secreview simulate --json prints per strategy the final rate, its 90% interval and the runs', { timeout: 180_000 }, () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', '--runs', '2', '--rows', '3000', '--start', '50',
    '--increment', '50', '--iterations', '3', '--strategies', 'rare,random', '--predictability', '0.7,1.3', '--workers', '1', '--json'],
  { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const json = JSON.parse(r.stdout) as { runs: number; strategies: { strategy: string; runs: number; identificationRate: number; interval90: [number, number] }[];
    paired: { baseline: string; arms: { strategy: string; runs: number; gain: number; gainInterval90: [number, number]; interval90: [number, number] }[] } };
  assert.equal(json.paired.baseline, 'rare');
  const random = json.paired.arms.find((a) => a.strategy === 'random')!;
  assert.equal(random.runs, 2);
  assert.ok(random.gainInterval90[0] <= random.gain && random.gain <= random.gainInterval90[1]);
  assert.ok(json.paired.arms.every((a) => a.interval90[0] >= 0), 'rate intervals never below 0');
  assert.equal(json.runs, 2);
  assert.deepEqual(json.strategies.map((s) => s.strategy), ['rare', 'random']);
  for (const s of json.strategies) {
    assert.equal(s.runs, 2);
    assert.ok(s.identificationRate >= 0 && s.identificationRate <= 1);
    assert.ok(s.interval90[0] <= s.identificationRate && s.identificationRate <= s.interval90[1]);
  }
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'simulate', '--correlation', 'diagonal'], { cwd: repoRoot, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--correlation: unknown correlation "diagonal"; use none, AAt, cholesky/);
});
