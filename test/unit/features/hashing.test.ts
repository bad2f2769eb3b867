import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HashingRepresentation, extractFeatures, DEFAULT_HASHING_CONFIG } from '../../../python-free-train/features/hashing';
import { murmur3 } from '../../../src/core/hash';
import { referenceVector } from '../../helpers/hashingReference';
import { fitRepresentation, loadRepresentation, parseRepresentationId, assertAvailable } from '../../../python-free-train/features/registry';
import { MemoryFeatureCache, featurizeCached } from '../../../python-free-train/features/cache';
import { parseModelId } from '../../../python-free-train/features/roberta';
import os from 'node:os';
import path from 'node:path';

const corpus = [
  'This input is not sanitized: SQL injection is possible here.',
  'Nit: rename this variable.',
  'Please validate the token before use, otherwise an attacker can forge requests.',
  'LGTM, thanks!',
  'Este comentario no está escrito en inglés.',
];

const dot = (v: Float32Array, a: number, b: number, d: number) => {
  let s = 0;
  for (let i = 0; i < d; i++) s += v[a * d + i]! * v[b * d + i]!;
  return s;
};

test('vectors are L2-normalized, deterministic, and similar texts are closer than unrelated ones', async () => {
  const rep = await HashingRepresentation.fit(corpus, { dim: 1024 });
  const texts = ['SQL injection in this query', 'possible sql injection in that query', 'rename this variable please'];
  const v = await rep.featurize(texts);
  assert.equal(v.length, 3 * 1024);
  for (let r = 0; r < 3; r++) assert.ok(Math.abs(dot(v, r, r, 1024) - 1) < 1e-5);
  assert.ok(dot(v, 0, 1, 1024) > dot(v, 0, 2, 1024) + 0.2);
  const again = await (await HashingRepresentation.fit(corpus, { dim: 1024 })).featurize(texts);
  assert.deepEqual(again, v);
});

test('empty text gives a zero vector rather than NaN', async () => {
  const rep = await HashingRepresentation.fit(corpus, { dim: 64 });
  const v = await rep.featurize(['', '   ']);
  assert.ok(v.every((x) => x === 0));
});

test('features: unigrams, bigrams and character n-grams inside word boundaries', () => {
  const f = extractFeatures('XSS risk', { ...DEFAULT_HASHING_CONFIG, charNgramMin: 3, charNgramMax: 5 });
  assert.ok(f.words.has('w xss') && f.words.has('w risk') && f.words.has('b xss risk'));
  assert.ok(f.chars.has(' xs') && f.chars.has('xss ') && f.chars.has(' risk'));
  assert.ok(![...f.chars.keys()].some((k) => k.includes('s r')), 'no character n-gram crosses a word boundary');
  assert.ok(!f.words.has('r m1'));
  assert.equal(extractFeatures('this is insecure', DEFAULT_HASHING_CONFIG).words.get('r m1'), DEFAULT_HASHING_CONFIG.ruleWeight, 'the M1 rule is a feature');
  assert.ok(!extractFeatures('see src/security/Foo.java', DEFAULT_HASHING_CONFIG).words.has('r m1'));
});

test('stored parameters rebuild the same representation (same fingerprint and vectors)', async () => {
  const rep = await fitRepresentation({ id: 'hashing', hashing: { dim: 512 } }, corpus);
  const copy = await loadRepresentation(JSON.parse(JSON.stringify(rep.params())));
  assert.equal(copy.fingerprint(), rep.fingerprint());
  assert.deepEqual(await copy.featurize(corpus), await rep.featurize(corpus));
  const other = await fitRepresentation({ id: 'hashing', hashing: { dim: 512 } }, corpus.slice(0, 2));
  assert.notEqual(other.fingerprint(), rep.fingerprint(), 'idf fitted on other text changes the fingerprint');
});

test('roberta is available; a missing model folder names the setting and the flag', async () => {
  assert.equal(parseRepresentationId(' RoBERTa '), 'roberta');
  assert.throws(() => parseRepresentationId('bert'), /use one of: hashing, roberta/);
  assert.doesNotThrow(() => assertAvailable('roberta'));
  await assert.rejects(fitRepresentation({ id: 'roberta', roberta: { modelPath: path.join(os.tmpdir(), 'secreview-no-such-model') } }, corpus),
    /secreview\.model\.path.*--model/);
  assert.deepEqual(parseModelId('FacebookAI/roberta-base@v1'), { repo: 'FacebookAI/roberta-base', revision: 'v1' });
  assert.deepEqual(parseModelId('owner/name', 'abc'), { repo: 'owner/name', revision: 'abc' });
  assert.deepEqual(parseModelId('owner/name'), { repo: 'owner/name', revision: 'main' });
});

