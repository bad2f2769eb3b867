import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimizeLbfgs, minimizeLbfgsAsync } from '../../../python-free-train/trainer/lbfgs';
import { chooseStrength } from '../../../python-free-train/trainer/regularized';

test('L-BFGS finds the minimum of an ill-conditioned quadratic', () => {
  // f(x) = sum_i c_i (x_i - t_i)^2 / 2 with curvatures spanning four decades.
  const c = [1e-2, 0.1, 1, 10, 100], t = [3, -2, 0.5, 7, -1];
  const r = minimizeLbfgs((x, g) => {
    let f = 0;
    x.forEach((v, i) => { f += c[i]! * (v - t[i]!) ** 2 / 2; g[i] = c[i]! * (v - t[i]!); });
    return f;
  }, new Float64Array(5), { gradientTolerance: 1e-10, relativeDecrease: 0 });
  assert.ok(r.converged);
  r.x.forEach((v, i) => assert.ok(Math.abs(v - t[i]!) < 1e-6, `x[${i}] = ${v}, expected ${t[i]}`));
});

test('L-BFGS minimizes the Rosenbrock function, synchronously and through an asynchronous objective alike', async () => {
  const rosenbrock = (x: Float64Array, g: Float64Array) => {
    const [a, b] = [x[0]!, x[1]!];
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
    return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
  };
  const sync = minimizeLbfgs(rosenbrock, Float64Array.of(-1.2, 1), { gradientTolerance: 1e-9, maxIterations: 1000 });
  assert.ok(Math.abs(sync.x[0]! - 1) < 1e-5 && Math.abs(sync.x[1]! - 1) < 1e-5, `reached (${sync.x[0]}, ${sync.x[1]})`);
  const async = await minimizeLbfgsAsync(async (x, g) => rosenbrock(x, g), Float64Array.of(-1.2, 1), { gradientTolerance: 1e-9, maxIterations: 1000 });
  assert.deepEqual(Array.from(async.x), Array.from(sync.x));
  assert.equal(async.evaluations, sync.evaluations);
});

test('L-BFGS stops at maxIterations and refuses an objective that is not finite at the start', () => {
  const r = minimizeLbfgs((x, g) => { g[0] = Math.exp(x[0]!); return Math.exp(x[0]!); }, Float64Array.of(0), { maxIterations: 3 });
  assert.equal(r.iterations, 3);
  assert.equal(r.converged, false);
  assert.ok(r.value < 1, 'it went downhill');
  assert.throws(() => minimizeLbfgs(() => NaN, Float64Array.of(0)), /objective is NaN at the starting point/);
});

test('the L2 strength with the highest inner ROC-AUC is chosen, the stronger one on ties; without ROC-AUC the lowest loss', () => {
  const s = (l2: number, innerRocAuc: number | null, innerLoss = 1) => ({ l2, innerRocAuc, innerLoss, foldRocAuc: [] });
  assert.deepEqual(chooseStrength([s(10, 0.7), s(1, 0.8), s(0.1, 0.75)]), { index: 1, by: 'rocAuc' });
  assert.deepEqual(chooseStrength([s(10, 0.8), s(1, 0.8), s(0.1, 0.75)]), { index: 0, by: 'rocAuc' });
  assert.deepEqual(chooseStrength([s(10, null), s(1, 0.6), s(0.1, null)]), { index: 1, by: 'rocAuc' });
  assert.deepEqual(chooseStrength([s(10, null, 0.9), s(1, null, 0.5), s(0.1, null, 0.7)]), { index: 1, by: 'loss' });
  assert.deepEqual(chooseStrength([s(10, null, NaN), s(1, null, NaN), s(0.1, null, NaN)]), { index: 1, by: 'none' });
});
