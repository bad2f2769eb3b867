/**
 * One training run, as the trainer process performs it: read labels and pool (read-only), fit the
 * representation and the head, save the model version, score the pool in chunks, propose the next
 * batch. Writes nothing but its own model folder; the parent records the result in labels.json.
 */
import path from 'node:path';
import { open } from 'node:fs/promises';
import { DEFAULT_HASHING_DIM } from '../../src/core/defaults';
import { MODEL_LABELS, isModelLabel, type ModelLabel } from '../../src/core/labels';
import { formatResolvedMixture, probabilityColumn, selectBatch, type MixturePart } from '../../src/core/selection';
import { validateSchedule } from '../../src/core/schedule';
import { batchExclusions, selectionFeatures } from '../../src/store/batches';
import { Workspace } from '../../src/store/workspace';
import type { Pool } from '../../src/store/pool';
import { checkTrainRequest, ensembleSizeOf, type CweHeadRecord, type EnsembleRecord, type EpochRecord, type TrainOptions, type TrainProgress, type TrainResult, type TrainedModelRecord } from '../../src/protocol/trainer';
import { CWE_SCORES_FILE, MEMBER_SCORES_FILE, MODEL_FILES, MODEL_FORMAT, memberFiles, modelsDirOf, workspacePaths, type ModelManifest } from '../../src/store/layout';
import { CWE_HEAD_ROWS, fitCweHeads, likeliestYes } from './cweHead';
import type { Backend } from '../backend';
import { HeadModel } from '../models/mlpHead';
import { assertAvailable, fitRepresentation } from '../features/registry';
import type { Representation } from '../features/representation';
import { featurizeCached, type FeatureCache } from '../features/cache';
import { defaultFeaturizeWorkers, featurizeInOrder } from '../features/parallelFeaturizer';
import { ROBERTA_PRECISION_CHOICES, checkRobertaRequest, resolveRobertaFolder, robertaRequestOf, type RobertaRequest } from '../features/roberta';
import { isPrecisionChoice } from '../roberta/precision';
import { MLP_HEAD_CONFIG } from '../roberta/headBridge';
import { RobertaRepresentation } from '../roberta/representation';
import { FINETUNE_DEFAULTS, FINETUNE_OPTIMIZERS, fineTuneRoberta, shortlistRows } from './finetune';
import { Fp16EmbeddingCache } from '../roberta/embeddingCache';
import { cancelledError } from './fit';
import { fitEnsembleMembers, fitTrainerHead, headFitKind } from './head';
import { ModelFolderWriter, removeStaleTempFolders } from './modelWriter';
import { L2_DEFAULTS } from './regularized';
import { stratifiedSplit } from './split';

export const TRAINING_DEFAULTS = {
  hashingDim: DEFAULT_HASHING_DIM,
  hidden: [] as number[],
  learningRate: 0.02,
  miniBatch: 32,
  weightDecay: 1e-4,
  classWeighting: 'balanced' as const,
  testShare: 0.3,
  /** Pool rows scored per chunk, at most: a chunk's features stay under 32 MiB (512 rows of the default hashing width). */
  scoreChunk: 2048,
  scoreChunkFloats: 1 << 23,
  /** Pool rows (evenly spaced) the idf weights are fitted on. */
  idfSample: 20000,
  /** Head over RoBERTa embeddings: Adam's step (the paper fine-tunes the whole model at 1e-6). */
  robertaLearningRate: 2e-3,
} as const;

/** A fine-tuned model's encoder, inside its model folder (representation.json names it relatively). */
export const TUNED_ENCODER_DIR = 'encoder';


/**
 * Featurizes through the durable embedding cache when the representation is expensive (RoBERTa):
 * texts are keyed by the fingerprint of their body, so a text is embedded once per encoder, and a
 * second run (or a duplicate body) reads the vector back. Counts hits and misses.
 */
export class CachedFeaturizer {
  cached = 0;
  computed = 0;
  private constructor(readonly representation: Representation, private readonly cache: FeatureCache | undefined) {}

  static async open(representation: Representation, workspaceDir: string): Promise<CachedFeaturizer> {
    if (representation.id !== 'roberta') return new CachedFeaturizer(representation, undefined);
    const cache = await Fp16EmbeddingCache.open(workspacePaths.embeddingCache(workspaceDir), representation.fingerprint(), representation.dim);
    return new CachedFeaturizer(representation, cache);
  }

  async featurize(texts: readonly string[], into?: Float32Array): Promise<Float32Array> {
    if (!this.cache) return this.representation.featurize(texts, into);
    const before = this.computed;
    const counting: Representation = {
      id: this.representation.id, dim: this.representation.dim,
      fingerprint: () => this.representation.fingerprint(), params: () => this.representation.params(),
      featurize: (missing) => { this.computed += missing.length; return this.representation.featurize(missing); },
    };
    const out = await featurizeCached(counting, this.cache, texts);
    this.cached += texts.length - (this.computed - before);
    return out;
  }

