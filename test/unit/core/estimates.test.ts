import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kneeStopping, poolPrevalence, positivesLeft, prevalenceHeadline, targetRecallStopping, yieldFactor } from '../../../src/core/estimates';
import { prevalence } from '../../../src/core/metrics';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('prevalence from the random slice, with an earlier random sample as prior', () => {
  const none = poolPrevalence({ positives: 0, sampled: 100 });
  close(none.upperBound, 1 - Math.pow(0.05, 1 / 101));
  assert.match(none.explanation, /0 of 100 randomly chosen reviews/);
  assert.match(none.explanation, /below 2\.9/);
  // An earlier sample of 0 in 100 plus 2 in 100 now equals 2 in 200 with a uniform prior.
  const combined = poolPrevalence({ positives: 2, sampled: 100 }, { priorSample: { positives: 0, sampled: 100 } });
  const direct = prevalence(2, 200);
  close(combined.mean, direct.mean);
  close(combined.upper, direct.upper);
  assert.match(combined.explanation, /2 of 200 .*100 from your earlier sample/);
  assert.match(poolPrevalence({ positives: 0, sampled: 0 }).explanation, /No randomly chosen reviews/);
});

test('prevalence wording: mean, most likely value and credible range for 0/n, n/n and small n', () => {
  // 0 of 2: the most likely share is 0, the mean 25% (uniform prior), and the range is one-sided.
  const none = poolPrevalence({ positives: 0, sampled: 2 });
  close(none.mode, 0);
  close(none.mean, 0.25);
  assert.match(none.explanation, /^0 of 2 randomly chosen reviews are potential security defects\. For the pool's share, the most likely value is 0% \(the share in the sample\) and the mean estimate is 25\.0%, pulled toward 50% because the sample is small; with 95% credibility it is below 63\.2%\.$/);
  assert.equal(prevalenceHeadline(none), 'mean 25.0%, most likely 0% (95%: below 63.2%)');
  // 2 of 2: most likely 100%, mean 75%, bounded from below.
  const all = poolPrevalence({ positives: 2, sampled: 2 });
  close(all.mode, 1);
  close(all.mean, 0.75);
  assert.match(all.explanation, /the most likely value is 100\.0% .* the mean estimate is 75\.0%, pulled toward 50% .*; with 95% credibility it is above 36\.8%\.$/);
  assert.equal(prevalenceHeadline(all), 'mean 75.0%, most likely 100.0% (95%: above 36.8%)');
  // 1 of 3: mode 1/3, mean 2/5, a two-sided interval around them.
  const small = poolPrevalence({ positives: 1, sampled: 3 });
  close(small.mode, 1 / 3);
  close(small.mean, 0.4);
  assert.match(small.explanation, /most likely value is 33\.3% .* mean estimate is 40\.0%, pulled toward 50% because the sample is small; with 95% credibility it lies between (\d+\.\d+)% and (\d+\.\d+)%/);
  assert.ok(small.lower < small.mode && small.mode < small.mean && small.mean < small.upper);
  // A large sample: mode and mean close, nothing said about a small sample.
  const large = poolPrevalence({ positives: 30, sampled: 1000 });
  close(large.mode, 0.03);
  assert.doesNotMatch(large.explanation, /small/);
  assert.match(large.explanation, /most likely value is 3\.0% .* mean estimate is 3\.1%; with 95% credibility it lies between/);
});

test('positives left and estimated recall', () => {
  const p = prevalence(2, 100); // mean 3/102
  const left = positivesLeft(10_000, 150, p);
  close(left.expectedTotal, (3 / 102) * 10_000);
  close(left.expectedLeft, (3 / 102) * 10_000 - 150);
  close(left.upper, p.upper * 10_000 - 150);
  assert.equal(left.lower, Math.max(0, p.lower * 10_000 - 150));
  close(left.estimatedRecall, 150 / ((3 / 102) * 10_000));
  // Found more than the estimate: nothing left, recall 100%.
  const all = positivesLeft(1000, 500, p);
  assert.equal(all.expectedLeft, 0);
  assert.equal(all.estimatedRecall, 1);
});

test('yield factor against random sampling', () => {
  close(yieldFactor(0.19, 0.028), 0.19 / 0.028);
  assert.ok(Number.isNaN(yieldFactor(0.2, 0)));
});

/** A gain curve with slope a for n1 labels, then slope b for n2 labels. */
function gainCurve(n1: number, a: number, n2: number, b: number): number[] {
  const g: number[] = [];
  let found = 0, acc = 0;
  for (let i = 0; i < n1 + n2; i++) {
    acc += i < n1 ? a : b;
    while (acc >= 1) { found++; acc -= 1; }
    g.push(found);
  }
  return g;
}

test('knee rule: stops on a flattened curve, not on a straight one', () => {
  const flat = kneeStopping(gainCurve(800, 0.25, 1200, 0.002));
  assert.equal(flat.shouldStop, true, flat.explanation);
  assert.ok(Math.abs(flat.knee! - 800) <= 10, `knee at ${flat.knee}`);
  assert.equal(flat.threshold, 6);
  const straight = kneeStopping(gainCurve(1000, 0.2, 1000, 0.2));
  assert.equal(straight.shouldStop, false);
  assert.ok(straight.slopeRatio! < 2);
  const short = kneeStopping(gainCurve(300, 0.3, 200, 0.001));
  assert.equal(short.shouldStop, false, 'needs the minimum number of labels');
  assert.match(short.explanation, /at least 1000 labels/);
  assert.equal(kneeStopping([0, 0, 0]).shouldStop, false);
  // Few positives need a much steeper drop (threshold 156 - found).
  const fewCurve = gainCurve(100, 0.1, 1900, 0.001);
  const few = kneeStopping(fewCurve);
  assert.equal(few.threshold, 156 - fewCurve.at(-1)!);
  assert.equal(few.shouldStop, false, 'about 10 found: the rule asks for a far steeper drop');
});

test('target-recall rule uses the pessimistic end of the prevalence interval', () => {
  const p = prevalence(5, 1000);
  const r = targetRecallStopping(100_000, 400, p, 0.8);
  close(r.conservativeRecall, 400 / (p.upper * 100_000));
  assert.equal(r.shouldStop, r.conservativeRecall >= 0.8);
  const done = targetRecallStopping(10_000, 200, prevalence(1, 2000), 0.8);
  assert.equal(done.shouldStop, true, done.explanation);
  assert.equal(targetRecallStopping(10_000, 5, prevalence(0, 0)).shouldStop, false);
  assert.throws(() => targetRecallStopping(1, 1, p, 1.5), /target recall/);
});
