/**
 * The `roberta` representation slot: RoBERTa `<s>` embeddings from a Hugging Face folder (a local
 * folder, or a Hub model downloaded once into a cache folder), run as an ONNX graph. A model stores
 * where its encoder came from (`model`: the folder, or `repo@revision`), its truncation length and
 * precision, so it can be rebuilt for `predict` and sharded scoring; the fingerprint check there
 * catches a folder whose weights changed since.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Backend } from '../backend';
import { DEFAULT_HUB_MODEL, MODEL_FLAG, MODEL_PATH_SETTING, type DownloadProgress, type ModelSource, parseModelId, resolveModelFolder } from '../roberta/hub';
import { PRECISIONS, PRECISION_CHOICES, resolvePrecision, type Precision, type PrecisionChoice } from '../roberta/precision';
import type { TrainOptions } from '../../src/protocol/trainer';
import { RobertaRepresentation } from '../roberta/representation';
import type { Representation, RobertaParams } from './representation';

export { parseModelId } from '../roberta/hub';

export const ROBERTA_PRECISIONS = PRECISIONS;
export type RobertaPrecision = Precision;
/** What a user may ask for: `auto` (the default) picks a precision from the int8 benchmark's figures. */
export const ROBERTA_PRECISION_CHOICES = PRECISION_CHOICES;
export type RobertaPrecisionChoice = PrecisionChoice;
/** The paper truncates review comments to 64 tokens. */
export const ROBERTA_DEFAULT_MAX_TOKENS = 64;

export function robertaAvailability(): { ok: true } | { ok: false; reason: string } {
  return { ok: true };
}

/** Where the encoder comes from, and how it runs. */
export interface RobertaRequest {
  /** Local folder in Hugging Face layout (setting `secreview.model.path`, flag `--model`); wins over `modelId`. */
  modelPath?: string;
  /** Hub id, `owner/name` or `owner/name@revision` (default FacebookAI/roberta-base). */
  modelId?: string;
  modelRevision?: string;
  /** Folder holding Hub downloads (see `defaultModelCacheDir`). */
  cacheDir?: string;
  precision?: RobertaPrecision;
  /** Why `precision`, when `auto` chose it: for the person who asked. */
  precisionReason?: string;
  maxTokens?: number;
}

export interface RobertaRuntime {
  backend?: Backend;
  batchSize?: number;
  /** Texts embedded so far in the current `featurize` call. */
  onProgress?: (done: number, total: number) => void;
  onDownload?: (p: DownloadProgress) => void;
  /** Hub base URL (tests). */
  hubUrl?: string;
}

/** `$SECREVIEW_CACHE` or `~/.cache/secreview/models` (the CLI's and the trainer's default). */
export function defaultModelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SECREVIEW_CACHE ? path.resolve(env.SECREVIEW_CACHE) : path.join(os.homedir(), '.cache', 'secreview', 'models');
}

function sourceOf(r: RobertaRequest, runtime: RobertaRuntime): ModelSource {
  const cacheDir = r.cacheDir ?? defaultModelCacheDir();
  const common = { cacheDir, onProgress: runtime.onDownload, ...(runtime.hubUrl ? { baseUrl: runtime.hubUrl } : {}) };
  if (r.modelPath) return { ...common, path: path.resolve(r.modelPath) };
  const { repo, revision } = parseModelId(r.modelId ?? DEFAULT_HUB_MODEL, r.modelRevision);
  return { ...common, repo, revision };
}

/** The local folder of the encoder (downloading it into the cache when it is a Hub model). */
export function resolveRobertaFolder(r: RobertaRequest, runtime: RobertaRuntime = {}): Promise<string> {
  return resolveModelFolder(sourceOf(r, runtime));
}

