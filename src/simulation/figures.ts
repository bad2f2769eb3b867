/**
 * The study's figures (after the paper's Figures 3 to 7) and its summary table, from the rows of
 * completed runs.
 */
import { aggregateSeries, bootstrapMeanInterval, meanInterval, type Interval, type Series } from './aggregate';
import type { SimulationConfig } from './config';
import type { IterationRow } from './results';
import { summarize } from './results';
import { pairedGainSeries } from './paired';
import { lineChart } from './svg';

export interface Figure {
  /** File name, e.g. `identification-rate-by-strategy.svg`. */
  file: string;
  title: string;
  svg: string;
}

const pct = (v: number) => `${+(v * 100).toFixed(1)}%`;

const STRATEGY_NAMES: Record<string, string> = {
  rare: 'rare-label', entropy: 'entropy', random: 'random', majority: 'majority-label', diverse: 'diverse (determinantal)',
  ensemble: 'ensemble mean', thompson: 'Thompson slots', ucb: 'UCB',
};
/** A readable arm name: `rare@warm` reads `rare-label (warm)`. */
export function armName(arm: string): string {
  const [head, ...opts] = arm.split('@');
  const name = STRATEGY_NAMES[head!] ?? head!;
  return opts.length ? `${name} (${opts.join(', ')})` : name;
}

function runsNote(series: readonly Series[]): string {
  const n = Math.min(...series.map((s) => s.runs));
  const m = Math.max(...series.map((s) => s.runs));
  return n === m ? `n = ${n} runs` : `n = ${n}-${m} runs`;
}

/** The arm the by-parameter figures follow: rare-label when present (the paper's Figures 5 and 6). */
export function focusArm(arms: readonly string[]): string {
  return arms.includes('rare') ? 'rare' : arms[0]!;
}

export function studyFigures(rows: readonly IterationRow[]): Figure[] {
  if (!rows.length) return [];
  const arms = [...new Set(rows.map((r) => r.arm))];
  const figures: Figure[] = [];
  const bandNote = 'Shaded: 90% confidence band of the mean over runs (percentile bootstrap for rates, t-based for losses).';
  const rateFigure = (file: string, title: string, series: Series[], what: string) => {
    if (!series.length) return;
    figures.push({
      file, title,
      svg: lineChart({
        title, xLabel: 'labeled observations', yLabel: 'identification rate (rare label)', series, yFormat: pct, note: runsNote(series),
        description: `${what} ${bandNote} ${describeEnds(series, pct)}`,
      }),
    });
  };
  const bySeries = aggregateSeries(rows, (r) => r.arm, (r) => r.labeled, (r) => r.rate, 0.9, arms, 'bootstrap')
    .map((s) => ({ ...s, name: armName(s.name) }));
  rateFigure('identification-rate-by-strategy.svg', 'Identification rate by candidate selection', bySeries,
    'Share of rare-label rows among all labeled rows as labeling proceeds, one line per candidate-selection strategy.');

  const focus = focusArm(arms);
  const params: { key: 'predictability' | 'increment' | 'epochs' | 'correlation'; label: string; file: string }[] = [
    { key: 'predictability', label: 'predictability', file: 'identification-rate-by-predictability.svg' },
    { key: 'increment', label: 'increment', file: 'identification-rate-by-increment.svg' },
    { key: 'epochs', label: 'epochs', file: 'identification-rate-by-epochs.svg' },
    { key: 'correlation', label: 'correlation', file: 'identification-rate-by-correlation.svg' },
  ];
  for (const p of params) {
    // Values the focus arm saw: an arm with its own increment (@inc40) is not a value of the run's increment.
    const values = [...new Set(rows.filter((r) => r.arm === focus).map((r) => r[p.key]))];
    if (values.length < 2) continue;
    const order = values.slice().sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)))).map((v) => `${p.label} ${v}`);
    const series = aggregateSeries(rows, (r) => (r.arm === focus ? `${p.label} ${r[p.key]}` : undefined), (r) => r.labeled, (r) => r.rate, 0.9, order, 'bootstrap');
    rateFigure(p.file, `Identification rate by ${p.key} (${armName(focus)})`, series,
      `Identification rate of the ${armName(focus)} strategy as labeling proceeds, one line per value of ${p.key === 'predictability' ? 'predictability (standard deviation of the true logits)' : p.label} drawn for the run.`);
  }

  const contenders = arms.filter((a) => a !== 'random');
  if (arms.includes('rare') && contenders.length > 1) {
    const gains = pairedGainSeries(rows, 'rare', contenders).map((s) => ({ ...s, name: armName(s.name) }));
    const title = 'Paired gain over rare-label by candidate selection';
    const signed = (v: number) => `${v > 0 ? '+' : ''}${+(v * 100).toFixed(1)}%`;
    figures.push({
      file: 'gain-over-rare-label.svg', title,
      svg: lineChart({
        title, xLabel: 'labeled observations', yLabel: 'identification rate / rare-label\'s - 1', series: gains, yFormat: signed, note: runsNote(gains),
        description: `Relative gain in identification rate over rare-label on the same runs (same pool, start rows and seeds), one line per arm (random left out). Shaded: 90% percentile-bootstrap band over runs. ${describeEnds(gains, signed)}`,
      }),
    });
  }

  const lossSeries = aggregateSeries(rows.filter((r) => Number.isFinite(r.loss)), (r) => r.arm, (r) => r.labeled, (r) => r.loss, 0.9, arms)
    .map((s) => ({ ...s, name: armName(s.name) }));
  if (lossSeries.length) {
    const title = 'Loss on the full data set by candidate selection';
    figures.push({
      file: 'loss-by-strategy.svg', title,
      svg: lineChart({
        title, xLabel: 'labeled observations (training rows)', yLabel: 'mean cross-entropy on all rows', series: lossSeries,
        yFormat: (v) => String(+v.toFixed(3)), note: runsNote(lossSeries),
        description: `Mean cross-entropy over the whole pool of the classifier fitted on the rows labeled so far, one line per strategy. ${bandNote} ${describeEnds(lossSeries, (v) => v.toFixed(3))}`,
      }),
    });
  }
  return figures;
}

