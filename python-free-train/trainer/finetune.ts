/**
 * Optional fine-tuning of the top K RoBERTa layers with the classification head (the paper
 * fine-tunes the whole model). The head trained over cached embeddings starts the run (the same
 * function as RoBERTa's head, see `roberta/headBridge.ts`). Embedding the whole pool again with
 * the tuned encoder would cost as much as the first embedding, so only a shortlist of the pool is
 * re-scored with it: the rows the head ranks highest for `yes` and the most uncertain ones, which
 * is where the `rare` and `entropy` strategies pick.
 */
import { mulberry32 } from '../../src/core/hash';
import { CONSTANT_SCHEDULE, type LrSchedule, learningRateAt } from '../../src/core/schedule';
import type { Backend } from '../backend';
import type { NamedArray } from '../models/mlpHead';
import { RobertaEncoder } from '../roberta/encoder';
import { RobertaFineTuner } from '../roberta/fineTune';
import { headFromMlpParams, mlpParamsFromHead } from '../roberta/headBridge';
import { loadRobertaModel } from '../roberta/model';
import { saveRobertaModel } from '../roberta/save';
import { cancelledError } from './fit';
import { shuffleInPlace } from './split';

/**
 * The paper's fine-tuning settings (`secreview train --preset paper`): the whole model, Adam at a
 * constant learning rate around 1e-6, 40 epochs, 64 tokens.
 */
export const PAPER_PRESET = {
  finetuneLayers: 12, finetuneEpochs: 40, finetuneLearningRate: 1e-6, finetuneOptimizer: 'adam',
  finetuneSchedule: CONSTANT_SCHEDULE, finetuneDropout: 0.1, maxTokens: 64, miniBatch: 32,
} as const;
/**
 * Defaults otherwise, as usual for fine-tuning RoBERTa on a small classification set: AdamW with
 * weight decay 0.01, dropout 0.1, 6% linear warmup, then linear decay to 0.
 */
export const FINETUNE_DEFAULTS = {
  epochs: 3, learningRate: 2e-5, shortlist: 20_000, optimizer: 'adamw', weightDecay: 0.01, dropout: 0.1,
  schedule: { kind: 'linear', warmup: 0.06 } as LrSchedule,
} as const;
export const FINETUNE_OPTIMIZERS = ['adam', 'adamw'] as const;
export type FineTuneOptimizer = (typeof FINETUNE_OPTIMIZERS)[number];

export interface FineTuneRequest {
  backend: Backend;
  /** The encoder folder the embeddings came from. */
  folder: string;
  maxTokens: number;
  precision: 'fp32' | 'int8' | 'fp16';
  layers: number;
  epochs: number;
  learningRate: number;
  optimizer: FineTuneOptimizer;
  /** Decoupled weight decay (AdamW only). */
  weightDecay: number;
  /** Dropout in the trained layers and the head. */
  dropout: number;
  schedule: LrSchedule;
  miniBatch: number;
  seed: number;
  texts: readonly string[];
  labels: Int32Array;
  /** The head trained over cached embeddings (MLP layout, one tanh hidden layer). */
  head: readonly NamedArray[];
  classes: number;
  /** Where the tuned encoder is written (Hugging Face layout). */
  outDir: string;
  shortlist: readonly string[];
  signal: AbortSignal;
  /** After each epoch: its mean train loss and the learning rate of its last step. */
  onEpoch?: (epoch: number, loss: number, learningRate: number) => void;
}

export interface FineTuneOutcome {
  /** Tuned head in the MLP head's layout. */
  head: NamedArray[];
  /** Probabilities of the shortlist texts, row-major. */
  shortlistProbs: Float32Array;
  losses: number[];
  /** Learning rate of each epoch's last step. */
  learningRates: number[];
  layers: number;
}

