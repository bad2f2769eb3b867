/**
 * Layout of a model version folder `.secreview/models/<version>/`, and reading it back. A folder is
 * written under a temporary name and renamed when complete, so every visible version folder is
 * whole; names starting with `.` are temporary (or left over from a killed trainer) and ignored.
 *
 *   model.json           what the model is (record, classes, head config, score matrix shape)
 *   representation.json  parameters of the text representation (e.g. hashing config and idf)
 *   head.bin             head weights (serialized by the head model)
 *   head.onnx            inference graph: features -> class probabilities
 *   metrics.json         per-epoch train loss, test loss, precision@k, ROC-AUC; selected epoch
 *   scores.bin           Float32 little-endian, rows x classes (MODEL_LABELS order), one row per pool row
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readScores } from '../store/scores';
import type { TrainedModelRecord } from '../protocol/trainer';

export const MODEL_FILES = {
  model: 'model.json',
  representation: 'representation.json',
  head: 'head.bin',
  inference: 'head.onnx',
  metrics: 'metrics.json',
  scores: 'scores.bin',
} as const;

export const MODELS_SUBDIR = 'models';
export const MODEL_FORMAT = 1;

/** Contents of `model.json`. */
export interface ModelManifest {
  format: number;
  record: TrainedModelRecord;
  classes: string[];
  /** Rows in `scores.bin` (the pool size when the model scored it). */
  scoredRows: number;
}

export function modelsDirOf(workspaceDir: string): string {
  return path.join(workspaceDir, MODELS_SUBDIR);
}

export function readManifest(modelDir: string): ModelManifest {
  const file = path.join(modelDir, MODEL_FILES.model);
  const m = JSON.parse(readFileSync(file, 'utf8')) as ModelManifest;
  if (m.format !== MODEL_FORMAT) throw new Error(`${file}: unknown model format ${String(m.format)}`);
  return m;
}

/** Complete model folders, oldest first (by creation time, then name). */
export function listModels(workspaceDir: string): { version: string; dir: string; manifest: ModelManifest }[] {
  const root = modelsDirOf(workspaceDir);
  if (!existsSync(root)) return [];
  const out: { version: string; dir: string; manifest: ModelManifest }[] = [];
  for (const name of readdirSync(root)) {
    if (name.startsWith('.')) continue;
    const dir = path.join(root, name);
    if (!statSync(dir).isDirectory() || !existsSync(path.join(dir, MODEL_FILES.model))) continue;
    try {
      out.push({ version: name, dir, manifest: readManifest(dir) });
    } catch {
      // A folder we cannot read is not a model this version can use.
    }
  }
  return out.sort((a, b) => a.manifest.record.createdAt.localeCompare(b.manifest.record.createdAt) || a.version.localeCompare(b.version));
}

/** The newest complete model, or a given version. */
export function findModel(workspaceDir: string, version?: string): { version: string; dir: string; manifest: ModelManifest } | undefined {
  const models = listModels(workspaceDir);
  return version === undefined ? models.at(-1) : models.find((m) => m.version === version);
}

export interface PoolScores {
  version: string;
  classes: string[];
  /** rows x classes, row-major, in `classes` order (MODEL_LABELS). */
  probs: Float32Array;
  /**
   * Pool rows scored. Rows imported after the model was trained (row >= rows) have no scores;
   * retrain to score them.
   */
  rows: number;
}

/** Probabilities of the newest model (or `version`) for every pool row it scored; undefined when no model exists. */
export function loadScores(workspaceDir: string, version?: string): PoolScores | undefined {
  const model = findModel(workspaceDir, version);
  if (!model) return undefined;
  const { classes, scoredRows } = model.manifest;
  // One reader of scores.bin (the store's); the manifest says how many rows it must hold.
  const scores = readScores(workspaceDir, model.version);
  const file = path.join(model.dir, MODEL_FILES.scores);
  if (!scores) throw new Error(`${file} is missing; retrain to rebuild it`);
  if (scores.rows !== scoredRows || scores.classes.join() !== classes.join()) {
    throw new Error(`${file} holds ${scores.rows} rows x ${scores.classes.length} classes, expected ${scoredRows} x ${classes.length}; retrain to rebuild it`);
  }
  return { version: model.version, classes: [...classes], probs: scores.probs, rows: scoredRows };
}
