/**
 * The simulation's networks in plain TypeScript: forward pass, backward pass and Keras' Adam in
 * loops, and an engine made of them. The reference the onnxruntime engine (graphs of the project's
 * graph builder) is held to in the tests; not part of the product.
 */
import { collapseToDifference, softplus, type Engine } from '../../src/simulation/engine';
import { createMlp, layerBias, layerWeights, type Mlp } from '../../src/simulation/network';
import type { Rng } from '../../src/simulation/random';

export function createDenseEngine(): Engine {
  return {
    kind: 'dense',
    async fit(nets, x, y, lists, options, rngs) {
      nets.forEach((net, k) => trainClassifier(net, x, y, lists[k]!, { ...options, rng: rngs[k]! }));
    },
    async score(nets, x, rows, y) {
      const d: Float32Array[] = [];
      const meanLoss: number[] = [];
      for (const net of nets) {
        const out = new Float32Array(rows);
        forward(collapseToDifference(net, createMlp), x, rows, out);
        let lossSum = 0;
        if (y) for (let r = 0; r < rows; r++) lossSum += softplus(out[r]!) - y[r]! * out[r]!;
        d.push(out);
        meanLoss.push(y ? lossSum / rows : NaN);
      }
      return { d, meanLoss };
    },
    async close() {},
  };
}

/**
 * Forward pass over `rows` rows of `x` (row-major, `sizes[0]` columns) into `out` (row-major,
 * last-layer width); ReLU on hidden layers, raw logits at the end. Plain loops, rows in blocks so
 * the activations stay in cache. The reference implementation, and the scorer where onnxruntime
 * is unavailable.
 */
export function forward(net: Mlp, x: Float32Array, rows: number, out: Float32Array, xOffsetRows = 0): void {
  const { sizes } = net;
  const L = sizes.length - 1;
  const maxWidth = Math.max(...sizes);
  const block = 256;
  const bufA = new Float64Array(block * maxWidth);
  const bufB = new Float64Array(block * maxWidth);
  const inputs = sizes[0]!;
  for (let r0 = 0; r0 < rows; r0 += block) {
    const n = Math.min(block, rows - r0);
    let cur = bufA, next = bufB;
    const xBase = (xOffsetRows + r0) * inputs;
    for (let i = 0; i < n * inputs; i++) cur[i] = x[xBase + i]!;
    for (let l = 0; l < L; l++) {
      const fin = sizes[l]!, fout = sizes[l + 1]!;
      const w = layerWeights(net, l), b = layerBias(net, l);
      const hidden = l < L - 1;
      for (let r = 0; r < n; r++) {
        const zo = r * fout, ao = r * fin;
        for (let j = 0; j < fout; j++) next[zo + j] = b[j]!;
        for (let i = 0; i < fin; i++) {
          const a = cur[ao + i]!;
          if (a === 0) continue;
          const wo = i * fout;
          for (let j = 0; j < fout; j++) next[zo + j] += a * w[wo + j]!;
        }
        if (hidden) for (let j = 0; j < fout; j++) if (next[zo + j]! < 0) next[zo + j] = 0;
      }
      const t = cur; cur = next; next = t;
    }
    const fo = sizes[L]!;
    const base = r0 * fo;
    for (let i = 0; i < n * fo; i++) out[base + i] = cur[i]!;
  }
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Adam as in Keras: beta1 0.9, beta2 0.999, epsilon 1e-7 added to sqrt(v) (not to sqrt(v-hat)). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Shuffles the rows each epoch (Keras `fit(shuffle=True)`, the default). */
  rng: Rng;
}

/**
 * Fits a classifier with a softmax output on `rows` (indices into `x`) with integer class labels
 * `y[row]`, minimising mean categorical cross-entropy per mini-batch with Adam. Returns the mean
 * training loss of the last epoch.
 */