test('feature cache computes each distinct text once and returns the same vectors', async () => {
  const rep = await HashingRepresentation.fit(corpus, { dim: 256 });
  let computed = 0;
  const counting = { ...rep, id: rep.id, dim: rep.dim, fingerprint: () => rep.fingerprint(), params: () => rep.params(),
    featurize: async (t: readonly string[]) => { computed += t.length; return rep.featurize(t); } };
  const cache = new MemoryFeatureCache(rep.fingerprint(), rep.dim);
  const texts = [corpus[0]!, corpus[1]!, corpus[0]!];
  const first = await featurizeCached(counting, cache, texts);
  const second = await featurizeCached(counting, cache, texts);
  assert.equal(computed, 2);
  assert.deepEqual(first, await rep.featurize(texts));
  assert.deepEqual(second, first);
  await assert.rejects(featurizeCached(counting, new MemoryFeatureCache('other', 256), texts), /not/);
});

test('vectors are exactly the signed, tf-idf weighted, normalized hashes of the named features', async () => {
  const texts = ['Possible XSS: the `name` parameter is not escaped; this is insecure, insecure. 日本語のコメント', 'nit nit nit'];
  const rep = await HashingRepresentation.fit(corpus.concat(texts), { dim: 512 });
  const { idf, config } = { idf: Buffer.from(rep.params().idfBase64, 'base64'), config: rep.config };
  const idfAt = (b: number) => idf.readFloatLE(b * 4);
  const got = await rep.featurize(texts);
  texts.forEach((text, r) => {
    const named = extractFeatures(text, config);
    const want = new Float64Array(config.dim);
    for (const [m, weight] of [[named.words, config.wordWeight], [named.chars, 1]] as const) {
      for (const [f, count] of m) {
        const h = murmur3(f, config.hashSeed);
        want[h % config.dim] += (h >>> 31 ? -1 : 1) * weight * (1 + Math.log(count)) * idfAt(h % config.dim);
      }
    }
    const norm = Math.sqrt(want.reduce((a, v) => a + v * v, 0));
    for (let i = 0; i < config.dim; i++) assert.ok(Math.abs(got[r * config.dim + i]! - want[i]! / norm) < 1e-5, `text ${r}, bucket ${i}`);
  });
});

test('vectors are bit for bit those of the straightforward implementation, also when written into a reused buffer', async () => {
  const texts = [
    ...corpus,
    'Possible XSS: the `name` parameter is not escaped; this is insecure, insecure. 日本語のコメント',
    'emoji 🔐 and surrogate pairs 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 in a word, and a very long token ' + 'a1b2c3d4'.repeat(10),
    'nit nit nit nit', '', 'x', 'Security of the SecurityManager in src/security/Foo.java: security!',
    // Words longer than the hasher's initial spelling buffer, first in the text and later.
    'f'.repeat(300) + ' is a long hex run', 'a token then ' + 'b64'.repeat(200) + ' and ' + 'z'.repeat(700),
  ];
  for (const config of [{}, { dim: 1000, charNgramMin: 3, charNgramMax: 5, wordWeight: 0.5 }, { dim: 257, wordNgrams: [2], charNgramMin: 2, charNgramMax: 1 }, { dim: 300, wordNgrams: [1] }]) {
    const rep = await HashingRepresentation.fit(corpus.concat(texts), config);
    const got = await rep.featurize(texts);
    const dirty = new Float32Array((texts.length + 3) * rep.dim).fill(7);
    const reused = await rep.featurize(texts, dirty);
    for (const [r, text] of texts.entries()) {
      const want = referenceVector(text, rep);
      assert.deepEqual(got.subarray(r * rep.dim, (r + 1) * rep.dim), want, `text ${r} with ${JSON.stringify(config)}`);
      assert.deepEqual(reused.subarray(r * rep.dim, (r + 1) * rep.dim), want, `text ${r} into a reused buffer`);
      // A fresh representation (as in a new worker thread) gives the same vector.
      assert.deepEqual(await HashingRepresentation.fromParams(rep.params()).featurize([text]), want, `text ${r} featurized first`);
    }
  }
});
