/**
 * The study's hyperparameters, every one exposed, with the paper's defaults. A list value for
 * predictability, epochs, correlation or increment means "drawn uniformly per run", as the
 * deployed runs did.
 */
import { parseMixture, type MixturePart } from '../core/selection';

export const CORRELATIONS = ['none', 'AAt', 'cholesky'] as const;
/** `none`: x ~ N(0, I). `AAt`: x <- x (A A^T) with A 20x20 standard normal (the deployed code). `cholesky`: x <- x L^T with L L^T a random correlation matrix (the paper's text). */
export type Correlation = (typeof CORRELATIONS)[number];

export interface SimulationConfig {
  /** Pool size n. */
  rows: number;
  /** Input columns of x. */
  inputs: number;
  /** Hidden widths of the label-generating network (its output is one logit). */
  generatorHidden: number[];
  /** Hidden widths of the classifier (its output is two logits). */
  classifierHidden: number[];
  /** Standard deviation of the generator's logits; a list is drawn per run. */
  predictability: number[];
  /** Mean of the generator's logits: log(0.01 / 0.99) gives about 1.7% positives. */
  balance: number;
  /**
   * When set, replaces `balance`: the last bias is solved per run so that the expected share of
   * positives, mean(sigmoid(logit)), equals this value (the prevalence a user expects).
   */
  targetPrevalence?: number;
  correlation: Correlation[];
  /** Random start indices (with replacement), shared by all strategies of a run. */
  start: number;
  /** Rows labeled per iteration; a list is drawn per run. */
  increment: number[];
  /** Iterations per run, unless `labelBudget` is set. */
  iterations: number;
  /** When set, a run does labelBudget / increment iterations (so 40 x 100 and 200 x 20 both reach 4000). */
  labelBudget?: number;
  epochs: number[];
  batchSize: number;
  learningRate: number;
  /** Strategy arms: a single strategy or a quota mixture such as `rare:0.9,random:0.1`. */
  strategies: string[];
  /** Stopping rule: stop after `stopPatience` consecutive batches whose share of positives is below `stopYield`. */
  stopYield: number;
  stopPatience: number;
  seed: number;
}

export const DEFAULT_CONFIG: SimulationConfig = {
  rows: 1_000_000,
  inputs: 20,
  generatorHidden: [15, 15, 15],
  classifierHidden: [15, 15, 15],
  predictability: [1.0],
  balance: Math.log(0.01 / 0.99),
  correlation: ['none'],
  start: 200,
  increment: [200],
  iterations: 20,
  epochs: [10],
  batchSize: 128,
  learningRate: 0.01,
  strategies: ['rare', 'entropy', 'random', 'majority'],
  stopYield: 0.02,
  stopPatience: 2,
  seed: 1,
};

/** The values drawn for one run. */
export interface RunParameters {
  run: number;
  predictability: number;
  epochs: number;
  correlation: Correlation;
  increment: number;
  iterations: number;
}

/** Iterations of a run with this increment. */
export function iterationsFor(c: SimulationConfig, increment: number): number {
  return c.labelBudget ? Math.max(1, Math.round(c.labelBudget / increment)) : c.iterations;
}

export function parseCorrelation(s: string): Correlation {
  const t = s.trim();
  const found = CORRELATIONS.find((c) => c.toLowerCase() === t.toLowerCase());
  if (!found) throw new Error(`unknown correlation "${s}"; use ${CORRELATIONS.join(', ')}`);
  return found;
}

/** Parses `rare,entropy,rare:0.9+random:0.1`: arms separated by commas; mixture parts joined by `+`. */
export function parseArms(spec: string): string[] {
  const arms = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (!arms.length) throw new Error('no strategies given');
  return arms.map((a) => formatArm(parseArm(a)));
}

/** One arm: `rare`, or a mixture with `+` (or `;`) between parts, e.g. `rare:0.9+random:0.1`. */
export function parseArm(arm: string): MixturePart[] {
  try {
    return parseMixture(arm.replace(/[+;]/g, ','));
  } catch (err) {
    // The core's message shows mixtures with commas; here commas separate arms and + joins a mixture.
    const message = (err as Error).message.replace(/rare:0\.9,random:0\.1/g, 'rare:0.9+random:0.1');
    throw new Error(message, { cause: err });
  }
}

export function formatArm(parts: readonly MixturePart[]): string {
  return parts.length === 1 ? parts[0]!.strategy : parts.map((p) => `${p.strategy}:${+p.share.toFixed(4)}`).join('+');
}


/** Checks a configuration; throws an error naming the first bad field. */
export function validateConfig(c: SimulationConfig): void {
  const positiveInt = (name: string, v: number, min = 1) => {
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be a whole number >= ${min}, got ${v}`);
  };
  positiveInt('rows', c.rows, 10);
  positiveInt('inputs', c.inputs);
  positiveInt('start', c.start);
  if (!c.increment.length) throw new Error('increment must not be empty');
  c.increment.forEach((i) => positiveInt('increment', i));
  positiveInt('iterations', c.iterations);
  if (c.labelBudget !== undefined) positiveInt('label budget', c.labelBudget);
  positiveInt('batchSize', c.batchSize);
  positiveInt('stopPatience', c.stopPatience);
  c.generatorHidden.forEach((h) => positiveInt('generator layer size', h));
  c.classifierHidden.forEach((h) => positiveInt('classifier layer size', h));
  if (!c.predictability.length || c.predictability.some((p) => !(p > 0))) throw new Error('predictability must be positive numbers');
  if (!c.epochs.length) throw new Error('epochs must not be empty');
  c.epochs.forEach((e) => positiveInt('epochs', e));
  if (!c.correlation.length) throw new Error('correlation must not be empty');
  if (!(c.learningRate > 0)) throw new Error(`learning rate must be positive, got ${c.learningRate}`);
  if (!Number.isFinite(c.balance)) throw new Error('balance must be a finite number');
  if (c.targetPrevalence !== undefined && !(c.targetPrevalence > 0 && c.targetPrevalence < 1)) {
    throw new Error(`target prevalence must be between 0 and 1, got ${c.targetPrevalence}`);
  }
  if (!c.strategies.length) throw new Error('no strategies given');
  c.strategies.forEach(parseArm);
  for (const inc of c.increment) {
    const its = iterationsFor(c, inc);
    if (c.start + inc * its > c.rows) {
      throw new Error(`labeling ${c.start} + ${its} x ${inc} rows needs a pool of at least that many rows, got ${c.rows}`);
    }
  }
}
