/**
 * The regularized linear head: softmax regression with an L2 penalty, fitted to convergence by
 * L-BFGS over an ONNX graph of the penalized objective and its gradient (models/headGraphs.ts),
 * with the penalty's strength chosen by stratified inner cross-validation on the training split
 * (highest mean ROC-AUC of `yes` over the inner folds; the stronger penalty on ties). Early stopping
 * of mini-batch AdamW regularized the same head less well: in 5-fold cross-validation on the
 * paper's labels it ranked `yes` at ROC-AUC 0.80 where this fit reaches the TF-IDF + logistic
 * regression yardstick (bench/crossval.ts).
 *
 * Each candidate strength is then fitted on the whole training split (strongest first, each fit
 * starting from the previous one's weights) and measured on the test split, so
 * the model's record shows test loss, precision@k and ROC-AUC along the regularization path, as the
 * mini-batch fit shows them per epoch. The kept head is then refitted at the chosen strength on
 * every labeled row, training and test split together (`refitAll`, the default): the split served
 * only to report, since the inner folds chose the strength, and the 30% it holds out are labels the
 * ranking should learn from (5-fold cross-validation on the paper's labels, fold seed 1, 16,384
 * buckets: ROC-AUC of `yes` 0.860 with the refit, 0.856 without; at fold seed 3 0.866 and 0.852;
 * bench/crossval.ts --no-refit).
 * The reported figures stay those of the split.
 */
import { rocAuc } from '../../src/core/metrics';
import type { EpochRecord } from '../../src/protocol/trainer';
import { type Backend, type Feeds, type Session, Tensor, defaultBackend } from '../backend';
import { HeadModel, type HeadConfig } from '../models/mlpHead';
import { buildObjectiveGraph, gradName, paramSpecs, type ParamSpec } from '../models/headGraphs';
import { balancedWeights, cancelledError, gatherLabels, gatherRows, targetMetrics, type SplitData } from './fit';
import { minimizeLbfgsAsync } from './lbfgs';
import { stratifiedBootstrap, stratifiedFolds } from './split';

export const L2_DEFAULTS = {
  /**
   * Candidate strengths λ of the penalty λ/2 ||W||² beside the summed (class-weighted) log loss,
   * i.e. scikit-learn's C = 1/λ: two decades either side of its default C = 1, in half-decades.
   */
  strengths: [30, 10, 3, 1, 0.3, 0.1, 0.03] as readonly number[],
  innerFolds: 5,
  classWeighting: 'balanced' as 'none' | 'balanced',
  /** L-BFGS iterations per fit (warm starts along the path need far fewer). */
  maxIterations: 300,
  /** The kept head is refitted on the training and test split together at the chosen strength. */
  refitAll: true,
} as const;

export interface RegularizedFitOptions {
  seed: number;
  classes: number;
  targetClass: number;
  classWeighting?: 'none' | 'balanced';
  strengths?: readonly number[];
  innerFolds?: number;
  maxIterations?: number;
  /** Refit the kept head on training and test rows together (default `L2_DEFAULTS.refitAll`). */
  refitAll?: boolean;
  /** Called as the inner folds and the path are fitted (`done` of `total` fits). */
  onFit?: (done: number, total: number) => void;
  signal?: AbortSignal;
  backend?: Backend;
}

/** One candidate strength: its inner cross-validation figures (means over the inner folds, and the ROC-AUC of each fold that has one). */
export interface StrengthScore { l2: number; innerRocAuc: number | null; innerLoss: number; foldRocAuc: number[] }

export interface RegularizedFitResult {
  model: HeadModel;
  config: HeadConfig;
  /** One record per candidate strength (in `strengths` order), measured on the test split. */
  epochs: EpochRecord[];
  /** The record (1-based) of the chosen strength. */
  selectedEpoch: number;
  l2: number;
  innerFolds: number;
  scores: StrengthScore[];
  /** Why this strength, for people. */
  selection: string;
  /** Rows the kept head was fitted on: the training split, or training and test split together (refit). */
  fittedRows: number;
}

