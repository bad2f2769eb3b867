/**
 * Feature caches: vectors of texts under one representation fingerprint, so expensive encoders
 * (RoBERTa) embed each pool text once. A cache never mixes fingerprints: opening it for another
 * fingerprint gives another cache. Keys are 64-bit fingerprints of the text (`fingerprint64`).
 */
import { fingerprint64 } from '../../src/core/hash';
import type { Representation } from './representation';

export interface FeatureCache {
  /** The representation fingerprint every vector in this cache was computed with. */
  readonly fingerprint: string;
  readonly dim: number;
  /** Vectors for the keys that are cached (others are absent from the map). */
  getMany(keys: readonly string[]): Promise<Map<string, Float32Array>>;
  /** Adds vectors; a durable cache may buffer them until `flush`. */
  putMany(entries: readonly { key: string; vector: Float32Array }[]): Promise<void>;
  flush(): Promise<void>;
}

/** The cache key of a text. */
export function textKey(text: string): string {
  return fingerprint64(text);
}

/** An in-memory cache, for tests and for short-lived processes. */
export class MemoryFeatureCache implements FeatureCache {
  private readonly vectors = new Map<string, Float32Array>();
  constructor(readonly fingerprint: string, readonly dim: number) {}
  get size(): number { return this.vectors.size; }
  async getMany(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    for (const k of keys) {
      const v = this.vectors.get(k);
      if (v) out.set(k, v);
    }
    return out;
  }
  async putMany(entries: readonly { key: string; vector: Float32Array }[]): Promise<void> {
    for (const e of entries) {
      if (e.vector.length !== this.dim) throw new Error(`feature cache: vector of width ${e.vector.length}, expected ${this.dim}`);
      this.vectors.set(e.key, e.vector.slice());
    }
  }
  async flush(): Promise<void> {}
}

/**
 * Featurizes through a cache: texts already cached are read, the others computed once (duplicates
 * in `texts` included) and stored.
 */
export async function featurizeCached(representation: Representation, cache: FeatureCache, texts: readonly string[]): Promise<Float32Array> {
  if (cache.fingerprint !== representation.fingerprint()) {
    throw new Error(`feature cache holds vectors of representation ${cache.fingerprint}, not ${representation.fingerprint()}`);
  }
  const dim = representation.dim;
  const keys = texts.map(textKey);
  const hits = await cache.getMany(keys);
  const missingKeys: string[] = [];
  const missingTexts: string[] = [];
  const pending = new Set<string>();
  keys.forEach((k, i) => {
    if (!hits.has(k) && !pending.has(k)) { pending.add(k); missingKeys.push(k); missingTexts.push(texts[i]!); }
  });
  const computed = missingTexts.length ? await representation.featurize(missingTexts) : new Float32Array(0);
  const fresh = new Map<string, Float32Array>();
  missingKeys.forEach((k, j) => fresh.set(k, computed.subarray(j * dim, (j + 1) * dim)));
  if (missingKeys.length) await cache.putMany(missingKeys.map((key) => ({ key, vector: fresh.get(key)! })));
  const out = new Float32Array(texts.length * dim);
  keys.forEach((k, i) => out.set(hits.get(k) ?? fresh.get(k)!, i * dim));
  return out;
}
