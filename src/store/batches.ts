/**
 * Proposing batches over a workspace's pool: the bootstrap batch (rule M1 and user patterns) and
 * model-based batches (strategy mixtures over the latest model's scores). The choice itself is the
 * pure `selectBatch` of the core; this module feeds it the pool's rows and records the result.
 */
import { planAssignment } from '../core/assignment';
import { DEFAULT_BATCH_SIZE, DEFAULT_ENSEMBLE_SIZE } from '../core/defaults';
import { bootstrapRule, type UserPattern } from '../core/bootstrap';
import type { NearDuplicateGroups } from '../core/nearDuplicates';
import { formatMixture, formatResolvedMixture, needsEnsemble, selectBatch, usesEnsemble, STRATEGY_NEEDS, type BatchModeOptions, type MixturePart, type SelectionInput } from '../core/selection';
import { TextFeaturizer } from '../core/textFeatures';
import type { Batch, LabelDb } from './labelDb';
import { FLAG_M1 } from './pool';
import { modelDirOf, readManifest, readMemberScores, readScores, type Scores } from './layout';
import type { Workspace } from './workspace';


/** Rows whose review is labeled, and the body keys of labeled reviews (exact-duplicate exclusion). */
export function labeledRows(ws: Workspace): { rows: Set<number>; bodies: Set<string> } {
  const rows = new Set<number>();
  const bodies = new Set<string>();
  for (const id of ws.db.current().keys()) {
    const row = ws.pool.rowOf(id);
    if (row === undefined) continue;
    rows.add(row);
    bodies.add(ws.pool.bodyKeyOf(row));
  }
  return { rows, bodies };
}

/** The newest batch that still has unlabeled items, else the newest batch (the one labeling goes on with). */
export function openBatch(db: LabelDb): Batch | undefined {
  const batches = db.batches();
  const current = db.current();
  for (let i = batches.length - 1; i >= 0; i--) {
    if (batches[i]!.items.some((it) => !current.has(it.reviewId))) return batches[i];
  }
  return batches.at(-1);
}

/** Rows already proposed in a batch and not labeled yet (so two open batches never overlap). */
export function openBatchRows(ws: Workspace): Set<number> {
  const out = new Set<number>();
  const current = ws.db.current();
  for (const b of ws.db.batches()) {
    for (const it of b.items) {
      if (current.has(it.reviewId)) continue;
      const row = ws.pool.rowOf(it.reviewId);
      if (row !== undefined) out.add(row);
    }
  }
  return out;
}

/**
 * What a proposed batch leaves out: labeled rows, rows of open batches, and rows whose body is
 * labeled already; each body once per batch. With `nearDuplicates`, a near-duplicate group counts
 * as one body: near-duplicates of labeled reviews stay out, and a batch holds each group once.
 */
export function batchExclusions(ws: Workspace, options: { nearDuplicates?: NearDuplicateGroups } = {}): Pick<SelectionInput, 'isExcluded' | 'bodyKeyOf' | 'excludedBodies'> {
  const groups = options.nearDuplicates;
  const bodyKeyOf = groups
    ? (row: number) => (groups.sizeOf(row) > 1 ? `g${groups.rootOf(row)}` : ws.pool.bodyKeyOf(row))
    : (row: number) => ws.pool.bodyKeyOf(row);
  const { rows: labeled } = labeledRows(ws);
  const excludedBodies = new Set<string>();
  for (const row of labeled) excludedBodies.add(bodyKeyOf(row));
  const open = openBatchRows(ws);
  return { isExcluded: (row) => labeled.has(row) || open.has(row), bodyKeyOf, excludedBodies };
}

export interface BootstrapOptions {
  size?: number; seed?: number; useM1?: boolean; patterns?: readonly (UserPattern | string)[]; onProgress?: (rowsScanned: number) => void;
  /** Keep near-duplicates of labeled reviews out (see batchExclusions). */
  nearDuplicates?: NearDuplicateGroups;
}

/**
 * The first batch: reviews the bootstrap rule flags (M1 from the index flags, user patterns by a
 * streaming scan), not labeled, one per distinct body, in a seeded random order.
 */
