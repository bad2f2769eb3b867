/**
 * Agreement between two annotators on nominal labels: percent agreement, Cohen's kappa, PABAK and
 * Gwet's AC1, overall and per label (each label against all others), with bootstrap 95% intervals
 * and the confusion matrix. Pure numeric code over a q x q table of rating pairs.
 *
 * - Cohen's kappa (Cohen 1960): (pa - pe) / (1 - pe), pe = sum_k (row_k / n) (col_k / n).
 * - PABAK (Byrt, Bishop and Carlin 1993), prevalence- and bias-adjusted kappa: 2 pa - 1 for two
 *   categories; for q categories (q pa - 1) / (q - 1), which is Brennan and Prediger's (1981)
 *   coefficient.
 * - Gwet's AC1 (Gwet 2008): (pa - pe) / (1 - pe), pe = sum_k pi_k (1 - pi_k) / (q - 1) with
 *   pi_k = (row_k + col_k) / 2n.
 *
 * Kappa collapses when one label is rare (most pairs agree on "no", so pe is close to pa); PABAK
 * and AC1 do not, which is why all three are reported. q is the number of categories of the scale
 * (the six labels), not only those that occur.
 */
import { mulberry32 } from './hash';

export interface Coefficient {
  /** null where the coefficient is undefined (no pairs, or kappa with pe = 1). */
  value: number | null;
  /** Bootstrap 95% percentile interval; null without pairs or when most resamples are undefined. */
  ci95: [number, number] | null;
}

export interface LabelAgreement {
  label: string;
  /** Pairs where at least one of the two gave this label. */
  pairsWithLabel: number;
  percentAgreement: Coefficient;
  kappa: Coefficient;
  pabak: Coefficient;
  ac1: Coefficient;
}

export interface AgreementSummary {
  /** Rating pairs (one per review coded by both). */
  pairs: number;
  percentAgreement: Coefficient;
  kappa: Coefficient;
  pabak: Coefficient;
  ac1: Coefficient;
  perLabel: LabelAgreement[];
  /** rows: the first annotator's label, columns: the second's (in `categories` order). */
  confusion: number[][];
  categories: string[];
}

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  resamples?: number;
  seed?: number;
}

export const DEFAULT_BOOTSTRAP = { resamples: 1000, seed: 17 } as const;

/** The q x q table of pairs (rows: first rating, columns: second), as a flat array. */
export function confusionTable(pairs: readonly (readonly [number, number])[], q: number): Float64Array {
  const t = new Float64Array(q * q);
  for (const [a, b] of pairs) t[a * q + b]!++;
  return t;
}

interface Margins { n: number; pa: number; rows: Float64Array; cols: Float64Array }

function margins(t: Float64Array, q: number): Margins {
  const rows = new Float64Array(q);
  const cols = new Float64Array(q);
  let n = 0, diag = 0;
  for (let i = 0; i < q; i++) {
    for (let j = 0; j < q; j++) {
      const v = t[i * q + j]!;
      rows[i]! += v;
      cols[j]! += v;
      n += v;
    }
    diag += t[i * q + i]!;
  }
  return { n, pa: n ? diag / n : NaN, rows, cols };
}

export function percentAgreementOf(t: Float64Array, q: number): number {
  return margins(t, q).pa;
}

export function cohenKappaOf(t: Float64Array, q: number): number {
  const m = margins(t, q);
  if (!m.n) return NaN;
  let pe = 0;
  for (let k = 0; k < q; k++) pe += (m.rows[k]! / m.n) * (m.cols[k]! / m.n);
  return pe >= 1 ? NaN : (m.pa - pe) / (1 - pe);
}

export function pabakOf(t: Float64Array, q: number): number {
  const m = margins(t, q);
  return m.n ? (q * m.pa - 1) / (q - 1) : NaN;
}

export function gwetAc1Of(t: Float64Array, q: number): number {
  const m = margins(t, q);
  if (!m.n) return NaN;
  let pe = 0;
  for (let k = 0; k < q; k++) {
    const pi = (m.rows[k]! + m.cols[k]!) / (2 * m.n);
    pe += pi * (1 - pi);
  }
  pe /= q - 1;
  return (m.pa - pe) / (1 - pe);
}

/** The 2 x 2 table of one category against all others. */
export function binaryTable(t: Float64Array, q: number, k: number): Float64Array {
  const m = margins(t, q);
  const both = t[k * q + k]!;
  const firstOnly = m.rows[k]! - both;
  const secondOnly = m.cols[k]! - both;
  return Float64Array.of(both, firstOnly, secondOnly, m.n - both - firstOnly - secondOnly);
}

