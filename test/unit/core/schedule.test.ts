import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONSTANT_SCHEDULE, formatSchedule, learningRateAt, parseSchedule, warmupSteps } from '../../../src/core/schedule';

const close = (a: number, b: number, tol = 1e-12) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);
const rates = (kind: 'constant' | 'linear' | 'cosine', warmup: number, total: number, base = 1) =>
  Array.from({ length: total }, (_, i) => learningRateAt(base, { kind, warmup }, i + 1, total));

test('constant without warmup is the base rate at every step', () => {
  assert.deepEqual(rates('constant', 0, 5, 0.1), [0.1, 0.1, 0.1, 0.1, 0.1]);
  assert.deepEqual(CONSTANT_SCHEDULE, { kind: 'constant', warmup: 0 });
});

test('linear warmup rises to the base, then decays linearly as Hugging Face does (warmup shifted by one step)', () => {
  // 10 steps, 20% warmup: 2 warmup steps at 1/2 and 2/2, then (10 - s + 1) / 8 for s = 3..10.
  const r = rates('linear', 0.2, 10);
  assert.equal(warmupSteps({ kind: 'linear', warmup: 0.2 }, 10), 2);
  close(r[0]!, 0.5);
  close(r[1]!, 1);
  for (let s = 3; s <= 10; s++) close(r[s - 1]!, (10 - s + 1) / 8);
  // Never zero, never negative, falling after the first step at the peak.
  assert.ok(r.every((x) => x > 0));
  for (let i = 3; i < r.length; i++) assert.ok(r[i]! < r[i - 1]!, `step ${i + 1}`);
});

test('cosine decays from the base along half a cosine', () => {
  const r = rates('cosine', 0, 4);
  close(r[0]!, 1);
  close(r[1]!, 0.5 * (1 + Math.cos(Math.PI / 4)));
  close(r[2]!, 0.5);
  close(r[3]!, 0.5 * (1 + Math.cos((3 * Math.PI) / 4)));
  // With warmup, the peak is at the end of warmup.
  const w = rates('cosine', 0.25, 8, 2e-5);
  close(w[0]!, 1e-5);
  close(w[1]!, 2e-5);
  close(w[2]!, 2e-5);
  assert.ok(w[3]! < w[2]! && w[7]! < w[3]!);
});

test('a tiny warmup share still warms up one step, and steps past the end do not go negative', () => {
  close(learningRateAt(1, { kind: 'linear', warmup: 0.01 }, 1, 10), 1);
  assert.equal(warmupSteps({ kind: 'linear', warmup: 0.01 }, 10), 1);
  assert.ok(learningRateAt(1, { kind: 'linear', warmup: 0 }, 12, 10) > 0);
  assert.throws(() => learningRateAt(1, CONSTANT_SCHEDULE, 0, 10), /step must be an integer >= 1/);
});

test('parses and formats KIND[:WARMUP]; bad text names the problem', () => {
  assert.deepEqual(parseSchedule('linear:0.06'), { kind: 'linear', warmup: 0.06 });
  assert.deepEqual(parseSchedule(' cosine '), { kind: 'cosine', warmup: 0 });
  assert.equal(formatSchedule(parseSchedule('linear:0.1')), 'linear:0.1');
  assert.equal(formatSchedule(parseSchedule('constant')), 'constant');
  assert.throws(() => parseSchedule('step'), /must be one of constant, linear, cosine, got "step"/);
  assert.throws(() => parseSchedule('linear:abc'), /warmup "abc" is not a number/);
  assert.throws(() => parseSchedule('linear:1'), /warmup must be a share of the steps in \[0, 1\), got 1/);
  assert.throws(() => parseSchedule('linear:0.1:2'), /expected KIND or KIND:WARMUP/);
});
