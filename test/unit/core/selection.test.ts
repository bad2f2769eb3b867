import { test } from 'node:test';
import assert from 'node:assert/strict';
import { determinantalOrder, entropyAt, fillSlots, optimisticScore, parseMixture, quotas, resolveAuto, selectBatch, formatMixture, formatResolvedMixture, type SelectionInput } from '../../../src/core/selection';
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

/** Four classes per row from p(yes) alone (the rest to no). */
const rowsOf = (pYes: number[]) => pYes.map((p) => [p, 1 - p, 0, 0]);

test('diverse: with weight 0 it is rare-label; with a weight it skips near-copies of rows already in the batch', () => {
  // Rows 0-2 are near-identical (same direction), row 3 points elsewhere with a little less p(yes).
  const pYes = [0.9, 0.89, 0.88, 0.8, 0.1];
  const features = [[1, 0], [1, 0.01], [1, 0.02], [0, 1], [0.7, 0.7]];
  const base = input(rowsOf(pYes), { mixture: [{ strategy: 'diverse', share: 1 }], size: 2, featuresOf: (r) => features[r]! });
  assert.deepEqual(selectBatch({ ...base, batchMode: { diversityWeight: 0 } }).map((p) => p.row), [0, 1]);
  const picks = selectBatch({ ...base, batchMode: { diversityWeight: 0.5 } });
  assert.deepEqual(picks.map((p) => p.row), [0, 3]);
  assert.deepEqual(picks.map((p) => p.strategy), ['diverse', 'diverse']);
  assert.ok(Math.abs(picks[1]!.score - 0.8) < 1e-6, 'the score recorded is p(yes)');
  assert.throws(() => selectBatch({ ...base, featuresOf: undefined }), /diverse" needs a feature vector/);
  assert.throws(() => selectBatch({ ...base, batchMode: { diversityWeight: -1 } }), /diversity weight must be a number from 0 \(rare-label order\) to 100, got -1/);
  assert.throws(() => selectBatch({ ...base, batchMode: { diversityWeight: Number.NaN } }), /diversity weight .* got NaN/);
  assert.throws(() => selectBatch({ ...base, batchMode: { diversityCandidates: 2.5 } }), /diversity candidates \(per batch slot\) must be a whole number from 1 to 100, got 2.5/);
  // One candidate per slot is rare-label whatever the weight: only the top rows are considered.
  assert.deepEqual(selectBatch({ ...base, batchMode: { diversityWeight: 0.5, diversityCandidates: 1 } }).map((p) => p.row), [0, 1]);
});

test('determinantal order: relevance first, then the candidate least like those taken; zero vectors count as alike', () => {
  const f = [[1, 0], [1, 0], [0, 1], [0, 0], [0, 0]];
  assert.deepEqual(determinantalOrder([3, 2.9, 2, 1.5, 1.4], f, 5, 0.5).slice(0, 3), [0, 2, 3]);
  assert.deepEqual(determinantalOrder([3, 2.9, 2, 1.5, 1.4], f, 5, 0), [0, 1, 2, 3, 4]);
  assert.equal(new Set(determinantalOrder([3, 2.9, 2, 1.5, 1.4], f, 5, 2)).size, 5, 'every candidate is taken once');
  assert.throws(() => determinantalOrder([1, 2], [[1]], 2, 1), /2 relevances but 1 feature/);
});

test('ensemble ranks by mean p(yes) over members; ucb adds their spread; both need members', () => {
  const members = [[0.6, 0.5, 0.9, 0.1], [0.6, 0.7, 0.1, 0.1]].map((m) => Float32Array.from(m));
  const base = input(rowsOf([0, 0, 0, 0]), { members, size: 1 });
  // means 0.6, 0.6, 0.5, 0.1; spreads 0, 0.1, 0.4, 0
  assert.deepEqual(selectBatch({ ...base, mixture: [{ strategy: 'ensemble', share: 1 }], size: 2 }).map((p) => p.row), [0, 1]);
  const ucb = selectBatch({ ...base, mixture: [{ strategy: 'ucb', share: 1 }], batchMode: { ucbBeta: 1 } });
  assert.equal(ucb[0]!.row, 2);
  assert.ok(Math.abs(ucb[0]!.score - 0.9) < 1e-6);
  assert.throws(() => selectBatch({ ...base, members: undefined, mixture: [{ strategy: 'ucb', share: 1 }] }), /needs an ensemble of models/);
});

test('auto ranks by the ensemble\'s mean when the model has members, else by the model\'s p(yes), and records which', () => {
  const members = [[0.6, 0.5, 0.9, 0.1], [0.6, 0.7, 0.1, 0.1]].map((m) => Float32Array.from(m));
  // The model's own p(yes) ranks rows 3, 2 first; the members' means rank rows 0, 1 first.
  const base = input(rowsOf([0.1, 0.2, 0.8, 0.9]), { mixture: parseMixture('auto'), size: 2 });
  const plain = selectBatch(base);
  assert.deepEqual(plain.map((p) => [p.row, p.strategy]), [[3, 'rare'], [2, 'rare']]);
  const withMembers = selectBatch({ ...base, members });
  assert.deepEqual(withMembers.map((p) => [p.row, p.strategy]), [[0, 'ensemble'], [1, 'ensemble']]);
  // Shares follow auto into the strategy it stands for, merged with that strategy's own share.
  assert.deepEqual(resolveAuto(parseMixture('auto:0.6,rare:0.3,random:0.1'), false).map((p) => [p.strategy, +p.share.toFixed(3)]), [['rare', 0.9], ['random', 0.1]]);
  assert.deepEqual(resolveAuto(parseMixture('auto:0.6,rare:0.3,random:0.1'), true).map((p) => [p.strategy, +p.share.toFixed(3)]), [['ensemble', 0.6], ['rare', 0.3], ['random', 0.1]]);
  assert.equal(formatResolvedMixture(parseMixture('auto'), false), 'rare (auto)');
  assert.equal(formatResolvedMixture(parseMixture('auto:0.9,random:0.1'), true), 'ensemble:90%,random:10% (auto)');
  assert.equal(formatResolvedMixture(parseMixture('rare'), true), 'rare', 'a mixture without auto is recorded as it is');
});

test('thompson fills each slot from one member\'s best row not yet taken, without repeats', () => {
  const members = [[0.9, 0.8, 0.1, 0.1, 0.05], [0.9, 0.1, 0.8, 0.7, 0.05]].map((m) => Float32Array.from(m));
  const picks = selectBatch(input(rowsOf([0, 0, 0, 0, 0]), { members, mixture: [{ strategy: 'thompson', share: 1 }], size: 4, seed: 5 }));
  assert.equal(picks.length, 4);
  assert.equal(new Set(picks.map((p) => p.row)).size, 4);
  // Row 4 is last for both members: four slots never reach it.
  assert.deepEqual(picks.map((p) => p.row).sort(), [0, 1, 2, 3]);
  assert.ok(picks.every((p) => p.strategy === 'thompson'));
});

test('fillSlots hands a slot on when its member has nothing new, and stops when every list is used up', () => {
  const slots = fillSlots([[1, 2], [1, 3, 4]], 10, () => 0);
  assert.deepEqual(slots.map((s) => s.row), [1, 2, 3, 4]);
  assert.deepEqual(slots.map((s) => s.member), [0, 0, 1, 1]);
});

test('optimistic score: mean plus beta standard deviations', () => {
  assert.equal(optimisticScore([0.2, 0.4], 0), 0.30000000000000004);
  assert.ok(Math.abs(optimisticScore([0.2, 0.4], 2) - 0.5) < 1e-12);
});

