/**
 * Whole train steps of the MLP head, built in float64 and run by onnxruntime, against a plain
 * TypeScript reference: forward, backprop, class-weighted cross-entropy, global-norm clipping and
 * SGD / SGD with momentum / Adam / AdamW (PyTorch conventions), over two steps so optimizer state
 * and Adam's bias correction carry over.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Backend, type Feeds, type Session, Tensor } from '../../../python-free-train/backend';
import { type OptimizerConfig, optimizerDefaults, stateSlots } from '../../../python-free-train/graph/optimizers';
import { type HeadConfig, buildTrainGraph, maskName, paramSpecs, stateName, updatedName } from '../../../python-free-train/models/headGraphs';
import { mulberry32 } from '../../../src/core/hash';

type Mat = Float64Array;

interface Problem { x: Mat; y: Int32Array; b: number; masks?: Mat[] }

/** Reference forward + backward of the head in float64: returns loss and gradients per parameter. */
function referenceGrads(c: HeadConfig, params: Mat[], p: Problem, classWeights?: Float32Array): { loss: number; grads: Mat[] } {
  const dims = [c.inputDim, ...c.hidden, c.classes];
  const L = dims.length - 1;
  const acts: Mat[] = [p.x];
  const pre: Mat[] = [];
  for (let l = 0; l < L; l++) {
    const [n, m] = [dims[l]!, dims[l + 1]!];
    const W = params[2 * l]!, bias = params[2 * l + 1]!, a = acts[l]!;
    const z = new Float64Array(p.b * m);
    for (let i = 0; i < p.b; i++) for (let j = 0; j < m; j++) {
      let s = bias[j]!;
      for (let k = 0; k < n; k++) s += a[i * n + k]! * W[k * m + j]!;
      z[i * m + j] = s;
    }
    pre.push(z);
    if (l === L - 1) { acts.push(z); break; }
    const h = z.map((v) => (c.activation === 'tanh' ? Math.tanh(v) : Math.max(0, v)));
    const mask = p.masks?.[l];
    acts.push(mask ? h.map((v, i) => v * mask[i]!) : h);
  }
  const C = c.classes, logits = acts[L]!;
  const dz = new Float64Array(p.b * C);
  let num = 0, den = 0;
  const w = (i: number) => (classWeights ? classWeights[p.y[i]!]! : 1);
  for (let i = 0; i < p.b; i++) den += w(i);
  for (let i = 0; i < p.b; i++) {
    const row = logits.subarray(i * C, (i + 1) * C);
    const mx = Math.max(...row);
    const lse = mx + Math.log(row.reduce((s, v) => s + Math.exp(v - mx), 0));
    num += w(i) * (lse - row[p.y[i]!]!);
    for (let j = 0; j < C; j++) dz[i * C + j] = (w(i) / den) * (Math.exp(row[j]! - lse) - (j === p.y[i] ? 1 : 0));
  }
  const grads: Mat[] = params.map((q) => new Float64Array(q.length));
  let delta = dz;
  for (let l = L - 1; l >= 0; l--) {
    const [n, m] = [dims[l]!, dims[l + 1]!];
    const a = acts[l]!, W = params[2 * l]!;
    const gW = grads[2 * l]!, gb = grads[2 * l + 1]!;
    for (let i = 0; i < p.b; i++) for (let j = 0; j < m; j++) {
      const d = delta[i * m + j]!;
      gb[j] += d;
      for (let k = 0; k < n; k++) gW[k * m + j] += a[i * n + k]! * d;
    }
    if (l === 0) break;
    const prev = new Float64Array(p.b * n);
    for (let i = 0; i < p.b; i++) for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < m; j++) s += delta[i * m + j]! * W[k * m + j]!;
      const z = pre[l - 1]![i * n + k]!;
      const local = c.activation === 'tanh' ? 1 - Math.tanh(z) ** 2 : z > 0 ? 1 : 0;
      prev[i * n + k] = s * local * (p.masks?.[l - 1]?.[i * n + k] ?? 1);
    }
    delta = prev;
  }
  return { loss: num / den, grads };
}

/** Reference optimizer step (torch.optim semantics); mutates params and state. */
function referenceStep(o: OptimizerConfig, params: Mat[], grads: Mat[], state: Mat[][], t: number): void {
  const h = optimizerDefaults(o);
  if (h.clipNorm > 0) {
    const norm = Math.sqrt(grads.reduce((s, g) => s + g.reduce((a, v) => a + v * v, 0), 0));
    const scale = Math.min(1, h.clipNorm / (norm + 1e-6));
    grads.forEach((g) => g.forEach((v, i) => { g[i] = v * scale; }));
  }
  params.forEach((p, i) => {
    const g = grads[i]!, st = state[i]!;
    for (let k = 0; k < p.length; k++) {
      let gk = g[k]!;
      if (h.kind !== 'adamw') gk += h.weightDecay * p[k]!;
      if (h.kind === 'sgd') {
        if (h.momentum > 0) { st[0]![k] = h.momentum * st[0]![k]! + gk; gk = st[0]![k]!; }
        p[k] -= h.lr * gk;
        continue;
      }
      if (h.kind === 'adamw') p[k] *= 1 - h.lr * h.weightDecay;
      st[0]![k] = h.beta1 * st[0]![k]! + (1 - h.beta1) * gk;
      st[1]![k] = h.beta2 * st[1]![k]! + (1 - h.beta2) * gk * gk;
      const mHat = st[0]![k]! / (1 - h.beta1 ** t), vHat = st[1]![k]! / (1 - h.beta2 ** t);
      p[k] -= h.lr * mHat / (Math.sqrt(vHat) + h.eps);
    }
  });
}

