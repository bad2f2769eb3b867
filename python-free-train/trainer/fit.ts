/**
 * Fits the classifier head on featurized labeled reviews: per epoch, one pass of mini-batch steps in
 * a seeded order, then the test split's loss, precision@k and ROC-AUC for `yes`. The weights of the
 * epoch with the lowest test loss are kept (the earliest on ties): test loss measures calibrated
 * fit on all four labels, which is what every strategy (entropy included) ranks by, whereas
 * precision@k on a few dozen test `yes` items moves in coarse steps.
 */
import { precisionAtK, rocAuc } from '../../src/core/metrics';
import { mulberry32 } from '../../src/core/hash';
import type { EpochRecord } from '../../src/protocol/trainer';
import type { Backend } from '../backend';
import { HeadModel, type HeadConfig, type HeadState } from '../models/mlpHead';
import { shuffleInPlace, type Split } from './split';

export interface HeadFitOptions {
  epochs: number;
  seed: number;
  /** Hidden layer widths; [] is softmax regression. */
  hidden: number[];
  /** Hidden activation (default relu; the RoBERTa head is tanh). */
  activation?: 'relu' | 'tanh';
  learningRate: number;
  miniBatch: number;
  weightDecay: number;
  /** Index of the target class (`yes`) among the classes. */
  targetClass: number;
  classes: number;
  /**
   * Per-class loss weights: `balanced` weighs each class by n / (classes * count) over the
   * training split (clipped to [0.25, 4]), so the rare `yes` counts as much as the common `no`.
   */
  classWeighting?: 'none' | 'balanced';
  /**
   * After the split picks the epoch, fit a fresh head on every labeled row (train and test) for
   * that many epochs and return it; the epoch records stay the split's.
   */
  refitAll?: boolean;
  onEpoch?: (record: EpochRecord) => void;
  signal?: AbortSignal;
  backend?: Backend;
}

export interface HeadFitResult {
  model: HeadModel;
  config: HeadConfig;
  epochs: EpochRecord[];
  selectedEpoch: number;
  /** With `refitAll`: the labeled rows the returned head was refit on (its metrics are the split's). */
  refitRows?: number;
}

/** Rows `rows` of a row-major matrix of width `dim`. */
export function gatherRows(x: Float32Array, dim: number, rows: ArrayLike<number>): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let i = 0; i < rows.length; i++) out.set(x.subarray(rows[i]! * dim, (rows[i]! + 1) * dim), i * dim);
  return out;
}

export function gatherLabels(y: Int32Array, rows: ArrayLike<number>): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = y[rows[i]!]!;
  return out;
}

/** Precision@k (k = positives) and ROC-AUC of the target column; null where undefined. */
export function targetMetrics(probs: Float32Array, y: Int32Array, classes: number, target: number): { precisionAtK: number | null; k: number; rocAuc: number | null } {
  const n = y.length;
  const score = new Float64Array(n);
  const positive: boolean[] = new Array<boolean>(n);
  let k = 0;
  for (let i = 0; i < n; i++) {
    score[i] = probs[i * classes + target]!;
    positive[i] = y[i] === target;
    if (positive[i]) k++;
  }
  const p = precisionAtK(score, positive);
  const auc = rocAuc(score, positive);
  return { precisionAtK: Number.isNaN(p) ? null : p, k, rocAuc: Number.isNaN(auc) ? null : auc };
}

export function balancedWeights(y: Int32Array, classes: number): Float32Array {
  const counts = new Float64Array(classes);
  for (const c of y) counts[c]!++;
  const w = new Float32Array(classes);
  for (let c = 0; c < classes; c++) w[c] = counts[c] ? Math.min(4, Math.max(0.25, y.length / (classes * counts[c]!))) : 1;
  return w;
}

export function cancelledError(): Error {
  const e = new Error('training was cancelled');
  e.name = 'CancelledError';
  return e;
}

