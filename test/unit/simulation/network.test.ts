import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADAM } from '../../../src/simulation/engine';
import { createDenseEngine } from '../../helpers/denseSimulation';
import { createMlp, initGlorot } from '../../../src/simulation/network';
import { trainClassifier } from '../../helpers/denseSimulation';
import { Rng } from '../../../src/simulation/random';

/**
 * A deliberately plain reference: nested arrays, per-example loops, the textbook formulas for the
 * softmax cross-entropy gradient and Keras' Adam update.
 */
function referenceTrain(sizes: number[], params: number[], x: number[][], y: number[], epochs: number, batch: number, lr: number, rng: Rng): number[] {
  const L = sizes.length - 1;
  const W: number[][][] = [], b: number[][] = [];
  let o = 0;
  for (let l = 0; l < L; l++) {
    W.push(Array.from({ length: sizes[l]! }, (_, i) => Array.from({ length: sizes[l + 1]! }, (_, j) => params[o + i * sizes[l + 1]! + j]!)));
    o += sizes[l]! * sizes[l + 1]!;
    b.push(params.slice(o, o + sizes[l + 1]!));
    o += sizes[l + 1]!;
  }
  const zeros = () => ({ W: W.map((m) => m.map((r) => r.map(() => 0))), b: b.map((v) => v.map(() => 0)) });
  const m = zeros(), v = zeros();
  let t = 0;
  const order = Int32Array.from(x.keys());
  for (let e = 0; e < epochs; e++) {
    rng.shuffle(order);
    for (let s = 0; s < order.length; s += batch) {
      const rows = Array.from(order.slice(s, s + batch));
      const g = zeros();
      for (const r of rows) {
        const acts: number[][] = [x[r]!];
        for (let l = 0; l < L; l++) {
          const z = b[l]!.map((bj, j) => bj + acts[l]!.reduce((acc, a, i) => acc + a * W[l]![i]![j]!, 0));
          acts.push(l < L - 1 ? z.map((q) => Math.max(0, q)) : z);
        }
        const logits = acts[L]!;
        const mx = Math.max(...logits);
        const ex = logits.map((q) => Math.exp(q - mx));
        const sum = ex.reduce((a2, c) => a2 + c, 0);
        let delta = ex.map((q, c) => (q / sum - (c === y[r] ? 1 : 0)) / rows.length);
        for (let l = L - 1; l >= 0; l--) {
          for (let i = 0; i < sizes[l]!; i++) for (let j = 0; j < sizes[l + 1]!; j++) g.W[l]![i]![j]! += acts[l]![i]! * delta[j]!;
          for (let j = 0; j < sizes[l + 1]!; j++) g.b[l]![j]! += delta[j]!;
          if (l > 0) delta = acts[l]!.map((a, i) => (a > 0 ? W[l]![i]!.reduce((acc, w, j) => acc + w * delta[j]!, 0) : 0));
        }
      }
      t++;
      const alpha = lr * Math.sqrt(1 - ADAM.beta2 ** t) / (1 - ADAM.beta1 ** t);
      const update = (p: number[], gp: number[], mp: number[], vp: number[]) => {
        for (let k = 0; k < p.length; k++) {
          mp[k] = ADAM.beta1 * mp[k]! + (1 - ADAM.beta1) * gp[k]!;
          vp[k] = ADAM.beta2 * vp[k]! + (1 - ADAM.beta2) * gp[k]! ** 2;
          p[k] = p[k]! - alpha * mp[k]! / (Math.sqrt(vp[k]!) + ADAM.epsilon);
        }
      };
      for (let l = 0; l < L; l++) {
        W[l]!.forEach((row, i) => update(row, g.W[l]![i]!, m.W[l]![i]!, v.W[l]![i]!));
        update(b[l]!, g.b[l]!, m.b[l]!, v.b[l]!);
      }
    }
  }
  const out: number[] = [];
  for (let l = 0; l < L; l++) { for (const row of W[l]!) out.push(...row); out.push(...b[l]!); }
  return out;
}

test('training matches a plain forward/backward/Adam reference', () => {
  const sizes = [3, 5, 4, 2];
  const rng = new Rng(11);
  const rows = 23;
  const xs = Array.from({ length: rows }, () => [rng.normal(), rng.normal(), rng.normal()]);
  const ys = xs.map((r) => (r[0]! + 0.5 * r[1]! > 0.3 ? 1 : 0));
  const net = createMlp(sizes);
  initGlorot(net, new Rng(12));
  const start = Array.from(net.params);
  const x = Float32Array.from(xs.flat());
  const y = Uint8Array.from(ys);
  trainClassifier(net, x, y, Int32Array.from(xs.keys()), { epochs: 4, batchSize: 8, learningRate: 0.01, rng: new Rng(13) });
  // The reference computes in doubles from float32-rounded starting values and inputs.
  const expected = referenceTrain(sizes, start, xs.map((r) => r.map((v) => Math.fround(v))), ys, 4, 8, 0.01, new Rng(13));
  const worst = Math.max(...expected.map((e, k) => Math.abs(e - net.params[k]!)));
  assert.ok(worst < 1e-5, `largest difference ${worst}`);
  assert.ok(Math.max(...start.map((s, k) => Math.abs(s - net.params[k]!))) > 0.01, 'the parameters moved');
});

test('training lowers the loss on a learnable problem', async () => {
  const rng = new Rng(3);
  const rows = 600;
  const x = new Float32Array(rows * 4);
  rng.fillNormal(x);
  const y = Uint8Array.from({ length: rows }, (_, r) => (x[r * 4]! - x[r * 4 + 2]! > 0.5 ? 1 : 0));
  const yf = Float32Array.from(y);
  const net = createMlp([4, 8, 2]);
  initGlorot(net, new Rng(4));
  const engine = createDenseEngine();
  const before = (await engine.score([net], x, rows, yf)).meanLoss[0]!;
  await engine.fit([net], x, y, [Int32Array.from({ length: rows }, (_, i) => i)], { epochs: 30, batchSize: 32, learningRate: 0.01 }, [new Rng(5)]);
  const after = (await engine.score([net], x, rows, yf)).meanLoss[0]!;
  assert.ok(after < before * 0.5, `loss ${before} -> ${after}`);
});
