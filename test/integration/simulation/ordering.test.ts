import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanInterval } from '../../../src/simulation/aggregate';
import { runStudy } from '../../../src/simulation/runner';
import { summarize } from '../../../src/simulation/results';

// A small study (30,000 rows instead of 1,000,000; 10 iterations) whose ordering must be stable:
// the paper's Figure 3 at the last iteration.
test('rare-label >= entropy > random > majority-label, and random matches the population rate', { timeout: 300_000 }, async () => {
  const study = await runStudy({
    config: { rows: 30_000, iterations: 10, predictability: [1.3], seed: 11 },
    runs: 4,
    workers: 2,
  });
  const summaries = summarize(study.rows, study.config);
  const finalRate = (arm: string) => summaries.filter((s) => s.arm === arm).map((s) => s.rate);
  const mean = (arm: string) => meanInterval(finalRate(arm)).mean;
  const [rare, entropy, random, majority] = ['rare', 'entropy', 'random', 'majority'].map(mean) as [number, number, number, number];
  // Two-class entropy ranks like rare-label wherever the model's p(yes) stays below 1/2, which at
  // ~2% prevalence is almost everywhere: the two are close, and rare-label is never clearly worse.
  assert.ok(rare >= entropy - 0.005, `rare ${rare} vs entropy ${entropy}`);
  assert.ok(entropy > 2 * random, `entropy ${entropy} vs random ${random}`);
  assert.ok(random > majority, `random ${random} vs majority ${majority}`);
  // Paired per run: random's rate minus the pool's prevalence has a 90% interval containing 0.
  const diff = summaries.filter((s) => s.arm === 'random').map((s) => s.rate - s.prevalence);
  const ci = meanInterval(diff);
  assert.ok(ci.lo <= 0 && ci.hi >= 0, `random - prevalence: ${ci.mean} [${ci.lo}, ${ci.hi}]`);
  // Every run is complete: 4 arms x 11 records.
  assert.equal(study.rows.length, 4 * 4 * 11);
  assert.equal(study.engine, 'onnxruntime');
});
