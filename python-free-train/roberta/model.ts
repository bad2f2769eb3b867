/**
 * A RoBERTa model folder in Hugging Face layout: `config.json`, `model.safetensors`,
 * `tokenizer.json` (and optionally `tokenizer_config.json`). Loading checks every file and names
 * the one that is missing or wrong.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fingerprint64 } from '../../src/core/hash';
import { type RobertaConfig, maxSequenceLength, parseRobertaConfig } from './config';
import { readSafetensors } from './safetensors';
import { DEFAULT_MAX_TOKENS, RobertaTokenizer } from './tokenizer';
import { type RobertaWeights, mapRobertaWeights } from './weights';

export const MODEL_FILES = { config: 'config.json', weights: 'model.safetensors', tokenizer: 'tokenizer.json', tokenizerConfig: 'tokenizer_config.json' } as const;
export const REQUIRED_FILES = [MODEL_FILES.config, MODEL_FILES.weights, MODEL_FILES.tokenizer] as const;

export interface RobertaModel {
  dir: string;
  config: RobertaConfig;
  weights: RobertaWeights;
  tokenizer: RobertaTokenizer;
  /** sha256 of `model.safetensors` (hex): what cached embeddings are keyed by. */
  weightsSha256: string;
}

export class RobertaModelError extends Error {
  constructor(message: string) {
    super(`roberta model: ${message}`);
    this.name = 'RobertaModelError';
  }
}

export function missingModelFiles(dir: string): string[] {
  return REQUIRED_FILES.filter((f) => !existsSync(path.join(dir, f)));
}

export async function loadRobertaModel(dir: string, options: { maxTokens?: number } = {}): Promise<RobertaModel> {
  const missing = missingModelFiles(dir);
  if (missing.length) throw new RobertaModelError(`${dir} is not a RoBERTa folder in Hugging Face layout: missing ${missing.join(', ')}`);
  const configPath = path.join(dir, MODEL_FILES.config);
  let configJson: unknown;
  try {
    configJson = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (e) {
    throw new RobertaModelError(`cannot read ${configPath}: ${(e as Error).message}`);
  }
  const config = parseRobertaConfig(configJson, configPath);
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (maxTokens > maxSequenceLength(config)) {
    throw new RobertaModelError(`maxTokens ${maxTokens} exceeds what ${configPath} allows (${maxSequenceLength(config)})`);
  }
  const weightsPath = path.join(dir, MODEL_FILES.weights);
  const weights = mapRobertaWeights(await readSafetensors(weightsPath, { select: isEncoderTensor }), config, weightsPath);
  const tokenizer = await RobertaTokenizer.fromFile(path.join(dir, MODEL_FILES.tokenizer), {
    maxTokens, configJson: path.join(dir, MODEL_FILES.tokenizerConfig),
  });
  return { dir, config, weights, tokenizer, weightsSha256: await sha256File(weightsPath) };
}

/**
 * Tensors the encoder and classification head read. Checkpoints also hold int64 buffers
 * (`embeddings.position_ids`), the pooler and the masked-LM head, which are never decoded.
 */
export function isEncoderTensor(name: string): boolean {
  const n = name.replace(/^roberta\./, '');
  return (n.startsWith('embeddings.') || n.startsWith('encoder.') || n.startsWith('classifier.')) && !n.endsWith('position_ids');
}

/**
 * Version of the encoder's computation. A change that alters the vector of any text bumps it, so
 * cached embeddings and trained models of the old computation are never mixed with new vectors.
 * 1: positions from the attention mask. 2: positions from the ids, as Hugging Face numbers them
 * (differs on texts with a literal `<pad>`), and int8 activations quantized per token.
 */
export const ROBERTA_ENCODER_VERSION = 2;

/**
 * What a RoBERTa representation's vectors depend on (weights, truncation length, precision, the
 * encoder's version): the key of cached embeddings, and what a model records to find out later
 * whether its encoder changed.
 */
export function robertaFingerprint(weightsSha256: string, maxTokens: number, precision: string, version = ROBERTA_ENCODER_VERSION): string {
  // Version 1 did not name itself: its fingerprints stay what they were, so they can be recognized.
  return fingerprint64(`roberta|${weightsSha256}|${maxTokens}|${precision}${version === 1 ? '' : `|v${version}`}`);
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (chunk) => hash.update(chunk)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}
