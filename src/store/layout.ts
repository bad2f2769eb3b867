/**
 * The one owner of the workspace's layout on disk: folder and file names inside `.secreview/`,
 * the model-version folder's files, its manifest (`model.json`) and the scores format. Everything
 * else asks this module for a path or reads a model through it.
 *
 *   .secreview/
 *     labels.json           label database (the parent process is its only writer)
 *     labels/<name>.jsonl   team mode: each annotator's append-only label log (labelDb.ts writes, teamLogs.ts reads)
 *     .gitattributes        team mode: asks git for a union merge of the label logs
 *     lock                  who writes (one writer at a time)
 *     panel.json            the review the labeling panel shows, for a window reload
 *     pending-notes.json    notes typed before their review has a label
 *     pool/                 reviews.jsonl, index.bin, meta.json (pool.ts), near-duplicates.bin and near-duplicate-groups.bin (nearDuplicates.ts)
 *     models/<version>/     one complete model version (below)
 *     cache/embeddings/     pool embeddings per encoder fingerprint (fp16)
 *     crawl/<run>/          crawl runs and their checkpoints
 *     backups/              rolling copies of labels.json (`backups.ts`)
 *
 * A model version folder is written under a temporary name and renamed when complete, so every
 * visible version folder is whole; names starting with `.` are temporary (or left over from a
 * killed trainer) and ignored.
 *
 *   model.json           what the model is (record, classes, score matrix shape)
 *   representation.json  parameters of the text representation (e.g. hashing config and idf)
 *   head.bin             head weights (serialized by the head model)
 *   head.onnx            inference graph: features -> class probabilities
 *   metrics.json         per-epoch train loss, test loss, precision@k, ROC-AUC; selected epoch
 *   scores.bin           Float32 little-endian, rows x classes (MODEL_LABELS order), one row per pool row
 *   cwe.json             only with the CWE-tag head: the tags learned and each one's probability on the likeliest `yes` reviews
 *   member-<m>.bin, member-<m>.onnx   only with an ensemble (`record.ensemble`): member m's head and inference graph (m from 1)
 *   member-scores.bin    only with an ensemble: Float32 little-endian p(yes), members x rows (member-major), one row per pool row
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import { isCweId } from '../core/cwe';
import { MODEL_LABELS, type ModelLabel } from '../core/labels';
import type { TrainedModelRecord } from '../protocol/trainer';

export const WORKSPACE_DIR = '.secreview';

/** Paths inside a workspace folder (`dir` is the `.secreview/` folder itself). */
export const workspacePaths = {
  of: (folder: string) => path.join(path.resolve(folder), WORKSPACE_DIR),
  labels: (dir: string) => path.join(dir, 'labels.json'),
  labelLogs: (dir: string) => path.join(dir, 'labels'),
  gitattributes: (dir: string) => path.join(dir, '.gitattributes'),
  lock: (dir: string) => path.join(dir, 'lock'),
  panelState: (dir: string) => path.join(dir, 'panel.json'),
  pendingNotes: (dir: string) => path.join(dir, 'pending-notes.json'),
  pool: (dir: string) => path.join(dir, 'pool'),
  models: (dir: string) => path.join(dir, 'models'),
  cache: (dir: string) => path.join(dir, 'cache'),
  embeddingCache: (dir: string) => path.join(dir, 'cache', 'embeddings'),
  crawl: (dir: string) => path.join(dir, 'crawl'),
  backups: (dir: string) => path.join(dir, 'backups'),
  gitignore: (dir: string) => path.join(dir, '.gitignore'),
};

/** The workspace's `.gitignore`: labels.json is the precious, small part worth versioning; the rest is derived or large. */
export const WORKSPACE_GITIGNORE = '# Security Review Labeler: labels.json is worth committing; the rest is large or derived.\npool/\nmodels/\ncache/\ncrawl/\nbackups/\nlock\n.lock.takeover.*\npanel.json\n.*.tmp\n*.damaged-*\n';

export const MODEL_FILES = {
  model: 'model.json',
  representation: 'representation.json',
  head: 'head.bin',
  inference: 'head.onnx',
  metrics: 'metrics.json',
  scores: 'scores.bin',
} as const;

/** Files of ensemble member `m` (0-based; named from 1): its head and its inference graph. */
export const memberFiles = (m: number) => ({ head: `member-${m + 1}.bin`, inference: `member-${m + 1}.onnx` });
/** Every member's p(yes) for every pool row, member after member. */
export const MEMBER_SCORES_FILE = 'member-scores.bin';

/** The CWE-tag head's ratings of the likeliest `yes` reviews (models trained with `cweHead`). */
export const CWE_SCORES_FILE = 'cwe.json';

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
  return workspacePaths.models(workspaceDir);
}

