/**
 * Messages between a parent (the extension host or the CLI) and the trainer process, over Node's
 * `child_process.fork` IPC channel. The trainer only reads the workspace (labels and pool) and
 * writes its own model folder; the parent is the single writer of `labels.json` and records the
 * model and the proposed batch from the `result`.
 *
 * Order: trainer -> `ready`; parent -> `train`; trainer -> `progress`* then exactly one of
 * `result` / `error` (both carrying the request id); parent may send `cancel` at any time.
 */

import type { LrSchedule } from '../core/schedule';
import { DEFAULT_ENSEMBLE_SIZE, MAX_ENSEMBLE_SIZE } from '../core/defaults';
import { diversityProblem, formatMixture, needsEnsemble, parseMixture, usesEnsemble, type MixturePart, type Strategy } from '../core/selection';

/** Bump when a message changes shape; the client refuses a trainer that speaks another version. */
export const TRAINER_PROTOCOL_VERSION = 3;

/**
 * Where the trainer runs its graphs (see python-free-train/backend.ts): `auto` prefers CUDA where
 * its provider is installed, then a hardware GPU through DirectML (Windows) or WebGPU, then the CPU.
 */
export const DEVICE_CHOICES = ['auto', 'cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

export type TrainerRepresentation = 'hashing' | 'roberta';

export interface TrainOptions {
  representation: TrainerRepresentation;
  /** Device of the training graphs (default `auto`). */
  device?: DeviceChoice;
  epochs: number;
  seed: number;
  /** Candidate-selection mixture, e.g. `rare:0.45,entropy:0.45,random:0.1` (see `parseMixture`). */
  strategy: string;
  /** Size of the proposed batch. */
  batchSize: number;
  /** Keep near-duplicates of labeled reviews out of the proposed batch (and each near-duplicate group once). */
  excludeNearDuplicates?: boolean;
  /** The diverse strategy: weight of a review's likeness to the batch against p(yes), and candidates per slot (BATCH_MODE_DEFAULTS). */
  diversityWeight?: number;
  diversityCandidates?: number;
  /** Width of the hashing representation (buckets). */
  hashingDim?: number;
  /** Hidden layer widths of the head; [] is a linear (softmax regression) head. */
  hidden?: number[];
  learningRate?: number;
  /** Mini-batch size of gradient steps. */
  miniBatch?: number;
  /** Share of the labeled reviews held out for per-epoch test loss and precision@k. */
  testShare?: number;
  /**
   * After the split picks the epoch, the head that scores the pool is refit on every labeled review
   * for that many epochs; the metrics reported stay the split's. Default: on for a linear head
   * (cross-validation showed a gain), off for a head with hidden layers (it did not).
   */
  refitAll?: boolean;
  /**
   * Heads trained beside the model, each on its own stratified bootstrap resample of the labels,
   * for the ensemble strategies (ensemble, thompson, ucb, and auto with a network head); every pool
   * row is scored by each. 0 for none. Default: DEFAULT_ENSEMBLE_SIZE when the mixture has an
   * ensemble strategy, or `auto` and a head with hidden layers, else 0.
   */
  ensembleSize?: number;
  /** Pool rows scored per chunk (bounds the trainer's memory). */
  scoreChunk?: number;
  /**
   * Worker threads that hash pool texts while the head scores (hashing representation; default:
   * SECREVIEW_FEATURIZE_WORKERS, else one per core, at most 8, each with a 32 MB feature buffer at
   * the default chunk; 0 hashes in the trainer's own thread). Scores are the same either way.
   */
  featurizeWorkers?: number;
  /**
   * RoBERTa encoder: a local Hugging Face folder (wins), else a Hub id (`owner/name[@revision]`,
   * default FacebookAI/roberta-base) downloaded once into `modelCacheDir`. Without `modelPath`
   * the trainer also reads `SECREVIEW_MODEL_PATH`, and without `modelCacheDir` `SECREVIEW_CACHE`
   * (else ~/.cache/secreview/models).
   */
  modelPath?: string;
  modelId?: string;
  modelRevision?: string;
  modelCacheDir?: string;
  /**
   * Encoder precision: `auto` (default: fp32 unless the int8 benchmark shows int8 keeps the
   * ranking; the trainer says which and why), fp32, dynamic int8 (CPU only; about 2x faster on
   * CPUs) or fp16 (GPU only, where the adapter has shader-f16).
   */
  precision?: 'auto' | 'fp32' | 'int8' | 'fp16';
  /** Tokens kept per review, `<s>` and `</s>` included (default 64, as in the paper). */
  maxTokens?: number;
  /**
   * RoBERTa only: after the head is trained over cached embeddings, fine-tune it together with the
   * top K encoder layers (default 0: the head alone), then re-score a shortlist of the pool (the
   * head's top rows for `yes` and its most uncertain ones) with the tuned encoder. The model then
   * carries its own encoder folder.
   */
  finetuneLayers?: number;
  finetuneEpochs?: number;
  finetuneLearningRate?: number;
  /** Fine-tuning optimizer (default `adamw`; the paper used `adam`). */
  finetuneOptimizer?: 'adam' | 'adamw';
  /** AdamW's decoupled weight decay (default 0.01). */
  finetuneWeightDecay?: number;
  /** Dropout in the trained layers and the head during fine-tuning (default 0.1). */
  finetuneDropout?: number;
  /** Learning-rate schedule of fine-tuning (default 6% linear warmup, then linear decay). */
  finetuneSchedule?: LrSchedule;
  /** Pool rows re-scored by the tuned encoder (default 20,000). */
  finetuneShortlist?: number;
  /**
   * Also fit the CWE-tag head (multi-label: one logistic head per tag, on the `yes` labels that
   * carry tags) and rate the likeliest `yes` reviews of the pool with it (`cwe.json`).
   */
  cweHead?: boolean;
  /** Version name of the new model folder (the parent takes it from `LabelDb.nextModelVersion()`). */
  modelVersion: string;
}

/** The CWE-tag head of a model: which tags it learned, from how many reviews, and how well. */
export interface CweHeadRecord {
  /** `yes` labels with CWE tags, the head's examples. */
  taggedReviews: number;
  tags: { id: string; positives: number; negatives: number; testPositives: number; testAuc: number | null; testLoss: number | null }[];
  /** Tags seen with too few examples of either kind to learn. */
  skipped: string[];
  /** Pool rows rated (the highest p(yes)). */
  ratedRows?: number;
  /** Why no tag was learned. */
  reason?: string;
}

/** An ensemble of heads beside the model: how many, how they differ, and what each was fitted on. */
export interface EnsembleRecord {
  members: number;
  /** How members differ, for people, e.g. `stratified bootstrap resamples of the 959 labeled reviews, L2 strength 1`. */
  resampling: string;
  /** Labeled reviews each member's resample is drawn from. */
  fittedRows: number;
}

/** What runs the trainer's graphs: the device, the GPU adapter on a GPU, and why a faster device was not used. */
export interface DeviceInfo {
  /** `cpu`, `webgpu`, `cuda`, `dml` or `coreml`. */
  device: string;
  /** What was asked for (`auto` or a device). */
  requested: string;
  /** One line for people, e.g. `onnxruntime-node (WebGPU: NVIDIA H200, Vulkan)`. */
  detail: string;
  /** The GPU adapter as the operating system names it (WebGPU, DirectML). */
  adapter?: { name: string; vendor: string; kind: string; api: string };
  /** `auto`: why a GPU that is present (or a provider that is installed) was not used. */
  fallback?: string;
}

export type ParentToTrainer =
  | { type: 'train'; requestId: string; workspaceDir: string; options: TrainOptions }
  | { type: 'cancel'; requestId: string };

export type TrainPhase = 'loading' | 'featurizing' | 'training' | 'scoring' | 'selecting' | 'saving';

export interface TrainProgress {
  phase: TrainPhase;
  /** 1-based epoch during `training`. */
  epoch?: number;
  epochs?: number;
  trainLoss?: number;
  testLoss?: number;
  precisionAtK?: number;
  /** Learning rate of the epoch's last step (fine-tuning). */
  learningRate?: number;
  /** Rows done and total in the phase (featurizing, scoring). */
  done?: number;
  total?: number;
  rowsPerSecond?: number;
  etaSeconds?: number;
  message?: string;
}

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  testLoss: number;
  /** Precision at k for `yes` on the test split, k = number of `yes` in the test split (NaN -> null). */
  precisionAtK: number | null;
  k: number;
  /** ROC-AUC of p(yes) on the test split (null when the split lacks one of the classes). */
  rocAuc: number | null;
  /**
   * The regularized linear head records one entry per candidate L2 strength instead of one per
   * epoch: the strength, and the mean ROC-AUC of p(yes) over the inner folds that chose it.
   */
  l2?: number;
  innerRocAuc?: number | null;
}

