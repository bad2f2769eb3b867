/**
 * The `hashing` representation: word unigrams and bigrams, character n-grams inside word
 * boundaries (4-grams by default, any range configurable) and the bootstrap rule M1's verdict,
 * hashed with murmur3 into `dim` signed buckets, weighted by sublinear tf and idf, and
 * L2-normalized. Needs no download and no vocabulary; deterministic for a given config and idf.
 *
 * Signed hashing (the sign comes from the hash's top bit) makes colliding features cancel on
 * average instead of piling up. The idf is fitted once per model on a sample of the pool and
 * stored with the model, so the pool and later inputs are scored with the same weights. The n-grams
 * and their hashes are the core's (`FeatureHasher` in src/core/textFeatures.ts).
 */
import { matchesM1 } from '../../src/core/bootstrap';
import { DEFAULT_HASHING_DIM } from '../../src/core/defaults';
import { fingerprint64 } from '../../src/core/hash';
import { FeatureHasher, HashList, MAX_WORD_CHARS, WORD } from '../../src/core/textFeatures';
import type { FitOptions, HashingConfig, HashingParams, Representation } from './representation';

export const DEFAULT_HASHING_CONFIG: HashingConfig = {
  dim: DEFAULT_HASHING_DIM,
  wordNgrams: [1, 2],
  // 4-grams alone beat 3-5 in 5-fold cross-validation on the paper's labels (bench/crossval.ts).
  charNgramMin: 4,
  charNgramMax: 4,
  wordWeight: 1,
  maxChars: 4000,
  hashSeed: 0x5ec4e71,
  ruleWeight: 5,
};

export function validateHashingConfig(config: HashingConfig): HashingConfig {
  const fail = (what: string) => { throw new Error(`hashing representation: ${what}`); };
  if (!Number.isInteger(config.dim) || config.dim < 2 || config.dim > 1 << 22) fail(`dim must be an integer in [2, ${1 << 22}], got ${config.dim}`);
  if (!config.wordNgrams.every((n) => n === 1 || n === 2)) fail(`wordNgrams must contain 1 and/or 2, got ${JSON.stringify(config.wordNgrams)}`);
  if (!(Number.isInteger(config.charNgramMin) && Number.isInteger(config.charNgramMax) && config.charNgramMin >= 1 && config.charNgramMax >= config.charNgramMin - 1)) {
    fail(`character n-gram range must be integers with min >= 1 and max >= min (or max = min - 1 for none), got ${config.charNgramMin}-${config.charNgramMax}`);
  }
  if (!(config.wordWeight >= 0)) fail(`wordWeight must be >= 0, got ${config.wordWeight}`);
  if (!(Number.isInteger(config.maxChars) && config.maxChars > 0)) fail(`maxChars must be a positive integer, got ${config.maxChars}`);
  return config;
}

/** The (feature, count) pairs of one text, keyed by a namespaced feature string (for inspection and tests). */
export function extractFeatures(text: string, config: HashingConfig): { words: Map<string, number>; chars: Map<string, number> } {
  const words = new Map<string, number>();
  const chars = new Map<string, number>();
  const add = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  const tokens = text.slice(0, config.maxChars).toLowerCase().match(WORD) ?? [];
  const unigrams = config.wordNgrams.includes(1);
  const bigrams = config.wordNgrams.includes(2);
  // The bootstrap rule's verdict as one more word feature: it encodes which `secur` mentions are
  // prose rather than paths or identifiers, which n-grams alone cannot tell.
  if (config.ruleWeight > 0 && matchesM1(text)) words.set('r m1', config.ruleWeight);
  for (let i = 0; i < tokens.length; i++) {
    const w = tokens[i]!;
    if (unigrams) add(words, 'w ' + w);
    if (bigrams && i + 1 < tokens.length) add(words, 'b ' + w + ' ' + tokens[i + 1]!);
    const padded = ' ' + (w.length > MAX_WORD_CHARS ? w.slice(0, MAX_WORD_CHARS) : w + ' ');
    for (let n = config.charNgramMin; n <= config.charNgramMax; n++) {
      for (let s = 0; s + n <= padded.length; s++) add(chars, padded.slice(s, s + n));
    }
  }
  return { words, chars };
}

/**
 * Fits idf weights over texts (smoothed as in scikit-learn: ln((1 + N) / (1 + df)) + 1, with df
 * counted per bucket).
 */
export async function fitIdf(texts: Iterable<string> | AsyncIterable<string>, config: HashingConfig, options: FitOptions = {}): Promise<{ idf: Float32Array; fittedOn: number }> {
  validateHashingConfig(config);
  const df = new Float64Array(config.dim);
  const seen = new Uint32Array(config.dim);
  const hasher = new FeatureHasher(config);
  let n = 0;
  const count = (h: number) => {
    const b = h % config.dim;
    if (seen[b] !== n) { seen[b] = n; df[b]!++; }
  };
  for await (const text of texts) {
    n++;
    const rule = hasher.ruleHash(text);
    if (rule !== undefined) count(rule);
    const { words, chars } = hasher.collect(text);
    for (const list of [words, chars]) for (let i = 0; i < list.length; i++) count(list[i]!);
    if (n % 2000 === 0) {
      options.onProgress?.(n);
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('cancelled');
      // Let IPC messages (cancel) through during long fits.
      await new Promise<void>((r) => setImmediate(r));
    }
  }
  const idf = new Float32Array(config.dim);
  for (let b = 0; b < config.dim; b++) idf[b] = Math.log((1 + n) / (1 + df[b]!)) + 1;
  return { idf, fittedOn: n };
}