export function checkRobertaRequest(r: RobertaRequest): void {
  if (r.precision !== undefined && !(ROBERTA_PRECISIONS as readonly string[]).includes(r.precision)) {
    throw new Error(`roberta precision must be one of ${ROBERTA_PRECISIONS.join(', ')}, got "${String(r.precision)}"`);
  }
  if (r.maxTokens !== undefined && !(Number.isInteger(r.maxTokens) && r.maxTokens >= 3 && r.maxTokens <= 512)) {
    throw new Error(`roberta max tokens must be an integer in [3, 512], got ${r.maxTokens}`);
  }
}

/** A RoBERTa representation whose stored parameters record its precision. */
export class RobertaFeatures implements Representation {
  readonly id = 'roberta' as const;
  constructor(readonly encoder: RobertaRepresentation, private readonly precision: RobertaPrecision) {}
  get dim(): number { return this.encoder.dim; }
  featurize(texts: readonly string[]): Promise<Float32Array> { return this.encoder.featurize(texts); }
  fingerprint(): string { return this.encoder.fingerprint(); }
  params(): RobertaParams { return { ...this.encoder.params(), precision: this.precision }; }
  release(): Promise<void> { return this.encoder.release(); }
}

/** Builds the encoder for a new model (no fitting: RoBERTa learns nothing from unlabeled text). */
export async function createRoberta(r: RobertaRequest, runtime: RobertaRuntime = {}): Promise<RobertaFeatures> {
  checkRobertaRequest(r);
  const precision = r.precision ?? 'fp32';
  const encoder = await RobertaRepresentation.create(sourceOf(r, runtime), {
    maxTokens: r.maxTokens ?? ROBERTA_DEFAULT_MAX_TOKENS, precision,
    backend: runtime.backend, batchSize: runtime.batchSize, onProgress: runtime.onProgress,
  });
  return new RobertaFeatures(encoder, precision);
}

/**
 * Rebuilds the encoder a model was trained with. `override` (a folder: `--model`,
 * `secreview.model.path`) replaces the stored location, e.g. when the model was trained elsewhere.
 */
export async function loadRoberta(params: RobertaParams, override: RobertaRequest = {}, runtime: RobertaRuntime = {}): Promise<RobertaFeatures> {
  const stored: RobertaRequest = existsSync(params.model) || path.isAbsolute(params.model) || params.model.startsWith('.')
    ? { modelPath: params.model } : { modelId: params.model };
  if (!override.modelPath && stored.modelPath && !existsSync(stored.modelPath)) {
    throw new Error(`the model's RoBERTa folder ${stored.modelPath} is gone: give the folder with the setting ${MODEL_PATH_SETTING} or the CLI flag ${MODEL_FLAG} <folder>`);
  }
  return createRoberta({
    ...stored, cacheDir: override.cacheDir,
    ...(override.modelPath ? { modelPath: override.modelPath, modelId: undefined } : {}),
    precision: params.precision ?? 'fp32', maxTokens: params.maxTokens,
  }, runtime);
}

/**
 * The RoBERTa request of a training run (options first, then the environment the parent set), its
 * precision resolved (`auto` by default: see `roberta/precision.ts`).
 */
export function robertaRequestOf(options: Pick<TrainOptions, 'modelPath' | 'modelId' | 'modelRevision' | 'modelCacheDir' | 'precision' | 'maxTokens'>,
  env: NodeJS.ProcessEnv = process.env, device = 'cpu'): RobertaRequest {
  const choice = options.precision ?? 'auto';
  const { precision, reason } = resolvePrecision(choice, undefined, device);
  return {
    modelPath: options.modelPath ?? (env.SECREVIEW_MODEL_PATH || undefined),
    modelId: options.modelId, modelRevision: options.modelRevision,
    cacheDir: options.modelCacheDir ?? defaultModelCacheDir(env),
    precision, ...(choice === 'auto' ? { precisionReason: reason } : {}), maxTokens: options.maxTokens ?? ROBERTA_DEFAULT_MAX_TOKENS,
  };
}
