import { test } from 'node:test';
import assert from 'node:assert/strict';
import { identificationRates, precisionAtK, prevalence, rocAuc } from '../../../src/core/metrics';
import { betaCdf, betaQuantile, logGamma, normalQuantile, studentTQuantile } from '../../../src/core/stats';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('identification rates per iteration and cumulative, broken and bot excluded', () => {
  const rates = identificationRates([
    { label: 'yes', iteration: 1 }, { label: 'no', iteration: 1 }, { label: 'no', iteration: 1 }, { label: 'bot', iteration: 1 },
    { label: 'yes', iteration: 2 }, { label: 'yes', iteration: 2 }, { label: 'broken', iteration: 2 },
  ]);
  assert.equal(rates.length, 2);
  assert.equal(rates[0]!.labeled, 3);
  close(rates[0]!.rate.yes, 1 / 3);
  assert.equal(rates[1]!.labeled, 2);
  close(rates[1]!.rate.yes, 1);
  close(rates[1]!.cumulativeRate.yes, 3 / 5);
  assert.equal(rates[1]!.cumulativeCounts.no, 2);
  const withAll = identificationRates([{ label: 'bot', iteration: 1 }, { label: 'yes', iteration: 1 }], { excluded: [] });
  close(withAll[0]!.rate.yes, 0.5);
});

test('precision at k (k = number of positives by default)', () => {
  const scores = [0.9, 0.8, 0.7, 0.1];
  const pos = [true, false, true, false];
  close(precisionAtK(scores, pos), 0.5);
  close(precisionAtK(scores, pos, 1), 1);
  close(precisionAtK(scores, pos, 3), 2 / 3);
  assert.ok(Number.isNaN(precisionAtK(scores, [false, false, false, false])));
  assert.throws(() => precisionAtK([1], [true, false]), /1 scores but 2 labels/);
});

test('ROC-AUC with ties counted half', () => {
  close(rocAuc([0.9, 0.8, 0.2, 0.1], [true, true, false, false]), 1);
  close(rocAuc([0.1, 0.2, 0.8, 0.9], [true, true, false, false]), 0);
  close(rocAuc([0.5, 0.5, 0.5, 0.5], [true, false, true, false]), 0.5);
  // one positive tied with one of two negatives: (1 + 0.5) / 2
  close(rocAuc([0.5, 0.5, 0.1], [true, false, false]), 0.75);
  assert.ok(Number.isNaN(rocAuc([1, 2], [true, true])));
});

test('prevalence: 0 positives in 100 random labels gives about 2.9% at 95%', () => {
  const p = prevalence(0, 100);
  close(p.upperBound, 1 - Math.pow(0.05, 1 / 101), 1e-9);
  close(p.upperBound, 0.0292, 5e-4);
  close(p.mean, 1 / 102);
  assert.ok(p.lower < p.mean && p.mean < p.upper);
  const q = prevalence(17, 1000, { level: 0.9 });
  assert.ok(q.lower < 0.017 && 0.017 < q.upper);
  assert.throws(() => prevalence(5, 3), /positives <= sampled/);
});

test('special functions against known values', () => {
  close(logGamma(5), Math.log(24), 1e-12);
  close(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-12);
  close(betaCdf(0.5, 2, 2), 0.5, 1e-12);
  close(betaCdf(0.3, 1, 1), 0.3, 1e-12);
  close(betaQuantile(0.95, 1, 101), 1 - Math.pow(0.05, 1 / 101), 1e-10);
  close(normalQuantile(0.975), 1.959963984540054, 1e-8);
  close(studentTQuantile(0.95, 9), 1.833112932653, 1e-7);
  close(studentTQuantile(0.05, 99), -1.660391156, 1e-7);
});
