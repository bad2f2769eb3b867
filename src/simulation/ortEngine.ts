/**
 * The engine on onnxruntime: the simulation's networks as graphs of the project's graph builder
 * (`python-free-train/models/mlpEnsemble.ts`: forward, autodiff, Adam), run on the CPU through the
 * project's one onnxruntime module (`python-free-train/backend.ts`), loaded lazily so the rest of
 * the simulation works without the native binding.
 */
import type { Session, Tensor as TensorType } from '../../python-free-train/backend';
import { buildEnsembleScoring, buildEnsembleTrainSteps } from '../../python-free-train/models/mlpEnsemble';
import { ADAM, type Engine } from './engine';
import { parameterCount } from './network';

/** Most mini-batches unrolled into one training run (a power of two). */
const MAX_UNROLL = 16;


export interface OrtEngineOptions {
  /** onnxruntime intra-op threads; 1 when runs are spread over worker threads. */
  threads?: number;
  /** Rows per scoring call: activations of a chunk stay in the L2 cache. */
  chunkRows?: number;
}

export async function createOrtEngine(sizes: readonly number[], options: OrtEngineOptions = {}): Promise<Engine> {
  // Loaded on first use with require(): worker threads started from source only have tsx's
  // CommonJS hooks, and bundlers inline a relative require like any import.
  const { Backend, Tensor } = require('../../python-free-train/backend') as typeof import('../../python-free-train/backend');
  const backend = await Backend.create({ device: 'cpu', threads: options.threads ?? 1 });
  const f32 = (data: Float32Array, dims: number[]): TensorType => new Tensor('float32', dims, data);
  const L = sizes.length - 1;
  const scoreSizes = [...sizes.slice(0, L), 1];
  const inputs = sizes[0]!;
  const classes = sizes[L]!;
  const P = parameterCount(sizes);
  const scoreP = parameterCount(scoreSizes);
  const sessions = new Map<string, Session>();
  const session = async (key: string, build: () => Uint8Array): Promise<Session> => {
    let s = sessions.get(key);
    if (!s) sessions.set(key, (s = await backend.session(build(), `simulation ${key}`)));
    return s;
  };
  const chunkRows = options.chunkRows ?? 16384;

  return {
    kind: 'onnxruntime',
    async fit(nets, x, y, lists, fit, rngs) {
      if (!nets.length) return;
      const S = nets.length;
      const n = lists[0]!.length;
      if (lists.some((l) => l.length !== n)) throw new Error('networks fitted together need equally many rows');
      for (const net of nets) if (net.sizes.join() !== sizes.join()) throw new Error(`engine built for ${sizes.join('-')}, got ${net.sizes.join('-')}`);
      // Every network's labeled rows stacked once per fit (network s at s * n); each run then only
      // passes which of them form its mini-batches, and the graph gathers them. Shuffling positions
      // 0..n-1 with the same generator gives the same permutation as shuffling the row list itself.
      const xs = new Float32Array(S * n * inputs);
      const ys = new Float32Array(S * n * classes);
      lists.forEach((list, s) => {
        for (let j = 0; j < n; j++) {
          const row = list[j]!, at = s * n + j;
          xs.set(x.subarray(row * inputs, (row + 1) * inputs), at * inputs);
          // Soft targets scaled by the class weight: -w log p, Keras' class_weight in the mean loss.
          ys[at * classes + y[row]!] = fit.classWeights ? fit.classWeights[y[row]!]! : 1;
        }
      });
      const xsTensor = f32(xs, [S * n, inputs]);
      const ysTensor = f32(ys, [S * n, classes]);
      const orders = lists.map(() => Int32Array.from({ length: n }, (_, j) => j));
      let params: Float32Array = new Float32Array(S * P);
      nets.forEach((net, k) => params.set(net.params, k * P));
      let m: Float32Array = new Float32Array(S * P);
      let v: Float32Array = new Float32Array(S * P);
      const B = Math.max(1, Math.min(fit.batchSize, n));
      const fullBatches = Math.floor(n / B);
      const rest = n - fullBatches * B;
      let maxSteps = 1;
      while (maxSteps * 2 <= Math.min(MAX_UNROLL, fullBatches)) maxSteps *= 2;
      const batchRows = new Int32Array(maxSteps * S * B);
      let t = 0;
      /** Runs `steps` mini-batches of `b` rows starting at row `start` of each network's order. */
      const runSteps = async (start: number, steps: number, b: number) => {
        // Full batches get graphs of that batch size (1 / B is a constant there); the last,
        // partial batch one graph for any size.
        const batch = b === fit.batchSize ? b : 'b';
        const graph = await session(`train-${steps}-${batch}`, () => buildEnsembleTrainSteps(sizes, ADAM, steps, batch));
        const alpha = new Float32Array(steps);
        for (let k = 0; k < steps; k++) {
          for (let s = 0; s < S; s++) {
            const order = orders[s]!, at = (k * S + s) * b, from = start + k * b;
            for (let r = 0; r < b; r++) batchRows[at + r] = s * n + order[from + r]!;
          }
          t++;
          alpha[k] = (fit.learningRate * Math.sqrt(1 - ADAM.beta2 ** t)) / (1 - ADAM.beta1 ** t);
        }
        const result = await graph.run({
          x: xsTensor,
          y: ysTensor,
          rows: Tensor.int32(batchRows.subarray(0, steps * S * b), [steps, S, b]),
          params: f32(params, [S, P]),
          m: f32(m, [S, P]),
          v: f32(v, [S, P]),
          alpha: f32(alpha, [steps]),
        });
        params = result.params_out!.data as Float32Array;
        m = result.m_out!.data as Float32Array;
        v = result.v_out!.data as Float32Array;
      };
      for (let epoch = 0; epoch < fit.epochs; epoch++) {
        orders.forEach((o, k) => rngs[k]!.shuffle(o));
        // Full batches in unrolled groups of 16, 8, 4, 2, 1 steps, then the partial batch (Keras' order).
        let done = 0;
        for (let steps = maxSteps; done < fullBatches; ) {
          if (fullBatches - done >= steps) {
            await runSteps(done * B, steps, B);
            done += steps;
          } else steps >>= 1;
        }
        if (rest) await runSteps(fullBatches * B, 1, rest);
        if (fit.onEpoch?.(epoch + 1, nets.map((_, k) => params.slice(k * P, (k + 1) * P)))) break;
      }
      nets.forEach((net, k) => net.params.set(params.subarray(k * P, (k + 1) * P)));
    },
    async score(nets, x, rows, y) {
      const S = nets.length;
      const run = await session(`score-${S}`, () => buildEnsembleScoring(scoreSizes, S));
      const params = new Float32Array(S * scoreP);
      nets.forEach((net, k) => {
        if (net.sizes.length !== sizes.length || net.sizes.slice(0, L).join() !== sizes.slice(0, L).join()) {
          throw new Error(`engine built for ${sizes.join('-')}, got ${net.sizes.join('-')}`);
        }
        params.set(collapsed(net.params, net.sizes), k * scoreP);
      });
      const paramsTensor = f32(params, [S * scoreP]);
      const blocks = transposedBlocks(x, rows, inputs, chunkRows);
      const d = nets.map(() => new Float32Array(rows));
      const lossSum = new Float64Array(S);
      const zeros = y ? undefined : new Float32Array(Math.min(chunkRows, rows));
      for (let r0 = 0, b = 0; r0 < rows; r0 += chunkRows, b++) {
        const n = Math.min(chunkRows, rows - r0);
        const result = await run.run({
          x: f32(blocks.subarray(r0 * inputs, (r0 + n) * inputs), [inputs, n]),
          y: f32(y ? y.subarray(r0, r0 + n) : zeros!.subarray(0, n), [1, n]),
          params: paramsTensor,
        });
        const loss = result.loss!.data as Float32Array;
        for (let k = 0; k < S; k++) {
          d[k]!.set(result[`d${k}`]!.data as Float32Array, r0);
          lossSum[k] += loss[k]!;
        }
      }
      return { d, meanLoss: Array.from(lossSum, (s) => (y ? s / rows : NaN)) };
    },
    async close() {
      for (const s of sessions.values()) await s.release();
      sessions.clear();
    },
  };
}

