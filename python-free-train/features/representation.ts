/**
 * Text representations: turn review bodies into fixed-width float vectors for the classifier head.
 * Every representation has an id, a width, a fingerprint (what the vectors depend on: changes
 * whenever a cached vector would no longer match) and JSON parameters stored with each model, so
 * a saved model scores new text exactly as it scored the pool.
 */

export const REPRESENTATION_IDS = ['hashing', 'roberta'] as const;
export type RepresentationId = (typeof REPRESENTATION_IDS)[number];

export function isRepresentationId(value: unknown): value is RepresentationId {
  return typeof value === 'string' && (REPRESENTATION_IDS as readonly string[]).includes(value);
}

export interface Representation {
  readonly id: RepresentationId;
  /** Width of one vector. */
  readonly dim: number;
  /**
   * Vectors of `texts`, row-major: `texts.length * dim` floats. With `into` (at least that long),
   * a representation may write them there and return a view of it, so a caller that streams a
   * million rows reuses one buffer instead of faulting in fresh memory for every chunk.
   */
  featurize(texts: readonly string[], into?: Float32Array): Promise<Float32Array>;
  /** A short hex string that changes whenever the vectors of some text would change. */
  fingerprint(): string;
  /** Everything needed to rebuild this representation later (see `loadRepresentation`). */
  params(): RepresentationParams;
  /** Frees native sessions (encoders); absent when there is nothing to free. */
  release?(): Promise<void>;
}

/** Stored with each model as `representation.json`. */
export type RepresentationParams = HashingParams | RobertaParams;

export interface HashingParams {
  id: 'hashing';
  config: HashingConfig;
  /** Number of texts the idf weights were fitted on. */
  fittedOn: number;
  /** Inverse document frequency per bucket, Float32 little-endian, base64. */
  idfBase64: string;
}

export interface RobertaParams {
  id: 'roberta';
  /** Folder or hub name of the encoder weights (`repo@revision` for a Hub model). */
  model: string;
  maxTokens: number;
  /** Encoder precision (absent in models saved before it was recorded: fp32). */
  precision?: 'fp32' | 'int8' | 'fp16';
}

export interface HashingConfig {
  /** Number of hash buckets (vector width). */
  dim: number;
  /** Word n-gram orders used (1 = unigrams, 2 = bigrams). */
  wordNgrams: number[];
  /** Smallest and largest character n-gram taken inside each word (padded with a space each side). */
  charNgramMin: number;
  charNgramMax: number;
  /** Weight of the word-n-gram block relative to the character-n-gram block. */
  wordWeight: number;
  /** Only the first `maxChars` characters of a text are read (long pasted logs add little). */
  maxChars: number;
  /** Seed of the murmur3 feature hash. */
  hashSeed: number;
  /** Weight of the feature "the bootstrap rule M1 matches" (0 = no such feature). */
  ruleWeight: number;
}

/** A representation that learns parameters from unlabeled text (e.g. idf weights) before use. */
export interface FitOptions {
  /** Called every few thousand texts while fitting. */
  onProgress?: (textsSeen: number) => void;
  signal?: AbortSignal;
}

export class RepresentationUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RepresentationUnavailableError';
  }
}
