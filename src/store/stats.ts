/**
 * Workspace statistics: pool size, labels per label, identification rates per iteration, batch
 * progress, and the prevalence estimate from randomly proposed items.
 */
import { LABELS, TARGET_LABEL, type Label } from '../core/labels';
import { emptyCounts, identificationRates, type IterationRates, type LabelCounts } from '../core/metrics';
import { kneeStopping, poolPrevalence, positivesLeft, targetRecallStopping, yieldFactor, type KneeResult, type PoolPrevalence, type PositivesLeft, type RandomSample, type TargetRecallResult } from '../core/estimates';
import type { Workspace } from './workspace';

export interface BatchProgress { id: string; iteration: number; strategy: string; modelVersion: string | null; size: number; labeled: number; counts: LabelCounts; createdAt: string }

export interface WorkspaceStats {
  pool: number;
  labeled: number;
  byLabel: LabelCounts;
  batches: number;
  iterations: IterationRates[];
  batchProgress: BatchProgress[];
  models: number;
  latestModel: string | null;
  events: number;
  /** Prevalence of `yes` estimated from items proposed by the random strategy (undefined without any). */
  randomSample?: PoolPrevalence;
  estimates: {
    positivesLeft?: PositivesLeft;
    /** Identification rate of `yes` over everything labeled, divided by the estimated prevalence. */
    yieldFactor?: number;
    knee: KneeResult;
    targetRecall?: TargetRecallResult;
  };
}

export interface StatsOptions { priorSample?: RandomSample; targetRecall?: number; kneeMinLabels?: number }

/** Positives found after each label, in the order reviews were first labeled (broken and bot left out). */
export function gainCurve(ws: Workspace): number[] {
  const current = ws.db.current();
  const seen = new Set<string>();
  const gain: number[] = [];
  let found = 0;
  for (const ev of ws.db.events()) {
    if (ev.kind !== 'set' || seen.has(ev.reviewId)) continue;
    seen.add(ev.reviewId);
    const c = current.get(ev.reviewId);
    if (!c || c.label === 'broken' || c.label === 'bot') continue;
    if (c.label === TARGET_LABEL) found++;
    gain.push(found);
  }
  return gain;
}

export function workspaceStats(ws: Workspace, options: StatsOptions = {}): WorkspaceStats {
  const current = ws.db.current();
  const byLabel = emptyCounts();
  for (const c of current.values()) byLabel[c.label]++;
  const batchProgress: BatchProgress[] = ws.db.batches().map((b) => {
    const counts = emptyCounts();
    let labeled = 0;
    for (const it of b.items) {
      const c = current.get(it.reviewId);
      if (c) { counts[c.label]++; labeled++; }
    }
    return { id: b.id, iteration: b.iteration, strategy: b.strategy, modelVersion: b.modelVersion, size: b.items.length, labeled, counts, createdAt: b.createdAt };
  });
  // Random-strategy items give an unbiased sample of the pool (broken/bot excluded, as for rates).
  let pos = 0, n = 0;
  for (const b of ws.db.batches()) {
    for (const it of b.items) {
      if (it.strategy !== 'random') continue;
      const c = current.get(it.reviewId);
      if (!c || c.label === 'broken' || c.label === 'bot') continue;
      n++;
      if (c.label === TARGET_LABEL) pos++;
    }
  }
  const randomSample = n || options.priorSample ? poolPrevalence({ positives: pos, sampled: n }, { priorSample: options.priorSample }) : undefined;
  const gain = gainCurve(ws);
  const found = byLabel[TARGET_LABEL];
  const rate = gain.length ? found / gain.length : 0;
  return {
    pool: ws.pool.size,
    labeled: current.size,
    byLabel,
    batches: ws.db.batches().length,
    iterations: identificationRates(current.values()),
    batchProgress,
    models: ws.db.models().length,
    latestModel: ws.db.latestModel()?.version ?? null,
    events: ws.db.events().length,
    randomSample,
    estimates: {
      positivesLeft: randomSample && positivesLeft(ws.pool.size, found, randomSample),
      yieldFactor: randomSample && gain.length ? yieldFactor(rate, randomSample.mean) : undefined,
      knee: kneeStopping(gain, { minLabels: options.kneeMinLabels }),
      targetRecall: randomSample && targetRecallStopping(ws.pool.size, found, randomSample, options.targetRecall),
    },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A plain-text report for terminals and the output channel. */
export function formatStats(s: WorkspaceStats): string {
  const lines: string[] = [];
  lines.push(`Pool: ${s.pool.toLocaleString('en-US')} reviews; labeled: ${s.labeled.toLocaleString('en-US')} (${s.events} label events); batches: ${s.batches}; models: ${s.models}${s.latestModel ? ` (latest ${s.latestModel})` : ''}`);
  lines.push('Labels: ' + LABELS.map((l: Label) => `${l} ${s.byLabel[l]}`).join(', '));
  if (s.iterations.length) {
    lines.push('', 'Identification rate of "yes" (broken and bot excluded):');
    lines.push('  iteration  labeled  yes   rate    cumulative');
    for (const it of s.iterations) {
      lines.push(`  ${String(it.iteration === 0 ? 'imported' : it.iteration).padEnd(9)}  ${String(it.labeled).padStart(7)}  ${String(it.counts.yes).padStart(4)}  ${pct(it.rate.yes).padStart(6)}  ${pct(it.cumulativeRate.yes).padStart(6)} of ${it.cumulativeLabeled}`);
    }
  }
  if (s.batchProgress.length) {
    lines.push('', 'Batches:');
    for (const b of s.batchProgress) lines.push(`  ${b.id}  iteration ${b.iteration}  ${b.labeled}/${b.size} labeled  yes ${b.counts.yes}  ${b.strategy}`);
  }
  lines.push('', 'Estimates:');
  if (s.randomSample) {
    lines.push(`  Prevalence: ${s.randomSample.explanation}`);
    if (s.estimates.positivesLeft) lines.push(`  Left to find: ${s.estimates.positivesLeft.explanation}`);
    if (s.estimates.yieldFactor !== undefined && Number.isFinite(s.estimates.yieldFactor)) lines.push(`  Yield: ${s.estimates.yieldFactor.toFixed(1)} times the rate of random sampling.`);
    if (s.estimates.targetRecall) lines.push(`  Target-recall rule: ${s.estimates.targetRecall.explanation}`);
  } else {
    lines.push('  Prevalence: no randomly proposed reviews are labeled yet; include a random share (e.g. --strategy rare:0.9,random:0.1) to estimate it.');
  }
  lines.push(`  Knee rule: ${s.estimates.knee.explanation}`);
  return lines.join('\n');
}
