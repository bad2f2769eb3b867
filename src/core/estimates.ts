/**
 * Estimates for deciding when to stop: prevalence of the target label in the pool, how many are
 * left, the yield factor against random sampling, and two stopping indicators (the knee of the gain
 * curve, and a target-recall rule). Each returns a plain-language explanation beside the numbers.
 */
import { prevalence, type PrevalenceEstimate } from './metrics';

export interface RandomSample { positives: number; sampled: number }

export interface PoolPrevalence extends PrevalenceEstimate {
  /** A prior sample the user supplied (e.g. an earlier random sample), folded into the posterior. */
  priorSample?: RandomSample;
  explanation: string;
}

const pct = (x: number) => (x === 0 ? '0%' : `${(100 * x).toFixed(x < 0.01 ? 2 : 1)}%`);

/**
 * Prevalence of the target label from the randomly proposed items, optionally combined with an
 * earlier random sample (as the paper bounded prevalence before labeling): Beta(1 + k0 + k, 1 + n0 - k0 + n - k).
 */
export function poolPrevalence(sample: RandomSample, options: { priorSample?: RandomSample; level?: number } = {}): PoolPrevalence {
  const prior = options.priorSample;
  if (prior && !(prior.positives >= 0 && prior.sampled >= prior.positives)) throw new Error(`prior sample needs 0 <= positives <= sampled, got ${prior.positives} of ${prior.sampled}`);
  const est = prevalence(sample.positives, sample.sampled, { level: options.level, prior: prior ? { a: 1 + prior.positives, b: 1 + prior.sampled - prior.positives } : undefined });
  const n = sample.sampled + (prior?.sampled ?? 0);
  const k = sample.positives + (prior?.positives ?? 0);
  const explanation = n === 0
    ? 'No randomly chosen reviews are labeled yet, so nothing is known about prevalence: include a random share in batches (e.g. random:0.1) to estimate it.'
    : `${k} of ${n} randomly chosen reviews${prior ? ` (${prior.sampled} from your earlier sample)` : ''} are potential security defects. ` +
      `For the pool's share, the most likely value is ${pct(est.mode)} (the share in the sample) and the mean estimate is ${pct(est.mean)}` +
      `${n < SMALL_SAMPLE ? ', pulled toward 50% because the sample is small' : ''}; ${credibleRange(est, k, n)}.`;
  // Counts cover both samples, so consumers see how much evidence the interval rests on.
  return { ...est, positives: k, sampled: n, priorSample: prior, explanation };
}

/** Below this many random labels the mean and the most likely value differ visibly: say why. */
const SMALL_SAMPLE = 30;

/**
 * Where the share lies with the estimate's credibility. With none (or all) of the sample positive the
 * most likely value is 0 (or 100%), which an equal-tailed interval leaves out: say the one-sided bound.
 */
function credibleRange(est: PrevalenceEstimate, k: number, n: number): string {
  const level = Math.round(est.level * 100);
  if (k === 0) return `with ${level}% credibility it is below ${pct(est.upperBound)}`;
  if (k === n) return `with ${level}% credibility it is above ${pct(est.lowerBound)}`;
  return `with ${level}% credibility it lies between ${pct(est.lower)} and ${pct(est.upper)}, and it is below ${pct(est.upperBound)} with ${level}% credibility`;
}

/** The estimate in a few words for a headline: mean, most likely value and credible range. */
export function prevalenceHeadline(p: PoolPrevalence): string {
  const level = Math.round(p.level * 100);
  const range = p.positives === 0 ? `below ${pct(p.upperBound)}` : p.positives === p.sampled ? `above ${pct(p.lowerBound)}` : `${pct(p.lower)} to ${pct(p.upper)}`;
  return `mean ${pct(p.mean)}, most likely ${pct(p.mode)} (${level}%: ${range})`;
}

export interface PositivesLeft { expectedTotal: number; found: number; expectedLeft: number; lower: number; upper: number; estimatedRecall: number; explanation: string }

/**
 * Expected number of target labels still unlabeled: the pool's estimated total minus those found,
 * with the interval carried over from the prevalence interval (never below zero).
 */
export function positivesLeft(poolSize: number, found: number, p: PrevalenceEstimate): PositivesLeft {
  const expectedTotal = Math.max(found, p.mean * poolSize);
  const lower = Math.max(0, p.lower * poolSize - found);
  const upper = Math.max(0, p.upper * poolSize - found);
  const expectedLeft = Math.max(0, expectedTotal - found);
  const estimatedRecall = expectedTotal > 0 ? found / expectedTotal : 1;
  const level = Math.round(p.level * 100);
  return {
    expectedTotal, found, expectedLeft, lower, upper, estimatedRecall,
    explanation: `About ${Math.round(expectedTotal).toLocaleString('en-US')} of the ${poolSize.toLocaleString('en-US')} reviews are expected to discuss a potential security defect; ${found} are found, ` +
      `so about ${Math.round(expectedLeft).toLocaleString('en-US')} are left (${level}% interval ${Math.round(lower).toLocaleString('en-US')} to ${Math.round(upper).toLocaleString('en-US')}), ` +
      `an estimated recall of ${pct(estimatedRecall)}.`,
  };
}

