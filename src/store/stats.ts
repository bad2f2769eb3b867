/**
 * Workspace statistics: pool size, labels per label, identification rates per iteration, batch
 * progress, and the prevalence estimate from randomly proposed items.
 */
import { LABELS, TARGET_LABEL, type Label } from '../core/labels';
import { emptyCounts, identificationRates, type IterationRates, type LabelCounts } from '../core/metrics';
import type { NearDuplicateGroups, NearDuplicateStats } from '../core/nearDuplicates';
import { kneeStopping, poolPrevalence, positivesLeft, targetRecallStopping, yieldFactor, type KneeResult, type PoolPrevalence, type PositivesLeft, type RandomSample, type TargetRecallResult } from '../core/estimates';
import { DEFAULT_IDLE_SECONDS, DEFAULT_TARGET_STEP } from '../core/defaults';
import { etaToTarget, expectOpenBatch, labelingPace, type OpenBatchExpectation, type TimeStats } from '../core/pace';
import { openBatch } from './batches';
import { readScoreColumn } from './layout';
import { formatCoefficient, teamAgreement, type TeamAgreement } from '../core/agreement';
import { cweTitle, sortCwe } from '../core/cwe';
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
  /** Seconds per label, the open batch's expected positives, and the time to a target number of positives. */
  time: TimeStats;
  /** Near-duplicate groups of the pool and how far labels reach into them (when computed). */
  nearDuplicates?: NearDuplicateStats;
  /**
   * Agreement between annotators on the reviews two or more of them coded (double coding): Cohen's
   * kappa, PABAK, Gwet's AC1 and percent agreement, overall and per label, with bootstrap 95%
   * intervals, and the confusion matrix. Absent until some review is coded twice.
   */
  agreement?: TeamAgreement;
  /** CWE tags on the current `yes` labels: reviews per tag, most first (then by CWE number). */
  cwe: { id: string; title?: string; reviews: number }[];
  /** Disagreements between annotators still waiting for a decision. */
  disagreements?: number;
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

export interface TimeOptions {
  /** Positives to reach (default: DEFAULT_TARGET_STEP more than found). */
  targetPositives?: number;
  idleSeconds?: number;
  /** The batch being labeled (default: the newest with unlabeled items). */
  batchId?: string;
  /** Whose pace to use (default: the workspace's annotator, else everyone's). */
  annotator?: string;
}

/** Labels typed one by one that the ETA's recent rate looks back on. */
const RECENT_LABELS = 200;

export function timeStats(ws: Workspace, options: TimeOptions = {}): TimeStats {
  const idleSeconds = options.idleSeconds ?? DEFAULT_IDLE_SECONDS;
  const events = ws.db.events();
  const pace = labelingPace(events, { idleSeconds });
  const who = options.annotator ?? ws.db.annotator;
  const mine = pace.annotators.find((p) => p.annotator === who && p.timed >= 5);
  const current = ws.db.current();
  let found = 0;
  for (const c of current.values()) if (c.label === TARGET_LABEL) found++;
  const recent = { labels: 0, yes: 0 };
  for (let i = events.length - 1; i >= 0 && recent.labels < RECENT_LABELS; i--) {
    const e = events[i]!;
    if (e.kind !== 'set' || (e.source !== undefined && e.source !== 'adjudication')) continue;
    recent.labels++;
    if (e.label === TARGET_LABEL) recent.yes++;
  }
  const batch = options.batchId ? ws.db.batch(options.batchId) : openBatch(ws.db);
  let expectation: OpenBatchExpectation | undefined;
  if (batch) {
    const model = ws.db.latestModel();
    const open = batch.items.filter((it) => !current.has(it.reviewId));
    const rows = open.map((it) => ws.pool.rowOf(it.reviewId) ?? -1);
    const pYes = model ? readScoreColumn(ws.dir, model.version, TARGET_LABEL, rows.map((r) => Math.max(0, r))) : undefined;
    const byId = new Map(open.map((it, i) => [it.reviewId, pYes && rows[i]! >= 0 ? pYes[i] : undefined]));
    expectation = expectOpenBatch({
      batchId: batch.id, modelVersion: pYes ? model!.version : undefined,
      items: batch.items.map((it) => {
        const c = current.get(it.reviewId);
        return { labeled: c !== undefined, yes: c?.label === TARGET_LABEL, pYes: byId.get(it.reviewId) };
      }),
    });
  }
  const target = options.targetPositives && options.targetPositives > 0 ? options.targetPositives : found + DEFAULT_TARGET_STEP;
  const eta = etaToTarget({ target, found, secondsPerLabel: (mine ?? pace.all).medianSeconds, openBatch: expectation, recent });
  return { idleSeconds, pace, annotator: mine ? who : 'all', openBatch: expectation, eta };
}

export interface StatsOptions extends TimeOptions {
  priorSample?: RandomSample; targetRecall?: number; kneeMinLabels?: number;
  /** The pool's near-duplicate groups (default: the workspace's, when they are computed). */
  nearDuplicates?: NearDuplicateGroups;
}

