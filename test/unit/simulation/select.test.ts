import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArm } from '../../../src/simulation/config';
import { Rng } from '../../../src/simulation/random';
import { selectRows, strategyScore, topRows } from '../../../src/simulation/select';

// Logit differences yes - no: p(yes) = sigmoid(d).
const d = Float32Array.of(-3, 2.5, -0.1, 0.2, -6, 1.0, -1.5, 4);

test('rare-label picks the highest p(yes), majority-label the highest p(no), entropy the most uncertain', () => {
  const none = new Uint8Array(d.length);
  assert.deepEqual(topRows('rare', 3, none, d), [7, 1, 5]);
  assert.deepEqual(topRows('majority', 3, none, d), [4, 0, 6]);
  // Two-class entropy is largest where p is nearest 1/2, i.e. |d| smallest.
  assert.deepEqual(topRows('entropy', 3, none, d), [2, 3, 5]);
});

test('strategy scores follow the definitions: p(yes), p(no), and -sum p log p', () => {
  const sig = (z: number) => 1 / (1 + Math.exp(-z));
  const entropy = (z: number) => { const p = sig(z); return -(p * Math.log(p) + (1 - p) * Math.log(1 - p)); };
  for (const [a, b] of [[-3, 0.5], [1, -0.2], [2, 3]] as const) {
    assert.equal(strategyScore('rare', a) > strategyScore('rare', b), sig(a) > sig(b));
    assert.equal(strategyScore('majority', a) > strategyScore('majority', b), 1 - sig(a) > 1 - sig(b));
    assert.equal(strategyScore('entropy', a) > strategyScore('entropy', b), entropy(a) > entropy(b));
  }
});

test('already labeled rows are never picked', () => {
  const taken = new Uint8Array(d.length);
  taken[7] = 1;
  taken[2] = 1;
  assert.deepEqual(topRows('rare', 2, taken, d), [1, 5]);
  assert.deepEqual(topRows('entropy', 2, taken, d), [3, 5]);
});

test('random picks distinct unlabeled rows, uniformly', () => {
  const rows = 50;
  const counts = new Array(rows).fill(0);
  const rng = new Rng(1);
  for (let rep = 0; rep < 2000; rep++) {
    const taken = new Uint8Array(rows);
    taken[0] = 1;
    const picked = selectRows(parseArm('random'), 10, taken, undefined, rng);
    assert.equal(new Set(picked).size, 10);
    for (const r of picked) counts[r]++;
  }
  assert.equal(counts[0], 0);
  // Each free row is expected 2000 * 10 / 49 = 408 times.
  for (let r = 1; r < rows; r++) assert.ok(counts[r] > 320 && counts[r] < 500, `row ${r}: ${counts[r]}`);
});

test('a mixture splits the batch by quota and marks every picked row as taken', () => {
  const n = 1000;
  const scores = Float32Array.from({ length: n }, (_, i) => i / 100 - 5);
  const taken = new Uint8Array(n);
  const picked = selectRows(parseArm('rare:0.9+random:0.1'), 20, taken, scores, new Rng(2));
  assert.equal(picked.length, 20);
  assert.deepEqual(Array.from(picked.slice(0, 18)), Array.from({ length: 18 }, (_, i) => n - 1 - i));
  assert.equal(new Set(picked).size, 20);
  assert.equal(taken.reduce((a, b) => a + b, 0), 20);
});

test('batch-mode arms: ensemble mean, ucb, thompson slots and diverse hidden features', () => {
  const none = () => new Uint8Array(d.length);
  // Two members: the first is d, the second agrees except on rows 2 and 7.
  const other = Float32Array.from(d, (v, i) => (i === 2 ? 3 : i === 7 ? -4 : v));
  const members = [d, other];
  assert.deepEqual(Array.from(selectRows([{ strategy: 'ensemble', share: 1 }], 2, none(), d, new Rng(1), { members })), [1, 5]);
  // UCB: row 7 (p 0.98 and 0.02: mean 0.5, spread 0.48) beats row 1 (0.92 from both); without the bonus it does not.
  assert.equal(selectRows([{ strategy: 'ucb', share: 1 }], 1, none(), d, new Rng(1), { members, ucbBeta: 1 })[0], 7);
  assert.equal(selectRows([{ strategy: 'ucb', share: 1 }], 1, none(), d, new Rng(1), { members, ucbBeta: 0 })[0], 1);
  const taken = none();
  const t = Array.from(selectRows([{ strategy: 'thompson', share: 1 }], 3, taken, d, new Rng(1), { members }));
  assert.equal(new Set(t).size, 3);
  assert.ok(t.every((r) => [7, 1, 5, 2].includes(r)), `${t}: each from a member's top 3`);
  assert.equal(taken.reduce((a, b) => a + b, 0), 3, 'picked rows are marked taken');
  // Diverse: rows 7 and 1 share a representation, so the second slot goes to row 5.
  const features = (row: number) => (row === 7 || row === 1 ? [1, 0] : [0, 1]);
  assert.deepEqual(Array.from(selectRows([{ strategy: 'diverse', share: 1 }], 2, none(), d, new Rng(1), { featuresOf: features, diversityWeight: 1 })), [7, 5]);
  assert.throws(() => selectRows([{ strategy: 'ucb', share: 1 }], 1, none(), d, new Rng(1)), /needs an ensemble/);
});