/** Rows to re-score: the top `n/2` by p(target) and the top `n/2` by entropy (disjoint, best first). */
export function shortlistRows(probs: Float32Array, classes: number, target: number, n: number): number[] {
  const rows = probs.length / classes;
  const byTarget = Array.from({ length: rows }, (_, r) => r).sort((a, b) => probs[b * classes + target]! - probs[a * classes + target]! || a - b);
  const entropy = (r: number) => { let h = 0; for (let c = 0; c < classes; c++) { const p = probs[r * classes + c]!; if (p > 0) h -= p * Math.log(p); } return h; };
  const h = Float64Array.from({ length: rows }, (_, r) => entropy(r));
  const byEntropy = Array.from({ length: rows }, (_, r) => r).sort((a, b) => h[b]! - h[a]! || a - b);
  const chosen = new Set<number>();
  const half = Math.ceil(Math.min(n, rows) / 2);
  for (const r of byTarget) { if (chosen.size >= half) break; chosen.add(r); }
  for (const r of byEntropy) { if (chosen.size >= Math.min(n, rows)) break; chosen.add(r); }
  return [...chosen].sort((a, b) => a - b);
}

function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  const out = new Float32Array(logits.length);
  for (let r = 0; r < logits.length / classes; r++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[r * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) { const e = Math.exp(logits[r * classes + c]! - max); out[r * classes + c] = e; sum += e; }
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}

export async function fineTuneRoberta(q: FineTuneRequest): Promise<FineTuneOutcome> {
  const model = await loadRobertaModel(q.folder, { maxTokens: q.maxTokens });
  const config = { ...model.config, numLabels: q.classes };
  const layers = Math.min(q.layers, config.numHiddenLayers);
  const tuner = await RobertaFineTuner.create(q.backend, config, { ...model.weights, head: headFromMlpParams(q.head) },
    {
      topLayers: layers, seed: q.seed, dropout: q.dropout,
      optimizer: q.optimizer === 'adamw' ? { kind: 'adamw', lr: q.learningRate, weightDecay: q.weightDecay } : { kind: 'adam', lr: q.learningRate },
    });
  const losses: number[] = [];
  const learningRates: number[] = [];
  let weights;
  try {
    const order = Int32Array.from({ length: q.texts.length }, (_, i) => i);
    const random = mulberry32(q.seed ^ 0xf17e);
    const totalSteps = q.epochs * Math.ceil(order.length / q.miniBatch);
    let step = 0, lr = q.learningRate;
    for (let epoch = 1; epoch <= q.epochs; epoch++) {
      shuffleInPlace(order, random);
      let total = 0;
      for (let start = 0; start < order.length; start += q.miniBatch) {
        const idx = order.subarray(start, Math.min(order.length, start + q.miniBatch));
        const batch = model.tokenizer.encodeBatch(Array.from(idx, (i) => q.texts[i]!));
        lr = learningRateAt(q.learningRate, q.schedule, ++step, totalSteps);
        total += (await tuner.step(batch, Array.from(idx, (i) => q.labels[i]!), lr)) * idx.length;
        if (q.signal.aborted) throw cancelledError();
      }
      losses.push(total / Math.max(1, order.length));
      learningRates.push(lr);
      q.onEpoch?.(epoch, losses.at(-1)!, lr);
    }
    weights = await tuner.weights();
  } finally {
    await tuner.release();
  }
  await saveRobertaModel(q.outDir, config, weights, { tokenizerFrom: q.folder });
  const encoder = await RobertaEncoder.create(q.backend, { config, weights, tokenizer: model.tokenizer }, { precision: q.precision });
  let shortlistProbs: Float32Array = new Float32Array(0);
  try {
    if (q.shortlist.length) {
      const r = await encoder.encode(q.shortlist);
      shortlistProbs = softmaxRows(r.logits!, q.classes);
    }
  } finally {
    await encoder.release();
  }
  return { head: mlpParamsFromHead(weights.head!), shortlistProbs, losses, learningRates, layers };
}