  async flush(): Promise<void> { await this.cache?.flush(); }
}


/** Errors the parent can explain to the user without a stack trace. */
export class TrainJobError extends Error {
  constructor(readonly code: 'bad-request' | 'not-enough-labels' | 'workspace', message: string) {
    super(message);
    this.name = 'TrainJobError';
  }
}

export interface JobContext {
  progress(p: TrainProgress): void;
  signal: AbortSignal;
  backend: Backend;
}

function checkCancelled(signal: AbortSignal): void {
  if (signal.aborted) throw cancelledError();
}

/** Lets queued IPC messages (a `cancel`) in during long synchronous stretches. */
const yieldToEvents = () => new Promise<void>((r) => setImmediate(r));

/** Labeled reviews the model learns from: rows and class indices, by pool row order. */
export interface TrainingSet { rows: Int32Array; y: Int32Array; counts: Record<ModelLabel, number>; missingFromPool: number; cwe: (readonly string[] | undefined)[] }

export function collectTrainingSet(ws: Workspace): TrainingSet {
  const items: { row: number; cls: number; cwe?: readonly string[] }[] = [];
  const counts = Object.fromEntries(MODEL_LABELS.map((l) => [l, 0])) as Record<ModelLabel, number>;
  let missingFromPool = 0;
  for (const [id, cur] of ws.db.current()) {
    if (!isModelLabel(cur.label)) continue; // broken and bot are not learned from
    const row = ws.pool.rowOf(id);
    if (row === undefined) { missingFromPool++; continue; }
    items.push({ row, cls: MODEL_LABELS.indexOf(cur.label), cwe: cur.cwe });
    counts[cur.label]++;
  }
  items.sort((a, b) => a.row - b.row);
  return { rows: Int32Array.from(items.map((i) => i.row)), y: Int32Array.from(items.map((i) => i.cls)), counts, missingFromPool, cwe: items.map((i) => i.cwe) };
}

/** Evenly spaced pool bodies for fitting unsupervised parameters (idf). */
async function* sampleBodies(pool: Pool, max: number): AsyncGenerator<string> {
  if (pool.size <= max) {
    for await (const { review } of pool.scan()) yield review.body;
    return;
  }
  const step = pool.size / max;
  for (let i = 0; i < max; i++) yield pool.get(Math.floor(i * step)).body;
}

function rate(done: number, total: number, startedAt: number): Pick<TrainProgress, 'rowsPerSecond' | 'etaSeconds'> {
  const seconds = (performance.now() - startedAt) / 1000;
  const rowsPerSecond = seconds > 0 ? done / seconds : 0;
  return { rowsPerSecond: Math.round(rowsPerSecond), etaSeconds: rowsPerSecond > 0 ? Math.round((total - done) / rowsPerSecond) : undefined };
}

/** What every phase of a run shares: the request, where it reports, and the workspace it reads. */
interface Run {
  options: TrainOptions;
  ctx: JobContext;
  ws: Workspace;
  mixture: MixturePart[];
  /** Ensemble members to train beside the model (0: none). */
  members: number;
  /** Featurizer worker threads for pool scoring. */
  workers: number;
  /** Milliseconds per phase, for the record. */
  durationsMs: Record<string, number>;
  /** Ends the phase `name` (its duration recorded) and starts the next. */
  lap(name: string): void;
}

/**
 * One run, in the order the README tells it: read the labels (yes, no, unclear, language; broken
 * and bot are left out), fit the representation and featurize a stratified 70/30 split, fit the
 * head (the linear head's L2 strength by inner folds, or the epoch with the lowest test loss), save the model folder (under a temporary name),
 * score every pool row in streaming chunks into scores.bin, optionally fine-tune RoBERTa and
 * re-score a shortlist, propose the next batch, and write the manifest that completes the folder.
 */
