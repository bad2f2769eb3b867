/** The hashing representation's vectors computed the plain way, for tests of the fast implementation. */
import { murmur3 } from '../../src/core/hash';
import { extractFeatures, type HashingRepresentation } from '../../python-free-train/features/hashing';

/**
 * The hashing representation as first written (strings sliced and hashed one by one, the norm over
 * every bucket): saved models depend on its exact vectors, so faster code must reproduce them bit
 * for bit.
 */
export function referenceVector(text: string, rep: HashingRepresentation): Float32Array {
  const config = rep.config;
  const idf = new Float32Array(new Uint8Array(Buffer.from(rep.params().idfBase64, 'base64')).buffer);
  const out = new Float32Array(config.dim);
  const add = (h: number, count: number, weight: number) => {
    const b = h % config.dim;
    out[b]! += (h >>> 31 ? -weight : weight) * (1 + Math.log(count)) * idf[b]!;
  };
  const named = extractFeatures(text, config);
  const rule = named.words.get('r m1');
  if (rule !== undefined && config.wordWeight > 0) add(murmur3('r m1', config.hashSeed), rule, config.wordWeight);
  for (const [features, weight] of [[named.words, config.wordWeight], [named.chars, 1]] as const) {
    if (weight === 0) continue;
    const hashes = [...features].filter(([f]) => f !== 'r m1').map(([f, count]) => [murmur3(f, config.hashSeed), count] as const);
    // Equal hashes are one feature; features are added in ascending hash order.
    const counts = new Map<number, number>();
    for (const [h, count] of hashes) counts.set(h, (counts.get(h) ?? 0) + count);
    for (const h of [...counts.keys()].sort((a, b) => a - b)) add(h, counts.get(h)!, weight);
  }
  let norm = 0;
  for (let i = 0; i < config.dim; i++) norm += out[i]! * out[i]!;
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < config.dim; i++) out[i]! *= inv;
  }
  return out;
}
