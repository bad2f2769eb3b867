/**
 * Small fully connected ReLU networks of one shape, S at a time (the simulation study's
 * classifiers, one per strategy of a run: they always train on equally many rows, so their
 * mini-batches line up). Parameters travel as one flat row per network, `[S, P]`: each layer's
 * weights row-major `in x out`, then its bias. A session run then has a handful of inputs whatever
 * the depth, and one Adam update covers every parameter.
 *
 * - train steps: `steps` consecutive Adam steps (Keras' form) on softmax cross-entropy, unrolled in
 *   one graph, from the forward pass through the shared autodiff and optimizer;
 * - scoring: one output per network (two-class networks collapsed to yes - no first) over the
 *   pool, and each network's summed binary cross-entropy.
 */
import { gradients } from '../graph/autodiff';
import type { Value } from '../graph/core';
import { sigmoidCrossEntropy, softmaxCrossEntropy } from '../graph/losses';
import { Graph } from '../graph/ops';
import { applyOptimizer } from '../graph/optimizers';
import { toModelBytes } from '../graph/serialize';

/** Parameters of one network of layer widths `sizes` (inputs first). */
export function ensembleParameterCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += sizes[l]! * sizes[l + 1]! + sizes[l + 1]!;
  return n;
}

export interface AdamConstants { beta1: number; beta2: number; epsilon: number }

/**
 * `steps` consecutive Adam steps for S classifiers of `sizes`, unrolled in one graph: a session run
 * costs about 0.1 ms of fixed overhead here, more than the arithmetic of a 128-row step of these
 * small networks, so several steps share one run.
 * Inputs: x [R, in] and one-hot y [R, C] (every network's labeled rows, stacked); rows
 * [steps, S, batch] (int32: which of them form each step's mini-batches; the gather runs in the
 * graph, one memcpy per row); params, m, v [S, P]; alpha [steps] (each step's size, bias
 * corrections included). `batch` is the mini-batch size, or a symbol for a graph that serves any.
 * Outputs: params_out, m_out, v_out.
 */
export function buildEnsembleTrainSteps(sizes: readonly number[], adam: AdamConstants, steps: number, batch: number | string): Uint8Array {
  const L = sizes.length - 1;
  const P = ensembleParameterCount(sizes);
  const g = new Graph('ensemble_train_steps', { symbolsNeverBroadcast: true });
  const x = g.input('x', 'float32', ['r', sizes[0]!]);
  const y = g.input('y', 'float32', ['r', sizes[L]!]);
  const rows = g.input('rows', 'int32', [steps, 's', batch]);
  let params = g.input('params', 'float32', ['s', P]);
  let m = g.input('m', 'float32', ['s', P]);
  let v = g.input('v', 'float32', ['s', P]);
  const alpha = g.input('alpha', 'float32', [steps]);
  const pieceSizes = sizes.slice(0, L).flatMap((fin, l) => [fin * sizes[l + 1]!, sizes[l + 1]!]);
  for (let k = 0; k < steps; k++) {
    const index = g.constant('int64', [], [k]);
    const picked = g.gather(rows, index, 0);
    const logits = ensembleForward(g, g.split(params, pieceSizes, 1), sizes, g.gather(x, picked, 0));
    const { loss } = softmaxCrossEntropy(g, logits, g.gather(y, picked, 0));
    const [grad] = gradients(g, loss, [params]);
    const [update] = applyOptimizer(g, { kind: 'adam', lr: Number.NaN, beta1: adam.beta1, beta2: adam.beta2, eps: adam.epsilon, adamForm: 'keras' },
      [params], [grad!], [[m, v]], { stepSize: g.gather(alpha, index, 0) });
    params = update!.param;
    [m, v] = update!.state as [Value, Value];
  }
  return toModelBytes(g, { outputs: { params_out: params, m_out: m, v_out: v } });
}

/** Logits [S, B, C] of S networks from their weight and bias pieces (as split from [S, P]) over x [S, B, in]. */
function ensembleForward(g: Graph, pieces: Value[], sizes: readonly number[], x: Value): Value {
  const L = sizes.length - 1;
  let a = x;
  for (let l = 0; l < L; l++) {
    const w = g.reshape(pieces[2 * l]!, [0, sizes[l]!, sizes[l + 1]!]);
    const b = g.reshape(pieces[2 * l + 1]!, [0, 1, sizes[l + 1]!]);
    const z = g.add(g.matmul(a, w), b);
    a = l < L - 1 ? g.relu(z) : z;
  }
  return a;
}

/**
 * Scoring graph for S networks of `sizes` with one output each. Rows are the GEMM's long
 * dimension: x comes transposed ([in, n]) and each layer is Gemm(W^T, a) + b, Relu, which
 * onnxruntime fuses; with n as the wide side of the product the MLAS kernels run about twice as
 * fast as with the 15-wide layers as the wide side.
 * Inputs: x [in, n], y [1, n] (0/1 labels, for the loss), params [S * P].
 * Outputs: `d<k>` [1, n] per network, and `loss` [S]: each network's summed cross-entropy.
 */
export function buildEnsembleScoring(sizes: readonly number[], networks: number): Uint8Array {
  const L = sizes.length - 1;
  if (sizes[L] !== 1) throw new Error(`the scoring graph takes one output (collapse two-class networks first), got ${sizes[L]}`);
  const P = ensembleParameterCount(sizes);
  const g = new Graph('ensemble_scoring');
  const x = g.input('x', 'float32', [sizes[0]!, 'n']);
  const y = g.input('y', 'float32', [1, 'n']);
  const params = g.input('params', 'float32', [networks * P]);
  const outputs: Record<string, Value> = {};
  const slice = (from: number, length: number, shape: number[]) =>
    g.reshape(g.slice(params, { starts: [from], ends: [from + length], axes: [0] }), shape);
  for (let k = 0; k < networks; k++) {
    let a = x;
    let o = k * P;
    for (let l = 0; l < L; l++) {
      const fin = sizes[l]!, fout = sizes[l + 1]!;
      const w = slice(o, fin * fout, [fin, fout]);
      o += fin * fout;
      const b = slice(o, fout, [fout, 1]);
      o += fout;
      const z = g.gemm(w, a, b, { transA: true });
      a = l < L - 1 ? g.relu(z) : z;
    }
    outputs[`d${k}`] = a;
  }
  const logits = Object.values(outputs);
  const d = networks > 1 ? g.concat(logits, 0) : logits[0]!;
  outputs.loss = g.reduceSum(sigmoidCrossEntropy(g, d, y), [1], false);
  return toModelBytes(g, { outputs });
}
