import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TEXT_FEATURE_DIM, TextFeaturizer, dot, textFeatures } from '../../../src/core/textFeatures';

const norm = (v: Float32Array) => Math.sqrt(dot(v, v));

const sqlLogin = 'Please validate the user input before passing it to the SQL query, otherwise this is an injection risk for the login handler.';
const sqlSignup = 'Please validate the user input before passing it to the SQL query, otherwise this is an injection risk for the signup handler.';
const unrelated = [
  'Nit: rename this variable to something more descriptive and fix the indentation of the loop below.',
  'Could we add a changelog entry for this release? The version bump looks fine otherwise.',
  'This test is flaky on Windows because the temp directory is not cleaned up between runs.',
  'Why not use a HashMap here instead of iterating over the list every time?',
];

test('text features: the same text gives the same unit vector, from a fresh or a reused featurizer', () => {
  const shared = new TextFeaturizer();
  const first = shared.vector(sqlLogin);
  shared.vector(unrelated[0]!);
  assert.equal(first.length, TEXT_FEATURE_DIM);
  assert.deepEqual(shared.vector(sqlLogin), first, 'a reused featurizer keeps nothing of the text before');
  assert.deepEqual(textFeatures(sqlLogin), first);
  assert.ok(Math.abs(norm(first) - 1) < 1e-6, `unit norm, got ${norm(first)}`);
  for (const t of unrelated) assert.ok(Math.abs(norm(textFeatures(t)) - 1) < 1e-6);
  assert.deepEqual(textFeatures('Possible SQL injection here'), textFeatures('possible  sql INJECTION here!'), 'case, spacing and punctuation do not count');
});

test('text features: near-copies have cosine near 1, unrelated reviews a low one', () => {
  const near = dot(textFeatures(sqlLogin), textFeatures(sqlSignup));
  assert.ok(near > 0.9, `near-copies: cosine ${near}`);
  for (const t of unrelated) {
    const c = dot(textFeatures(sqlLogin), textFeatures(t));
    assert.ok(Math.abs(c) < 0.3, `unrelated "${t}": cosine ${c}`);
    assert.ok(c < near - 0.5);
  }
  // Sublinear tf: a word said ten times does not outweigh the rest of the review tenfold.
  const repeated = dot(textFeatures(sqlLogin), textFeatures(sqlLogin + ' injection'.repeat(10)));
  assert.ok(repeated > 0.8, `a repeated word: cosine ${repeated}`);
});

test('text features: the recipe is stable across runs (signed buckets, blocks of equal weight)', () => {
  // 4 unigrams + 3 bigrams (word block) and 7 + 2 + 8 + 3 character 4-grams of the padded words: each
  // block has unit length, so a word n-gram weighs 1/sqrt(7), a character one 1/sqrt(20), and the sum
  // is scaled by 1/sqrt(2).
  const v = textFeatures('Possible SQL injection here');
  const nonzero = [...v.keys()].filter((i) => v[i] !== 0);
  assert.equal(nonzero.length, 27);
  const magnitudes = new Set(nonzero.map((i) => Math.abs(v[i]!).toFixed(6)));
  assert.deepEqual([...magnitudes].sort(), [(1 / Math.sqrt(40)).toFixed(6), (1 / Math.sqrt(14)).toFixed(6)].sort());
  // The buckets and signs are those of murmur3 with the module's seed: a change of hash, seed or
  // n-grams shows here (batches proposed by `diverse` depend on them).
  assert.deepEqual(nonzero.slice(0, 4).map((i) => [i, Math.sign(v[i]!)]), [[5, -1], [39, -1], [78, 1], [81, 1]]);
});

test('text features: a text without letters or digits is the zero vector; a bad width is refused', () => {
  assert.ok(textFeatures('').every((x) => x === 0));
  assert.ok(textFeatures(' ?! -- ').every((x) => x === 0));
  assert.throws(() => new TextFeaturizer(1), /text features: dim must be an integer in \[2, \d+\], got 1/);
  assert.equal(new TextFeaturizer(64).vector(sqlLogin).length, 64);
});