export function trainClassifier(net: Mlp, x: Float32Array, y: Uint8Array, rows: Int32Array, opts: TrainOptions): number {
  const { sizes } = net;
  const L = sizes.length - 1;
  const classes = sizes[L]!;
  const inputs = sizes[0]!;
  const beta1 = opts.beta1 ?? 0.9, beta2 = opts.beta2 ?? 0.999, eps = opts.epsilon ?? 1e-7;
  const B = Math.max(1, Math.min(opts.batchSize, rows.length));
  // Activations per layer (post-ReLU for hidden layers, inputs for layer 0), row-major B x width.
  const acts: Float64Array[] = sizes.map((s) => new Float64Array(B * s));
  const deltas: Float64Array[] = sizes.map((s) => new Float64Array(B * s));
  const grad = new Float64Array(net.params.length);
  const m = new Float64Array(net.params.length);
  const v = new Float64Array(net.params.length);
  const p = net.params;
  const order = Int32Array.from(rows);
  let step = 0;
  let lastEpochLoss = NaN;
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    opts.rng.shuffle(order);
    let lossSum = 0;
    for (let start = 0; start < order.length; start += B) {
      const n = Math.min(B, order.length - start);
      // Gather inputs.
      const a0 = acts[0]!;
      for (let r = 0; r < n; r++) {
        const src = order[start + r]! * inputs;
        for (let i = 0; i < inputs; i++) a0[r * inputs + i] = x[src + i]!;
      }
      // Forward.
      for (let l = 0; l < L; l++) {
        const fin = sizes[l]!, fout = sizes[l + 1]!;
        const wo0 = net.weightOffset[l]!, bo = wo0 + fin * fout;
        const cur = acts[l]!, next = acts[l + 1]!;
        const hidden = l < L - 1;
        for (let r = 0; r < n; r++) {
          const zo = r * fout, ao = r * fin;
          for (let j = 0; j < fout; j++) next[zo + j] = p[bo + j]!;
          for (let i = 0; i < fin; i++) {
            const a = cur[ao + i]!;
            if (a === 0) continue;
            const wo = wo0 + i * fout;
            for (let j = 0; j < fout; j++) next[zo + j] += a * p[wo + j]!;
          }
          if (hidden) for (let j = 0; j < fout; j++) if (next[zo + j]! < 0) next[zo + j] = 0;
        }
      }
      // Softmax cross-entropy; delta of the logits is (softmax - onehot) / n.
      const logits = acts[L]!, dOut = deltas[L]!;
      for (let r = 0; r < n; r++) {
        const o = r * classes;
        let mx = -Infinity;
        for (let c = 0; c < classes; c++) if (logits[o + c]! > mx) mx = logits[o + c]!;
        let s = 0;
        for (let c = 0; c < classes; c++) s += Math.exp(logits[o + c]! - mx);
        const logZ = mx + Math.log(s);
        const target = y[order[start + r]!]!;
        lossSum += logZ - logits[o + target]!;
        for (let c = 0; c < classes; c++) dOut[o + c] = (Math.exp(logits[o + c]! - logZ) - (c === target ? 1 : 0)) / n;
      }
      // Backward.
      grad.fill(0);
      for (let l = L - 1; l >= 0; l--) {
        const fin = sizes[l]!, fout = sizes[l + 1]!;
        const wo0 = net.weightOffset[l]!, bo = wo0 + fin * fout;
        const a = acts[l]!, d = deltas[l + 1]!, dPrev = deltas[l]!;
        const needPrev = l > 0;
        for (let r = 0; r < n; r++) {
          const ao = r * fin, dz = r * fout;
          for (let j = 0; j < fout; j++) grad[bo + j] += d[dz + j]!;
          for (let i = 0; i < fin; i++) {
            const ai = a[ao + i]!;
            const wo = wo0 + i * fout;
            if (ai === 0) {
              // ReLU was inactive (or the input is exactly 0): no weight gradient, no delta.
              if (needPrev) dPrev[ao + i] = 0;
              continue;
            }
            let back = 0;
            for (let j = 0; j < fout; j++) {
              const dj = d[dz + j]!;
              grad[wo + j] += ai * dj;
              back += dj * p[wo + j]!;
            }
            if (needPrev) dPrev[ao + i] = back;
          }
        }
      }
      // Adam (Keras form).
      step++;
      const alpha = (opts.learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
      for (let k = 0; k < p.length; k++) {
        const g = grad[k]!;
        const mk = (m[k] = beta1 * m[k]! + (1 - beta1) * g);
        const vk = (v[k] = beta2 * v[k]! + (1 - beta2) * g * g);
        p[k] = p[k]! - (alpha * mk) / (Math.sqrt(vk) + eps);
      }
    }
    lastEpochLoss = lossSum / order.length;
  }
  return lastEpochLoss;
}