export class HashingRepresentation implements Representation {
  readonly id = 'hashing' as const;
  readonly dim: number;
  private readonly fp: string;
  private readonly hasher: FeatureHasher;
  /** Per bucket, the stamp of the last text that touched it. */
  private readonly seen: Uint32Array;
  private stamp = 0;
  private readonly touched = new HashList();

  constructor(readonly config: HashingConfig, private readonly idf: Float32Array, private readonly fittedOn: number) {
    validateHashingConfig(config);
    if (idf.length !== config.dim) throw new Error(`hashing representation: idf has ${idf.length} weights, expected ${config.dim}`);
    this.dim = config.dim;
    this.hasher = new FeatureHasher(config);
    this.seen = new Uint32Array(config.dim);
    this.fp = fingerprint64(JSON.stringify(config) + '\u0000' + Buffer.from(idf.buffer, idf.byteOffset, idf.byteLength).toString('base64'));
  }

  /** Fits the idf on `texts` (for example a sample of the pool). */
  static async fit(texts: Iterable<string> | AsyncIterable<string>, config: Partial<HashingConfig> = {}, options: FitOptions = {}): Promise<HashingRepresentation> {
    const full = validateHashingConfig({ ...DEFAULT_HASHING_CONFIG, ...config });
    const { idf, fittedOn } = await fitIdf(texts, full, options);
    return new HashingRepresentation(full, idf, fittedOn);
  }

  static fromParams(params: HashingParams): HashingRepresentation {
    const bytes = Buffer.from(params.idfBase64, 'base64');
    const idf = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(idf.buffer).set(bytes);
    return new HashingRepresentation(validateHashingConfig({ ...DEFAULT_HASHING_CONFIG, ...params.config }), idf, params.fittedOn);
  }

  params(): HashingParams {
    return {
      id: 'hashing', config: { ...this.config }, fittedOn: this.fittedOn,
      idfBase64: Buffer.from(this.idf.buffer, this.idf.byteOffset, this.idf.byteLength).toString('base64'),
    };
  }

  fingerprint(): string {
    return this.fp;
  }

  /** Writes the vector of `text` into `out` at `offset` (which must hold zeros). */
  featurizeInto(text: string, out: Float32Array, offset: number): void {
    const { idf, dim } = this;
    const { wordWeight } = this.config;
    // Buckets this text touches, so the norm and the scaling visit a few hundred entries, not all
    // `dim`; summed in ascending order, the norm is exactly the dense loop's (zeros add nothing).
    const stamp = this.nextStamp();
    const seen = this.seen;
    const addFeature = (h: number, count: number, weight: number) => {
      // Bucket from the hash modulo dim, sign from its top bit; sublinear tf times idf.
      const b = h % dim;
      if (seen[b] !== stamp) {
        seen[b] = stamp;
        this.touched.push(b);
      }
      out[offset + b]! += (h >>> 31 ? -weight : weight) * (count === 1 ? 1 : 1 + Math.log(count)) * idf[b]!;
    };
    this.touched.length = 0;
    const rule = this.hasher.ruleHash(text);
    if (rule !== undefined && wordWeight > 0) addFeature(rule, this.config.ruleWeight, wordWeight);
    const { words, chars } = this.hasher.collect(text);
    for (const [list, weight] of [[words, wordWeight], [chars, 1]] as const) {
      if (weight === 0) continue;
      for (let i = 0; i < list.length; ) {
        let j = i + 1;
        while (j < list.length && list[j] === list[i]) j++;
        addFeature(list[i]!, j - i, weight);
        i = j;
      }
    }
    const buckets = this.touched.sorted();
    let norm = 0;
    for (let k = 0; k < buckets.length; k++) norm += out[offset + buckets[k]!]! * out[offset + buckets[k]!]!;
    if (norm > 0) {
      const inv = 1 / Math.sqrt(norm);
      for (let k = 0; k < buckets.length; k++) out[offset + buckets[k]!]! *= inv;
    }
  }

  /** A fresh mark for `seen` (cleared when the counter would wrap). */
  private nextStamp(): number {
    if (this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }

  async featurize(texts: readonly string[], into?: Float32Array): Promise<Float32Array> {
    const size = texts.length * this.dim;
    return into && into.length >= size ? this.featurizeRows(texts, into) : this.featurizeRows(texts, new Float32Array(size));
  }

  /** Writes the vectors of `texts` at the start of `into` (any previous contents are cleared); returns that view. */
  featurizeRows(texts: readonly string[], into: Float32Array): Float32Array {
    const size = texts.length * this.dim;
    if (into.length < size) throw new Error(`hashing representation: ${texts.length} vectors of ${this.dim} need ${size} floats, the buffer holds ${into.length}`);
    const out = into.subarray(0, size).fill(0);
    for (let i = 0; i < texts.length; i++) this.featurizeInto(texts[i]!, out, i * this.dim);
    return out;
  }
}
