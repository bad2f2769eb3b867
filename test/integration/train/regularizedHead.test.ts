/**
 * The regularized linear head through onnxruntime: the objective graph computes the penalized loss
 * and its exact gradient, the fit reaches the same minimum as an independent solver of the same
 * objective written here, the chosen strength is the one its inner folds rank best, and the kept
 * weights are what the head scores with and exports.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Backend, Tensor } from '../../../python-free-train/backend';
import { buildObjectiveGraph, gradName } from '../../../python-free-train/models/headGraphs';
import { minimizeLbfgs } from '../../../python-free-train/trainer/lbfgs';
import { fitBootstrapHeads, fitRegularizedHead, memberSeed } from '../../../python-free-train/trainer/regularized';
import { fitEnsembleMembers, fitTrainerHead } from '../../../python-free-train/trainer/head';
import { stratifiedBootstrap } from '../../../python-free-train/trainer/split';
import { mulberry32 } from '../../../src/core/hash';

const D = 16, C = 4;

/** Class 0 rare (~10%), every class a noisy linear function of a few features. */
function linearTask(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = mulberry32(seed);
  const x = new Float32Array(n * D), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    const label = u < 0.1 ? 0 : u < 0.6 ? 1 : u < 0.85 ? 2 : 3;
    y[i] = label;
    for (let k = 0; k < D; k++) x[i * D + k] = (r() - 0.5) * 2;
    x[i * D + label] += 0.8;
  }
  return { x, y };
}

/** The same objective in plain TypeScript: sum_i w_i nll_i + l2 / 2 ||W||^2, theta = [W (D x C) row-major, b (C)]. */
function objective(x: ArrayLike<number>, y: ArrayLike<number>, w: ArrayLike<number>, l2: number, theta: Float64Array, grad: Float64Array): number {
  grad.fill(0);
  let f = 0;
  for (let j = 0; j < D * C; j++) { f += 0.5 * l2 * theta[j]! ** 2; grad[j] = l2 * theta[j]!; }
  const logits = new Float64Array(C);
  for (let i = 0; i < y.length; i++) {
    for (let k = 0; k < C; k++) { logits[k] = theta[D * C + k]!; for (let j = 0; j < D; j++) logits[k]! += x[i * D + j]! * theta[j * C + k]!; }
    const max = Math.max(...logits);
    const lse = max + Math.log(logits.reduce((s, v) => s + Math.exp(v - max), 0));
    f += w[i]! * (lse - logits[y[i]!]!);
    for (let k = 0; k < C; k++) {
      const d = w[i]! * (Math.exp(logits[k]! - lse) - (k === y[i] ? 1 : 0));
      for (let j = 0; j < D; j++) grad[j * C + k]! += d * x[i * D + j]!;
      grad[D * C + k]! += d;
    }
  }
  return f;
}