/** The penalized objective of one head shape, evaluated over feature rows with per-row weights. */
class Objective {
  private constructor(private readonly session: Session, private readonly specs: ParamSpec[], readonly size: number, private readonly config: HeadConfig) {}

  static async create(config: HeadConfig, backend: Backend): Promise<Objective> {
    const specs = paramSpecs(config);
    const session = await backend.session(buildObjectiveGraph(config), 'regularized head objective');
    return new Objective(session, specs, specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0), config);
  }

  /** Parameters as one vector, in `paramSpecs` order. */
  flatten(params: readonly Float32Array[]): Float64Array {
    const theta = new Float64Array(this.size);
    let at = 0;
    for (const p of params) { theta.set(p, at); at += p.length; }
    return theta;
  }

  unflatten(theta: Float64Array): Float32Array[] {
    let at = 0;
    return this.specs.map((s) => {
      const n = s.shape.reduce((a, b) => a * b, 1);
      const p = Float32Array.from(theta.subarray(at, at + n));
      at += n;
      return p;
    });
  }

  async run(theta: Float64Array, x: Float32Array, y: Int32Array, rowWeight: Float32Array, l2: number, grad?: Float64Array): Promise<{ loss: number; probs: Float32Array }> {
    const n = y.length;
    const feeds: Feeds = {
      x: Tensor.float32(x, [n, this.config.inputDim]), y: Tensor.int32(y, [n]),
      row_weight: Tensor.float32(rowWeight, [n]), l2: Tensor.scalar(l2),
    };
    const params = this.unflatten(theta);
    this.specs.forEach((s, i) => { feeds[s.name] = Tensor.float32(params[i]!, s.shape); });
    const out = await this.session.run(feeds, grad ? ['loss', 'probs', ...this.specs.map((s) => gradName(s.name))] : ['loss', 'probs']);
    if (grad) {
      let at = 0;
      for (const s of this.specs) { const g = out[gradName(s.name)]!.float32; grad.set(g, at); at += g.length; }
    }
    return { loss: out.loss!.float32[0]!, probs: out.probs!.float32 };
  }

  /**
   * Minimizes the objective over rows `x`, `y` (weights `rowWeight`, summing to the number of rows n)
   * from `start`, until no gradient entry exceeds 1e-4 n: scikit-learn's default tolerance for
   * its mean-loss form of the same objective.
   */
  async fit(x: Float32Array, y: Int32Array, rowWeight: Float32Array, l2: number, start: Float64Array, maxIterations: number): Promise<Float64Array> {
    const result = await minimizeLbfgsAsync(async (theta, grad) => (await this.run(theta, x, y, rowWeight, l2, grad)).loss, start, { maxIterations, gradientTolerance: 1e-4 * y.length });
    return result.x;
  }

  release(): Promise<void> { return this.session.release(); }
}

/** A head model holding fitted parameters (in `paramSpecs` order). */
async function headWith(config: HeadConfig, params: Float32Array[], classWeights: Float32Array | undefined, backend: Backend): Promise<HeadModel> {
  const model = await HeadModel.create(config, { batchSize: 32, optimizer: { kind: 'adamw', lr: 0.01 }, ...(classWeights ? { classWeights } : {}) }, backend);
  model.setState({ step: 0, params: paramSpecs(config).map((s, i) => ({ name: s.name, shape: [...s.shape], data: params[i]! })), optimizer: [] });
  return model;
}

/** Per-row weights: the class weight of each row, scaled so they sum to the number of rows. */
function rowWeights(y: Int32Array, classWeights: Float32Array | undefined): Float32Array {
  const w = Float32Array.from(y, (c) => (classWeights ? classWeights[c]! : 1));
  const sum = w.reduce((a, b) => a + b, 0);
  if (sum > 0) for (let i = 0; i < w.length; i++) w[i]! *= y.length / sum;
  return w;
}

