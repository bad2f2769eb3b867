/**
 * The MLP head end to end through onnxruntime: it learns a synthetic task with a rare target class
 * (loss falls, precision@k far above the prevalence), is reproducible from its seed, handles the
 * last partial batch, and its state round-trips through getState/setState and serialize.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Backend, Tensor } from '../../../python-free-train/backend';
import { HeadModel, type HeadConfig, type HeadTrainOptions } from '../../../python-free-train/models/mlpHead';
import { mulberry32 } from '../../../src/core/hash';
import { precisionAtK } from '../../../src/core/metrics';

const D = 24, C = 4;

/** Class 0 is rare (~8%) and only separable through a non-linear mix of a few features. */
function syntheticTask(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  const r = mulberry32(seed);
  const x = new Float32Array(n * D), y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    const label = u < 0.08 ? 0 : u < 0.6 ? 1 : u < 0.85 ? 2 : 3;
    y[i] = label;
    for (let k = 0; k < D; k++) x[i * D + k] = (r() - 0.5) * 2;
    if (label === 0) { const s = r() < 0.5 ? 1 : -1; x[i * D] = 0.9 * s + 0.3 * (r() - 0.5); x[i * D + 1] = 0.9 * s + 0.3 * (r() - 0.5); }
    else x[i * D + label + 2] += 1.0;
  }
  return { x, y };
}

function shuffled(n: number, rng: () => number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rng() * (i + 1)); [order[i], order[j]] = [order[j]!, order[i]!]; }
  return order;
}

const config: HeadConfig = { inputDim: D, hidden: [32], classes: C, seed: 5, dropout: 0.1 };
const options: HeadTrainOptions = { batchSize: 32, optimizer: { kind: 'adamw', lr: 0.01, weightDecay: 0.01, clipNorm: 5 } };

async function trainRun(backend: Backend, seed: number, epochs: number) {
  const { x, y } = syntheticTask(1400, 1);
  const nTrain = 1000, nTest = 400;
  const model = await HeadModel.create({ ...config, seed }, options, backend);
  const rng = mulberry32(seed);
  const losses: number[] = [];
  for (let e = 0; e < epochs; e++) losses.push(await model.trainEpoch(x, y, nTrain, shuffled(nTrain, rng)));
  const xTest = x.subarray(nTrain * D), yTest = y.subarray(nTrain);
  const ev = await model.evaluate(xTest, yTest, nTest);
  const scores = Array.from({ length: nTest }, (_, i) => ev.probs[i * C]!);
  const positive = Array.from(yTest, (l) => l === 0);
  return { model, losses, ev, precision: precisionAtK(scores, positive), prevalence: positive.filter(Boolean).length / nTest };
}