/** How labels spread over near-duplicate groups. */
export function nearDuplicateStats(ws: Workspace, groups: NearDuplicateGroups): NearDuplicateStats {
  const labelsOf = new Map<number, { labeled: number; labels: Set<string> }>();
  for (const [id, c] of ws.db.current()) {
    const row = ws.pool.rowOf(id);
    if (row === undefined || groups.sizeOf(row) < 2) continue;
    const root = groups.rootOf(row);
    const g = labelsOf.get(root) ?? { labeled: 0, labels: new Set<string>() };
    g.labeled++;
    g.labels.add(c.label);
    labelsOf.set(root, g);
  }
  let unlabeled = 0, conflicting = 0;
  for (const [root, g] of labelsOf) {
    unlabeled += groups.sizeOf(root) - g.labeled;
    if (g.labels.size > 1) conflicting++;
  }
  return { ...groups.summary, labeledGroups: labelsOf.size, unlabeledInLabeledGroups: unlabeled, conflictingGroups: conflicting };
}

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
  const coded = ws.db.codedByMany();
  const perTag = new Map<string, number>();
  for (const c of current.values()) if (c.label === TARGET_LABEL) for (const t of c.cwe ?? []) perTag.set(t, (perTag.get(t) ?? 0) + 1);
  const cwe = sortCwe([...perTag.keys()]).map((id) => ({ id, title: cweTitle(id), reviews: perTag.get(id)! })).sort((a, b) => b.reviews - a.reviews);
  const agreement = teamAgreement(coded, LABELS);
  const found = byLabel[TARGET_LABEL];
  const rate = gain.length ? found / gain.length : 0;
  const groups = options.nearDuplicates ?? ws.nearDuplicates.current;
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
    time: timeStats(ws, options),
    nearDuplicates: groups && nearDuplicateStats(ws, groups),
    cwe,
    ...(agreement ? { agreement, disagreements: ws.db.adjudicationQueue('annotators').length } : {}),
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
  const nd = s.nearDuplicates;
  if (nd) {
    const n = (x: number) => x.toLocaleString('en-US');
    lines.push('', `Near-duplicates: ${n(nd.groups)} groups hold ${n(nd.reviewsInGroups)} reviews (${n(nd.redundant)} beyond the first of each group; the largest has ${n(nd.largest)}).` +
      (nd.labeledGroups ? ` ${n(nd.labeledGroups)} ${nd.labeledGroups === 1 ? 'group has' : 'groups have'} a label; ${n(nd.unlabeledInLabeledGroups)} of ${nd.labeledGroups === 1 ? 'its' : 'their'} reviews ${nd.unlabeledInLabeledGroups === 1 ? 'has' : 'have'} none.` : '') +
      (nd.conflictingGroups ? ` ${n(nd.conflictingGroups)} ${nd.conflictingGroups === 1 ? 'group carries' : 'groups carry'} different labels.` : '') +
      (nd.unsigned ? ` ${n(nd.unsigned)} reviews have no signature yet (any import or "secreview next --exclude-near-duplicates" signs them).` : ''));
  }
  const t = s.time;
  lines.push('', 'Time:');
  for (const p of t.pace.annotators) {
    lines.push(`  ${p.annotator}: ${p.labels} labels typed; ${p.medianSeconds === undefined ? 'not timed yet' : `median ${p.medianSeconds.toFixed(1)} s a label over ${p.timed} (gaps over ${t.idleSeconds} s left out), ${(p.activeSeconds / 3600).toFixed(1)} h labeling`}`);
  }
  const ob = t.openBatch;
  if (ob) {
    lines.push(`  Batch ${ob.batchId}: ${ob.found} "yes" among ${ob.labeled} of ${ob.size} labeled` + (ob.expectedRemaining !== undefined
      ? `; ${ob.expectedRemaining.toFixed(1)} more expected in the ${ob.size - ob.labeled} unlabeled (sum of model ${ob.modelVersion}'s p(yes)), ${ob.expectedTotal!.toFixed(1)} in all.`
      : ob.size > ob.labeled ? '; no model scores for its unlabeled reviews.' : '.'));
  }
  lines.push(`  ETA: ${t.eta.explanation}`);
  if (s.cwe.length) lines.push('', `CWE tags of "yes" labels: ${s.cwe.map((t) => `${t.id}${t.title ? ` (${t.title})` : ''} ${t.reviews}`).join(', ')}`);
  if (s.agreement) lines.push('', ...formatAgreement(s.agreement, s.disagreements ?? 0));
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

/** The agreement section of the text report. */
export function formatAgreement(a: TeamAgreement, disagreements: number): string[] {
  const lines = [`Agreement between annotators (${a.annotators.join(', ')}) on ${a.reviews} reviews coded twice or more (${a.pairs} pairs; ${disagreements} disagreement${disagreements === 1 ? '' : 's'} awaiting adjudication):`];
  lines.push(`  percent agreement ${formatCoefficient(a.percentAgreement)}`, `  Cohen's kappa ${formatCoefficient(a.kappa)}`, `  PABAK ${formatCoefficient(a.pabak)}`, `  Gwet's AC1 ${formatCoefficient(a.ac1)}`);
  for (const l of a.perLabel) lines.push(`  ${l.label} (${l.pairsWithLabel} pairs with it): kappa ${formatCoefficient(l.kappa)}, PABAK ${formatCoefficient(l.pabak)}, AC1 ${formatCoefficient(l.ac1)}`);
  const used = a.categories.map((_, i) => i).filter((i) => a.confusion[i]!.some((n) => n > 0) || a.confusion.some((row) => row[i]! > 0));
  lines.push(`  confusion (rows: ${a.annotators.length === 2 ? a.annotators[0] : 'first coder by name'}, columns: ${a.annotators.length === 2 ? a.annotators[1] : 'second'}):`);
  lines.push(`    ${''.padEnd(9)}${used.map((j) => a.categories[j]!.padStart(9)).join('')}`);
  for (const i of used) lines.push(`    ${a.categories[i]!.padEnd(9)}${used.map((j) => String(a.confusion[i]![j]).padStart(9)).join('')}`);
  return lines;
}
