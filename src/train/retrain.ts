/**
 * "Retrain and propose the next batch", for the CLI and the extension alike: runs the trainer
 * process on the workspace, then records the model and the proposed batch through the label
 * database (this process is its single writer). Labeling can go on while the trainer runs; the
 * batch excludes what was labeled when the trainer read the labels, and anything labeled since
 * is simply skipped when the batch is shown.
 */
import { DEFAULT_BATCH_SIZE, DEFAULT_EPOCHS, DEFAULT_MIXTURE } from '../core/defaults';
import type { Workspace } from '../store/workspace';
import type { Batch, EpochMetrics, ModelRecord } from '../store/labelDb';
import type { EpochRecord, TrainOptions, TrainedModelRecord } from '../protocol/trainer';
import { runTraining, type TrainingHooks, type TrainingOutcome } from './client';

/** Defaults shared by `secreview train` and the extension's settings. */
export const DEFAULT_TRAIN_OPTIONS: Omit<TrainOptions, 'modelVersion'> = {
  representation: 'hashing',
  epochs: DEFAULT_EPOCHS,
  seed: 1,
  strategy: DEFAULT_MIXTURE,
  batchSize: DEFAULT_BATCH_SIZE,
};

export interface RetrainOutcome {
  training: TrainingOutcome;
  model: ModelRecord;
  /** The recorded batch; it has no items when nothing is left to propose (or the size was 0). */
  batch: Batch;
}

/** Epoch metrics in the label database's shape (undefined metrics are NaN, written as null). */
export function toEpochMetrics(e: EpochRecord): EpochMetrics {
  const m: EpochMetrics = { epoch: e.epoch, trainLoss: e.trainLoss, testLoss: e.testLoss, precisionAtK: e.precisionAtK ?? Number.NaN, k: e.k };
  if (e.rocAuc !== null) m.rocAuc = e.rocAuc;
  if (e.l2 !== undefined) m.l2 = e.l2;
  if (e.innerRocAuc != null) m.innerRocAuc = e.innerRocAuc;
  return m;
}

export function toModelRecord(r: TrainedModelRecord): ModelRecord {
  const { epochs, ...rest } = r;
  return { ...rest, epochs: epochs.map(toEpochMetrics) };
}

/**
 * Trains on the workspace's current labels, scores the pool, and records the new model version and
 * the next batch. `ws` must be open for writing. Rejects with `TrainerFailedError` on failure or
 * cancel; nothing is recorded then.
 */
export async function retrainAndPropose(ws: Workspace, options: Partial<Omit<TrainOptions, 'modelVersion'>> = {}, hooks: TrainingHooks = {}): Promise<RetrainOutcome> {
  ws.assertWritable();
  const full: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, ...options, modelVersion: ws.db.nextModelVersion() };
  // Each retrain is a milestone worth a backup of the labels it trains on (.secreview/backups/).
  await ws.db.backup();
  // The trainer reads the workspace read-only: reviews not signed yet are signed here, by its writer.
  if (full.excludeNearDuplicates) await ws.nearDuplicates.sign({ signal: hooks.signal });
  const training = await runTraining(ws.folder, full, hooks);
  const model = await ws.db.addModel(toModelRecord(training.model));
  // Labels may have arrived while training: drop proposals labeled in the meantime.
  const labeled = ws.db.current();
  const items = training.batch.items.filter((i) => !labeled.has(i.reviewId));
  const batch = await ws.db.addBatch({ modelVersion: training.batch.modelVersion, strategy: training.batch.strategy, seed: training.batch.seed, items });
  return { training, model, batch };
}