describe('MLP head', () => {
  let backend: Backend;
  before(async () => { backend = await Backend.create({ device: 'cpu', threads: 2 }); });

  test('learns a rare class: loss falls and test precision@k beats random; identical seeds, identical results', async () => {
    const a = await trainRun(backend, 5, 12);
    assert.ok(a.losses.at(-1)! < a.losses[0]! * 0.6, `training loss should fall: ${a.losses.map((l) => l.toFixed(3)).join(' ')}`);
    assert.ok(a.precision >= Math.max(0.6, 4 * a.prevalence), `precision@k ${a.precision} vs prevalence ${a.prevalence}`);
    const b = await trainRun(backend, 5, 12);
    assert.deepEqual(b.losses, a.losses);
    assert.deepEqual(b.ev.probs, a.ev.probs);
    const c = await trainRun(backend, 6, 2);
    assert.notDeepEqual(c.losses, a.losses.slice(0, 2));
    await Promise.all([a.model.release(), b.model.release(), c.model.release()]);
  });

  test('last partial batch, class-weighted evaluation, chunked predict', async () => {
    const { x, y } = syntheticTask(70_000, 2);
    const weights = Float32Array.from([4, 1, 1, 1]);
    const model = await HeadModel.create({ ...config, dropout: 0 }, { ...options, classWeights: weights }, backend);
    // 70 examples, batches of 32: 32 + 32 + 6.
    const loss = await model.trainEpoch(x, y, 70, Int32Array.from({ length: 70 }, (_, i) => 69 - i));
    assert.ok(Number.isFinite(loss));
    assert.equal(model.getState().step, 3);
    const n = 1000;
    const ev = await model.evaluate(x, y, n);
    let num = 0, den = 0;
    for (let i = 0; i < n; i++) { const w = weights[y[i]!]!; num += w * -Math.log(ev.probs[i * C + y[i]!]!); den += w; }
    assert.ok(Math.abs(ev.loss - num / den) < 1e-4, `weighted loss ${ev.loss} vs ${num / den}`);
    // Many scoring chunks, the last one partial.
    const probs = await model.predict(x, 70_000);
    assert.equal(probs.length, 70_000 * C);
    for (let i = 0; i < n * C; i++) assert.ok(Math.abs(probs[i]! - ev.probs[i]!) < 1e-6);
    const tail = await model.evaluate(x.subarray(69_000 * D), y.subarray(69_000), 1000);
    for (let i = 0; i < 1000 * C; i++) assert.ok(Math.abs(probs[69_000 * C + i]! - tail.probs[i]!) < 1e-6);
    await model.release();
  });

  test('state: setState restores an earlier epoch, serialize round-trips, the exported model scores alike', async () => {
    const { x, y } = syntheticTask(300, 3);
    const model = await HeadModel.create(config, { batchSize: 16, optimizer: { kind: 'adam', lr: 0.01 } }, backend);
    const order = Int32Array.from({ length: 300 }, (_, i) => i);
    await model.trainEpoch(x, y, 300, order);
    const saved = model.getState();
    const before = await model.predict(x, 50);
    await model.trainEpoch(x, y, 300, order);
    assert.notDeepEqual(await model.predict(x, 50), before);
    model.setState(saved);
    assert.deepEqual(await model.predict(x, 50), before);

    const bytes = HeadModel.serialize(saved, config);
    const back = HeadModel.deserialize(bytes.slice());
    assert.deepEqual(back.config, config);
    assert.deepEqual(back.state, saved);
    assert.deepEqual(back.state.optimizer.map((t) => t.name), ['layer0.weight.m', 'layer0.weight.v', 'layer0.bias.m', 'layer0.bias.v', 'output.weight.m', 'output.weight.v', 'output.bias.m', 'output.bias.v']);
    assert.throws(() => HeadModel.deserialize(new Uint8Array(16)), /bad magic/);

    const exported = await backend.session(model.inferenceModel(), 'exported head');
    const out = await exported.run({ x: Tensor.float32(x.slice(0, 50 * D), [50, D]) });
    assert.deepEqual(out.probs!.float32, before);
    await exported.release();

    // Resuming: a fresh model given the state continues exactly like the original.
    const resumed = await HeadModel.create(config, { batchSize: 16, optimizer: { kind: 'adam', lr: 0.01 } }, backend);
    resumed.setState(saved);
    model.setState(saved);
    assert.equal(await resumed.trainEpoch(x, y, 300, order), await model.trainEpoch(x, y, 300, order));
    assert.deepEqual(resumed.getState(), model.getState());
    await Promise.all([model.release(), resumed.release()]);
  });

  test('clear errors for bad labels, orders and configs', async () => {
    const model = await HeadModel.create({ inputDim: 3, hidden: [], classes: 2, seed: 1 }, { batchSize: 4, optimizer: { kind: 'sgd', lr: 0.1 } }, backend);
    const x = new Float32Array(6);
    await assert.rejects(model.trainEpoch(x, Int32Array.from([0, 2]), 2, Int32Array.from([0, 1])), /label y\[1\] = 2 is not a class index below 2/);
    await assert.rejects(model.trainEpoch(x, Int32Array.from([0, 1]), 2, Int32Array.from([0])), /order has 1 entries for 2 examples/);
    await assert.rejects(HeadModel.create({ inputDim: 3, hidden: [0], classes: 2, seed: 1 }, options, backend), /hidden sizes must be positive integers/);
    await assert.rejects(HeadModel.create(config, { batchSize: 8, optimizer: { kind: 'lion' as 'sgd', lr: 1 } }, backend), /unknown kind "lion". Should be one of: sgd, adam, adamw/);
    await model.release();
  });
});
