import { test } from 'node:test';
import assert from 'node:assert/strict';
import { entropyAt, parseMixture, quotas, selectBatch, formatMixture, type SelectionInput } from '../../../src/core/selection';
import { MODEL_LABELS } from '../../../src/core/labels';
import { mulberry32 } from '../../../src/core/hash';

/** Rows given as [yes, no, unclear, language] probabilities. */
function input(rows: number[][], over: Partial<SelectionInput> = {}): SelectionInput {
  return {
    rowCount: rows.length,
    probs: new Float32Array(rows.flat()),
    classes: MODEL_LABELS,
    idOf: (r) => `id${r}`,
    isExcluded: () => false,
    mixture: [{ strategy: 'rare', share: 1 }],
    size: 2,
    seed: 1,
    ...over,
  };
}

const P = [
  [0.1, 0.8, 0.05, 0.05], // 0
  [0.7, 0.2, 0.05, 0.05], // 1
  [0.25, 0.25, 0.25, 0.25], // 2: max entropy
  [0.01, 0.97, 0.01, 0.01], // 3: most "no"
  [0.5, 0.3, 0.1, 0.1], // 4
];

test('rare-label picks the highest p(yes), with scores', () => {
  const picks = selectBatch(input(P, { size: 2 }));
  assert.deepEqual(picks.map((p) => p.row), [1, 4]);
  assert.deepEqual(picks.map((p) => p.strategy), ['rare', 'rare']);
  assert.ok(Math.abs(picks[0]!.score - 0.7) < 1e-6);
});

test('majority-label picks the highest p(no); entropy the most uncertain', () => {
  assert.deepEqual(selectBatch(input(P, { mixture: [{ strategy: 'majority', share: 1 }], size: 1 })).map((p) => p.row), [3]);
  const e = selectBatch(input(P, { mixture: [{ strategy: 'entropy', share: 1 }], size: 2 }));
  assert.equal(e[0]!.row, 2);
  assert.ok(Math.abs(e[0]!.score - Math.log(4)) < 1e-6);
  assert.ok(Math.abs(entropyAt(new Float32Array(P.flat()), 2, 4) - Math.log(4)) < 1e-6);
});

test('ties are broken by the lower row, deterministically', () => {
  const rows = [[0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0], [0.5, 0.5, 0, 0]];
  assert.deepEqual(selectBatch(input(rows, { size: 2 })).map((p) => p.row), [0, 1]);
});

test('excluded rows and labeled or repeated bodies are never picked', () => {
  const bodies = ['a', 'b', 'b', 'c', 'd'];
  const picks = selectBatch(input(P, {
    size: 5,
    isExcluded: (r) => r === 4,
    bodyKeyOf: (r) => bodies[r]!,
    excludedBodies: new Set(['c']),
  }));
  const rows = picks.map((p) => p.row).sort();
  // row 4 excluded, row 3 has a labeled body, rows 1 and 2 share a body: only one of them.
  assert.deepEqual(rows, [0, 1]);
});

test('quotas sum to the batch size and follow the shares', () => {
  const mix = parseMixture('rare:0.45,entropy:0.45,random:0.1');
  for (const size of [0, 1, 7, 10, 200, 333]) {
    const q = quotas(mix, size);
    assert.equal(q.reduce((a, b) => a + b, 0), size, `size ${size}`);
  }
  assert.deepEqual(quotas(mix, 200), [90, 90, 20]);
  assert.deepEqual(quotas(parseMixture('rare,random'), 3), [2, 1]);
});

test('a mixture fills each quota, without overlap, and labels picks with their strategy', () => {
  const rng = mulberry32(7);
  const rows = Array.from({ length: 500 }, () => { const y = rng() * 0.5; return [y, 1 - y - 0.02, 0.01, 0.01]; });
  const picks = selectBatch(input(rows, { mixture: parseMixture('rare:45%,entropy:45%,random:10%'), size: 40, seed: 3 }));
  assert.equal(picks.length, 40);
  assert.equal(new Set(picks.map((p) => p.row)).size, 40);
  const count = (s: string) => picks.filter((p) => p.strategy === s).length;
  assert.deepEqual([count('rare'), count('entropy'), count('random')], [18, 18, 4]);
});

test('random selection is seeded: same seed same batch, other seed other batch', () => {
  const rows = Array.from({ length: 1000 }, () => [0.25, 0.25, 0.25, 0.25]);
  const mix = [{ strategy: 'random' as const, share: 1 }];
  const a = selectBatch(input(rows, { mixture: mix, size: 20, seed: 11 })).map((p) => p.row);
  const b = selectBatch(input(rows, { mixture: mix, size: 20, seed: 11 })).map((p) => p.row);
  const c = selectBatch(input(rows, { mixture: mix, size: 20, seed: 12 })).map((p) => p.row);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  // Random works without model probabilities.
  assert.equal(selectBatch({ rowCount: 10, idOf: (r) => String(r), isExcluded: () => false, mixture: mix, size: 3, seed: 1 }).length, 3);
});

test('an exhausted strategy passes its quota on; a small pool gives a short batch', () => {
  const picks = selectBatch(input(P, { mixture: parseMixture('rare:0.5,entropy:0.5'), size: 4, isExcluded: (r) => r > 2 }));
  assert.equal(picks.length, 3);
  assert.equal(new Set(picks.map((p) => p.row)).size, 3);
});

test('model strategies without probabilities say what to do', () => {
  assert.throws(() => selectBatch({ rowCount: 3, idOf: String, isExcluded: () => false, mixture: [{ strategy: 'rare', share: 1 }], size: 1, seed: 1 }), /needs model probabilities/);
});

test('mixture parsing and formatting', () => {
  assert.deepEqual(parseMixture('rare'), [{ strategy: 'rare', share: 1 }]);
  assert.deepEqual(parseMixture('rare-label=3, random=1').map((p) => p.share), [0.75, 0.25]);
  assert.throws(() => parseMixture('best:1'), /unknown strategy/);
  assert.throws(() => parseMixture('rare,rare'), /twice/);
  assert.throws(() => parseMixture('rare:0'), /sum to zero/);
  assert.equal(formatMixture(parseMixture('rare:0.9,random:0.1')), 'rare:90%,random:10%');
});
