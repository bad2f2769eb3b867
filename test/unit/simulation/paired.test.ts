import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bootstrapInterval, meanAt } from '../../../src/core/stats';
import { pairedGainSeries, pairedMarkdown, pairedStudy } from '../../../src/simulation/paired';
import type { IterationRow } from '../../../src/simulation/results';

const final = (run: number, arm: string, positives: number, labeled = 4200): IterationRow => ({
  run, arm, predictability: 1, epochs: 10, correlation: 'none', increment: 200, iterations: 20, prevalence: 0.017, iteration: 21,
  labeled, positives, rate: positives / labeled, loss: NaN, batchPositives: NaN, seconds: 1,
});

test('the paired gain is mean(arm) / mean(rare) - 1 over the same runs, its interval from resampling runs together', () => {
  // The arm finds 30% more in every run, while runs differ tenfold: pairing removes that spread.
  const rows: IterationRow[] = [];
  for (let run = 0; run < 40; run++) {
    const base = 40 + 400 * ((run * 7919) % 40) / 40;
    rows.push(final(run, 'rare', base), final(run, 'better', base * 1.3), final(run, 'same', base + (run % 2 ? 5 : -5)));
  }
  // An earlier iteration of an arm does not count: only the last record of a run.
  rows.push({ ...final(0, 'better', 1), iteration: 3, labeled: 800 });
  const study = pairedStudy(rows, 'rare')!;
  const better = study.arms.find((a) => a.arm === 'better')!;
  assert.equal(better.runs, 40);
  assert.ok(Math.abs(better.gain.mean - 0.3) < 1e-9, `${better.gain.mean}`);
  assert.ok(better.gain.lo > 0.29 && better.gain.hi < 0.31, `${better.gain.lo} – ${better.gain.hi}`);
  assert.equal(better.wins, 40);
  const same = study.arms.find((a) => a.arm === 'same')!;
  assert.ok(same.gain.lo < 0 && same.gain.hi > 0, 'no difference: the interval holds 0');
  assert.ok(same.rate.lo >= 0);
  assert.match(pairedMarkdown(study), /\| better \| 40 \| .* \| \+30\.0% \(/);
  assert.equal(pairedStudy(rows, 'absent'), undefined);
});

test('runs are paired only where both arms reached the same label count', () => {
  const rows = [final(0, 'rare', 100), final(0, 'x', 120), final(1, 'rare', 100), final(1, 'x', 50, 2000)];
  assert.equal(pairedStudy(rows)!.arms.find((a) => a.arm === 'x')!.runs, 1);
});

test('bootstrap percentile intervals are reproducible and contain the statistic', () => {
  const v = [0.1, 0.2, 0.05, 0.3, 0.12, 0.07];
  const a = bootstrapInterval(v.length, (idx) => meanAt(v, idx), { seed: 3 });
  assert.deepEqual(bootstrapInterval(v.length, (idx) => meanAt(v, idx), { seed: 3 }), a);
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  assert.ok(a.lo < mean && mean < a.hi && a.lo >= 0.05 && a.hi <= 0.3);
  assert.ok(Number.isNaN(bootstrapInterval(0, () => 0).lo));
});

test('the gain curve pairs runs at every label count both arms reached', () => {
  const at = (run: number, arm: string, labeled: number, positives: number): IterationRow => ({ ...final(run, arm, positives, labeled), iteration: labeled / 200 });
  const rows = [0, 1, 2].flatMap((run) => [
    at(run, 'rare', 200, 4 + run), at(run, 'rare', 400, 10 + run), at(run, 'x', 200, 4 + run), at(run, 'x', 400, 15 + 1.5 * run),
    at(run, 'x', 240, 5), // a count rare-label never had: left out
  ]);
  const [x] = pairedGainSeries(rows, 'rare', ['rare', 'x']);
  assert.deepEqual(x!.points.map((p) => p.x), [200, 400]);
  assert.equal(x!.points[0]!.mean, 0);
  assert.ok(Math.abs(x!.points[1]!.mean - 0.5) < 1e-9);
  assert.ok(x!.points[1]!.lo! <= 0.5 && x!.points[1]!.hi! >= 0.5);
});
