/**
 * The simulation's small fully connected ReLU networks: the random "human" that generates labels
 * and the classifier refit in every iteration. Their forward pass, gradients and Adam steps run as
 * graphs of the project's graph builder (`ortEngine.ts`); this module holds their parameters.
 *
 * Parameters live in one Float32Array per network (weights of a layer row-major `in x out`, then
 * its bias): the flat `[S, P]` layout of `python-free-train/models/mlpEnsemble.ts`, so a network
 * is one transferable buffer.
 */
import { ensembleParameterCount } from '../../python-free-train/models/mlpEnsemble';
import type { Rng } from './random';

export interface Mlp {
  /** Layer widths, inputs first, e.g. [20, 15, 15, 15, 2]. */
  sizes: readonly number[];
  params: Float32Array;
  /** Offset of layer l's weights in `params`; its bias follows at `weightOffset[l] + in * out`. */
  weightOffset: readonly number[];
}

export const parameterCount = ensembleParameterCount;

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
 * One row through a two-class network in plain TypeScript (for a few thousand rows at a time: the
 * held-out slice of early stopping, the candidates of the diverse strategy): the activations of the
 * last hidden layer and the logit difference yes - no.
 */
export function forwardRow(net: Mlp, x: Float32Array, row: number): { hidden: Float32Array; d: number } {
  const L = net.sizes.length - 1;
  if (net.sizes[L] !== 2) throw new Error(`forwardRow takes a two-class network, got ${net.sizes.join('-')}`);
  const inputs = net.sizes[0]!;
  let a: Float32Array = x.subarray(row * inputs, (row + 1) * inputs);
  for (let l = 0; l < L; l++) {
    const fin = net.sizes[l]!, fout = net.sizes[l + 1]!;
    const w = layerWeights(net, l), b = layerBias(net, l);
    const z = new Float32Array(fout);
    for (let o = 0; o < fout; o++) {
      let s = b[o]!;
      for (let i = 0; i < fin; i++) s += a[i]! * w[i * fout + o]!;
      z[o] = l < L - 1 ? Math.max(0, s) : s;
    }
    if (l === L - 1) return { hidden: a, d: z[1]! - z[0]! };
    a = z;
  }
  throw new Error('unreachable');
}