/** Features and classes of the two splits (rows of width `dim`, row-major). */
export interface SplitData { xTrain: Float32Array; yTrain: Int32Array; xTest: Float32Array; yTest: Int32Array }

/** Cuts a feature matrix into the two splits. */
export function splitData(x: Float32Array, y: Int32Array, dim: number, split: Split): SplitData {
  return { xTrain: gatherRows(x, dim, split.train), yTrain: gatherLabels(y, split.train), xTest: gatherRows(x, dim, split.test), yTest: gatherLabels(y, split.test) };
}

export async function fitHead(data: SplitData, dim: number, options: HeadFitOptions): Promise<HeadFitResult> {
  const { xTrain, yTrain, xTest, yTest } = data;
  const nTrain = yTrain.length, nTest = yTest.length;
  if (xTrain.length !== nTrain * dim || xTest.length !== nTest * dim) throw new Error(`feature rows do not match ${nTrain} + ${nTest} examples of width ${dim}`);
  if (nTrain === 0) throw new Error('no training examples');
  const config: HeadConfig = { inputDim: dim, hidden: options.hidden, classes: options.classes, seed: options.seed, ...(options.activation ? { activation: options.activation } : {}) };
  const model = await HeadModel.create(config, {
    batchSize: options.miniBatch,
    classWeights: options.classWeighting === 'balanced' ? balancedWeights(yTrain, options.classes) : undefined,
    optimizer: { kind: 'adamw', lr: options.learningRate, weightDecay: options.weightDecay },
  }, options.backend);
  const random = mulberry32(options.seed ^ 0x7e57);
  const order = new Int32Array(nTrain);
  const epochs: EpochRecord[] = [];
  let best: { epoch: number; loss: number; state: HeadState } | undefined;
  try {
    for (let epoch = 1; epoch <= options.epochs; epoch++) {
      if (options.signal?.aborted) throw cancelledError();
      for (let i = 0; i < nTrain; i++) order[i] = i;
      shuffleInPlace(order, random);
      const trainLoss = await model.trainEpoch(xTrain, yTrain, nTrain, order);
      let testLoss = trainLoss;
      let m: ReturnType<typeof targetMetrics> = { precisionAtK: null, k: 0, rocAuc: null };
      if (nTest > 0) {
        const ev = await model.evaluate(xTest, yTest, nTest);
        testLoss = ev.loss;
        m = targetMetrics(ev.probs, yTest, options.classes, options.targetClass);
      }
      const record: EpochRecord = { epoch, trainLoss, testLoss, precisionAtK: m.precisionAtK, k: m.k, rocAuc: m.rocAuc };
      epochs.push(record);
      // Without a test split (tiny label sets) the last epoch is kept.
      if (!best || (nTest > 0 ? testLoss < best.loss : true)) best = { epoch, loss: testLoss, state: model.getState() };
      options.onEpoch?.(record);
    }
    if (best) model.setState(best.state);
  } catch (e) {
    await model.release().catch(() => {});
    throw e;
  }
  if (options.refitAll && nTest > 0 && best) {
    await model.release();
    const all = await fitHead(mergeSplit(data), dim, { ...options, epochs: best.epoch, refitAll: false, onEpoch: undefined });
    return { ...all, epochs, selectedEpoch: best.epoch, refitRows: nTrain + nTest };
  }
  return { model, config, epochs, selectedEpoch: best?.epoch ?? 0 };
}

/** Train and test rows as one training set with no test rows (the refit on all labels). */
function mergeSplit({ xTrain, yTrain, xTest, yTest }: SplitData): SplitData {
  const x = new Float32Array(xTrain.length + xTest.length);
  x.set(xTrain);
  x.set(xTest, xTrain.length);
  const y = new Int32Array(yTrain.length + yTest.length);
  y.set(yTrain);
  y.set(yTest, yTrain.length);
  return { xTrain: x, yTrain: y, xTest: new Float32Array(0), yTest: new Int32Array(0) };
}
