import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../../src/simulation/config';
import { createDenseEngine } from '../../helpers/denseSimulation';
import { cholesky, generateData, mixingMatrix } from '../../../src/simulation/generator';
import { Rng } from '../../../src/simulation/random';

const engine = createDenseEngine();
const base = { rows: 5_000, inputs: 20, hidden: [15, 15, 15], balance: DEFAULT_CONFIG.balance, correlation: 'none' as const };

test('the default balance log(0.01/0.99) gives about 1.7% positives on average across seeds', async () => {
  const shares: number[] = [];
  for (let seed = 1; seed <= 16; seed++) shares.push((await generateData({ ...base, predictability: 1, seed }, engine)).prevalence);
  const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
  // Above 1% because E[sigmoid(logit)] > sigmoid(E[logit]) (convexity); about 1.7% for sd 1.
  assert.ok(mean > 0.013 && mean < 0.022, `mean share ${mean}`);
  assert.ok(Math.min(...shares) > 0.005 && Math.max(...shares) < 0.04, `shares ${shares}`);
});

test('the logits have the requested standard deviation and mean', async () => {
  const d = await generateData({ ...base, predictability: 1.3, seed: 5 }, engine);
  const m = d.logits.reduce((a, b) => a + b, 0) / d.rows;
  const sd = Math.sqrt(d.logits.reduce((a, b) => a + (b - m) ** 2, 0) / d.rows);
  assert.ok(Math.abs(m - DEFAULT_CONFIG.balance) < 1e-3, `mean ${m}`);
  assert.ok(Math.abs(sd - 1.3) < 1e-3, `sd ${sd}`);
});

test('higher predictability separates the labels better (share of positives among the top 1% of true logits)', async () => {
  const topShare = async (predictability: number) => {
    let sum = 0;
    for (let seed = 1; seed <= 4; seed++) {
      const d = await generateData({ ...base, rows: 10_000, predictability, seed }, engine);
      const order = Array.from(d.logits.keys()).sort((a, b) => d.logits[b]! - d.logits[a]!).slice(0, d.rows / 100);
      sum += order.reduce((s, r) => s + d.y[r]!, 0) / order.length;
    }
    return sum / 4;
  };
  const low = await topShare(0.7), normal = await topShare(1.0), high = await topShare(1.3);
  assert.ok(low < normal && normal < high, `top-1% shares ${low} ${normal} ${high}`);
});

test('the same seed gives the same data; another seed other data', async () => {
  const a = await generateData({ ...base, rows: 2000, predictability: 1, seed: 9 }, engine);
  const b = await generateData({ ...base, rows: 2000, predictability: 1, seed: 9 }, engine);
  const c = await generateData({ ...base, rows: 2000, predictability: 1, seed: 10 }, engine);
  assert.deepEqual(a.y, b.y);
  assert.deepEqual(a.x, b.x);
  assert.notDeepEqual(a.x, c.x);
});

test('cholesky correlation gives unit variances and the random correlation matrix; AAt scales the inputs up', async () => {
  const k = 20;
  const m = mixingMatrix('cholesky', k, new Rng(3));
  // x <- z L^T has covariance L L^T = R with a unit diagonal.
  for (let j = 0; j < k; j++) {
    let v = 0;
    for (let i = 0; i < k; i++) v += m[i * k + j]! ** 2;
    assert.ok(Math.abs(v - 1) < 1e-9, `variance of column ${j}: ${v}`);
  }
  const d = await generateData({ ...base, rows: 5000, predictability: 1, correlation: 'AAt', seed: 4 }, engine);
  let ss = 0;
  for (let i = 0; i < d.x.length; i++) ss += d.x[i]! ** 2;
  assert.ok(ss / d.x.length > 50, 'A A^T with a standard normal 20x20 A has diagonal entries around 20, so variances of hundreds');
  const corr = await generateData({ ...base, rows: 5000, predictability: 1, correlation: 'cholesky', seed: 4 }, engine);
  let c01 = 0, v0 = 0, v1 = 0;
  for (let r = 0; r < corr.rows; r++) {
    const a = corr.x[r * k]!, b = corr.x[r * k + 1]!;
    c01 += a * b; v0 += a * a; v1 += b * b;
  }
  assert.ok(Math.abs(v0 / corr.rows - 1) < 0.08 && Math.abs(v1 / corr.rows - 1) < 0.08);
  assert.ok(Math.abs(c01 / Math.sqrt(v0 * v1)) > 0.01, 'columns are correlated');
});

test('cholesky factors a positive definite matrix and rejects others', () => {
  const m = Float64Array.of(4, 2, 2, 3);
  const l = cholesky(m, 2);
  assert.deepEqual(Array.from(l, (v) => +v.toFixed(12)), [2, 0, 1, +Math.sqrt(2).toFixed(12)]);
  assert.throws(() => cholesky(Float64Array.of(1, 2, 2, 1), 2), /positive definite/);
});

test('a target prevalence is hit per run: the expected share of positives equals it', async () => {
  for (const target of [0.005, 0.03]) {
    const d = await generateData({ ...base, predictability: 1.3, targetPrevalence: target, seed: 8 }, engine);
    const expected = d.logits.reduce((a, z) => a + 1 / (1 + Math.exp(-z)), 0) / d.rows;
    assert.ok(Math.abs(expected - target) < 1e-5, `expected share ${expected} for target ${target}`);
    assert.ok(Math.abs(d.prevalence - target) < 5 * Math.sqrt(target / d.rows), `drawn share ${d.prevalence}`);
  }
});