export async function runTrainJob(workspaceFolder: string, options: TrainOptions, ctx: JobContext): Promise<TrainResult> {
  const t0 = performance.now();
  const mixture = validateOptions(options);
  assertAvailable(options.representation);
  let workers: number;
  try {
    workers = options.featurizeWorkers ?? defaultFeaturizeWorkers();
  } catch (e) {
    throw new TrainJobError('bad-request', (e as Error).message);
  }

  ctx.progress({ phase: 'loading', message: 'reading labels and pool' });
  let ws: Workspace;
  try {
    ws = await Workspace.open(workspaceFolder, { readOnly: true });
  } catch (e) {
    throw new TrainJobError('workspace', (e as Error).message);
  }
  const durationsMs: Record<string, number> = {};
  let mark = t0;
  const run: Run = {
    options, ctx, ws, mixture, members: ensembleSizeOf(options, mixture), workers, durationsMs,
    lap: (name) => { const now = performance.now(); durationsMs[name] = Math.round(now - mark); mark = now; },
  };
  let writer: ModelFolderWriter | undefined;
  let model: HeadModel | undefined;
  let ensemble: Ensemble | undefined;
  let representation: Representation | undefined;
  try {
    const set = readTrainingSet(run);
    const labeled = await featurizeLabeled(run, set);
    representation = labeled.representation;
    const fit = await trainHead(run, labeled);
    model = fit.model;
    ensemble = run.members ? await trainEnsemble(run, labeled, fit) : undefined;
    writer = await startModelFolder(run, labeled.representation, fit, ensemble);
    const { probs, memberYes } = await scorePool(run, writer, fit.model, labeled, ensemble);
    const tuned = labeled.roberta && (options.finetuneLayers ?? 0) > 0
      ? await fineTuneAndRescore(run, writer, fit, labeled, set, probs, labeled.roberta) : undefined;
    const cwe = options.cweHead ? await cweHead(run, writer, set, labeled, probs) : undefined;
    const proposals = await proposeNextBatch(run, probs, memberYes);
    const record = { ...modelRecord(run, set, labeled, fit, tuned), ...(cwe ? { cwe } : {}), ...(ensemble ? { ensemble: ensemble.record } : {}) };
    await completeModelFolder(run, writer, record, fit);
    durationsMs.total = Math.round(performance.now() - t0);
    return {
      model: record,
      batch: {
        strategy: formatResolvedMixture(mixture, !!memberYes?.length), seed: options.seed, modelVersion: options.modelVersion,
        items: proposals.map((p) => ({ reviewId: ws.pool.idOf(p.row), strategy: p.strategy, score: p.score })),
      },
      modelDir: path.relative(ws.folder, writer.finalDir),
    };
  } catch (e) {
    writer?.abort();
    throw e;
  } finally {
    await model?.release().catch(() => {});
    await Promise.all((ensemble?.models ?? []).map((m) => m.release().catch(() => {})));
    await representation?.release?.().catch(() => {});
    await ws.close();
  }
}

/** The labeled reviews to learn from; refuses a request whose model version exists, or too few labels. */
function readTrainingSet({ ws, options, lap }: Run): TrainingSet {
  if (ws.db.models().some((m) => m.version === options.modelVersion)) {
    throw new TrainJobError('bad-request', `model version ${options.modelVersion} is already recorded in labels.json`);
  }
  const set = collectTrainingSet(ws);
  const present = MODEL_LABELS.filter((l) => set.counts[l] > 0);
  if (set.rows.length < 4 || present.length < 2) {
    throw new TrainJobError('not-enough-labels', `training needs at least 4 labeled reviews with at least 2 different labels among ${MODEL_LABELS.join(', ')}; there are ${set.rows.length} (${present.join(', ') || 'none'})`);
  }
  lap('loading');
  return set;
}

interface LabeledFeatures {
  representation: Representation;
  features: CachedFeaturizer;
  roberta: RobertaRequest | undefined;
  split: { train: Int32Array; test: Int32Array };
  data: { xTrain: Float32Array; yTrain: Int32Array; xTest: Float32Array; yTest: Int32Array };
}

/**
 * The representation, fitted on a sample of the pool (hashing) or loaded (RoBERTa), then the
 * labeled texts featurized: split first, each side straight into its own matrix (no full copy).
 */