export function modelDirOf(workspaceDir: string, version: string): string {
  return path.join(modelsDirOf(workspaceDir), version);
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

export interface Scores { version: string; classes: readonly ModelLabel[]; rows: number; probs: Float32Array }

/** Reads a model version's scores, or undefined if that version has no scores file. With readScoreColumn, the one reader of scores.bin. */
export function readScores(workspaceDir: string, version: string): Scores | undefined {
  const file = path.join(modelDirOf(workspaceDir, version), MODEL_FILES.scores);
  if (!existsSync(file)) return undefined;
  const C = MODEL_LABELS.length;
  const size = statSync(file).size;
  if (size % (4 * C) !== 0) throw new Error(`${file} has ${size} bytes, not a whole number of rows of ${C} float32 values`);
  const buf = readFileSync(file);
  const probs = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return { version, classes: MODEL_LABELS, rows: size / (4 * C), probs };
}

/**
 * One class's probability for a few rows of a model's scores (NaN for rows the model did not
 * score), read where they lie in scores.bin rather than reading the whole file (16 MB per million
 * rows). Undefined when the version has no scores file.
 */
export function readScoreColumn(workspaceDir: string, version: string, label: ModelLabel, rows: readonly number[]): Float32Array | undefined {
  const file = path.join(modelDirOf(workspaceDir, version), MODEL_FILES.scores);
  if (!existsSync(file)) return undefined;
  const C = MODEL_LABELS.length;
  const col = MODEL_LABELS.indexOf(label);
  const out = new Float32Array(rows.length).fill(Number.NaN);
  const cell = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    rows.forEach((row, i) => {
      if (row >= 0 && readSync(fd, cell, 0, 4, (row * C + col) * 4) === 4) out[i] = cell.readFloatLE(0);
    });
  } finally {
    closeSync(fd);
  }
  return out;
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

/** Probabilities of the newest model (or `version`) for every pool row it scored, checked against its manifest; undefined when no model exists. */
export function loadScores(workspaceDir: string, version?: string): PoolScores | undefined {
  const model = findModel(workspaceDir, version);
  if (!model) return undefined;
  const { classes, scoredRows } = model.manifest;
  const scores = readScores(workspaceDir, model.version);
  const file = path.join(model.dir, MODEL_FILES.scores);
  if (!scores) throw new Error(`${file} is missing; retrain to rebuild it`);
  if (scores.rows !== scoredRows || scores.classes.join() !== classes.join()) {
    throw new Error(`${file} holds ${scores.rows} rows x ${scores.classes.length} classes, expected ${scoredRows} x ${classes.length}; retrain to rebuild it`);
  }
  return { version: model.version, classes: [...classes], probs: scores.probs, rows: scoredRows };
}

/**
 * The p(yes) of each ensemble member for every pool row the model scored, one array per member
 * (views of one read), checked against the manifest; undefined when the model has no ensemble.
 */
export function readMemberScores(modelDir: string, manifest: ModelManifest): Float32Array[] | undefined {
  const members = manifest.record.ensemble?.members ?? 0;
  if (!members) return undefined;
  const file = path.join(modelDir, MEMBER_SCORES_FILE);
  if (!existsSync(file)) throw new Error(`${file} is missing (the model has ${members} ensemble members); retrain to rebuild it`);
  const rows = manifest.scoredRows;
  const size = statSync(file).size;
  if (size !== members * rows * 4) throw new Error(`${file} has ${size} bytes, expected ${members} members x ${rows} rows x 4; retrain to rebuild it`);
  const buf = readFileSync(file);
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  return Array.from({ length: members }, (_, m) => all.subarray(m * rows, (m + 1) * rows));
}

/** The CWE-tag head's ratings (`cwe.json`): the tags it learned, and each rated review's probability per tag. */
export interface CweScores { tags: string[]; byReview: Map<string, number[]> }

/**
 * A model's `cwe.json`, checked; undefined when the model has no CWE-tag head. Throws naming the
 * file and what is wrong when it cannot be read as the trainer writes it.
 */
export function readCweScores(modelDir: string): CweScores | undefined {
  const file = path.join(modelDir, CWE_SCORES_FILE);
  if (!existsSync(file)) return undefined;
  const bad = (what: string) => new Error(`${file}: ${what}; retrain with the CWE-tag head to rebuild it`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw bad(`not JSON (${(e as Error).message})`);
  }
  const { tags, reviews } = (data ?? {}) as { tags?: unknown; reviews?: unknown };
  if (!Array.isArray(tags) || !tags.every(isCweId)) throw bad('"tags" is not a list of CWE ids');
  if (!Array.isArray(reviews)) throw bad('"reviews" is not a list');
  const byReview = new Map<string, number[]>();
  reviews.forEach((r: unknown, i) => {
    const { reviewId, probs } = (r ?? {}) as { reviewId?: unknown; probs?: unknown };
    if (typeof reviewId !== 'string' || !reviewId) throw bad(`review ${i + 1} has no reviewId`);
    if (!Array.isArray(probs) || probs.length !== tags.length || !probs.every((p) => typeof p === 'number' && p >= 0 && p <= 1)) {
      throw bad(`review ${reviewId} does not rate each of the ${tags.length} tags with a probability`);
    }
    byReview.set(reviewId, probs as number[]);
  });
  return { tags: tags as string[], byReview };
}
