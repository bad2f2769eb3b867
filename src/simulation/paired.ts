/**
 * The paired comparison of arms: every arm of a run shares the pool, the start rows and the seeds,
 * so a run is a matched pair (or set) and arms are compared run by run. Per arm, the identification
 * rate at the end of the budget with a percentile-bootstrap 90% interval (never below 0), and the
 * relative gain over a baseline arm, mean(arm) / mean(baseline) - 1, with a 90% interval from
 * resampling runs (the same runs for both arms).
 */
import { bootstrapInterval, meanAt } from '../core/stats';
import type { Interval, Series } from './aggregate';
import type { IterationRow } from './results';

export interface PairedArm {
  arm: string;
  /** Runs holding both this arm and the baseline at the compared label count. */
  runs: number;
  /** Rows labeled at the comparison (start + budget). */
  labeled: number;
  rate: Interval;
  /** Relative gain over the baseline's rate on the same runs (0 for the baseline itself). */
  gain: Interval;
  /** Runs where this arm found more positives than the baseline, and fewer. */
  wins: number;
  losses: number;
}

export interface PairedStudy {
  baseline: string;
  level: number;
  resamples: number;
  arms: PairedArm[];
}

/** Each arm's final rate per run (the last record of the run: the full label budget). */
function finalRates(rows: readonly IterationRow[]): Map<string, Map<number, IterationRow>> {
  const out = new Map<string, Map<number, IterationRow>>();
  for (const r of rows) {
    let byRun = out.get(r.arm);
    if (!byRun) out.set(r.arm, (byRun = new Map()));
    const cur = byRun.get(r.run);
    if (!cur || r.iteration > cur.iteration) byRun.set(r.run, r);
  }
  return out;
}

export function pairedStudy(rows: readonly IterationRow[], baseline = 'rare', options: { level?: number; resamples?: number; seed?: number } = {}): PairedStudy | undefined {
  const level = options.level ?? 0.9;
  const resamples = options.resamples ?? 4000;
  const finals = finalRates(rows);
  const base = finals.get(baseline);
  if (!base) return undefined;
  const arms: PairedArm[] = [];
  for (const [arm, byRun] of finals) {
    const runs = [...byRun.keys()].filter((r) => base.has(r) && base.get(r)!.labeled === byRun.get(r)!.labeled).sort((a, b) => a - b);
    if (!runs.length) continue;
    const a = Float64Array.from(runs, (r) => byRun.get(r)!.rate);
    const b = Float64Array.from(runs, (r) => base.get(r)!.rate);
    const all = Int32Array.from(runs, (_, i) => i);
    const gainAt = (idx: ArrayLike<number>) => meanAt(a, idx) / meanAt(b, idx) - 1;
    const rateCi = bootstrapInterval(runs.length, (idx) => meanAt(a, idx), { level, resamples, seed: options.seed ?? 1 });
    const gainCi = bootstrapInterval(runs.length, gainAt, { level, resamples, seed: options.seed ?? 1 });
    arms.push({
      arm, runs: runs.length, labeled: byRun.get(runs[0]!)!.labeled,
      rate: { mean: meanAt(a, all), ...rateCi },
      gain: { mean: gainAt(all), ...gainCi },
      wins: runs.filter((_, i) => a[i]! > b[i]!).length,
      losses: runs.filter((_, i) => a[i]! < b[i]!).length,
    });
  }
  return { baseline, level, resamples, arms };
}

/** A markdown table of the paired study. */
export function pairedMarkdown(study: PairedStudy, name: (arm: string) => string = (a) => a): string {
  const p = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
  const g = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(v * 100).toFixed(1)}%` : 'n/a');
  const pct = Math.round(study.level * 100);
  const lines = [
    `| arm | runs | identification rate (${pct}% CI) | gain over ${name(study.baseline)} (${pct}% CI) | runs better / worse |`,
    '|---|---:|---|---|---:|',
  ];
  for (const a of study.arms) {
    lines.push(`| ${name(a.arm)} | ${a.runs} | ${p(a.rate.mean)} (${p(a.rate.lo)} – ${p(a.rate.hi)}) | ${a.arm === study.baseline ? '—' : `${g(a.gain.mean)} (${g(a.gain.lo)} – ${g(a.gain.hi)})`} | ${a.arm === study.baseline ? '—' : `${a.wins} / ${a.losses}`} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * The paired gain over the baseline as labeling proceeds: per arm and label count, mean(arm) /
 * mean(baseline) - 1 over the runs holding both at that count, with a bootstrap band.
 */
export function pairedGainSeries(rows: readonly IterationRow[], baseline: string, arms: readonly string[], level = 0.9): Series[] {
  const at = new Map<string, Map<number, Map<number, number>>>();
  for (const r of rows) {
    let byX = at.get(r.arm);
    if (!byX) at.set(r.arm, (byX = new Map()));
    let byRun = byX.get(r.labeled);
    if (!byRun) byX.set(r.labeled, (byRun = new Map()));
    byRun.set(r.run, r.rate);
  }
  const base = at.get(baseline);
  if (!base) return [];
  return arms.filter((a) => a !== baseline && at.has(a)).map((arm) => {
    const points = [...at.get(arm)!.entries()].filter(([x]) => base.has(x)).sort((p, q) => p[0] - q[0]).flatMap(([x, byRun]) => {
      const runs = [...byRun.keys()].filter((r) => base.get(x)!.has(r));
      if (runs.length < 2) return [];
      const a = Float64Array.from(runs, (r) => byRun.get(r)!);
      const b = Float64Array.from(runs, (r) => base.get(x)!.get(r)!);
      const gain = (idx: ArrayLike<number>) => meanAt(a, idx) / meanAt(b, idx) - 1;
      return [{ x, n: runs.length, mean: gain(Int32Array.from(runs, (_, i) => i)), ...bootstrapInterval(runs.length, gain, { level, resamples: 1000 }) }];
    });
    return { name: arm, points, runs: points.reduce((m, p) => Math.max(m, p.n), 0) };
  });
}