/** How many times more target labels per label spent than random sampling would give. */
export function yieldFactor(identificationRate: number, prevalenceMean: number): number {
  return prevalenceMean > 0 ? identificationRate / prevalenceMean : NaN;
}

export interface KneeResult {
  /** Labels spent at the knee (1-based position in the gain curve), or undefined for too short curves. */
  knee?: number;
  /** Positives found up to the knee. */
  foundAtKnee?: number;
  /** Slope before the knee divided by the slope after it (Cormack and Grossman's rho). */
  slopeRatio?: number;
  /** The slope ratio needed to stop, given the positives found. */
  threshold: number;
  shouldStop: boolean;
  explanation: string;
}

/**
 * The knee method (Cormack and Grossman, 2016) on the gain curve `gain[i]` = positives found after
 * i + 1 labels. The knee is the point farthest above the straight line from the origin to the end
 * of the curve; rho = (found at knee / knee) / ((1 + found after knee) / labels after knee). It
 * recommends stopping when rho >= 156 - min(found, 150) and at least `minLabels` are spent.
 */
export function kneeStopping(gain: ArrayLike<number>, options: { minLabels?: number } = {}): KneeResult {
  const s = gain.length;
  const minLabels = options.minLabels ?? 1000;
  const found = s ? gain[s - 1]! : 0;
  const threshold = 156 - Math.min(found, 150);
  if (s < 3 || found === 0) {
    return { threshold, shouldStop: false, explanation: found === 0 ? 'No potential security defects found yet: keep labeling.' : 'Too few labels to find a knee in the gain curve.' };
  }
  let knee = 1, best = -Infinity;
  for (let i = 1; i <= s; i++) {
    // Distance above the chord from (0, 0) to (s, found), up to a constant factor.
    const d = gain[i - 1]! * s - found * i;
    if (d > best) { best = d; knee = i; }
  }
  const foundAtKnee = gain[knee - 1]!;
  const after = s - knee;
  const slopeBefore = foundAtKnee / knee;
  const slopeAfter = (1 + found - foundAtKnee) / Math.max(1, after);
  const slopeRatio = slopeBefore / slopeAfter;
  const shouldStop = s >= minLabels && slopeRatio >= threshold;
  const why = shouldStop
    ? 'The gain curve has flattened: labeling more is unlikely to find many more.'
    : s < minLabels
      ? `Keep labeling: the rule needs at least ${minLabels} labels (now ${s}).`
      : 'Keep labeling: new labels still find potential security defects at a good rate.';
  return {
    knee, foundAtKnee, slopeRatio, threshold, shouldStop,
    explanation: `The gain curve bends after ${knee} labels (${foundAtKnee} found); since then the rate dropped by a factor of ${slopeRatio.toFixed(1)} (the rule stops at ${threshold}). ${why}`,
  };
}

export interface TargetRecallResult { targetRecall: number; conservativeRecall: number; shouldStop: boolean; explanation: string }

/**
 * A target-style rule: stop when even the pessimistic total (the prevalence interval's upper end
 * times the pool size) says the found share has reached the target recall. With few random
 * labels the interval is wide, so the rule stays cautious.
 */
export function targetRecallStopping(poolSize: number, found: number, p: PrevalenceEstimate, targetRecall = 0.8): TargetRecallResult {
  if (!(targetRecall > 0 && targetRecall <= 1)) throw new Error(`target recall must be in (0, 1], got ${targetRecall}`);
  const pessimisticTotal = Math.max(found, p.upper * poolSize);
  const conservativeRecall = pessimisticTotal > 0 ? found / pessimisticTotal : 1;
  const shouldStop = p.sampled > 0 && conservativeRecall >= targetRecall;
  return {
    targetRecall, conservativeRecall, shouldStop,
    explanation: p.sampled === 0
      ? 'The target-recall rule needs randomly chosen labels to estimate how many defects exist.'
      : `Even if the pool held as many defects as the upper end of the interval (${Math.round(pessimisticTotal).toLocaleString('en-US')}), the ${found} found would be ${pct(conservativeRecall)} of them; ` +
        (shouldStop ? `that reaches the ${pct(targetRecall)} target: you can stop.` : `the target is ${pct(targetRecall)}: keep labeling (or label more random reviews to narrow the interval).`),
  };
}
