/**
 * Deterministic string hashing (no I/O, no crypto module, so it also runs in webviews).
 * MurmurHash3 (x86, 32-bit) over UTF-16 code units, and a 64-bit key made of two seeds.
 */
export function murmur3(text: string, seed = 0): number {
  let h = seed >>> 0;
  const n = text.length;
  let i = 0;
  // Two UTF-16 code units per 32-bit block.
  for (; i + 1 < n; i += 2) h = mixH(h, mixK((text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)) >>> 0));
  if (i < n) h ^= mixK(text.charCodeAt(i));
  return finalMix(h, n);
}

/**
 * `murmur3` of the string whose UTF-16 code units are `codes[start, start + length)`: the same
 * value, without building the string (feature hashing takes hundreds of n-grams per text).
 */
export function murmur3Codes(codes: Uint16Array, start: number, length: number, seed = 0): number {
  let h = seed >>> 0;
  const end = start + length;
  let i = start;
  for (; i + 1 < end; i += 2) h = mixH(h, mixK((codes[i]! | (codes[i + 1]! << 16)) >>> 0));
  if (i < end) h ^= mixK(codes[i]!);
  return finalMix(h, length);
}

function mixK(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mixH(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) >>> 0;
}

function finalMix(h: number, n: number): number {
  return fmix32(h ^ n);
}

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform number in [0, 1) derived from a key and a seed: the same inputs always give the same value. */
export function hashUniform(key: string, seed: number): number {
  return murmur3(key, seed) / 4294967296;
}

/**
 * A 64-bit fingerprint as a 16-digit hex string, for exact-duplicate detection over millions of
 * rows (32 bits would collide about a hundred times in a million bodies).
 */
export function fingerprint64(text: string): string {
  const [a, b] = fingerprintWords(text);
  return a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');
}

/**
 * The two 32-bit halves of `fingerprint64`, for compact binary storage: `murmur3(text, 0x9747b28c)`
 * and `murmur3(text, 0x5bd1e995)` computed in one pass (the block mixing does not depend on the seed).
 */
export function fingerprintWords(text: string): [number, number] {
  let h1 = 0x9747b28c, h2 = 0x5bd1e995;
  const n = text.length;
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const k = mixK((text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)) >>> 0);
    h1 = mixH(h1, k);
    h2 = mixH(h2, k);
  }
  if (i < n) {
    const k = mixK(text.charCodeAt(i));
    h1 ^= k;
    h2 ^= k;
  }
  return [finalMix(h1, n), finalMix(h2, n)];
}

/** A small seeded PRNG (mulberry32) for reproducible shuffles and splits. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