export function concatRows(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export function concatLabels(a: Int32Array, b: Int32Array): Int32Array {
  const out = new Int32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** (Class-)weighted mean negative log-likelihood of probabilities `probs` (rows x classes). */
function weightedLoss(probs: Float32Array, y: Int32Array, classes: number, classWeights: Float32Array | undefined): number {
  let num = 0, den = 0;
  for (let i = 0; i < y.length; i++) {
    const w = classWeights ? classWeights[y[i]!]! : 1;
    num -= w * Math.log(Math.max(1e-12, probs[i * classes + y[i]!]!));
    den += w;
  }
  return den > 0 ? num / den : NaN;
}

export async function fitRegularizedHead(data: SplitData, dim: number, options: RegularizedFitOptions): Promise<RegularizedFitResult> {
  const { xTrain, yTrain, xTest, yTest } = data;
  const nTrain = yTrain.length, nTest = yTest.length;
  if (xTrain.length !== nTrain * dim || xTest.length !== nTest * dim) throw new Error(`feature rows do not match ${nTrain} + ${nTest} examples of width ${dim}`);
  if (nTrain === 0) throw new Error('no training examples');
  const strengths = options.strengths ?? L2_DEFAULTS.strengths;
  if (!strengths.length || !strengths.every((l) => l > 0 && Number.isFinite(l))) throw new Error(`L2 strengths must be positive numbers, got ${JSON.stringify(strengths)}`);
  const maxIterations = options.maxIterations ?? L2_DEFAULTS.maxIterations;
  const { classes, targetClass } = options;
  const config: HeadConfig = { inputDim: dim, hidden: [], classes, seed: options.seed };
  const backend = options.backend ?? await defaultBackend();
  const classWeights = options.classWeighting === 'balanced' ? balancedWeights(yTrain, classes) : undefined;
  // Inner folds: no more than there are target rows (each fold should hold one out to rank), nor
  // more than half the rows; fewer than 2 means no cross-validation.
  const targets = yTrain.reduce((n, c) => n + (c === targetClass ? 1 : 0), 0);
  const requested = options.innerFolds ?? L2_DEFAULTS.innerFolds;
  const possible = Math.min(requested, targets >= 2 ? targets : requested, Math.floor(nTrain / 2));
  const innerFolds = possible >= 2 ? possible : 0;
  const refit = (options.refitAll ?? L2_DEFAULTS.refitAll) && nTest > 0;
  const total = (innerFolds >= 2 && strengths.length > 1 ? innerFolds : 0) * strengths.length + strengths.length + (refit ? 1 : 0);
  let done = 0;
  const tick = () => {
    if (options.signal?.aborted) throw cancelledError();
    options.onFit?.(++done, total);
  };
  const objective = await Objective.create(config, backend);
  const zero = new Float64Array(objective.size);
  try {
    // Inner cross-validation: out-of-fold ROC-AUC and loss of every strength, strongest first.
    const foldAuc: number[][] = strengths.map(() => []), lossSum = new Float64Array(strengths.length);
    if (innerFolds >= 2 && strengths.length > 1) {
      const fold = stratifiedFolds(yTrain, innerFolds, options.seed ^ 0x1e2f);
      for (let f = 0; f < innerFolds; f++) {
        const fitRows: number[] = [], heldRows: number[] = [];
        fold.forEach((k, i) => (k === f ? heldRows : fitRows).push(i));
        const xa = gatherRows(xTrain, dim, fitRows), ya = gatherLabels(yTrain, fitRows);
        const xb = gatherRows(xTrain, dim, heldRows), yb = gatherLabels(yTrain, heldRows);
        const wa = rowWeights(ya, classWeights), wb = new Float32Array(yb.length);
        let theta: Float64Array = zero;
        for (let s = 0; s < strengths.length; s++) {
          theta = await objective.fit(xa, ya, wa, strengths[s]!, theta, maxIterations);
          const { probs } = await objective.run(theta, xb, yb, wb, strengths[s]!);
          const auc = rocAuc(Array.from(yb, (_, i) => probs[i * classes + targetClass]!), Array.from(yb, (c) => c === targetClass));
          if (!Number.isNaN(auc)) foldAuc[s]!.push(auc);
          lossSum[s]! += weightedLoss(probs, yb, classes, classWeights);
          tick();
        }
      }
    }
    const scores: StrengthScore[] = strengths.map((l2, s) => ({
      l2, innerRocAuc: foldAuc[s]!.length ? foldAuc[s]!.reduce((a, b) => a + b, 0) / foldAuc[s]!.length : null,
      innerLoss: innerFolds >= 2 ? lossSum[s]! / innerFolds : NaN, foldRocAuc: foldAuc[s]!,
    }));
    const { index: chosen, by } = chooseStrength(scores);

    // The path on the whole training split, measured on the test split.
    const wTrain = rowWeights(yTrain, classWeights);
    const epochs: EpochRecord[] = [];
    let theta: Float64Array = zero, kept: Float64Array | undefined;
    for (let s = 0; s < strengths.length; s++) {
      theta = await objective.fit(xTrain, yTrain, wTrain, strengths[s]!, theta, maxIterations);
      if (s === chosen) kept = theta;
      const train = await objective.run(theta, xTrain, yTrain, new Float32Array(nTrain), strengths[s]!);
      const trainLoss = weightedLoss(train.probs, yTrain, classes, classWeights);
      let testLoss = trainLoss;
      let m: ReturnType<typeof targetMetrics> = { precisionAtK: null, k: 0, rocAuc: null };
      if (nTest > 0) {
        const test = await objective.run(theta, xTest, yTest, new Float32Array(nTest), strengths[s]!);
        testLoss = weightedLoss(test.probs, yTest, classes, classWeights);
        m = targetMetrics(test.probs, yTest, classes, targetClass);
      }
      epochs.push({ epoch: s + 1, trainLoss, testLoss, precisionAtK: m.precisionAtK, k: m.k, rocAuc: m.rocAuc, l2: strengths[s]!, innerRocAuc: scores[s]!.innerRocAuc });
      tick();
    }
    if (refit) {
      // Every labeled row at the chosen strength, from the kept weights; class weights of all rows.
      const yAll = concatLabels(yTrain, yTest);
      const allWeights = options.classWeighting === 'balanced' ? balancedWeights(yAll, classes) : undefined;
      kept = await objective.fit(concatRows(xTrain, xTest), yAll, rowWeights(yAll, allWeights), strengths[chosen]!, kept!, maxIterations);
      tick();
    }
    const model = await headWith(config, objective.unflatten(kept!), classWeights, backend);
    const folds = innerFolds >= 2 ? innerFolds : 0;
    const selection = by === 'rocAuc' ? `highest mean ROC-AUC of "yes" over ${folds} inner folds of the training split`
      : by === 'loss' ? `lowest mean test loss over ${folds} inner folds of the training split (no "yes" to rank)`
        : 'too few labels for inner folds: the middle candidate';
    return { model, config, epochs, selectedEpoch: chosen + 1, l2: strengths[chosen]!, innerFolds: folds, scores, selection, fittedRows: refit ? nTrain + nTest : nTrain };
  } finally {
    await objective.release();
  }
}

export interface BootstrapFitOptions {
  /** Members to fit. */
  members: number;
  /** The penalty's strength (the one the inner folds chose for the kept head). */
  l2: number;
  /** Member m's resample is drawn with seed `memberSeed(seed, m)`. */
  seed: number;
  classes: number;
  classWeighting?: 'none' | 'balanced';
  /** Where each fit starts (the kept head's parameters): the optimum is unique, so this only saves iterations. */
  start?: readonly Float32Array[];
  maxIterations?: number;
  /** Called after each member. */
  onFit?: (done: number, total: number) => void;
  signal?: AbortSignal;
  backend?: Backend;
}

/** The seed of member `m`'s resample (a member's data must not depend on how many members there are). */
export const memberSeed = (seed: number, m: number): number => (Math.imul(seed ^ 0x5eed, 0x9e3779b1) + Math.imul(m + 1, 0x85ebca6b)) >>> 0;

/**
 * Members of an ensemble of regularized heads: each the same penalized fit, at the same strength,
 * on its own stratified bootstrap resample of the rows (a row drawn k times weighs k times). A
 * convex head fitted to convergence ends at the same weights from any start or seed, so resampling
 * the data is what makes members differ: their spread is the sampling uncertainty of the fit.
 * Weights are never copied: a resample is a vector of row multiplicities.
 */
export async function fitBootstrapHeads(x: Float32Array, y: Int32Array, dim: number, options: BootstrapFitOptions): Promise<HeadModel[]> {
  const n = y.length;
  if (x.length !== n * dim) throw new Error(`feature rows do not match ${n} examples of width ${dim}`);
  if (!(Number.isInteger(options.members) && options.members >= 1)) throw new Error(`ensemble members must be a positive integer, got ${options.members}`);
  if (!(options.l2 > 0)) throw new Error(`L2 strength must be positive, got ${options.l2}`);
  const { classes } = options;
  const config: HeadConfig = { inputDim: dim, hidden: [], classes, seed: options.seed };
  const backend = options.backend ?? await defaultBackend();
  const classWeights = options.classWeighting === 'balanced' ? balancedWeights(y, classes) : undefined;
  const objective = await Objective.create(config, backend);
  const models: HeadModel[] = [];
  try {
    const start = options.start ? objective.flatten(options.start) : new Float64Array(objective.size);
    const base = rowWeights(y, classWeights);
    for (let m = 0; m < options.members; m++) {
      if (options.signal?.aborted) throw cancelledError();
      const counts = stratifiedBootstrap(y, memberSeed(options.seed, m));
      // Class counts are kept by the resample, so the class weights stay the same and the weights still sum to n.
      const w = Float32Array.from(base, (b, i) => b * counts[i]!);
      const theta = await objective.fit(x, y, w, options.l2, start, options.maxIterations ?? L2_DEFAULTS.maxIterations);
      models.push(await headWith(config, objective.unflatten(theta), classWeights, backend));
      options.onFit?.(m + 1, options.members);
    }
    return models;
  } catch (e) {
    await Promise.all(models.map((md) => md.release().catch(() => {})));
    throw e;
  } finally {
    await objective.release();
  }
}

/**
 * Index of the chosen strength and why: the highest mean inner ROC-AUC (the earlier, stronger one on
 * ties within 1e-9); without any ROC-AUC (no `yes` in the inner folds) the lowest inner loss;
 * without inner folds at all (too few labels) the middle of the list.
 */
export function chooseStrength(scores: readonly StrengthScore[]): { index: number; by: 'rocAuc' | 'loss' | 'none' } {
  let best = -1;
  if (scores.some((s) => s.innerRocAuc !== null)) {
    scores.forEach((s, i) => { if (s.innerRocAuc !== null && (best < 0 || s.innerRocAuc > scores[best]!.innerRocAuc! + 1e-9)) best = i; });
    return { index: best, by: 'rocAuc' };
  }
  if (scores.some((s) => Number.isFinite(s.innerLoss))) {
    scores.forEach((s, i) => { if (Number.isFinite(s.innerLoss) && (best < 0 || s.innerLoss < scores[best]!.innerLoss - 1e-9)) best = i; });
    return { index: best, by: 'loss' };
  }
  return { index: Math.floor(scores.length / 2), by: 'none' };
}
