/**
 * Means with t-based confidence bands over runs, per group and per number of labeled rows: the
 * curves of the paper's Figures 3 to 7.
 */
import { bootstrapInterval, meanAt, studentTQuantile } from '../core/stats';

export interface Band {
  x: number;
  n: number;
  mean: number;
  lo: number;
  hi: number;
}

export interface Series {
  name: string;
  points: Band[];
  /** Runs contributing (the largest n over the points). */
  runs: number;
}

/** A mean and the bounds of its interval. */
export interface Interval { mean: number; lo: number; hi: number }

/** Mean and two-sided `level` t interval of the finite values. */
export function meanInterval(values: readonly number[], level = 0.9): Interval & { n: number } {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (!n) return { n: 0, mean: NaN, lo: NaN, hi: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, lo: NaN, hi: NaN };
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1);
  const half = studentTQuantile(0.5 + level / 2, n - 1) * Math.sqrt(variance / n);
  return { n, mean, lo: mean - half, hi: mean + half };
}

/**
 * Mean and percentile-bootstrap `level` interval of the finite values: for rates, whose interval
 * must stay within [0, 1] where a t interval of few runs can reach below 0.
 */
export function bootstrapMeanInterval(values: readonly number[], level = 0.9, resamples = 2000): Interval & { n: number } {
  const v = values.filter(Number.isFinite);
  const n = v.length;
  if (!n) return { n: 0, mean: NaN, lo: NaN, hi: NaN };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { n, mean, lo: NaN, hi: NaN };
  return { n, mean, ...bootstrapInterval(n, (idx) => meanAt(v, idx), { level, resamples }) };
}

export type IntervalKind = 't' | 'bootstrap';

/**
 * Groups `items` by `groupOf` (skipping undefined), then by `xOf`, and returns one series per group
 * with the mean of `valueOf` and its interval at every x. Groups keep first-seen order unless
 * `order` is given.
 */
export function aggregateSeries<T>(items: readonly T[], groupOf: (t: T) => string | undefined, xOf: (t: T) => number,
  valueOf: (t: T) => number, level = 0.9, order?: readonly string[], interval: IntervalKind = 't'): Series[] {
  const band = interval === 'bootstrap' ? (vs: number[]) => bootstrapMeanInterval(vs, level, 1000) : (vs: number[]) => meanInterval(vs, level);
  const groups = new Map<string, Map<number, number[]>>();
  const runs = new Map<string, number>();
  for (const item of items) {
    const g = groupOf(item);
    if (g === undefined) continue;
    let byX = groups.get(g);
    if (!byX) groups.set(g, (byX = new Map()));
    const x = xOf(item);
    let vs = byX.get(x);
    if (!vs) byX.set(x, (vs = []));
    vs.push(valueOf(item));
  }
  const names = order ? order.filter((o) => groups.has(o)) : [...groups.keys()];
  return names.map((name) => {
    const byX = groups.get(name)!;
    const points = [...byX.entries()].sort((a, b) => a[0] - b[0]).map(([x, vs]) => ({ x, ...band(vs) })).filter((p) => p.n > 0);
    const n = points.reduce((m, p) => Math.max(m, p.n), 0);
    runs.set(name, n);
    return { name, points, runs: n };
  });
}