export async function proposeBootstrapBatch(ws: Workspace, options: BootstrapOptions = {}): Promise<{ batch: Batch | undefined; candidates: number }> {
  ws.assertWritable();
  const size = options.size ?? DEFAULT_BATCH_SIZE;
  const seed = options.seed ?? 1;
  const rule = bootstrapRule({ useM1: options.useM1, patterns: options.patterns });
  const useM1 = options.useM1 ?? true;
  const hasPatterns = (options.patterns ?? []).length > 0;
  const exclude = batchExclusions(ws, options);
  const candidate = new Uint8Array(ws.pool.size);
  if (useM1) for (let row = 0; row < ws.pool.size; row++) if (ws.pool.flags(row) & FLAG_M1) candidate[row] = 1;
  if (hasPatterns) {
    for await (const { row, review } of ws.pool.scan()) {
      if (!candidate[row] && rule.test(review.body)) candidate[row] = 1;
      // Every 10,000 rows scanned (none before the first 10,000: a small pool needs no progress).
      if (row > 0 && row % 10000 === 0) options.onProgress?.(row);
    }
  }
  let count = 0;
  for (let row = 0; row < candidate.length; row++) if (candidate[row]) count++;
  const picks = selectBatch({
    rowCount: ws.pool.size,
    idOf: (row) => ws.pool.idKeyOf(row),
    ...exclude,
    isExcluded: (row) => !candidate[row] || exclude.isExcluded(row),
    mixture: [{ strategy: 'random', share: 1 }],
    size, seed,
  });
  // An empty batch would only advance the iteration counter.
  if (!picks.length) return { batch: undefined, candidates: count };
  const batch = await ws.db.addBatch({
    modelVersion: null,
    strategy: `bootstrap: ${rule.describe()}`,
    seed,
    items: picks.map((p) => ({ reviewId: ws.pool.idOf(p.row), strategy: 'bootstrap' as const, score: 1 })),
  });
  return { batch, candidates: count };
}

/** The workspace has no trained model yet (the CLI exits 3, as for a missing workspace). */
export class NoModelError extends Error {
  constructor(message = 'no trained model yet: label the bootstrap batch ("secreview bootstrap", then label it), then train one with "secreview train" (or the command "Security Review: Retrain and Propose Next Batch")') {
    super(message);
    this.name = 'NoModelError';
  }
}

export interface NextBatchOptions {
  mixture: readonly MixturePart[]; size?: number; seed?: number; scores?: Scores;
  /** Keep near-duplicates of labeled reviews out (see batchExclusions). */
  nearDuplicates?: NearDuplicateGroups;
  /** The diverse strategy's weight and candidates per slot (defaults: BATCH_MODE_DEFAULTS). */
  batchMode?: Partial<BatchModeOptions>;
}

/**
 * The feature space of the diverse strategy: `textFeatures` of a row's body, read from the pool for
 * the rows it asks about (its candidates, `diversityCandidates` per batch slot) and kept for this one
 * selection. Nothing when the mixture has no strategy that needs features.
 */
export function selectionFeatures(ws: Workspace, mixture: readonly MixturePart[]): Pick<SelectionInput, 'featuresOf'> {
  if (!mixture.some((m) => STRATEGY_NEEDS[m.strategy] === 'features')) return {};
  const featurizer = new TextFeaturizer();
  const vectors = new Map<number, Float32Array>();
  return {
    featuresOf: (row) => {
      let v = vectors.get(row);
      if (!v) vectors.set(row, v = featurizer.vector(ws.pool.get(row).body));
      return v;
    },
  };
}

/** A batch from the latest model's scores with a strategy mixture (recorded with that model's version). */
export function planNextBatch(ws: Workspace, options: NextBatchOptions): { picks: ReturnType<typeof selectBatch>; scores: Scores; unscored: number; strategy: string } {
  const model = ws.db.latestModel();
  const onlyRandom = options.mixture.every((m) => m.strategy === 'random');
  const scores = options.scores ?? (model ? readScores(ws.dir, model.version) : undefined);
  if (!scores && !onlyRandom) throw new NoModelError();
  const usable = scores ? Math.min(scores.rows, ws.pool.size) : ws.pool.size;
  // ensemble, thompson and ucb need the model's members; auto ranks by them when the model has them.
  const members = scores && usesEnsemble(options.mixture) ? ensembleOf(ws, scores.version, options.mixture, needsEnsemble(options.mixture)) : undefined;
  const picks = selectBatch({
    rowCount: usable,
    probs: scores?.probs, classes: scores?.classes, members,
    idOf: (row) => ws.pool.idKeyOf(row),
    ...batchExclusions(ws, options),
    ...selectionFeatures(ws, options.mixture),
    ...(options.batchMode ? { batchMode: options.batchMode } : {}),
    mixture: options.mixture,
    size: options.size ?? DEFAULT_BATCH_SIZE,
    seed: options.seed ?? 1,
  });
  return {
    picks, scores: scores ?? { version: 'none', classes: [], rows: 0, probs: new Float32Array(0) }, unscored: ws.pool.size - usable,
    strategy: formatResolvedMixture(options.mixture, !!members?.length),
  };
}

