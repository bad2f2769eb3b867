import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandCounts, stratifiedBootstrap, stratifiedFolds, stratifiedSplit } from '../../../python-free-train/trainer/split';
import { balancedWeights, targetMetrics } from '../../../python-free-train/trainer/fit';
import { isParentToTrainer, isTrainerToParent } from '../../../src/protocol/trainer';

const labels = Int32Array.from([...Array(20).fill(0), ...Array(70).fill(1), ...Array(9).fill(2), 3]);

test('stratified split keeps each class\'s share in the test split, is seeded, and covers every item once', () => {
  const s = stratifiedSplit(labels, 0.3, 5);
  assert.equal(s.train.length + s.test.length, labels.length);
  assert.equal(new Set([...s.train, ...s.test]).size, labels.length);
  const inTest = (c: number) => Array.from(s.test).filter((i) => labels[i] === c).length;
  assert.deepEqual([inTest(0), inTest(1), inTest(2), inTest(3)], [6, 21, 3, 0], 'a class with one member stays in training');
  assert.deepEqual(stratifiedSplit(labels, 0.3, 5), s);
  assert.notDeepEqual(stratifiedSplit(labels, 0.3, 6).test, s.test);
  assert.throws(() => stratifiedSplit(labels, 1, 1), /test share/);
});

test('stratified bootstrap: each class drawn with replacement as often as it has members, seeded', () => {
  const counts = stratifiedBootstrap(labels, 7);
  for (const c of [0, 1, 2, 3]) {
    const drawn = Array.from(labels).reduce((n, l, i) => n + (l === c ? counts[i]! : 0), 0);
    assert.equal(drawn, Array.from(labels).filter((l) => l === c).length, `class ${c} keeps its count`);
  }
  assert.ok(counts.some((k) => k === 0) && counts.some((k) => k > 1), 'some rows are left out and some drawn twice or more');
  assert.deepEqual(stratifiedBootstrap(labels, 7), counts);
  assert.notDeepEqual(stratifiedBootstrap(labels, 8), counts);
  assert.deepEqual(Array.from(expandCounts(Int32Array.of(0, 2, 1, 0, 3))), [1, 1, 2, 4, 4, 4]);
});

test('stratified folds deal every class evenly over the folds', () => {
  const fold = stratifiedFolds(labels, 5, 3);
  for (let f = 0; f < 5; f++) {
    const yes = Array.from(labels).filter((c, i) => c === 0 && fold[i] === f).length;
    assert.equal(yes, 4);
  }
});

test('balanced class weights favour rare classes within bounds; target metrics use k = positives', () => {
  const w = balancedWeights(Int32Array.from([0, 1, 1, 1, 1, 1, 1, 1]), 4);
  assert.ok(w[0]! > w[1]!);
  assert.equal(w[2], 1, 'an absent class keeps weight 1');
  const probs = Float32Array.from([0.9, 0.1, 0, 0, 0.2, 0.8, 0, 0, 0.6, 0.4, 0, 0]);
  const m = targetMetrics(probs, Int32Array.from([0, 1, 1]), 4, 0);
  assert.deepEqual(m, { precisionAtK: 1, k: 1, rocAuc: 1 });
  assert.deepEqual(targetMetrics(probs, Int32Array.from([1, 1, 1]), 4, 0), { precisionAtK: null, k: 0, rocAuc: null });
});

test('protocol guards accept the message unions and reject others', () => {
  assert.ok(isParentToTrainer({ type: 'cancel', requestId: 'r1' }));
  assert.ok(!isParentToTrainer({ type: 'cancel' }));
  assert.ok(!isParentToTrainer({ type: 'launch', requestId: 'r1' }));
  assert.ok(isTrainerToParent({ type: 'progress', requestId: 'r', progress: { phase: 'training' } }));
  assert.ok(!isTrainerToParent(['ready']));
});