async function featurizeLabeled({ ws, options, ctx, lap }: Run, set: TrainingSet): Promise<LabeledFeatures> {
  const { signal } = ctx;
  const isRoberta = options.representation === 'roberta';
  const roberta = isRoberta ? robertaRequestOf(options, process.env, ctx.backend.device) : undefined;
  if (roberta?.precisionReason) ctx.progress({ phase: 'loading', message: roberta.precisionReason });
  ctx.progress({ phase: 'featurizing', message: isRoberta ? 'loading the RoBERTa encoder' : 'fitting the representation', done: 0, total: set.rows.length });
  const representation = await fitRepresentation(
    {
      id: options.representation, hashing: { dim: options.hashingDim ?? TRAINING_DEFAULTS.hashingDim },
      roberta,
      robertaRuntime: {
        backend: ctx.backend, hubUrl: process.env.HF_ENDPOINT || undefined,
        onDownload: (p) => ctx.progress({ phase: 'loading', message: `downloading ${p.file}: ${Math.round(p.receivedBytes / 1e6)}${p.totalBytes ? `/${Math.round(p.totalBytes / 1e6)}` : ''} MB` }),
      },
    },
    sampleBodies(ws.pool, TRAINING_DEFAULTS.idfSample), { signal },
  );
  try {
    const features = await CachedFeaturizer.open(representation, ws.dir);
    const split = stratifiedSplit(set.y, options.testShare ?? TRAINING_DEFAULTS.testShare, options.seed);
    const featStart = performance.now();
    const phaseTotal = set.rows.length;
    let featDone = 0;
    const featurizeRows = async (idx: Int32Array) => {
      const out = new Float32Array(idx.length * representation.dim);
      // Chunks, so progress and ETA move while a slow encoder works.
      for (let from = 0; from < idx.length; from += 256) {
        const part = idx.subarray(from, Math.min(idx.length, from + 256));
        out.set(await features.featurize(Array.from(part, (i) => ws.pool.get(set.rows[i]!).body)), from * representation.dim);
        featDone += part.length;
        ctx.progress({ phase: 'featurizing', done: featDone, total: phaseTotal, ...rate(featDone, phaseTotal, featStart) });
        checkCancelled(signal);
      }
      return out;
    };
    const data = {
      xTrain: await featurizeRows(split.train), yTrain: Int32Array.from(split.train, (i) => set.y[i]!),
      xTest: await featurizeRows(split.test), yTest: Int32Array.from(split.test, (i) => set.y[i]!),
    };
    await features.flush();
    lap('featurizing');
    checkCancelled(signal);
    return { representation, features, roberta, split, data };
  } catch (e) {
    await representation.release?.().catch(() => {});
    throw e;
  }
}

type HeadFit = Awaited<ReturnType<typeof fitTrainerHead>>;

/**
 * Whether the head that scores the pool is refit on every label when the request does not say:
 * for a linear head, where 5-fold cross-validation on the paper's labels (3 seeds, `npm run bench --
 * refit`) raised ROC-AUC for yes by 0.013 (90% interval 0.003 to 0.023); not for a head with hidden
 * layers, where the interval held 0.
 */
export const refitByDefault = (hidden: readonly number[]): boolean => hidden.length === 0;

/**
 * The head over the features: the linear head (hashing) fitted per L2 strength, the strength its
 * inner folds rank best kept; a head with hidden layers (RoBERTa's) per epoch, the epoch of lowest
 * test loss kept. Each record has train loss, test loss and precision@k on the split.
 */
function headOptions({ options, ctx }: Run, { representation, roberta }: LabeledFeatures): Parameters<typeof fitTrainerHead>[2] {
  // RoBERTa: the classification head of RobertaForSequenceClassification (dense H -> tanh -> out).
  const robertaHead = roberta ? MLP_HEAD_CONFIG(representation.dim, MODEL_LABELS.length) : undefined;
  const hidden = options.hidden ?? (robertaHead ? [...robertaHead.hidden] : [...TRAINING_DEFAULTS.hidden]);
  return {
    epochs: options.epochs, seed: options.seed, hidden,
    activation: robertaHead?.activation,
    learningRate: options.learningRate ?? (roberta ? TRAINING_DEFAULTS.robertaLearningRate : TRAINING_DEFAULTS.learningRate),
    miniBatch: options.miniBatch ?? TRAINING_DEFAULTS.miniBatch,
    weightDecay: TRAINING_DEFAULTS.weightDecay,
    classes: MODEL_LABELS.length, targetClass: MODEL_LABELS.indexOf('yes'),
    classWeighting: headFitKind(hidden) === 'l2' ? L2_DEFAULTS.classWeighting : TRAINING_DEFAULTS.classWeighting,
    refitAll: options.refitAll ?? refitByDefault(hidden),
    signal: ctx.signal, backend: ctx.backend,
  };
}

async function trainHead(run: Run, labeled: LabeledFeatures): Promise<HeadFit> {
  const { options, ctx, lap } = run;
  const { representation, data } = labeled;
  const epochsTotal = options.epochs;
  const started = performance.now();
  const fit = await fitTrainerHead(data, representation.dim, {
    ...headOptions(run, labeled),
    onEpoch: (r: EpochRecord) => {
      const seconds = (performance.now() - started) / 1000;
      ctx.progress({
        phase: 'training', epoch: r.epoch, epochs: epochsTotal, trainLoss: r.trainLoss, testLoss: r.testLoss,
        precisionAtK: r.precisionAtK ?? undefined, etaSeconds: Math.round((seconds / r.epoch) * (epochsTotal - r.epoch)),
        rowsPerSecond: seconds > 0 ? Math.round((data.yTrain.length * r.epoch) / seconds) : undefined,
      });
    },
    onFit: (done, total) => {
      const seconds = (performance.now() - started) / 1000;
      ctx.progress({ phase: 'training', message: `linear head: fit ${done} of ${total} (L2 strength by inner cross-validation)`, etaSeconds: Math.round((seconds / done) * (total - done)) });
    },
  });
  lap('training');
  checkCancelled(ctx.signal);
  return fit;
}

