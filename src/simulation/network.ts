/**
 * The simulation's small fully connected ReLU networks, in plain TypeScript: the random "human"
 * that generates labels and the classifier refit in every iteration (forward, backward, Adam).
 *
 * Parameters live in one Float32Array per network (weights of a layer row-major `in x out`, then
 * its bias), so an Adam step is a single loop and a network is one transferable buffer.
 */
import type { Rng } from './random';

export interface Mlp {
  /** Layer widths, inputs first, e.g. [20, 15, 15, 15, 2]. */
  sizes: readonly number[];
  params: Float32Array;
  /** Offset of layer l's weights in `params`; its bias follows at `weightOffset[l] + in * out`. */
  weightOffset: readonly number[];
}

export function parameterCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
  return n;
}

export function createMlp(sizes: readonly number[], params?: Float32Array): Mlp {
  if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) throw new Error(`invalid layer sizes ${sizes.join('-')}`);
  const weightOffset: number[] = [];
  let o = 0;
  for (let l = 0; l + 1 < sizes.length; l++) {
    weightOffset.push(o);
    o += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
  }
  if (params && params.length !== o) throw new Error(`expected ${o} parameters for ${sizes.join('-')}, got ${params.length}`);
  return { sizes, params: params ?? new Float32Array(o), weightOffset };
}

export function layerWeights(net: Mlp, l: number): Float32Array {
  const o = net.weightOffset[l]!;
  return net.params.subarray(o, o + net.sizes[l]! * net.sizes[l + 1]!);
}

export function layerBias(net: Mlp, l: number): Float32Array {
  const o = net.weightOffset[l]! + net.sizes[l]! * net.sizes[l + 1]!;
  return net.params.subarray(o, o + net.sizes[l + 1]!);
}

/** Keras' default Dense initialisation: Glorot-uniform kernels, zero biases. */
export function initGlorot(net: Mlp, rng: Rng): void {
  net.params.fill(0);
  for (let l = 0; l + 1 < net.sizes.length; l++) {
    const fanIn = net.sizes[l]!, fanOut = net.sizes[l + 1]!;
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const w = layerWeights(net, l);
    for (let i = 0; i < w.length; i++) w[i] = (2 * rng.uniform() - 1) * limit;
  }
}

/**
 * The data-generating network's initialisation (the deployed simulation): He-normal weights
 * `N(0, 2 / fan_in)`, biases `N(0, 1)`, the last bias 0 (it is set later to hit the imbalance).
 */
export function initGenerator(net: Mlp, rng: Rng): void {
  const L = net.sizes.length - 1;
  for (let l = 0; l < L; l++) {
    const sd = Math.sqrt(2 / net.sizes[l]!);
    const w = layerWeights(net, l);
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * sd;
    const b = layerBias(net, l);
    for (let i = 0; i < b.length; i++) b[i] = l === L - 1 ? 0 : rng.normal();
  }
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