/** How a head was fitted: see `TrainedModelRecord.headFit`. */
export interface HeadFitRecord {
  fit: 'l2' | 'epochs';
  /** Why the kept weights, for people, e.g. `lowest test loss`. */
  selection: string;
  /** `l2`: the chosen strength and the inner folds that chose it (0: too few labels for folds). */
  l2?: number;
  innerFolds?: number;
  /** `l2`: rows the kept head was fitted on (training and test split together when refitted on all labels). */
  fittedRows?: number;
}

/** What the parent records in `labels.json` (`LabelDb.addModel`). */
export interface TrainedModelRecord {
  version: string;
  createdAt: string;
  representation: TrainerRepresentation;
  representationFingerprint: string;
  /** Per epoch, or per candidate L2 strength for the regularized linear head (see `headFit`). */
  epochs: EpochRecord[];
  /** The record whose weights were kept: the epoch of lowest test loss (first one on ties), or the chosen L2 strength. */
  selectedEpoch: number;
  /** With `refitAll`: the labeled reviews the head that scored the pool was refit on (the metrics are the split's). */
  refitRows?: number;
  /**
   * How the head was fitted and its weights chosen: `epochs` (mini-batch AdamW, lowest test loss; models
   * without this field were all fitted so) or `l2` (the linear head fitted to convergence, its L2
   * strength chosen by inner folds of the training split).
   */
  headFit?: HeadFitRecord;
  /** Execution provider that ran the training graphs, e.g. `cpu`, `webgpu` or `cuda`. */
  provider: string;
  /** The device in full: the GPU adapter and why a faster device was not used (absent in older models). */
  device?: DeviceInfo;
  classes: readonly string[];
  trainSize: number;
  testSize: number;
  /** Labeled reviews per class used for training and testing. */
  labelCounts: Record<string, number>;
  /** Labeled ids that are not in the pool (ignored). */
  missingFromPool: number;
  /** Pool rows scored into `scores.bin`. */
  scoredRows: number;
  /**
   * Cached representations (RoBERTa): texts whose vectors came from the embedding cache, and texts
   * the encoder embedded in this run (then added to the cache).
   */
  embedding?: { cached: number; computed: number };
  /**
   * Fine-tuning (RoBERTa, `finetuneLayers` > 0): layers trained, mean train loss and last learning
   * rate per epoch, rows re-scored, and the optimizer settings that ran.
   */
  finetune?: {
    layers: number; losses: number[]; shortlistRows: number;
    learningRates?: number[]; optimizer?: 'adam' | 'adamw'; schedule?: LrSchedule; dropout?: number; weightDecay?: number;
  };
  /** The CWE-tag head, when asked for (`cweHead`). */
  cwe?: CweHeadRecord;
  /** The ensemble trained beside the model (`ensembleSize`), whose members' p(yes) are in member-scores.bin. */
  ensemble?: EnsembleRecord;
  seed: number;
  options: TrainOptions;
  durationsMs: Record<string, number>;
}