interface Ensemble { models: HeadModel[]; record: EnsembleRecord }

/** The ensemble's members (`ensembleSize`): the kept head refitted on bootstrap resamples of its labels. */
async function trainEnsemble(run: Run, labeled: LabeledFeatures, fit: HeadFit): Promise<Ensemble> {
  const { ctx, members, lap } = run;
  const started = performance.now();
  ctx.progress({ phase: 'training', message: `ensemble: fitting ${members} members on bootstrap resamples of the labels` });
  const models = await fitEnsembleMembers(labeled.data, labeled.representation.dim, fit, {
    ...headOptions(run, labeled), members,
    onFit: (done, total) => {
      const seconds = (performance.now() - started) / 1000;
      ctx.progress({ phase: 'training', message: `ensemble: member ${done} of ${total} fitted`, etaSeconds: Math.round((seconds / done) * (total - done)) });
    },
  });
  const rows = fit.selection.fit === 'l2' ? fit.selection.fittedRows ?? labeled.data.yTrain.length : labeled.data.yTrain.length;
  const how = fit.selection.fit === 'l2'
    ? `stratified bootstrap resamples of the ${rows} labeled reviews the model was fitted on, each fitted at the model's L2 strength ${fit.selection.l2}`
    : `stratified bootstrap resamples of the ${rows} training reviews, each with its own seed, the epoch of lowest test loss kept`;
  const overBase = labeled.roberta && (run.options.finetuneLayers ?? 0) > 0 ? ' (heads over the base encoder\'s embeddings: fine-tuning applies to the model, not its members)' : '';
  lap('ensemble');
  checkCancelled(ctx.signal);
  return { models, record: { members, resampling: how + overBase, fittedRows: rows } };
}

/** The model folder under a temporary name, with the representation, the head and the ensemble's members. */
async function startModelFolder({ ws, options, ctx }: Run, representation: Representation, fit: HeadFit, ensemble: Ensemble | undefined): Promise<ModelFolderWriter> {
  ctx.progress({ phase: 'saving', message: `writing model ${options.modelVersion}` });
  removeStaleTempFolders(modelsDirOf(ws.dir));
  const writer = new ModelFolderWriter(modelsDirOf(ws.dir), options.modelVersion);
  await writer.write(MODEL_FILES.representation, JSON.stringify(representation.params()) + '\n');
  await writer.write(MODEL_FILES.head, HeadModel.serialize(fit.model.getState(), fit.config));
  await writer.write(MODEL_FILES.inference, fit.model.inferenceModel());
  for (const [m, member] of (ensemble?.models ?? []).entries()) {
    await writer.write(memberFiles(m).head, HeadModel.serialize(member.getState(), member.config));
    await writer.write(memberFiles(m).inference, member.inferenceModel());
  }
  return writer;
}

/**
 * Probabilities for every pool row, streamed in chunks into scores.bin (texts hashed in worker
 * threads ahead of the head), and with an ensemble each member's p(yes) into member-scores.bin.
 */
