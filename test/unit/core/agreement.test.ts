import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agreementOf, cohenKappaOf, confusionTable, gwetAc1Of, pabakOf, percentAgreementOf } from '../../../src/core/agreement';

/** Rating pairs that make the given q x q table (rows: first annotator, columns: second). */
function pairsOf(table: number[][]): [number, number][] {
  const out: [number, number][] = [];
  table.forEach((row, i) => row.forEach((n, j) => { for (let c = 0; c < n; c++) out.push([i, j]); }));
  return out;
}

const close = (actual: number | null, expected: number, digits: number, what: string) => {
  assert.ok(actual !== null, `${what} is defined`);
  assert.equal(Number(actual.toFixed(digits)), expected, `${what}: ${actual}`);
};

// Gwet, K. L. (2014). Handbook of Inter-Rater Reliability, 4th ed., Advanced Analytics: 100 pregnant
// women classified by two abstractors as Ectopic, AIU (abnormal intrauterine) or NIU (normal
// intrauterine). Published: percent agreement 0.89, Cohen's kappa 0.796 (95% CI 0.680-0.913),
// Brennan-Prediger 0.835 (0.742-0.928), Gwet's AC1 0.849 (0.764-0.935); the same values are the
// test oracle of Gwet's irrCAC package for this table ("cont3x3abstractors").
const ABSTRACTORS = [[13, 0, 0], [0, 20, 7], [0, 4, 56]];

test("Gwet's Handbook, abstractors table: percent agreement, kappa, PABAK (Brennan-Prediger) and AC1 as published", () => {
  const t = confusionTable(pairsOf(ABSTRACTORS), 3);
  close(percentAgreementOf(t, 3), 0.89, 2, 'percent agreement');
  close(cohenKappaOf(t, 3), 0.796, 3, "Cohen's kappa");
  close(pabakOf(t, 3), 0.835, 3, 'PABAK for three categories (Brennan-Prediger)');
  close(gwetAc1Of(t, 3), 0.849, 3, "Gwet's AC1");
});

test('bootstrap 95% intervals agree with the published analytic intervals of the abstractors table and are reproducible', () => {
  const summary = agreementOf(pairsOf(ABSTRACTORS), ['ectopic', 'aiu', 'niu'], { resamples: 4000, seed: 3 });
  const published = { kappa: [0.680, 0.913], pabak: [0.742, 0.928], ac1: [0.764, 0.935] } as const;
  for (const [name, [lo, hi]] of Object.entries(published) as [keyof typeof published, readonly [number, number]][]) {
    const ci = summary[name].ci95!;
    assert.ok(Math.abs(ci[0] - lo) < 0.035 && Math.abs(ci[1] - hi) < 0.035, `${name}: bootstrap ${ci.map((x) => x.toFixed(3))} vs published ${lo}-${hi}`);
    assert.ok(ci[0] <= summary[name].value! && summary[name].value! <= ci[1], `${name}: the estimate lies in its interval`);
  }
  const again = agreementOf(pairsOf(ABSTRACTORS), ['ectopic', 'aiu', 'niu'], { resamples: 4000, seed: 3 });
  assert.deepEqual(again, summary, 'the same pairs and seed give the same intervals');
  assert.deepEqual(summary.confusion, ABSTRACTORS);
});

// Feinstein, A. R., and Cicchetti, D. V. (1990). High agreement but low kappa: I. The problems of two
// paradoxes. Journal of Clinical Epidemiology 43(6), 543-549: two 2 x 2 tables with the same observed
// agreement 0.85; expected agreement 0.50 and 0.78, kappa 0.70 and 0.32. Byrt, Bishop and Carlin
// (1993), Bias, prevalence and kappa, J Clin Epidemiol 46(5), 423-429, define PABAK = 2 po - 1, which is
// 0.70 for both: the prevalence of the first category no longer moves it.
test('Feinstein and Cicchetti: kappa 0.70 and 0.32 at the same 0.85 agreement; PABAK 0.70 for both (Byrt et al.)', () => {
  const balanced = confusionTable(pairsOf([[40, 9], [6, 45]]), 2);
  const skewed = confusionTable(pairsOf([[80, 10], [5, 5]]), 2);
  close(percentAgreementOf(balanced, 2), 0.85, 2, 'agreement, balanced table');
  close(percentAgreementOf(skewed, 2), 0.85, 2, 'agreement, skewed table');
  close(cohenKappaOf(balanced, 2), 0.70, 2, 'kappa, balanced table');
  close(cohenKappaOf(skewed, 2), 0.32, 2, 'kappa, skewed table');
  close(pabakOf(balanced, 2), 0.70, 2, 'PABAK, balanced table');
  close(pabakOf(skewed, 2), 0.70, 2, 'PABAK, skewed table');
  // AC1 stays near the agreement where kappa collapses (Gwet 2008's point).
  assert.ok(gwetAc1Of(skewed, 2) > 0.8 && cohenKappaOf(skewed, 2) < 0.33);
});

test('per-label agreement is the 2 x 2 table of each label against the rest; absent labels are left out', () => {
  const s = agreementOf(pairsOf([[80, 10, 0], [5, 5, 0], [0, 0, 0]]), ['no', 'yes', 'unclear'], { resamples: 200 });
  assert.deepEqual(s.perLabel.map((l) => l.label), ['no', 'yes']);
  const yes = s.perLabel.find((l) => l.label === 'yes')!;
  assert.equal(yes.pairsWithLabel, 20);
  close(yes.kappa.value, 0.32, 2, 'kappa of yes against the rest');
  close(yes.pabak.value, 0.70, 2, 'PABAK of yes against the rest');
  // Overall, with the scale's three categories.
  close(s.pabak.value, 0.775, 6, 'overall PABAK uses the three categories of the scale: (3 x 0.85 - 1) / 2');
});

test('undefined coefficients are null, never NaN: no pairs, or kappa when both always give one label', () => {
  const none = agreementOf([], ['yes', 'no']);
  assert.equal(none.pairs, 0);
  assert.equal(none.kappa.value, null);
  assert.equal(none.kappa.ci95, null);
  const same = agreementOf([[1, 1], [1, 1], [1, 1]], ['yes', 'no'], { resamples: 100 });
  assert.equal(same.kappa.value, null, 'kappa is 0/0 when expected agreement is 1');
  assert.equal(same.percentAgreement.value, 1);
  assert.equal(same.ac1.value, 1);
  assert.deepEqual(same.ac1.ci95, [1, 1]);
  assert.throws(() => agreementOf([[0, 2]], ['yes', 'no']), /outside the 2 categories/);
});

test('intervals narrow as the number of pairs grows', () => {
  const small = agreementOf(pairsOf([[4, 1], [1, 4]]), ['a', 'b'], { resamples: 1000 });
  const large = agreementOf(pairsOf([[400, 100], [100, 400]]), ['a', 'b'], { resamples: 1000 });
  const width = (c: { ci95: [number, number] | null }) => c.ci95![1] - c.ci95![0];
  assert.ok(width(large.kappa) < width(small.kappa) / 4, `${width(large.kappa)} vs ${width(small.kappa)}`);
  close(large.kappa.value, 0.6, 6, 'kappa');
});
