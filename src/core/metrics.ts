/**
 * Metrics of the loop: identification rates (the paper's Figure 9), precision@k (Figure 8),
 * ROC-AUC, and a Bayesian bound on prevalence from a random sample.
 */
import { LABELS, type Label } from './labels';
import { betaQuantile } from './stats';

export type LabelCounts = Record<Label, number>;

export function emptyCounts(): LabelCounts {
  return Object.fromEntries(LABELS.map((l) => [l, 0])) as LabelCounts;
}

export interface LabeledItem { label: Label; iteration: number }

export interface IterationRates {
  iteration: number;
  /** Items labeled in this iteration (labels in `excluded` not counted). */
  labeled: number;
  counts: LabelCounts;
  /** Share of each label among this iteration's items. */
  rate: Record<Label, number>;
  /** Items labeled up to and including this iteration. */
  cumulativeLabeled: number;
  cumulativeCounts: LabelCounts;
  /** Share of each label among all items up to this iteration. */
  cumulativeRate: Record<Label, number>;
}

const ratesOf = (c: LabelCounts, n: number) => Object.fromEntries(LABELS.map((l) => [l, n ? c[l] / n : 0])) as Record<Label, number>;

/**
 * Identification rate per label, per iteration and cumulative. By default broken links and bot
 * comments are left out of numerators and denominators, as in the paper.
 */
export function identificationRates(items: Iterable<LabeledItem>, options: { excluded?: readonly Label[] } = {}): IterationRates[] {
  const excluded = new Set<Label>(options.excluded ?? ['broken', 'bot']);
  const per = new Map<number, LabelCounts>();
  for (const it of items) {
    if (excluded.has(it.label)) continue;
    let c = per.get(it.iteration);
    if (!c) per.set(it.iteration, (c = emptyCounts()));
    c[it.label]++;
  }
  const out: IterationRates[] = [];
  const cum = emptyCounts();
  let cumN = 0;
  for (const iteration of [...per.keys()].sort((a, b) => a - b)) {
    const counts = per.get(iteration)!;
    const labeled = LABELS.reduce((s, l) => s + counts[l], 0);
    for (const l of LABELS) cum[l] += counts[l];
    cumN += labeled;
    out.push({ iteration, labeled, counts, rate: ratesOf(counts, labeled), cumulativeLabeled: cumN, cumulativeCounts: { ...cum }, cumulativeRate: ratesOf(cum, cumN) });
  }
  return out;
}

/**
 * Precision at k: the share of positives among the k highest scores (ties broken by input order,
 * i.e. stable). k defaults to the number of positives, as in the paper.
 */
export function precisionAtK(scores: ArrayLike<number>, positive: ArrayLike<boolean>, k?: number): number {
  const n = scores.length;
  if (positive.length !== n) throw new Error(`precisionAtK: ${n} scores but ${positive.length} labels`);
  let kk = k;
  if (kk === undefined) { kk = 0; for (let i = 0; i < n; i++) if (positive[i]) kk++; }
  if (kk <= 0) return NaN;
  kk = Math.min(kk, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]! || a - b);
  let hits = 0;
  for (let i = 0; i < kk; i++) if (positive[order[i]!]) hits++;
  return hits / kk;
}

/**
 * ROC-AUC as the Mann-Whitney statistic with average ranks for ties: the probability that a random
 * positive scores above a random negative (ties count half). NaN without both classes.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  if (positive.length !== n) throw new Error(`rocAuc: ${n} scores but ${positive.length} labels`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSumPos = 0, nPos = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positive[order[k]!]) { rankSumPos += avgRank; nPos++; }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (!nPos || !nNeg) return NaN;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

export interface PrevalenceEstimate {
  positives: number;
  sampled: number;
  /** Posterior mean. */
  mean: number;
  /** Posterior mode, the single most likely value (with the uniform prior: the share in the sample). */
  mode: number;
  /** Equal-tailed credible interval at `level`. */
  lower: number;
  upper: number;
  /** One-sided bounds at `level`: the share is below `upperBound` (above `lowerBound`) with that credibility. */
  upperBound: number;
  lowerBound: number;
  level: number;
  prior: { a: number; b: number };
}

/**
 * Prevalence of the target label from a simple random sample: Beta(a + positives, b + negatives)
 * posterior, uniform Beta(1, 1) prior by default. 0 positives in 100 gives a 95% upper bound of
 * 1 - 0.05^(1/101) = 2.9%.
 */
export function prevalence(positives: number, sampled: number, options: { level?: number; prior?: { a: number; b: number } } = {}): PrevalenceEstimate {
  if (!(Number.isInteger(positives) && Number.isInteger(sampled) && positives >= 0 && sampled >= positives)) {
    throw new Error(`prevalence needs 0 <= positives <= sampled (integers), got ${positives} of ${sampled}`);
  }
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new Error(`credible level must be in (0, 1), got ${level}`);
  const prior = options.prior ?? { a: 1, b: 1 };
  const a = prior.a + positives, b = prior.b + sampled - positives;
  return {
    positives, sampled, level, prior,
    mean: a / (a + b),
    mode: betaMode(a, b),
    lower: betaQuantile((1 - level) / 2, a, b),
    upper: betaQuantile(1 - (1 - level) / 2, a, b),
    upperBound: betaQuantile(level, a, b),
    lowerBound: betaQuantile(1 - level, a, b),
  };
}

/** Mode of Beta(a, b): at 0 when a <= 1 < b, at 1 when b <= 1 < a, the middle for the uniform Beta(1, 1). */
function betaMode(a: number, b: number): number {
  if (a <= 1 && b <= 1) return 0.5;
  if (a <= 1) return 0;
  if (b <= 1) return 1;
  return (a - 1) / (a + b - 2);
}