async function scorePool({ ws, options, ctx, workers, lap }: Run, writer: ModelFolderWriter, model: HeadModel, { representation, features }: LabeledFeatures,
  ensemble: Ensemble | undefined): Promise<{ probs: Float32Array; memberYes: Float32Array[] | undefined }> {
  const total = ws.pool.size;
  const classes = MODEL_LABELS.length;
  const yes = MODEL_LABELS.indexOf('yes');
  const probs = new Float32Array(total * classes);
  const memberYes = ensemble?.models.map(() => new Float32Array(total));
  const chunkSize = options.scoreChunk ?? Math.max(1, Math.min(TRAINING_DEFAULTS.scoreChunk, Math.floor(TRAINING_DEFAULTS.scoreChunkFloats / representation.dim)));
  const scoreStart = performance.now();
  ctx.progress({ phase: 'scoring', done: 0, total });
  const out = await open(writer.file(MODEL_FILES.scores), 'w');
  const membersOut = memberYes ? await open(writer.file(MEMBER_SCORES_FILE), 'w') : undefined;
  const params = representation.params();
  try {
    let done = 0;
    const score = async (x: Float32Array, rows: number) => {
      const p = await model.predict(x, rows);
      probs.set(p, done * classes);
      await out.write(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
      for (const [m, member] of (ensemble?.models ?? []).entries()) {
        const mp = await member.predict(x, rows);
        const column = probabilityColumn(mp, classes, yes, memberYes![m]!.subarray(done, done + rows));
        await membersOut!.write(new Uint8Array(column.buffer, column.byteOffset, column.byteLength), 0, column.byteLength, (m * total + done) * 4);
      }
      done += rows;
      ctx.progress({ phase: 'scoring', done, total, ...rate(done, total, scoreStart) });
      checkCancelled(ctx.signal);
      await yieldToEvents();
    };
    await featurizeInOrder(ws.pool.bodyChunks(chunkSize), (texts, scratch) => features.featurize(texts, scratch), score, { params, workers, chunkRows: chunkSize, enabled: total > chunkSize });
    if (done !== total) throw new Error(`scored ${done} pool rows, expected ${total}`);
  } finally {
    await out.close();
    await membersOut?.close();
    await features.flush();
  }
  lap('scoring');
  return { probs, memberYes };
}

/** The CWE-tag head (`cweHead`): fitted where tags exist, its ratings of the likeliest `yes` reviews in `cwe.json`. */
async function cweHead({ ws, options, ctx, lap }: Run, writer: ModelFolderWriter, set: TrainingSet, { representation, features, split, data, roberta }: LabeledFeatures, probs: Float32Array): Promise<CweHeadRecord> {
  ctx.progress({ phase: 'training', message: 'fitting the CWE-tag head' });
  const poolRows = likeliestYes(probs, CWE_HEAD_ROWS);
  const { record, scores } = await fitCweHeads({
    data, dim: representation.dim,
    tagsTrain: Array.from(split.train, (i) => set.cwe[i]), tagsTest: Array.from(split.test, (i) => set.cwe[i]),
    poolRows, poolFeatures: () => features.featurize(Array.from(poolRows, (r) => ws.pool.get(r).body)),
    options: {
      epochs: options.epochs, seed: options.seed, miniBatch: options.miniBatch ?? TRAINING_DEFAULTS.miniBatch, weightDecay: TRAINING_DEFAULTS.weightDecay,
      learningRate: options.learningRate ?? (roberta ? TRAINING_DEFAULTS.robertaLearningRate : TRAINING_DEFAULTS.learningRate), signal: ctx.signal, backend: ctx.backend,
    },
  });
  if (scores) {
    const reviews = scores.rows.map((row, i) => ({ reviewId: ws.pool.idOf(row), probs: scores.probs[i]! }));
    await writer.write(CWE_SCORES_FILE, JSON.stringify({ tags: scores.tags, reviews }) + '\n');
  }
  checkCancelled(ctx.signal);
  lap('cwe');
  return record;
}

interface FineTuned { fingerprint: string; finetune: NonNullable<TrainedModelRecord['finetune']> }

/**
 * RoBERTa with `finetuneLayers` > 0: the head and the top K encoder layers fine-tuned, a shortlist
 * of the pool re-scored with them (the rest keep the head's scores over cached embeddings), and
 * the tuned encoder saved in the model folder.
 */
async function fineTuneAndRescore({ ws, options, ctx, lap }: Run, writer: ModelFolderWriter, fit: HeadFit, { split, data }: LabeledFeatures,
  set: TrainingSet, probs: Float32Array, request: RobertaRequest): Promise<FineTuned> {
  const classes = MODEL_LABELS.length;
  const model = fit.model;
  const epochs = options.finetuneEpochs ?? FINETUNE_DEFAULTS.epochs;
  const finetuneOptimizer = options.finetuneOptimizer ?? FINETUNE_DEFAULTS.optimizer;
  const finetuneWeightDecay = finetuneOptimizer === 'adamw' ? options.finetuneWeightDecay ?? FINETUNE_DEFAULTS.weightDecay : 0;
  const finetuneDropout = options.finetuneDropout ?? FINETUNE_DEFAULTS.dropout;
  const finetuneSchedule = options.finetuneSchedule ?? FINETUNE_DEFAULTS.schedule;
  ctx.progress({ phase: 'training', message: `fine-tuning the head and the top ${options.finetuneLayers} encoder layers` });
  const rows = shortlistRows(probs, classes, MODEL_LABELS.indexOf('yes'), options.finetuneShortlist ?? FINETUNE_DEFAULTS.shortlist);
  const encoderDir = writer.file(TUNED_ENCODER_DIR);
  const ft = await fineTuneRoberta({
    backend: ctx.backend, folder: await resolveRobertaFolder(request), maxTokens: request.maxTokens!, precision: request.precision!,
    layers: options.finetuneLayers!, epochs, learningRate: options.finetuneLearningRate ?? FINETUNE_DEFAULTS.learningRate,
    optimizer: finetuneOptimizer, weightDecay: finetuneWeightDecay, dropout: finetuneDropout, schedule: finetuneSchedule,
    miniBatch: options.miniBatch ?? TRAINING_DEFAULTS.miniBatch, seed: options.seed,
    texts: Array.from(split.train, (i) => ws.pool.get(set.rows[i]!).body), labels: data.yTrain,
    head: model.getState().params, classes, outDir: encoderDir,
    shortlist: rows.map((r) => ws.pool.get(r).body), signal: ctx.signal,
    onEpoch: (epoch, loss, learningRate) => ctx.progress({ phase: 'training', message: 'fine-tuning', epoch, epochs, trainLoss: loss, learningRate }),
  });
  // The shortlist's scores come from the tuned model; the rest stay the head's over cached embeddings.
  const scoresFile = await open(writer.file(MODEL_FILES.scores), 'r+');
  try {
    for (let j = 0; j < rows.length; j++) {
      const p = ft.shortlistProbs.subarray(j * classes, (j + 1) * classes);
      probs.set(p, rows[j]! * classes);
      await scoresFile.write(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), 0, p.byteLength, rows[j]! * classes * 4);
    }
  } finally {
    await scoresFile.close();
  }
  model.setState({ step: 0, params: ft.head, optimizer: [] });
  await writer.write(MODEL_FILES.head, HeadModel.serialize(model.getState(), fit.config));
  await writer.write(MODEL_FILES.inference, model.inferenceModel());
  const tuned = await RobertaRepresentation.create({ path: encoderDir, cacheDir: '' }, { maxTokens: request.maxTokens, precision: request.precision, backend: ctx.backend });
  const fingerprint = tuned.fingerprint();
  await tuned.release();
  // Relative to the model folder: the folder is renamed into place when complete.
  await writer.write(MODEL_FILES.representation, JSON.stringify({ id: 'roberta', model: TUNED_ENCODER_DIR, maxTokens: request.maxTokens, precision: request.precision }) + '\n');
  lap('finetuning');
  return {
    fingerprint,
    finetune: {
      layers: ft.layers, losses: ft.losses, learningRates: ft.learningRates, shortlistRows: rows.length,
      optimizer: finetuneOptimizer, schedule: finetuneSchedule, dropout: finetuneDropout, weightDecay: finetuneWeightDecay,
    },
  };
}