/** The members' p(yes) of a model version; without members, an error that says how to get an ensemble, or undefined when not `required`. */
function ensembleOf(ws: Workspace, version: string, mixture: readonly MixturePart[], required: boolean): Float32Array[] | undefined {
  // The version's own folder: its scores were just read from it (no scan of every model's manifest).
  const dir = modelDirOf(ws.dir, version);
  let manifest;
  try { manifest = readManifest(dir); } catch { manifest = undefined; }
  const members = manifest && readMemberScores(dir, manifest);
  if (!members && required) {
    throw new NoModelError(`strategy "${formatMixture(mixture)}" ranks by an ensemble of models, and model ${version} was trained without one: `
      + `retrain with that strategy (secreview train --strategy ${formatMixture(mixture)}, or Retrain with it), or add --ensemble-size ${DEFAULT_ENSEMBLE_SIZE}`);
  }
  return members;
}

export async function proposeNextBatch(ws: Workspace, options: NextBatchOptions): Promise<{ batch: Batch | undefined; unscored: number }> {
  ws.assertWritable();
  const { picks, scores, unscored, strategy } = planNextBatch(ws, options);
  if (!picks.length) return { batch: undefined, unscored };
  const batch = await ws.db.addBatch({
    modelVersion: scores.version === 'none' ? null : scores.version,
    strategy,
    seed: options.seed ?? 1,
    items: picks.map((p) => ({ reviewId: ws.pool.idOf(p.row), strategy: p.strategy, score: p.score })),
  });
  return { batch, unscored };
}

/**
 * A batch of chosen rows (search results), in the order given: rows labeled, in an open batch or
 * whose body (near-duplicate group, with `nearDuplicates`) is labeled or already taken are left out.
 */
export async function proposeRowsAsBatch(ws: Workspace, rows: readonly number[], options: { strategy: string; size?: number; nearDuplicates?: NearDuplicateGroups }): Promise<{ batch: Batch | undefined; left: number }> {
  ws.assertWritable();
  const size = options.size ?? DEFAULT_BATCH_SIZE;
  const { isExcluded, bodyKeyOf, excludedBodies } = batchExclusions(ws, options);
  const taken = new Set<string>();
  const picked: number[] = [];
  let left = 0;
  for (const row of rows) {
    if (isExcluded(row)) continue;
    const key = bodyKeyOf!(row);
    if (excludedBodies!.has(key) || taken.has(key)) continue;
    if (picked.length === size) { left++; continue; }
    taken.add(key);
    picked.push(row);
  }
  if (!picked.length) return { batch: undefined, left };
  const batch = await ws.db.addBatch({
    modelVersion: null, strategy: options.strategy,
    items: picked.map((row) => ({ reviewId: ws.pool.idOf(row), strategy: 'manual' as const, score: 1 })),
  });
  return { batch, left };
}

/**
 * Double coding: splits a batch among annotators with a share coded by two (`planAssignment`,
 * seeded; the seed is recorded so the split can be redone) and records it in the batch. Each
 * annotator's panel then shows only their own items.
 */
export async function assignBatch(ws: Workspace, batchId: string, request: { annotators: readonly string[]; overlap: number; seed?: number }): Promise<Batch> {
  const batch = ws.db.batch(batchId);
  if (!batch) throw new Error(`unknown batch "${batchId}"; the batches are ${ws.db.batches().map((b) => b.id).join(', ') || 'none yet'}`);
  const seed = request.seed ?? Math.floor(Math.random() * 2 ** 31);
  const coders = planAssignment({ reviewIds: batch.items.map((it) => it.reviewId), annotators: request.annotators, overlap: request.overlap, seed });
  return ws.db.assignBatch(batchId, { annotators: request.annotators.map((a) => a.trim()), overlap: request.overlap, seed, at: new Date().toISOString(), coders });
}
