import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planAssignment } from '../../../src/core/assignment';

const ids = Array.from({ length: 200 }, (_, i) => `r${i}`);

test('double coding: the overlap share is coded by two, the rest by one, loads balanced, every review assigned', () => {
  const coders = planAssignment({ reviewIds: ids, annotators: ['ann', 'ben'], overlap: 0.1, seed: 1 });
  assert.deepEqual(Object.keys(coders), ids, 'every review, in batch order');
  const double = ids.filter((id) => coders[id]!.length === 2);
  assert.equal(double.length, 20);
  assert.ok(double.every((id) => coders[id]!.join() === 'ann,ben'));
  const load = (who: string) => ids.filter((id) => coders[id]!.includes(who)).length;
  assert.equal(load('ann'), 110);
  assert.equal(load('ben'), 110);
});

test('the overlap is a random sample, the same for the same seed and different for another', () => {
  const a = planAssignment({ reviewIds: ids, annotators: ['ann', 'ben'], overlap: 0.25, seed: 9 });
  const b = planAssignment({ reviewIds: ids, annotators: ['ann', 'ben'], overlap: 0.25, seed: 9 });
  const c = planAssignment({ reviewIds: ids, annotators: ['ann', 'ben'], overlap: 0.25, seed: 10 });
  assert.deepEqual(a, b);
  const overlapOf = (x: typeof a) => ids.filter((id) => x[id]!.length === 2);
  assert.notDeepEqual(overlapOf(a), overlapOf(c));
  // Not simply the first items of the batch: spread over it.
  const positions = overlapOf(a).map((id) => Number(id.slice(1)));
  assert.ok(Math.min(...positions) < 40 && Math.max(...positions) > 160, `spread: ${Math.min(...positions)}..${Math.max(...positions)}`);
});

test('three annotators: overlap pairs rotate, so every two of them share about as many reviews', () => {
  const coders = planAssignment({ reviewIds: ids, annotators: ['a', 'b', 'c'], overlap: 0.3, seed: 2 });
  const pairs = new Map<string, number>();
  for (const id of ids) if (coders[id]!.length === 2) pairs.set(coders[id]!.join(), (pairs.get(coders[id]!.join()) ?? 0) + 1);
  assert.deepEqual([...pairs.values()].sort(), [20, 20, 20]);
  const loads = ['a', 'b', 'c'].map((w) => ids.filter((id) => coders[id]!.includes(w)).length);
  assert.ok(Math.max(...loads) - Math.min(...loads) <= 1, `loads ${loads}`);
});

test('bad requests are refused with the reason', () => {
  assert.throws(() => planAssignment({ reviewIds: ids, annotators: [], overlap: 0, seed: 1 }), /at least one annotator/);
  assert.throws(() => planAssignment({ reviewIds: ids, annotators: ['a', ' a '], overlap: 0, seed: 1 }), /"a" is named twice/);
  assert.throws(() => planAssignment({ reviewIds: ids, annotators: ['a', 'b'], overlap: 1.5, seed: 1 }), /between 0 and 1/);
  assert.throws(() => planAssignment({ reviewIds: ids, annotators: ['a'], overlap: 0.1, seed: 1 }), /at least two annotators/);
  assert.throws(() => planAssignment({ reviewIds: ids, annotators: ['a', 'b'], overlap: 0.1, seed: 1.5 }), /whole number/);
});