/**
 * The next batch by the mixture: not labeled, not in an open batch, its body not labeled already
 * (with excludeNearDuplicates, its near-duplicate group not labeled already, each group once).
 */
async function proposeNextBatch({ ws, options, ctx, mixture, lap }: Run, probs: Float32Array, memberYes: Float32Array[] | undefined): Promise<ReturnType<typeof selectBatch>> {
  ctx.progress({ phase: 'selecting', message: `selecting ${options.batchSize} reviews (${formatResolvedMixture(mixture, !!memberYes?.length)})` });
  const nearDuplicates = options.excludeNearDuplicates ? await ws.nearDuplicates.groups({ signal: ctx.signal }) : undefined;
  const proposals = selectBatch({
    rowCount: ws.pool.size, probs, classes: MODEL_LABELS, members: memberYes,
    // The id fingerprint from the index: random order by review id without reading every record.
    idOf: (row) => ws.pool.idKeyOf(row),
    ...batchExclusions(ws, { nearDuplicates }),
    // diverse compares its candidates by their text (textFeatures), not by this model's representation.
    ...selectionFeatures(ws, mixture),
    batchMode: {
      ...(options.diversityWeight === undefined ? {} : { diversityWeight: options.diversityWeight }),
      ...(options.diversityCandidates === undefined ? {} : { diversityCandidates: options.diversityCandidates }),
    },
    mixture, size: options.batchSize, seed: options.seed,
  });
  lap('selecting');
  return proposals;
}

/** What the parent records in labels.json (and model.json holds). */
function modelRecord({ ws, options, ctx, durationsMs }: Run, set: TrainingSet, { representation, features, split }: LabeledFeatures, fit: HeadFit, tuned: FineTuned | undefined): TrainedModelRecord {
  return {
    version: options.modelVersion, createdAt: new Date().toISOString(),
    representation: options.representation, representationFingerprint: tuned?.fingerprint ?? representation.fingerprint(),
    epochs: fit.epochs, selectedEpoch: fit.selectedEpoch, ...(fit.refitRows ? { refitRows: fit.refitRows } : {}), headFit: fit.selection, provider: ctx.backend.device, device: ctx.backend.info(),
    classes: [...MODEL_LABELS], trainSize: split.train.length, testSize: split.test.length,
    labelCounts: { ...set.counts }, missingFromPool: set.missingFromPool, scoredRows: ws.pool.size,
    ...(options.representation === 'roberta' ? { embedding: { cached: features.cached, computed: features.computed } } : {}),
    ...(tuned ? { finetune: tuned.finetune } : {}),
    seed: options.seed, options, durationsMs,
  };
}

