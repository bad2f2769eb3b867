/**
 * RoBERTa's byte-level BPE tokenizer (`tokenizer.json`, run by @huggingface/tokenizers) with the
 * paper's truncation: `<s>` + at most `maxTokens - 2` text tokens + `</s>`. Batches are padded to
 * their longest text only, with `<pad>` and a 0/1 attention mask.
 *
 * Special tokens written in a review (`<s>`, `</s>`, `<pad>`, `<mask>`, `<unk>`) are matched as
 * those tokens, with their `lstrip`/`rstrip` flags from `tokenizer.json`: Hugging Face's default
 * (transformers' `split_special_tokens=False`, tokenizers' `encode_special_tokens=False`), so a
 * model moves between Python and this tool without changing a prediction. Such a token is part of
 * the text (attention mask 1); a `<pad>` among them gets the padding position, as in Hugging Face.
 */
import { readFile } from 'node:fs/promises';
import { Tokenizer } from '@huggingface/tokenizers';

export const DEFAULT_MAX_TOKENS = 64;

export interface EncodedBatch {
  batch: number;
  /** Longest sequence in the batch (with `<s>` and `</s>`); every row is padded to it. */
  seqLen: number;
  /** [batch, seqLen] token ids, `<pad>` after each text. */
  inputIds: BigInt64Array;
  /** [batch, seqLen] 1 for tokens, 0 for padding. */
  attentionMask: BigInt64Array;
  /** Tokens per row, with `<s>` and `</s>`. */
  lengths: Int32Array;
}

export interface SpecialTokenIds { cls: number; sep: number; pad: number }

export class RobertaTokenizerError extends Error {
  constructor(message: string) {
    super(`roberta tokenizer: ${message}`);
    this.name = 'RobertaTokenizerError';
  }
}

export class RobertaTokenizer {
  private constructor(private readonly inner: Tokenizer, readonly special: SpecialTokenIds, readonly maxTokens: number) {
    if (!Number.isInteger(maxTokens) || maxTokens < 3) throw new RobertaTokenizerError(`maxTokens must be an integer >= 3, got ${maxTokens}`);
  }

  /** Reads `tokenizer.json` (and `tokenizer_config.json` when present). */
  static async fromFile(tokenizerJson: string, options: { maxTokens?: number; configJson?: string } = {}): Promise<RobertaTokenizer> {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(tokenizerJson, 'utf8'));
    } catch (e) {
      throw new RobertaTokenizerError(`cannot read ${tokenizerJson}: ${(e as Error).message}`);
    }
    let config: object = {};
    if (options.configJson) {
      try { config = JSON.parse(await readFile(options.configJson, 'utf8')) as object; } catch { /* optional file */ }
    }
    return RobertaTokenizer.fromJson(json, { ...options, config, where: tokenizerJson });
  }

  static fromJson(json: unknown, options: { maxTokens?: number; config?: object; where?: string } = {}): RobertaTokenizer {
    const where = options.where ?? 'tokenizer.json';
    if (!json || typeof json !== 'object') throw new RobertaTokenizerError(`${where}: not a JSON object`);
    let inner: Tokenizer;
    try {
      inner = new Tokenizer(json, options.config ?? {});
    } catch (e) {
      throw new RobertaTokenizerError(`${where}: ${(e as Error).message}`);
    }
    const id = (token: string): number => {
      const v = inner.token_to_id(token);
      if (v === undefined) throw new RobertaTokenizerError(`${where}: the vocabulary has no "${token}" token (is this a RoBERTa tokenizer?)`);
      return v;
    };
    return new RobertaTokenizer(inner, { cls: id('<s>'), sep: id('</s>'), pad: id('<pad>') }, options.maxTokens ?? DEFAULT_MAX_TOKENS);
  }

  /** The same tokenizer with another truncation length. */
  withMaxTokens(maxTokens: number): RobertaTokenizer { return new RobertaTokenizer(this.inner, this.special, maxTokens); }

  /** Ids of one text: `<s>`, the first `maxTokens - 2` BPE tokens, `</s>`. */
  encode(text: string): number[] {
    const keep = this.maxTokens - 2;
    const prefix = prefixForTokens(text, keep);
    let ids = this.textIds(prefix);
    // The cut prefix gave too few tokens (long words without spaces): tokenize the whole text.
    if (ids.length < keep && prefix.length < text.length) ids = this.textIds(text);
    return [this.special.cls, ...ids.slice(0, keep), this.special.sep];
  }

  encodeBatch(texts: readonly string[]): EncodedBatch {
    return this.batchOf(texts.map((t) => this.encode(t)));
  }

  /** A padded batch of already-encoded rows (from `encode`). */
  batchOf(rows: readonly (readonly number[])[]): EncodedBatch {
    const seqLen = rows.reduce((m, r) => Math.max(m, r.length), 0);
    const batch = rows.length;
    const inputIds = new BigInt64Array(batch * seqLen).fill(BigInt(this.special.pad));
    const attentionMask = new BigInt64Array(batch * seqLen);
    const lengths = new Int32Array(batch);
    rows.forEach((r, b) => {
      lengths[b] = r.length;
      for (let i = 0; i < r.length; i++) { inputIds[b * seqLen + i] = BigInt(r[i]!); attentionMask[b * seqLen + i] = 1n; }
    });
    return { batch, seqLen, inputIds, attentionMask, lengths };
  }

  get vocabularySize(): number { return this.inner.get_vocab(true).size; }

  decode(ids: readonly number[]): string { return this.inner.decode([...ids], { skip_special_tokens: true }); }

  private textIds(text: string): number[] {
    return this.inner.encode(text, { add_special_tokens: false }).ids;
  }
}

/**
 * A prefix of `text` that tokenizes to the same first tokens as the whole text, when it has at
 * least `tokens` of them: cut just before a space that follows a non-space character, where
 * GPT-2's pre-tokenizer always starts a new word, so no word is split by the cut. Long review
 * bodies (pasted logs) are thus never tokenized past what the model reads.
 */
export function prefixForTokens(text: string, tokens: number): string {
  const budget = Math.max(256, tokens * 16);
  if (text.length <= budget) return text;
  for (let i = budget; i > 0; i--) {
    if (text[i] === ' ' && !/\s/.test(text[i - 1]!)) return text.slice(0, i);
  }
  return text;
}