type Measure = (t: Float64Array, q: number) => number;
const MEASURES: Record<'percentAgreement' | 'kappa' | 'pabak' | 'ac1', Measure> = {
  percentAgreement: percentAgreementOf, kappa: cohenKappaOf, pabak: pabakOf, ac1: gwetAc1Of,
};
type MeasureName = keyof typeof MEASURES;
const MEASURE_NAMES = Object.keys(MEASURES) as MeasureName[];

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** The p-quantile of sorted values (linear interpolation between order statistics). */
function quantile(sorted: readonly number[], p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Every coefficient of a set of rating pairs, overall and per category, each with a bootstrap 95%
 * percentile interval: the pairs are resampled with replacement `resamples` times (seeded, so the
 * same labels always give the same intervals). Categories are given by index into `categories`.
 */
export function agreementOf(pairs: readonly (readonly [number, number])[], categories: readonly string[], options: BootstrapOptions = {}): AgreementSummary {
  const q = categories.length;
  if (q < 2) throw new Error(`agreement needs at least 2 categories, got ${q}`);
  for (const [a, b] of pairs) {
    if (!(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0 && a < q && b < q)) throw new Error(`rating pair (${a}, ${b}) is outside the ${q} categories`);
  }
  const resamples = options.resamples ?? DEFAULT_BOOTSTRAP.resamples;
  const table = confusionTable(pairs, q);
  const present = categories.map((_, k) => {
    const bin = binaryTable(table, q, k);
    return bin[0]! + bin[1]! + bin[2]!;
  });
  // Per resample: the overall measures, then the binary measures of each category.
  const slots = MEASURE_NAMES.length * (1 + q);
  const samples: number[][] = Array.from({ length: slots }, () => []);
  if (pairs.length && resamples > 0) {
    const rng = mulberry32(options.seed ?? DEFAULT_BOOTSTRAP.seed);
    const n = pairs.length;
    const codes = Int32Array.from(pairs, ([a, b]) => a * q + b);
    const t = new Float64Array(q * q);
    for (let r = 0; r < resamples; r++) {
      t.fill(0);
      for (let i = 0; i < n; i++) t[codes[Math.floor(rng() * n)]!]!++;
      let s = 0;
      for (const name of MEASURE_NAMES) samples[s++]!.push(MEASURES[name](t, q));
      for (let k = 0; k < q; k++) {
        const bin = binaryTable(t, q, k);
        for (const name of MEASURE_NAMES) samples[s++]!.push(MEASURES[name](bin, 2));
      }
    }
  }
  const interval = (slot: number): [number, number] | null => {
    const xs = samples[slot]!.filter(Number.isFinite).sort((a, b) => a - b);
    // An interval from a minority of resamples would describe other data than these pairs.
    if (!xs.length || xs.length < resamples / 2) return null;
    return [quantile(xs, 0.025), quantile(xs, 0.975)];
  };
  const coefficient = (value: number, slot: number): Coefficient => {
    const v = finiteOrNull(value);
    return { value: v, ci95: v === null ? null : interval(slot) };
  };
  let slot = 0;
  const overall = Object.fromEntries(MEASURE_NAMES.map((name) => [name, coefficient(MEASURES[name](table, q), slot++)])) as Record<MeasureName, Coefficient>;
  const perLabel: LabelAgreement[] = [];
  categories.forEach((label, k) => {
    const bin = binaryTable(table, q, k);
    const measures = Object.fromEntries(MEASURE_NAMES.map((name) => [name, coefficient(MEASURES[name](bin, 2), slot++)])) as Record<MeasureName, Coefficient>;
    if (present[k]) perLabel.push({ label, pairsWithLabel: present[k]!, ...measures });
  });
  const confusion = categories.map((_, i) => Array.from(table.subarray(i * q, (i + 1) * q)));
  return { pairs: pairs.length, ...overall, perLabel, confusion, categories: [...categories] };
}

/** Agreement between the annotators of a team, over the reviews two or more of them coded. */
export interface TeamAgreement extends AgreementSummary {
  /** Everyone who coded at least one of these reviews, by name. */
  annotators: string[];
  /** Reviews coded by two or more annotators (each gives one pair per two of its coders). */
  reviews: number;
}

/**
 * The agreement of a team on the reviews several of them coded: every two coders of a review give
 * one rating pair, the coder first by name in the first column (so the confusion matrix of a
 * two-person team reads "first person's label by second person's label"). Undefined without any
 * review coded twice.
 */
export function teamAgreement(coded: readonly { codings: readonly { annotator: string; label: string }[] }[], categories: readonly string[], options: BootstrapOptions = {}): TeamAgreement | undefined {
  const pairs: [number, number][] = [];
  const annotators = new Set<string>();
  let reviews = 0;
  for (const { codings } of coded) {
    const sorted = [...codings].sort((a, b) => (a.annotator < b.annotator ? -1 : a.annotator > b.annotator ? 1 : 0));
    if (sorted.length < 2) continue;
    reviews++;
    for (let i = 0; i < sorted.length; i++) {
      annotators.add(sorted[i]!.annotator);
      for (let j = i + 1; j < sorted.length; j++) {
        const a = categories.indexOf(sorted[i]!.label);
        const b = categories.indexOf(sorted[j]!.label);
        if (a < 0 || b < 0) throw new Error(`label "${a < 0 ? sorted[i]!.label : sorted[j]!.label}" is not one of ${categories.join(', ')}`);
        pairs.push([a, b]);
      }
    }
  }
  if (!reviews) return undefined;
  return { ...agreementOf(pairs, categories, options), annotators: [...annotators].sort(), reviews };
}

const fixed = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/** A coefficient as text: `0.812 (95% CI 0.701 to 0.902)`. */
export function formatCoefficient(c: Coefficient): string {
  return c.value === null ? 'n/a' : `${fixed(c.value)}${c.ci95 ? ` (95% CI ${fixed(c.ci95[0])} to ${fixed(c.ci95[1])})` : ''}`;
}
