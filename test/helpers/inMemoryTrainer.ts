/**
 * The trainer's pipeline over texts held in memory (no workspace, no process): fit the
 * representation on unlabeled texts, fit the head with the same split and best-epoch rule as the
 * trainer process, and score texts. Benchmarks, tests and replays use it.
 */
import { readFileSync } from 'node:fs';
import { probabilityColumn } from '../../src/core/selection';
import { MODEL_LABELS, isModelLabel, parseLabel, type Label } from '../../src/core/labels';
import { normalizeReview, fieldByPath } from '../../src/core/review';
import type { EpochRecord } from '../../src/protocol/trainer';
import type { Backend } from '../../python-free-train/backend';
import type { HashingConfig } from '../../python-free-train/features/representation';
import { HashingRepresentation } from '../../python-free-train/features/hashing';
import { splitData } from '../../python-free-train/trainer/fit';
import { fitEnsembleMembers, fitTrainerHead, type HeadSelection } from '../../python-free-train/trainer/head';
import { stratifiedSplit } from '../../python-free-train/trainer/split';
import { TRAINING_DEFAULTS } from '../../python-free-train/trainer/job';

export interface LabeledText { id: string; body: string; label: Label }

/** Reads a labeled JSONL file (any shape `normalizeReview` accepts) with its label in `labelField`. */
export function readLabeledJsonl(file: string, labelField: string): LabeledText[] {
  const out: LabeledText[] = [];
  readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const r = normalizeReview(JSON.parse(line));
    if (!r.ok) throw new Error(`${file}:${i + 1}: ${r.reason}`);
    const raw = fieldByPath(r.raw, labelField);
    const label = typeof raw === 'string' ? parseLabel(raw) : undefined;
    if (!label) throw new Error(`${file}:${i + 1}: no label in field "${labelField}"`);
    out.push({ id: r.review.id, body: r.review.body, label });
  });
  return out;
}

/** Class index in MODEL_LABELS, or -1 for labels the model does not learn (broken, bot). */
export function classOf(label: Label): number {
  return isModelLabel(label) ? MODEL_LABELS.indexOf(label) : -1;
}

export interface InMemoryOptions {
  epochs: number;
  seed: number;
  hidden?: number[];
  learningRate?: number;
  miniBatch?: number;
  weightDecay?: number;
  testShare?: number;
  classWeighting?: 'none' | 'balanced';
  /** The linear head: refit on the training and test split together at the chosen strength (default: the trainer's). */
  refitAll?: boolean;
  /** Ensemble members fitted beside the head, as the trainer fits them (`ensembleSize`). */
  members?: number;
  backend?: Backend;
}

export interface InMemoryModel {
  epochs: EpochRecord[];
  selectedEpoch: number;
  selection: HeadSelection;
  /** Probabilities (rows x 4, MODEL_LABELS order) of feature rows. */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /** Each ensemble member's p(yes) of feature rows (none without `members`). */
  predictMembers(x: Float32Array, n: number): Promise<Float32Array[]>;
  release(): Promise<void>;
}

export async function fitHashing(unlabeledTexts: readonly string[], config: Partial<HashingConfig> = {}): Promise<HashingRepresentation> {
  return HashingRepresentation.fit(unlabeledTexts, { dim: TRAINING_DEFAULTS.hashingDim, ...config });
}

/** Trains on feature rows `x` (n x dim) with classes `y`; uses the trainer's split and head fit. */
export async function trainOnFeatures(x: Float32Array, y: Int32Array, dim: number, options: InMemoryOptions): Promise<InMemoryModel> {
  const split = stratifiedSplit(y, options.testShare ?? TRAINING_DEFAULTS.testShare, options.seed);
  const data = splitData(x, y, dim, split);
  const headOptions = {
    epochs: options.epochs, seed: options.seed,
    hidden: options.hidden ?? [...TRAINING_DEFAULTS.hidden],
    learningRate: options.learningRate ?? TRAINING_DEFAULTS.learningRate,
    miniBatch: options.miniBatch ?? TRAINING_DEFAULTS.miniBatch,
    weightDecay: options.weightDecay ?? TRAINING_DEFAULTS.weightDecay,
    classes: MODEL_LABELS.length, targetClass: MODEL_LABELS.indexOf('yes'), backend: options.backend,
    classWeighting: options.classWeighting ?? TRAINING_DEFAULTS.classWeighting,
    ...(options.refitAll !== undefined ? { refitAll: options.refitAll } : {}),
  };
  const fit = await fitTrainerHead(data, dim, headOptions);
  const members = options.members ? await fitEnsembleMembers(data, dim, fit, { ...headOptions, members: options.members }) : [];
  const yes = MODEL_LABELS.indexOf('yes');
  return {
    epochs: fit.epochs, selectedEpoch: fit.selectedEpoch, selection: fit.selection,
    predict: (xs, n) => fit.model.predict(xs, n),
    predictMembers: async (xs, n) => {
      const out: Float32Array[] = [];
      for (const m of members) {
        out.push(probabilityColumn(await m.predict(xs, n), MODEL_LABELS.length, yes));
      }
      return out;
    },
    release: async () => { await fit.model.release(); await Promise.all(members.map((m) => m.release())); },
  };
}