export interface ProposedItem {
  reviewId: string;
  strategy: Strategy;
  score: number;
}

export interface ProposedBatch {
  /** The mixture as `formatMixture` writes it. */
  strategy: string;
  seed: number;
  modelVersion: string;
  items: ProposedItem[];
}

export interface TrainResult {
  model: TrainedModelRecord;
  batch: ProposedBatch;
  /** Folder of the saved model, relative to the workspace folder. */
  modelDir: string;
}

export type TrainerErrorCode = 'cancelled' | 'bad-request' | 'not-enough-labels' | 'representation-unavailable' | 'workspace' | 'internal';

export type TrainerToParent =
  | { type: 'ready'; protocol: number; pid: number }
  /** Sent once a request's device is chosen, before its progress: the device and its adapter. */
  | { type: 'device'; requestId: string; device: DeviceInfo }
  | { type: 'progress'; requestId: string; progress: TrainProgress }
  | { type: 'result'; requestId: string; result: TrainResult }
  | { type: 'error'; requestId: string; code: TrainerErrorCode; message: string; stack?: string };

const PARENT_TYPES = new Set(['train', 'cancel']);
const TRAINER_TYPES = new Set(['ready', 'device', 'progress', 'result', 'error']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Narrows an IPC message from the parent to its type and request id; a `train` request's options are checked by `checkTrainRequest`. */
export function isParentToTrainer(msg: unknown): msg is ParentToTrainer {
  return isObject(msg) && typeof msg.type === 'string' && PARENT_TYPES.has(msg.type) && typeof msg.requestId === 'string'
    && (msg.type !== 'train' || (typeof msg.workspaceDir === 'string' && isObject(msg.options)));
}

/**
 * The rules of a train request's common fields, checked where the request is made (before a
 * trainer is started: a bad setting fails at once) and again where it arrives: the representation,
 * device, epochs, seed, batch size and the strategy mixture, parsed once into its parts. Options
 * only the trainer understands (RoBERTa, fine-tuning) are checked there.
 */
export function checkTrainRequest(o: TrainOptions): { ok: true; mixture: MixturePart[] } | { ok: false; error: string } {
  const bad = (error: string) => ({ ok: false as const, error });
  if (o.representation !== 'hashing' && o.representation !== 'roberta') return bad(`representation must be hashing or roberta, got "${String(o.representation)}"`);
  if (o.device !== undefined && !(DEVICE_CHOICES as readonly string[]).includes(o.device)) return bad(`device must be one of ${DEVICE_CHOICES.join(', ')}, got "${String(o.device)}"`);
  if (!Number.isInteger(o.epochs) || o.epochs < 1 || o.epochs > 1000) return bad(`epochs must be an integer in [1, 1000], got ${o.epochs}`);
  if (!Number.isInteger(o.seed)) return bad(`seed must be an integer, got ${o.seed}`);
  if (!Number.isInteger(o.batchSize) || o.batchSize < 0) return bad(`batch size must be a non-negative integer (0 trains without proposing), got ${o.batchSize}`);
  if (o.cweHead !== undefined && typeof o.cweHead !== 'boolean') return bad(`cweHead must be true or false, got ${JSON.stringify(o.cweHead)}`);
  if (o.refitAll !== undefined && typeof o.refitAll !== 'boolean') return bad(`refitAll must be true or false, got ${String(o.refitAll)}`);
  if (typeof o.strategy !== 'string') return bad(`strategy must be a mixture such as rare:0.45,entropy:0.45,random:0.1, got ${String(o.strategy)}`);
  let mixture: MixturePart[];
  try {
    mixture = parseMixture(o.strategy);
  } catch (e) {
    return bad((e as Error).message);
  }
  if (o.ensembleSize !== undefined && !(Number.isInteger(o.ensembleSize) && o.ensembleSize >= 0 && o.ensembleSize <= MAX_ENSEMBLE_SIZE)) {
    return bad(`ensemble size must be an integer in [0, ${MAX_ENSEMBLE_SIZE}], got ${String(o.ensembleSize)}`);
  }
  const members = ensembleSizeOf(o, mixture);
  // auto ranks by the members when there are any, so one member is as wrong for it as for ensemble.
  if ((needsEnsemble(mixture) && members < 2) || (usesEnsemble(mixture) && members === 1)) {
    return bad(`strategy "${formatMixture(mixture)}" ranks by an ensemble of models and needs at least 2 members; the ensemble size is ${members}`);
  }
  const diversity = diversityProblem({ diversityWeight: o.diversityWeight, diversityCandidates: o.diversityCandidates });
  if (diversity) return bad(diversity);
  return { ok: true, mixture };
}

/**
 * Members to train: the request's ensemble size, else DEFAULT_ENSEMBLE_SIZE when the mixture needs
 * an ensemble, or has `auto` and the head is a network (see `resolveAuto`), else none. A fine-tuned
 * model gets none for `auto`: members are heads over the base encoder's embeddings, not fits of the
 * tuned model that scores the pool, so their mean would rank by another model.
 */
export function ensembleSizeOf(o: Pick<TrainOptions, 'ensembleSize' | 'hidden' | 'representation' | 'finetuneLayers'>, mixture: readonly MixturePart[]): number {
  if (o.ensembleSize !== undefined) return o.ensembleSize;
  const auto = mixture.some((p) => p.strategy === 'auto') && headHasHiddenLayers(o) && !((o.finetuneLayers ?? 0) > 0);
  return needsEnsemble(mixture) || auto ? DEFAULT_ENSEMBLE_SIZE : 0;
}

/** Whether the trainer's head has hidden layers: those asked for, else RoBERTa's (a layer as wide as its embeddings); hashing's is linear. */
export const headHasHiddenLayers = (o: Pick<TrainOptions, 'hidden' | 'representation'>): boolean =>
  o.hidden ? o.hidden.length > 0 : o.representation === 'roberta';

export function isTrainerToParent(msg: unknown): msg is TrainerToParent {
  return isObject(msg) && typeof msg.type === 'string' && TRAINER_TYPES.has(msg.type);
}
