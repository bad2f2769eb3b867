/**
 * Time and ETA: how long a label takes each annotator, how many positives the open batch is
 * expected to hold, and how long until a target number of positives is found.
 *
 * Seconds per label: for each annotator, the label events they typed, in time order; the time a
 * label took is the gap since that annotator's previous action (a label, an undo, a note). A gap
 * over the idle threshold (a break, a meeting, the next morning) is not labeling time and is left
 * out, as are labels that were not typed one by one (imported labels, labels applied to a group of
 * near-duplicates). The median is robust to the odd long look at a hard review.
 *
 * Pure: no I/O.
 */
import { DEFAULT_IDLE_SECONDS } from './defaults';

/** The part of a label event this module reads. */
export interface TimedEvent { kind: 'set' | 'undo'; at: string; annotator: string; source?: string }


export interface AnnotatorPace {
  annotator: string;
  /** Labels typed one by one. */
  labels: number;
  /** Of those, labels with a gap under the idle threshold (the ones timed). */
  timed: number;
  /** Median seconds per timed label; undefined before two actions close enough together. */
  medianSeconds?: number;
  /** Sum of the timed gaps: time spent labeling. */
  activeSeconds: number;
}

/** Events an annotator did not type one by one: they time nothing. */
function typedByHand(e: TimedEvent): boolean {
  return e.source === undefined || e.source === 'adjudication';
}

function isImported(e: TimedEvent): boolean {
  return e.source !== undefined && e.source.startsWith('import:');
}

export interface Pace {
  /** Per annotator, most labels first. */
  annotators: AnnotatorPace[];
  /** Everyone's timed labels together (annotator "all"). */
  all: AnnotatorPace;
}

export function labelingPace(events: readonly TimedEvent[], options: { idleSeconds?: number } = {}): Pace {
  const idle = options.idleSeconds ?? DEFAULT_IDLE_SECONDS;
  const byAnnotator = new Map<string, { t: number; label: boolean }[]>();
  for (const e of events) {
    if (isImported(e)) continue;
    const t = Date.parse(e.at);
    if (!Number.isFinite(t)) continue;
    let list = byAnnotator.get(e.annotator);
    if (!list) byAnnotator.set(e.annotator, (list = []));
    list.push({ t, label: e.kind === 'set' && typedByHand(e) });
  }
  const out: AnnotatorPace[] = [];
  const allGaps: number[] = [];
  let allLabels = 0;
  for (const [annotator, list] of byAnnotator) {
    list.sort((a, b) => a.t - b.t);
    const gaps: number[] = [];
    let labels = 0;
    for (let i = 0; i < list.length; i++) {
      if (!list[i]!.label) continue;
      labels++;
      if (i === 0) continue;
      const gap = (list[i]!.t - list[i - 1]!.t) / 1000;
      if (gap >= 0 && gap <= idle) gaps.push(gap);
    }
    if (!labels) continue;
    out.push(paceOf(annotator, labels, gaps));
    allGaps.push(...gaps);
    allLabels += labels;
  }
  return { annotators: out.sort((a, b) => b.labels - a.labels || a.annotator.localeCompare(b.annotator)), all: paceOf('all', allLabels, allGaps) };
}

function paceOf(annotator: string, labels: number, gaps: number[]): AnnotatorPace {
  return { annotator, labels, timed: gaps.length, medianSeconds: median(gaps), activeSeconds: gaps.reduce((s, g) => s + g, 0) };
}