function describeEnds(series: readonly Series[], f: (v: number) => string): string {
  return series.map((s) => {
    const last = s.points[s.points.length - 1];
    return last ? `${s.name}: ${f(last.mean)} at ${last.x}` : `${s.name}: no data`;
  }).join('; ') + '.';
}

export interface ArmSummary {
  arm: string;
  runs: number;
  /** Identification rate after the last iteration: mean and 90% percentile-bootstrap interval over runs (never below 0). */
  rate: Interval;
  /** Share of positives in the pool (the random baseline). */
  prevalence: Interval;
  labeled: number;
  positives: number;
  /** Factor over the pool's prevalence (the paper's "13 times"). */
  lift: number;
  stopIteration: number;
  labeledAtStop: number;
  positivesAtStop: number;
}

export function summarizeArms(rows: readonly IterationRow[], config: Pick<SimulationConfig, 'stopYield' | 'stopPatience'>): ArmSummary[] {
  const summaries = summarize(rows, config);
  const arms = [...new Set(rows.map((r) => r.arm))];
  return arms.map((arm) => {
    const s = summaries.filter((x) => x.arm === arm);
    const mean = (f: (x: (typeof s)[number]) => number) => s.reduce((a, x) => a + f(x), 0) / s.length;
    const rate = bootstrapMeanInterval(s.map((x) => x.rate));
    const prevalence = meanInterval(s.map((x) => x.prevalence));
    return {
      arm, runs: s.length, rate: { mean: rate.mean, lo: rate.lo, hi: rate.hi },
      prevalence: { mean: prevalence.mean, lo: prevalence.lo, hi: prevalence.hi },
      labeled: mean((x) => x.labeled), positives: mean((x) => x.positives), lift: rate.mean / prevalence.mean,
      stopIteration: mean((x) => x.stopIteration), labeledAtStop: mean((x) => x.labeledAtStop), positivesAtStop: mean((x) => x.positivesAtStop),
    };
  });
}

/** A markdown table of the arm summaries. */
export function summaryMarkdown(arms: readonly ArmSummary[]): string {
  const p = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
  const lines = [
    '| strategy | runs | identification rate (90% CI) | × prevalence | positives found | stop rule: iteration | labeled | positives |',
    '|---|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const a of arms) {
    lines.push(`| ${armName(a.arm)} | ${a.runs} | ${p(a.rate.mean)} (${p(a.rate.lo)} – ${p(a.rate.hi)}) | ${a.lift.toFixed(1)} | ${a.positives.toFixed(1)} of ${a.labeled.toFixed(0)} | ${a.stopIteration.toFixed(1)} | ${a.labeledAtStop.toFixed(0)} | ${a.positivesAtStop.toFixed(1)} |`);
  }
  return lines.join('\n') + '\n';
}