describe('regularized linear head', () => {
  let backend: Backend;
  before(async () => { backend = await Backend.create({ device: 'cpu', threads: 2 }); });

  test('the objective graph gives the penalized loss and its gradient (float64, against the formula)', async () => {
    const { x, y } = linearTask(9, 3);
    const rng = mulberry32(8);
    const theta = Float64Array.from({ length: D * C + C }, () => rng() - 0.5);
    const w = Float64Array.of(1, 0, 2, 0.5, 1, 1, 0, 3, 1);
    const session = await backend.session(buildObjectiveGraph({ inputDim: D, hidden: [], classes: C, seed: 1 }, { dtype: 'float64' }), 'objective');
    try {
      const out = await session.run({
        x: Tensor.float64(Float64Array.from(x), [9, D]), y: Tensor.int32(y, [9]), row_weight: Tensor.float64(w, [9]), l2: Tensor.scalar(0.7, 'float64'),
        'output.weight': Tensor.float64(theta.slice(0, D * C), [D, C]), 'output.bias': Tensor.float64(theta.slice(D * C), [C]),
      });
      const grad = new Float64Array(theta.length);
      const f = objective(x, y, w, 0.7, theta, grad);
      assert.ok(Math.abs(out.loss!.float64[0]! - f) < 1e-9 * Math.abs(f), `loss ${out.loss!.float64[0]} vs ${f}`);
      const g = [...out[gradName('output.weight')]!.float64, ...out[gradName('output.bias')]!.float64];
      g.forEach((v, i) => assert.ok(Math.abs(v - grad[i]!) < 1e-9, `gradient ${i}: ${v} vs ${grad[i]}`));
      const probs = out.probs!.float64;
      for (let i = 0; i < 9; i++) assert.ok(Math.abs(probs.subarray(i * C, i * C + C).reduce((a, b) => a + b, 0) - 1) < 1e-12, 'rows of probabilities sum to 1');
    } finally {
      await session.release();
    }
  });

  test('fits every strength to the minimum an independent solver finds, keeps the one its inner folds rank best, and scores with it', async () => {
    const { x, y } = linearTask(500, 1);
    const nTrain = 350;
    const data = { xTrain: x.slice(0, nTrain * D), yTrain: y.slice(0, nTrain), xTest: x.slice(nTrain * D), yTest: y.slice(nTrain) };
    const strengths = [10, 1, 0.1];
    const fit = await fitRegularizedHead(data, D, { seed: 3, classes: C, targetClass: 0, classWeighting: 'none', strengths, refitAll: false, backend });
    try {
      assert.deepEqual(fit.epochs.map((e) => e.l2), strengths, 'one record per strength, in order');
      assert.equal(fit.innerFolds, 5);
      const best = Math.max(...fit.scores.map((s) => s.innerRocAuc!));
      assert.equal(fit.scores[fit.selectedEpoch - 1]!.innerRocAuc, best, 'the kept strength has the best inner ROC-AUC');
      assert.equal(fit.l2, strengths[fit.selectedEpoch - 1]);
      assert.ok(fit.epochs.every((e) => e.rocAuc! > 0.75), `test ROC-AUC of the rare class: ${fit.epochs.map((e) => e.rocAuc).join(', ')}`);
      // Stronger penalties fit the training split less closely.
      assert.ok(fit.epochs[0]!.trainLoss > fit.epochs[1]!.trainLoss && fit.epochs[1]!.trainLoss > fit.epochs[2]!.trainLoss);

      // The same minimum, found in float64 by the solver alone.
      const reference = minimizeLbfgs((t, g) => objective(data.xTrain, data.yTrain, new Float64Array(nTrain).fill(1), fit.l2, t, g), new Float64Array(D * C + C), { gradientTolerance: 1e-8 });
      const state = fit.model.getState();
      const kept = Float64Array.from([...state.params[0]!.data, ...state.params[1]!.data]);
      const gap = Math.max(...kept.map((v, i) => Math.abs(v - reference.x[i]!)));
      assert.ok(gap < 2e-2, `weights within 2e-2 of the reference minimum (largest gap ${gap})`);

      // The kept weights score: predict and the exported inference graph agree with the reference's probabilities.
      const probs = await fit.model.predict(data.xTest, y.length - nTrain);
      const session = await backend.session(fit.model.inferenceModel(), 'exported head');
      const exported = (await session.run({ x: Tensor.float32(data.xTest, [y.length - nTrain, D]) })).probs!.float32;
      await session.release();
      for (let i = 0; i < y.length - nTrain; i++) {
        const logits = Array.from({ length: C }, (_, k) => reference.x[D * C + k]! + Array.from({ length: D }, (_, j) => data.xTest[i * D + j]! * reference.x[j * C + k]!).reduce((a, b) => a + b, 0));
        const max = Math.max(...logits), z = logits.reduce((s, v) => s + Math.exp(v - max), 0);
        for (let k = 0; k < C; k++) {
          assert.ok(Math.abs(probs[i * C + k]! - Math.exp(logits[k]! - max) / z) < 5e-3, `row ${i} class ${k}`);
          assert.ok(Math.abs(exported[i * C + k]! - probs[i * C + k]!) < 1e-6, 'the exported graph reproduces the scores');
        }
      }
    } finally {
      await fit.model.release();
    }
  });

  test('the kept head is refitted on training and test rows together at the chosen strength; the reported figures stay the split\'s', async () => {
    const { x, y } = linearTask(500, 5);
    const nTrain = 350;
    const data = { xTrain: x.slice(0, nTrain * D), yTrain: y.slice(0, nTrain), xTest: x.slice(nTrain * D), yTest: y.slice(nTrain) };
    const options = { seed: 3, classes: C, targetClass: 0, classWeighting: 'none' as const, strengths: [10, 1, 0.1], backend };
    const [split, all] = [await fitRegularizedHead(data, D, { ...options, refitAll: false }), await fitRegularizedHead(data, D, options)];
    try {
      assert.equal(split.fittedRows, nTrain);
      assert.equal(all.fittedRows, 500, 'refitted on every row by default');
      assert.deepEqual(all.epochs, split.epochs, 'the path and its test figures are the split\'s');
      assert.equal(all.l2, split.l2);
      const reference = minimizeLbfgs((t, g) => objective(x, y, new Float64Array(500).fill(1), all.l2, t, g), new Float64Array(D * C + C), { gradientTolerance: 1e-8 });
      const weights = (m: typeof all.model) => { const st = m.getState(); return Float64Array.from([...st.params[0]!.data, ...st.params[1]!.data]); };
      const gap = (w: Float64Array) => Math.max(...w.map((v, i) => Math.abs(v - reference.x[i]!)));
      assert.ok(gap(weights(all.model)) < 2e-2, `refitted weights within 2e-2 of the minimum over all rows (largest gap ${gap(weights(all.model))})`);
      assert.ok(gap(weights(split.model)) > 5e-2, 'the training split\'s weights are another minimum');
    } finally {
      await split.model.release();
      await all.model.release();
    }
  });

  test('identical seeds give identical fits; cancelling stops between fits', async () => {
    const { x, y } = linearTask(200, 2);
    const data = { xTrain: x.slice(0, 140 * D), yTrain: y.slice(0, 140), xTest: x.slice(140 * D), yTest: y.slice(140) };
    const run = () => fitRegularizedHead(data, D, { seed: 9, classes: C, targetClass: 0, classWeighting: 'balanced', backend });
    const [a, b] = [await run(), await run()];
    assert.deepEqual(a.epochs, b.epochs);
    assert.deepEqual(a.model.getState().params, b.model.getState().params);
    await a.model.release();
    await b.model.release();
    const controller = new AbortController();
    let fits = 0;
    await assert.rejects(
      fitRegularizedHead(data, D, { seed: 9, classes: C, targetClass: 0, backend, signal: controller.signal, onFit: () => { if (++fits === 3) controller.abort(); } }),
      (e: unknown) => (e as Error).name === 'CancelledError',
    );
    assert.equal(fits, 3, 'no fit starts after the cancel');
  });

  test('a handful of labels: no more inner folds than target rows, ranking by loss without targets, the middle strength without folds', async () => {
    const { x } = linearTask(6, 4);
    const few = (y: number[]) => ({ xTrain: x.slice(0, y.length * D), yTrain: Int32Array.from(y), xTest: new Float32Array(0), yTest: new Int32Array(0) });
    const two = await fitRegularizedHead(few([0, 1, 0, 1, 2, 2]), D, { seed: 1, classes: C, targetClass: 0, backend });
    assert.equal(two.innerFolds, 2);
    assert.equal(two.epochs.length, 7);
    assert.match(two.selection, /ROC-AUC/);
    await two.model.release();
    const noTarget = await fitRegularizedHead(few([1, 1, 2, 3, 2]), D, { seed: 1, classes: C, targetClass: 0, backend });
    assert.equal(noTarget.innerFolds, 2);
    assert.match(noTarget.selection, /lowest mean test loss/);
    await noTarget.model.release();
    const none = await fitRegularizedHead(few([0, 1, 2]), D, { seed: 1, classes: C, targetClass: 0, backend });
    assert.equal(none.innerFolds, 0);
    assert.equal(none.l2, 1, 'the middle of the default strengths');
    assert.match(none.selection, /too few labels/);
    await none.model.release();
  });

  test('ensemble members: each the penalized fit on its own bootstrap resample (rows weighted by how often they were drawn), seeded per member', async () => {
    const { x, y } = linearTask(300, 6);
    const options = { l2: 1, seed: 4, classes: C, classWeighting: 'none' as const, backend };
    const weightsOf = async (models: Awaited<ReturnType<typeof fitBootstrapHeads>>) => {
      const out = models.map((m) => { const st = m.getState(); return Float64Array.from([...st.params[0]!.data, ...st.params[1]!.data]); });
      await Promise.all(models.map((m) => m.release()));
      return out;
    };
    const three = await weightsOf(await fitBootstrapHeads(x, y, D, { ...options, members: 3 }));
    for (let m = 0; m < 3; m++) {
      const counts = stratifiedBootstrap(y, memberSeed(4, m));
      const reference = minimizeLbfgs((t, g) => objective(x, y, Float64Array.from(counts), 1, t, g), new Float64Array(D * C + C), { gradientTolerance: 1e-8 });
      const gap = Math.max(...three[m]!.map((v, i) => Math.abs(v - reference.x[i]!)));
      assert.ok(gap < 2e-2, `member ${m + 1} is the minimum over its resample (largest gap ${gap})`);
    }
    const spread = Math.max(...three[0]!.map((v, i) => Math.abs(v - three[1]![i]!)));
    assert.ok(spread > 0.05, `members differ (largest weight difference ${spread})`);
    const two = await weightsOf(await fitBootstrapHeads(x, y, D, { ...options, members: 2 }));
    assert.deepEqual(two, three.slice(0, 2), 'a member\'s resample does not depend on how many members there are');
  });

  test('ensemble members of a head with hidden layers: bootstrap resamples of the training split, each with its own seed', async () => {
    const { x, y } = linearTask(240, 8);
    const nTrain = 170;
    const data = { xTrain: x.slice(0, nTrain * D), yTrain: y.slice(0, nTrain), xTest: x.slice(nTrain * D), yTest: y.slice(nTrain) };
    const options = { epochs: 3, seed: 2, hidden: [8], learningRate: 0.05, miniBatch: 16, weightDecay: 1e-4, classes: C, targetClass: 0, backend };
    const kept = await fitTrainerHead(data, D, options);
    const members = await fitEnsembleMembers(data, D, kept, { ...options, members: 2 });
    try {
      assert.equal(members.length, 2);
      const [a, b] = [await members[0]!.predict(data.xTest, 70), await members[1]!.predict(data.xTest, 70)];
      assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-3), 'the members score differently');
      for (const p of [a, b]) for (let i = 0; i < 70; i++) assert.ok(Math.abs(p.subarray(i * C, i * C + C).reduce((s, v) => s + v, 0) - 1) < 1e-5);
    } finally {
      await kept.model.release();
      await Promise.all(members.map((m) => m.release()));
    }
  });
});