export function median(xs: readonly number[]): number | undefined {
  if (!xs.length) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The open batch as the model sees it. */
export interface OpenBatchExpectation {
  batchId: string;
  size: number;
  labeled: number;
  /** `yes` labels among the labeled items. */
  found: number;
  /** Unlabeled items with a model probability. */
  scored: number;
  /** Sum of p(yes) over the unlabeled items: the positives the rest of the batch is expected to hold. */
  expectedRemaining?: number;
  /** found + expectedRemaining. */
  expectedTotal?: number;
  modelVersion?: string;
}

/**
 * The expected positives of a batch: those found among its labeled items plus the sum of the
 * model's p(yes) over the unlabeled ones (what a calibrated model expects them to hold).
 */
export function expectOpenBatch(input: { batchId: string; items: readonly { labeled: boolean; yes: boolean; pYes?: number }[]; modelVersion?: string }): OpenBatchExpectation {
  let labeled = 0, found = 0, scored = 0, sum = 0;
  for (const it of input.items) {
    if (it.labeled) { labeled++; if (it.yes) found++; continue; }
    if (it.pYes !== undefined && Number.isFinite(it.pYes)) { scored++; sum += it.pYes; }
  }
  const unlabeled = input.items.length - labeled;
  const known = input.modelVersion !== undefined && scored === unlabeled;
  return {
    batchId: input.batchId, size: input.items.length, labeled, found, scored,
    ...(known ? { expectedRemaining: sum, expectedTotal: found + sum, modelVersion: input.modelVersion } : {}),
  };
}

export interface Eta {
  target: number;
  found: number;
  /** Positives still to find (0 when the target is reached). */
  needed: number;
  /** Positives expected per label, and where that rate comes from. */
  ratePerLabel?: number;
  rateSource?: 'model' | 'recent labels';
  secondsPerLabel?: number;
  labelsNeeded?: number;
  seconds?: number;
  /** One sentence for a person. */
  explanation: string;
}

/**
 * Time to a target number of positives: the positives still needed divided by the positives a
 * label is expected to find (the model's expectation over the open batch when there is one, else
 * the share of `yes` among the recent labels), times the seconds a label takes.
 */
export function etaToTarget(input: {
  target: number; found: number; secondsPerLabel?: number; openBatch?: OpenBatchExpectation;
  /** `yes` share among recent labels, and how many labels it is over. */
  recent?: { labels: number; yes: number };
}): Eta {
  const { target, found } = input;
  const needed = Math.max(0, target - found);
  const base = { target, found, needed };
  if (needed === 0) return { ...base, explanation: `The target of ${target} potential security defects is reached (${found} found).` };
  const ob = input.openBatch;
  const open = ob && ob.expectedRemaining !== undefined && ob.size > ob.labeled ? ob : undefined;
  let rate: number | undefined;
  let rateSource: Eta['rateSource'];
  let rateText = '';
  if (open) {
    rate = open.expectedRemaining! / (open.size - open.labeled);
    rateSource = 'model';
    rateText = `${rate.toFixed(3)} expected a label (model ${open.modelVersion}'s p(yes) over the ${open.size - open.labeled} unlabeled reviews of batch ${open.batchId})`;
  } else if (input.recent && input.recent.labels >= 20) {
    rate = input.recent.yes / input.recent.labels;
    rateSource = 'recent labels';
    rateText = `${rate.toFixed(3)} a label (${input.recent.yes} of the last ${input.recent.labels} labels)`;
  }
  const spl = input.secondsPerLabel;
  if (rate === undefined || rate <= 0) {
    return { ...base, ratePerLabel: rate, rateSource, secondsPerLabel: spl, explanation: `${needed} more potential security defects to reach ${target}; ${rate === 0 ? 'at the current rate none are expected, so no estimate' : 'no model and too few labels yet to estimate how long that takes'}.` };
  }
  // The sum of many p(yes) is not exact: 10 / 0.05 must not become 201 labels.
  const labelsNeeded = Math.ceil(needed / rate - 1e-9);
  const seconds = spl === undefined ? undefined : labelsNeeded * spl;
  const time = seconds === undefined ? 'time unknown until a few labels are timed' : `about ${formatDuration(seconds)} of labeling at ${spl!.toFixed(1)} s a label`;
  const beyond = open && needed > open.expectedRemaining! ? ` The open batch is expected to hold ${open.expectedRemaining!.toFixed(1)} of them; the rest need further batches at that rate.` : '';
  return {
    ...base, ratePerLabel: rate, rateSource, secondsPerLabel: spl, labelsNeeded, seconds,
    explanation: `${needed} more potential security defects to reach ${target}: at ${rateText}, about ${labelsNeeded.toLocaleString('en-US')} labels, ${time}.${beyond}`,
  };
}

/** Time per label, the open batch's expected positives and the ETA, as stats and the dashboard show them. */
export interface TimeStats {
  idleSeconds: number;
  pace: Pace;
  /** Whose median time per label the ETA uses. */
  annotator: string;
  openBatch?: OpenBatchExpectation;
  eta: Eta;
}

/** "45 s", "12 min", "3 h 20 min", "2 days 4 h". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'unknown';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`;
  const days = Math.floor(hours / 24);
  return `${days} days${hours % 24 ? ` ${hours % 24} h` : ''}`;
}

/** The status bar tooltip's lines on time: each annotator's pace, the open batch's expected positives, the ETA. */
export function timeLines(t: TimeStats): string[] {
  const pace = t.pace.annotators.filter((p) => p.medianSeconds !== undefined)
    .map((p) => `${p.annotator} ${p.medianSeconds!.toFixed(1)} s (${p.timed} timed)`).join(', ');
  const ob = t.openBatch;
  const expected = ob && ob.expectedRemaining !== undefined
    ? `Batch ${ob.batchId}: ${ob.expectedTotal!.toFixed(1)} potential security defects expected (${ob.found} found, ${ob.expectedRemaining.toFixed(1)} more in the ${ob.size - ob.labeled} unlabeled, from model ${ob.modelVersion}'s p(yes))`
    : '';
  return [
    pace ? `Median time per label: ${pace} (pauses over ${formatDuration(t.idleSeconds)} left out)` : '',
    expected,
    `ETA: ${t.eta.explanation}`,
  ].filter(Boolean);
}
