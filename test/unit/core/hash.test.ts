import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fingerprint64, fingerprintWords, hashUniform, mulberry32, murmur3, murmur3Codes } from '../../../src/core/hash';

test('murmur3 is deterministic and seed-dependent', () => {
  assert.equal(murmur3('review', 1), murmur3('review', 1));
  assert.notEqual(murmur3('review', 1), murmur3('review', 2));
  assert.notEqual(murmur3('ab'), murmur3('ba'));
  assert.equal(murmur3(''), murmur3('', 0));
});

test('hashUniform spreads over [0, 1)', () => {
  let sum = 0;
  for (let i = 0; i < 10000; i++) {
    const u = hashUniform(`id${i}`, 42);
    assert.ok(u >= 0 && u < 1);
    sum += u;
  }
  assert.ok(Math.abs(sum / 10000 - 0.5) < 0.02);
});

test('fingerprints separate near-identical bodies', () => {
  assert.match(fingerprint64('x'), /^[0-9a-f]{16}$/);
  assert.equal(fingerprint64('same body'), fingerprint64('same body'));
  assert.notEqual(fingerprint64('same body'), fingerprint64('same body '));
  const seen = new Set<string>();
  for (let i = 0; i < 50000; i++) seen.add(fingerprint64(`body number ${i}`));
  assert.equal(seen.size, 50000);
});

test('the one-pass fingerprint equals murmur3 under both seeds', () => {
  for (const t of ['', 'a', 'ab', 'abc', 'a longer body with émoji 🚀 and odd length!', 'x'.repeat(1001)]) {
    assert.deepEqual(fingerprintWords(t), [murmur3(t, 0x9747b28c), murmur3(t, 0x5bd1e995)]);
  }
});

test('mulberry32 is reproducible', () => {
  const a = mulberry32(5), b = mulberry32(5);
  for (let i = 0; i < 10; i++) assert.equal(a(), b());
});

test('murmur3Codes over a window of code units equals murmur3 of that substring', () => {
  const text = ' naïve 𝔘𝔫𝔦 security, odd and even lengths ';
  const units = new Uint16Array(text.length);
  for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
  for (const seed of [0, 0x5ec4e71]) {
    for (let start = 0; start < text.length; start += 3) {
      for (let length = 0; start + length <= text.length; length++) {
        assert.equal(murmur3Codes(units, start, length, seed), murmur3(text.slice(start, start + length), seed), `[${start}, ${start + length}) seed ${seed}`);
      }
    }
  }
});
