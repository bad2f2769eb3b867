/**
 * The representation registry: which representations exist, whether each can run here, how to fit
 * a fresh one for a training run and how to rebuild a stored one from a model folder.
 */
import { HashingRepresentation } from './hashing';
import { type RobertaRequest, type RobertaRuntime, createRoberta, loadRoberta, robertaAvailability } from './roberta';
import {
  REPRESENTATION_IDS, RepresentationUnavailableError, isRepresentationId,
  type FitOptions, type HashingConfig, type Representation, type RepresentationId, type RepresentationParams,
} from './representation';

export interface RepresentationInfo {
  id: RepresentationId;
  title: string;
  description: string;
  available(): { ok: true } | { ok: false; reason: string };
}

export const REPRESENTATIONS: Record<RepresentationId, RepresentationInfo> = {
  hashing: {
    id: 'hashing', title: 'Hashed n-grams',
    description: 'word unigrams and bigrams, character 4-grams and the M1 rule, hashed into 16,384 signed buckets with tf-idf weights; offline, fast',
    available: () => ({ ok: true }),
  },
  roberta: {
    id: 'roberta', title: 'RoBERTa',
    description: 'RoBERTa encoder embeddings (max 64 tokens), cached per pool row',
    available: robertaAvailability,
  },
};

/** Parses a representation name, with an error that lists the valid ones. */
export function parseRepresentationId(value: string): RepresentationId {
  const v = value.trim().toLowerCase();
  if (isRepresentationId(v)) return v;
  throw new Error(`unknown representation "${value}"; use one of: ${REPRESENTATION_IDS.join(', ')}`);
}

/** Throws a `RepresentationUnavailableError` when the representation cannot run here. */
export function assertAvailable(id: RepresentationId): void {
  const a = REPRESENTATIONS[id].available();
  if (!a.ok) throw new RepresentationUnavailableError(a.reason);
}

export interface FitRequest {
  id: RepresentationId;
  /** Options of the hashing representation (width and so on). */
  hashing?: Partial<HashingConfig>;
  /** Where the RoBERTa encoder comes from and how it runs. */
  roberta?: RobertaRequest;
  robertaRuntime?: RobertaRuntime;
}

/** Builds a representation for a new model, fitting what it learns from unlabeled text. */
export async function fitRepresentation(request: FitRequest, texts: Iterable<string> | AsyncIterable<string>, options: FitOptions = {}): Promise<Representation> {
  switch (request.id) {
    case 'hashing': return HashingRepresentation.fit(texts, request.hashing ?? {}, options);
    case 'roberta': return createRoberta(request.roberta ?? {}, request.robertaRuntime);
  }
}

export interface LoadOptions {
  /** RoBERTa: a folder replacing the stored location, and the Hub cache. */
  roberta?: RobertaRequest;
  robertaRuntime?: RobertaRuntime;
}

/** Rebuilds the representation a model was trained with from its stored parameters. */
export async function loadRepresentation(params: RepresentationParams, options: LoadOptions = {}): Promise<Representation> {
  switch (params.id) {
    case 'hashing': return HashingRepresentation.fromParams(params);
    case 'roberta': return loadRoberta(params, options.roberta, options.robertaRuntime);
  }
}

export type { Representation, RepresentationId, RepresentationParams } from './representation';
