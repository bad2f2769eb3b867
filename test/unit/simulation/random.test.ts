import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Rng } from '../../../src/simulation/random';

test('fillNormal gives exactly the values of repeated normal() calls, whatever the lengths and a pending spare', () => {
  // Odd and even lengths, a fill that starts with a pending spare, and a fill that leaves one.
  const plan = [1, 7, 8, 2, 1001, 3, 64];
  const byCalls = new Rng(2025);
  const byFill = new Rng(2025);
  for (const [k, length] of plan.entries()) {
    const sd = 0.5 + k;
    const expected = Float32Array.from({ length }, () => byCalls.normal() * sd);
    const got = new Float32Array(length);
    byFill.fillNormal(got, sd);
    assert.deepEqual(got, expected, `fill ${k} of ${length} values`);
  }
  // The generators end in the same state: the next draws agree too.
  assert.equal(byFill.normal(), byCalls.normal());
  assert.equal(byFill.nextUint32(), byCalls.nextUint32());
});

test('fillNormal into float64 keeps the full values', () => {
  const a = new Rng(9), b = new Rng(9);
  const got = new Float64Array(5);
  a.fillNormal(got, 2);
  assert.deepEqual(Array.from(got), Array.from({ length: 5 }, () => b.normal() * 2));
});

test('normals have mean 0 and standard deviation sd', () => {
  const x = new Float64Array(200_000);
  new Rng(1).fillNormal(x, 3);
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  const sd = Math.sqrt(x.reduce((s, v) => s + (v - mean) ** 2, 0) / x.length);
  assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
  assert.ok(Math.abs(sd - 3) < 0.03, `sd ${sd}`);
});
