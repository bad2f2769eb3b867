/**
 * Seeded stratified k-fold cross-validation of the trainer's pipeline for the target label `yes`,
 * beside the bootstrap rule M1 on the same held-out folds. Inside each training fold the trainer
 * fits its head exactly as a real training run does (its own 70/30 split; the L2 strength chosen by
 * inner folds of the training split, or the epoch by the test split for heads with hidden layers).
 */
import { matchesM1 } from '../../src/core/bootstrap';
import { MODEL_LABELS } from '../../src/core/labels';
import { precisionAtK, rocAuc } from '../../src/core/metrics';
import type { Backend } from '../../python-free-train/backend';
import type { HashingConfig } from '../../python-free-train/features/representation';
import { gatherLabels, gatherRows } from '../../python-free-train/trainer/fit';
import { classOf, fitHashing, trainOnFeatures, type InMemoryOptions, type LabeledText } from './inMemoryTrainer';
import { stratifiedFolds } from '../../python-free-train/trainer/split';

export interface FoldResult {
  fold: number; test: number; positives: number;
  rocAuc: number; precisionAtK: number; m1RocAuc: number; m1PrecisionAtK: number; selectedEpoch: number;
  /** The regularized linear head: the L2 strength its inner folds chose. */
  l2?: number;
}

export interface CrossValOptions extends Omit<InMemoryOptions, 'seed' | 'backend'> {
  folds: number;
  seed: number;
  hashing?: Partial<HashingConfig>;
  backend: Backend;
}

export interface CrossValResult { rows: number; positives: number; perFold: FoldResult[]; hashing: HashingConfig }

/**
 * `items`: labeled texts (labels outside the model's classes are dropped); `unlabeledTexts`: the
 * texts the representation's idf is fitted on (the pool; no labels are used).
 */
export async function crossValidate(items: readonly LabeledText[], unlabeledTexts: readonly string[], options: CrossValOptions): Promise<CrossValResult> {
  const { kept, y, fold } = crossValFolds(items, options.folds, options.seed);
  const texts = kept.map((r) => r.body);
  const target = MODEL_LABELS.indexOf('yes');
  const rep = await fitHashing(unlabeledTexts, options.hashing);
  const x = await rep.featurize(texts);
  const dim = rep.dim;
  const perFold: FoldResult[] = [];
  for (let f = 0; f < options.folds; f++) {
    const { trainRows, testRows } = foldRows(fold, f);
    const model = await trainOnFeatures(gatherRows(x, dim, trainRows), gatherLabels(y, trainRows), dim, { ...options, seed: options.seed + f });
    const probs = await model.predict(gatherRows(x, dim, testRows), testRows.length);
    await model.release();
    const score = testRows.map((_, i) => probs[i * MODEL_LABELS.length + target]!);
    const positive = testRows.map((r) => y[r] === target);
    const m1 = testRows.map((r) => (matchesM1(texts[r]!) ? 1 : 0));
    perFold.push({
      fold: f, test: testRows.length, positives: positive.filter(Boolean).length,
      rocAuc: rocAuc(score, positive), precisionAtK: precisionAtK(score, positive),
      m1RocAuc: rocAuc(m1, positive), m1PrecisionAtK: precisionAtK(m1, positive), selectedEpoch: model.selectedEpoch,
      ...(model.selection.l2 !== undefined ? { l2: model.selection.l2 } : {}),
    });
  }
  return { rows: kept.length, positives: y.filter((c) => c === target).length, perFold, hashing: rep.config };
}

/** The reviews the model learns from (labels it predicts), their classes and the seeded stratified fold of each. */
export function crossValFolds(items: readonly LabeledText[], folds: number, seed: number): { kept: LabeledText[]; y: Int32Array; fold: Int32Array } {
  const kept = items.filter((r) => classOf(r.label) >= 0);
  const y = Int32Array.from(kept.map((r) => classOf(r.label)));
  return { kept, y, fold: stratifiedFolds(y, folds, seed) };
}

/** Training and held-out rows of fold `f`. */
export function foldRows(fold: Int32Array, f: number): { trainRows: number[]; testRows: number[] } {
  const trainRows: number[] = [], testRows: number[] = [];
  for (let i = 0; i < fold.length; i++) (fold[i] === f ? testRows : trainRows).push(i);
  return { trainRows, testRows };
}
