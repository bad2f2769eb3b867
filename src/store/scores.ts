/**
 * Model scores on disk: `models/<version>/scores.bin` holds Float32 probabilities, one row per pool
 * row (in pool order) and one column per model label (MODEL_LABELS order), little-endian.
 * A model folder appears only when complete (written under a temp name, then renamed).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { MODEL_LABELS, type ModelLabel } from '../core/labels';

export interface Scores { version: string; classes: readonly ModelLabel[]; rows: number; probs: Float32Array }

export function modelDir(workspaceDir: string, version: string): string {
  return path.join(workspaceDir, 'models', version);
}

/** Reads a model version's scores, or undefined if that version has no scores file. */
export function readScores(workspaceDir: string, version: string): Scores | undefined {
  const file = path.join(modelDir(workspaceDir, version), 'scores.bin');
  if (!existsSync(file)) return undefined;
  const C = MODEL_LABELS.length;
  const size = statSync(file).size;
  if (size % (4 * C) !== 0) throw new Error(`${file} has ${size} bytes, not a whole number of rows of ${C} float32 values`);
  const buf = readFileSync(file);
  const probs = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { version, classes: MODEL_LABELS, rows: size / (4 * C), probs };
}
