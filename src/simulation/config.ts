/**
 * The study's hyperparameters, every one exposed, with the paper's defaults. A list value for
 * predictability, epochs, correlation or increment means "drawn uniformly per run", as the
 * deployed runs did.
 */
import { parseMixture, resolveAuto, STRATEGY_NEEDS, type MixturePart } from '../core/selection';

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
  /** Members of the ensemble arms (ensemble, thompson, ucb) unless the arm says `@m<N>`; default 5. */
  ensembleSize?: number;
  /** diverse: weight of redundancy against relevance (see `determinantalOrder`); default 0.5. */
  diversityWeight?: number;
  /** ucb: standard deviations of the ensemble's p(yes) added to its mean; default 1. */
  ucbBeta?: number;
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
  const out = arms.map((a) => formatArmSpec(parseArmSpec(a)));
  const twice = out.find((a, i) => out.indexOf(a) !== i);
  if (twice) throw new Error(`arm "${twice}" is given twice`);
  return out;
}

/**
 * How an arm trains its classifier, when it departs from the paper's fixed recipe (a fresh network
 * per iteration, unweighted loss, a fixed number of epochs, the run's increment).
 */
export interface ArmTraining {
  /** Class-weighted loss: each class weighs labeled rows / (2 x its rows), so yes and no count alike. */
  weighted: boolean;
  /** Start each iteration's network from the previous iteration's fitted weights. */
  warm: boolean;
  /** Early stopping: hold out 20% of the labeled rows, train up to 30 epochs, keep the epoch with the lowest held-out loss (patience 3). */
  early: boolean;
  /** Rows per iteration, at the run's label budget (increment x iterations), instead of the run's increment. */
  increment?: number;
  /** Networks per iteration (ensemble strategies); default the study's ensembleSize. */
  members?: number;
  /**
   * Ensemble members as the product's trainer fits them: each on its own stratified bootstrap
   * resample of the labeled rows (each class drawn with replacement as often as it has rows), not
   * only on its own seeds.
   */
  bootstrap?: boolean;
}

export interface ArmSpec { mixture: MixturePart[]; training: ArmTraining }

export const EARLY_STOPPING = { holdout: 0.2, maxEpochs: 30, patience: 3 } as const;

/**
 * One arm: a strategy or mixture (`rare`, `rare:0.9+random:0.1`), then training options each after
 * `@`: `weighted`, `warm`, `early`, `inc<N>` (increment N at the same label budget), `m<N>` (N
 * ensemble members), `boot` (members on bootstrap resamples). E.g. `rare@warm@weighted`, `ucb@m8`,
 * `rare@inc40`, `ensemble@boot`. `auto` is what the product's default is over a head with hidden
 * layers, which the simulation's classifier is: the ensemble's mean over bootstrap members, so
 * `auto` is `ensemble@boot` (and `auto:0.9+random:0.1` is `ensemble:0.9+random:0.1@boot`).
 */
export function parseArmSpec(arm: string): ArmSpec {
  const [head, ...opts] = arm.split('@').map((s) => s.trim());
  const training: ArmTraining = { weighted: false, warm: false, early: false };
  for (const o of opts) {
    const lower = o.toLowerCase();
    const n = /^(inc|m)(\d+)$/.exec(lower);
    if (lower === 'weighted' || lower === 'warm' || lower === 'early') training[lower] = true;
    else if (lower === 'boot') training.bootstrap = true;
    else if (n && Number(n[2]) >= 1) training[n[1] === 'inc' ? 'increment' : 'members'] = Number(n[2]);
    else throw new Error(`unknown arm option "@${o}" in "${arm}"; use @weighted, @warm, @early, @inc<N> (e.g. @inc40), @m<N> (e.g. @m5) or @boot`);
  }
  let mixture = parseArm(head ?? '');
  if (mixture.some((p) => p.strategy === 'auto')) {
    mixture = resolveAuto(mixture, true);
    training.bootstrap = true;
  }
  const option = training.members !== undefined ? `@m${training.members} sets ensemble members` : training.bootstrap ? '@boot resamples ensemble members' : undefined;
  if (option && !mixture.some((p) => STRATEGY_NEEDS[p.strategy] === 'ensemble')) {
    throw new Error(`"${arm}": ${option}, but the arm has no ensemble strategy (ensemble, thompson, ucb)`);
  }
  return { mixture, training };
}

export function formatArmSpec(spec: ArmSpec): string {
  const t = spec.training;
  const opts = [t.weighted && 'weighted', t.warm && 'warm', t.early && 'early', t.increment && `inc${t.increment}`, t.members && `m${t.members}`, t.bootstrap && 'boot'].filter(Boolean);
  return [formatArm(spec.mixture), ...opts].join('@');
}

/** Networks an arm fits per iteration: the ensemble's members when it has an ensemble strategy, else 1. */
export function armMembers(spec: ArmSpec, config: Pick<SimulationConfig, 'ensembleSize'>): number {
  if (!spec.mixture.some((p) => STRATEGY_NEEDS[p.strategy] === 'ensemble')) return 1;
  return spec.training.members ?? config.ensembleSize ?? 5;
}

/** One arm's mixture: `rare`, or a mixture with `+` (or `;`) between parts, e.g. `rare:0.9+random:0.1`. */
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
  const specs = c.strategies.map(parseArmSpec);
  if (c.ensembleSize !== undefined) positiveInt('ensemble size', c.ensembleSize);
  if (c.diversityWeight !== undefined && !(c.diversityWeight >= 0)) throw new Error(`diversity weight must be >= 0, got ${c.diversityWeight}`);
  if (c.ucbBeta !== undefined && !(c.ucbBeta >= 0)) throw new Error(`UCB beta must be >= 0, got ${c.ucbBeta}`);
  for (const inc of c.increment) {
    const its = iterationsFor(c, inc);
    if (c.start + inc * its > c.rows) {
      throw new Error(`labeling ${c.start} + ${its} x ${inc} rows needs a pool of at least that many rows, got ${c.rows}`);
    }
    for (const spec of specs) {
      const own = spec.training.increment;
      if (own !== undefined && (inc * its) % own !== 0) throw new Error(`arm "${formatArmSpec(spec)}": the label budget ${inc * its} is not a multiple of its increment ${own}`);
    }
  }
}