/** Metrics and the manifest, then the folder renamed into place: only now does the model exist. */
async function completeModelFolder({ options, ctx }: Run, writer: ModelFolderWriter, record: TrainedModelRecord, fit: HeadFit): Promise<void> {
  const manifest: ModelManifest = { format: MODEL_FORMAT, record, classes: [...MODEL_LABELS], scoredRows: record.scoredRows };
  // Announced before the first write, so a trainer killed from here on is reported as saving.
  ctx.progress({ phase: 'saving', message: `saving model ${options.modelVersion}` });
  await writer.write(MODEL_FILES.metrics, JSON.stringify({ epochs: fit.epochs, selectedEpoch: fit.selectedEpoch, ...fit.selection }, null, 1) + '\n');
  await writer.write(MODEL_FILES.model, JSON.stringify(manifest, null, 1) + '\n');
  checkCancelled(ctx.signal);
  writer.commit();
}

/** Checks a request whole (the protocol's common rules, then the trainer's own); returns the parsed mixture. */
function validateOptions(o: TrainOptions): MixturePart[] {
  const bad = (m: string): never => { throw new TrainJobError('bad-request', m); };
  const common = checkTrainRequest(o);
  if (!common.ok) return bad(common.error);
  if (o.hidden && !o.hidden.every((h) => Number.isInteger(h) && h > 0)) bad(`hidden layer widths must be positive integers, got ${JSON.stringify(o.hidden)}`);
  if (o.learningRate !== undefined && !(o.learningRate > 0)) bad(`learning rate must be > 0, got ${o.learningRate}`);
  if (o.representation === 'roberta') {
    if (o.precision !== undefined && !isPrecisionChoice(o.precision)) bad(`roberta precision must be one of ${ROBERTA_PRECISION_CHOICES.join(', ')}, got "${String(o.precision)}"`);
    try { checkRobertaRequest({ maxTokens: o.maxTokens }); } catch (e) { bad((e as Error).message); }
    if (o.finetuneLayers !== undefined && !(Number.isInteger(o.finetuneLayers) && o.finetuneLayers >= 0)) bad(`fine-tuned layers must be a non-negative integer, got ${o.finetuneLayers}`);
    if (o.finetuneEpochs !== undefined && !(Number.isInteger(o.finetuneEpochs) && o.finetuneEpochs >= 1)) bad(`fine-tuning epochs must be a positive integer, got ${o.finetuneEpochs}`);
    if (o.finetuneLearningRate !== undefined && !(o.finetuneLearningRate > 0)) bad(`fine-tuning learning rate must be > 0, got ${o.finetuneLearningRate}`);
    if (o.finetuneOptimizer !== undefined && !(FINETUNE_OPTIMIZERS as readonly string[]).includes(o.finetuneOptimizer)) bad(`fine-tuning optimizer must be one of ${FINETUNE_OPTIMIZERS.join(', ')}, got ${o.finetuneOptimizer}`);
    if (o.finetuneWeightDecay !== undefined && !(o.finetuneWeightDecay >= 0 && o.finetuneWeightDecay <= 1)) bad(`fine-tuning weight decay must be in [0, 1], got ${o.finetuneWeightDecay}`);
    if (o.finetuneWeightDecay && o.finetuneOptimizer === 'adam') bad('fine-tuning weight decay applies to adamw only');
    if (o.finetuneDropout !== undefined && !(o.finetuneDropout >= 0 && o.finetuneDropout < 1)) bad(`fine-tuning dropout must be in [0, 1), got ${o.finetuneDropout}`);
    if (o.finetuneSchedule !== undefined) {
      try { validateSchedule(o.finetuneSchedule); } catch (e) { bad(`fine-tuning ${(e as Error).message}`); }
    }
    if (o.finetuneShortlist !== undefined && !(Number.isInteger(o.finetuneShortlist) && o.finetuneShortlist >= 0)) bad(`shortlist must be a non-negative integer, got ${o.finetuneShortlist}`);
  }
  if (o.scoreChunk !== undefined && !(Number.isInteger(o.scoreChunk) && o.scoreChunk > 0)) bad(`score chunk must be a positive integer, got ${o.scoreChunk}`);
  if (o.featurizeWorkers !== undefined && !(Number.isInteger(o.featurizeWorkers) && o.featurizeWorkers >= 0 && o.featurizeWorkers <= 64)) bad(`featurize workers must be an integer in [0, 64], got ${o.featurizeWorkers}`);
  return common.mixture;
}