function randomProblem(c: HeadConfig, b: number, seed: number, dropout: boolean): Problem {
  const r = mulberry32(seed);
  const x = Float64Array.from({ length: b * c.inputDim }, () => r() * 2 - 1);
  const y = Int32Array.from({ length: b }, () => Math.floor(r() * c.classes));
  const masks = dropout ? c.hidden.map((h) => Float64Array.from({ length: b * h }, () => (r() < 0.3 ? 0 : 1 / 0.7))) : undefined;
  return { x, y, b, masks };
}

async function runCase(backend: Backend, c: HeadConfig, o: OptimizerConfig, classWeights?: Float32Array): Promise<void> {
  const session: Session = await backend.session(buildTrainGraph(c, { optimizer: o, classWeights, dtype: 'float64' }), 'train step f64');
  const specs = paramSpecs(c), slots = stateSlots(o);
  const r = mulberry32(c.seed);
  let graphParams: Float64Array[] = specs.map((s) => Float64Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * 0.8));
  let graphState: Float64Array[][] = specs.map((s) => slots.map(() => new Float64Array(s.shape.reduce((a, b) => a * b, 1))));
  const refParams = graphParams.map((p) => p.slice());
  const refState = graphState.map((ss) => ss.map((v) => v.slice()));
  // Two batches of different sizes: the batch dimension is symbolic.
  for (const [t, b] of [[1, 6], [2, 5]] as const) {
    const prob = randomProblem(c, b, 100 + t, (c.dropout ?? 0) > 0);
    const feeds: Feeds = {
      x: Tensor.float64(prob.x, [b, c.inputDim]), y: Tensor.int32(prob.y, [b]),
      step: Tensor.scalar(t, 'float64'), lr: Tensor.scalar(o.lr, 'float64'),
    };
    specs.forEach((s, i) => {
      feeds[s.name] = Tensor.float64(graphParams[i]!, s.shape);
      slots.forEach((slot, k) => { feeds[stateName(s.name, slot)] = Tensor.float64(graphState[i]![k]!, s.shape); });
    });
    prob.masks?.forEach((m, i) => { feeds[maskName(i)] = Tensor.float64(m, [b, c.hidden[i]!]); });
    const out = await session.run(feeds);
    const ref = referenceGrads(c, refParams, prob, classWeights);
    assert.ok(Math.abs(out.loss!.float64[0]! - ref.loss) < 1e-12, `step ${t}: loss ${out.loss!.float64[0]} vs reference ${ref.loss}`);
    referenceStep(o, refParams, ref.grads, refState, t);
    graphParams = specs.map((s) => out[updatedName(s.name)]!.float64);
    graphState = specs.map((s) => slots.map((slot) => out[updatedName(stateName(s.name, slot))]!.float64));
    specs.forEach((s, i) => {
      const got = graphParams[i]!, want = refParams[i]!;
      for (let k = 0; k < want.length; k++) {
        assert.ok(Math.abs(got[k]! - want[k]!) <= 1e-10 * (1 + Math.abs(want[k]!)), `step ${t}: ${s.name}[${k}] = ${got[k]} after the graph's update, ${want[k]} by the reference`);
      }
      slots.forEach((slot, k) => {
        const gs = graphState[i]![k]!, ws = refState[i]![k]!;
        for (let e = 0; e < ws.length; e++) assert.ok(Math.abs(gs[e]! - ws[e]!) <= 1e-10 * (1 + Math.abs(ws[e]!)), `step ${t}: state ${s.name}.${slot}[${e}]`);
      });
    });
  }
  await session.release();
}

describe('train step graph matches a TypeScript reference', () => {
  let backend: Backend;
  before(async () => { backend = await Backend.create({ device: 'cpu', threads: 1 }); });
  const tanh: HeadConfig = { inputDim: 5, hidden: [4], classes: 3, seed: 11, activation: 'tanh' };
  const deep: HeadConfig = { inputDim: 4, hidden: [5, 3], classes: 4, seed: 12, activation: 'tanh' };
  const weights = Float32Array.from([2, 0.5, 1]);
  test('SGD', () => runCase(backend, tanh, { kind: 'sgd', lr: 0.1 }));
  test('SGD with momentum and weight decay', () => runCase(backend, tanh, { kind: 'sgd', lr: 0.1, momentum: 0.9, weightDecay: 0.01 }));
  test('Adam with L2 weight decay, class weights', () => runCase(backend, tanh, { kind: 'adam', lr: 0.01, weightDecay: 0.05 }, weights));
  test('AdamW (decoupled decay), two hidden layers', () => runCase(backend, deep, { kind: 'adamw', lr: 0.01, weightDecay: 0.1, beta1: 0.8, beta2: 0.95 }));
  test('AdamW with gradient clipping that binds', () => runCase(backend, tanh, { kind: 'adamw', lr: 0.01, clipNorm: 0.05 }, weights));
  test('SGD with clipping, relu and dropout masks', () => runCase(backend, { inputDim: 5, hidden: [6], classes: 3, seed: 13, dropout: 0.3 }, { kind: 'sgd', lr: 0.5, clipNorm: 0.1 }));
  test('softmax regression (no hidden layer)', () => runCase(backend, { inputDim: 3, hidden: [], classes: 4, seed: 14 }, { kind: 'adam', lr: 0.05 }));
});
