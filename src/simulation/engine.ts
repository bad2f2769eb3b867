/**
 * The numeric engine of a simulation run: fits S classifiers on their labeled rows and scores the
 * whole pool with them. The product's engine runs graphs of the project's graph builder on
 * onnxruntime (`ortEngine.ts`); the tests hold it to a plain TypeScript reference.
 */
import type { Mlp } from './network';
import type { Rng } from './random';

export interface PoolScores {
  /** Per network, per row: the logit (one output) or the logit difference yes - no (two outputs). */
  d: Float32Array[];
  /** Per network: mean cross-entropy over all rows (labels given), else NaN. */
  meanLoss: number[];
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Loss weight of a row of class 0 and of class 1 (Keras' class_weight); default 1 and 1. */
  classWeights?: readonly [number, number];
  /**
   * Called after every epoch with each network's current parameters (copies); returning true
   * ends training there. The networks keep the parameters of the last epoch run.
   */
  onEpoch?: (epoch: number, params: Float32Array[]) => boolean;
}

/** Keras' Adam defaults (the deployed simulation used Keras). */
export const ADAM = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 } as const;

export interface Engine {
  readonly kind: string;
  /**
   * Fits each network in place (already initialised) on its rows `lists[k]` of `x` with labels
   * `y`; `rngs[k]` shuffles its rows every epoch. All lists must have the same length.
   */
  fit(nets: Mlp[], x: Float32Array, y: Uint8Array, lists: Int32Array[], options: FitOptions, rngs: Rng[]): Promise<void>;
  /** Scores `rows` rows of `x` with every network; `y` (0/1 as floats) adds the mean loss. */
  score(nets: Mlp[], x: Float32Array, rows: number, y?: Float32Array): Promise<PoolScores>;
  close(): Promise<void>;
}

/** Two-class output layers collapse to one output with weights w1 - w0 and bias b1 - b0. */
export function collapseToDifference(net: Mlp, createMlp: (sizes: readonly number[]) => Mlp): Mlp {
  const L = net.sizes.length - 1;
  const C = net.sizes[L]!;
  if (C === 1) return net;
  if (C !== 2) throw new Error(`scoring handles one or two outputs, got ${C}`);
  const sizes = [...net.sizes.slice(0, L), 1];
  const out = createMlp(sizes);
  const lastW = net.weightOffset[L - 1]!;
  out.params.set(net.params.subarray(0, lastW));
  const fin = net.sizes[L - 1]!;
  for (let i = 0; i < fin; i++) out.params[lastW + i] = net.params[lastW + 2 * i + 1]! - net.params[lastW + 2 * i]!;
  out.params[lastW + fin] = net.params[lastW + 2 * fin + 1]! - net.params[lastW + 2 * fin]!;
  return out;
}

/** log(1 + e^z) without overflow. */
export function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}