/**
 * The pool in the scoring layout: consecutive blocks of `blockRows` rows, each stored transposed
 * (inputs x rows), built once per pool and kept while the pool's array is alive.
 */
const transposedCache = new WeakMap<Float32Array, { blockRows: number; rows: number; data: Float32Array }>();

function transposedBlocks(x: Float32Array, rows: number, inputs: number, blockRows: number): Float32Array {
  const hit = transposedCache.get(x);
  if (hit && hit.blockRows === blockRows && hit.rows >= rows) return hit.data;
  const data = new Float32Array(rows * inputs);
  for (let r0 = 0; r0 < rows; r0 += blockRows) {
    const n = Math.min(blockRows, rows - r0);
    const base = r0 * inputs;
    for (let r = 0; r < n; r++) {
      const src = (r0 + r) * inputs;
      for (let i = 0; i < inputs; i++) data[base + i * n + r] = x[src + i]!;
    }
  }
  transposedCache.set(x, { blockRows, rows, data });
  return data;
}

/** A network's params with a two-class output collapsed to yes - no (the scoring graph's layout). */
function collapsed(params: Float32Array, sizes: readonly number[]): Float32Array {
  const L = sizes.length - 1;
  if (sizes[L] === 1) return params;
  const fin = sizes[L - 1]!;
  const lastW = parameterCount(sizes.slice(0, L));
  const out = new Float32Array(lastW + fin + 1);
  out.set(params.subarray(0, lastW));
  for (let i = 0; i < fin; i++) out[lastW + i] = params[lastW + 2 * i + 1]! - params[lastW + 2 * i]!;
  out[lastW + fin] = params[lastW + 2 * fin + 1]! - params[lastW + 2 * fin]!;
  return out;
}
