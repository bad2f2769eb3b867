/**
 * The three graphs of the MLP classification head. One function (`headForward`) builds the
 * forward pass of all three, so training, evaluation and inference cannot drift apart:
 * - train: batch (x, y), parameters, optimizer state, step, lr [, dropout masks] ->
 *   loss, updated parameters, updated state;
 * - eval: x, y, parameters -> loss, per-example nll, probabilities;
 * - infer: x -> probabilities, with the parameters as inputs or embedded as initializers.
 * The batch dimension is symbolic, so the last partial batch runs through the same session.
 */
import { gradients } from '../graph/autodiff';
import type { Value } from '../graph/core';
import { softmaxCrossEntropy } from '../graph/losses';
import { Graph } from '../graph/ops';
import { type OptimizerConfig, applyOptimizer, clipByGlobalNorm, optimizerDefaults, stateSlots } from '../graph/optimizers';
import { toModelBytes } from '../graph/serialize';
import type { DType } from '../graph/types';

export type Activation = 'relu' | 'tanh' | 'gelu';
export const ACTIVATIONS = ['relu', 'tanh', 'gelu'] as const;

export interface HeadConfig {
  inputDim: number;
  hidden: number[];
  classes: number;
  /** Dropout after each hidden activation while training (0 = none). */
  dropout?: number;
  seed: number;
  /** Hidden activation (default relu, He initialization; tanh uses Xavier). */
  activation?: Activation;
}

export interface ParamSpec { name: string; shape: [number] | [number, number] }

export const BATCH = 'batch';

/** Parameters in order: layer{i}.weight [in, out], layer{i}.bias [out], ..., output last. */
export function paramSpecs(c: HeadConfig): ParamSpec[] {
  const dims = [c.inputDim, ...c.hidden, c.classes];
  const specs: ParamSpec[] = [];
  for (let i = 0; i + 1 < dims.length; i++) {
    const name = i === dims.length - 2 ? 'output' : `layer${i}`;
    specs.push({ name: `${name}.weight`, shape: [dims[i]!, dims[i + 1]!] }, { name: `${name}.bias`, shape: [dims[i + 1]!] });
  }
  return specs;
}

export const stateName = (param: string, slot: string) => `${param}.${slot}`;
export const updatedName = (name: string) => `${name}.next`;
export const maskName = (layer: number) => `dropout${layer}.mask`;

export function validateConfig(c: HeadConfig): void {
  const bad = (what: string) => { throw new Error(`mlp head: ${what}`); };
  if (!(Number.isInteger(c.inputDim) && c.inputDim > 0)) bad(`inputDim must be a positive integer, got ${c.inputDim}`);
  if (!(Number.isInteger(c.classes) && c.classes >= 2)) bad(`classes must be an integer >= 2, got ${c.classes}`);
  if (!c.hidden.every((h) => Number.isInteger(h) && h > 0)) bad(`hidden sizes must be positive integers, got [${c.hidden.join(', ')}]`);
  if (c.dropout !== undefined && !(c.dropout >= 0 && c.dropout < 1)) bad(`dropout must be in [0, 1), got ${c.dropout}`);
  if (c.activation !== undefined && !ACTIVATIONS.includes(c.activation)) bad(`unknown activation "${String(c.activation)}". Should be one of: ${ACTIVATIONS.join(', ')}`);
}

/** Logits of the head for `x` [batch, inputDim]; `masks` apply inverted dropout after hidden layers. */
export function headForward(g: Graph, c: HeadConfig, x: Value, params: readonly Value[], masks?: readonly Value[]): Value {
  const layers = params.length / 2;
  let h = x;
  for (let i = 0; i < layers; i++) {
    const last = i === layers - 1;
    h = g.scope(last ? 'output' : `layer${i}`, () => {
      const z = g.add(g.matmul(h, params[2 * i]!), params[2 * i + 1]!);
      if (last) return z;
      const a = c.activation === 'tanh' ? g.tanh(z) : c.activation === 'gelu' ? g.gelu(z) : g.relu(z);
      const mask = masks?.[i];
      return mask ? g.dropout(a, { ratio: c.dropout ?? 0, mask }) : a;
    });
  }
  return g.rename(h, 'logits');
}

export interface TrainGraphOptions {
  optimizer: OptimizerConfig;
  classWeights?: Float32Array;
  /** Element type of every float tensor (float64 for gradient checks; default float32). */
  dtype?: DType;
}

function declareParams(g: Graph, c: HeadConfig, dtype: DType): Value[] {
  return paramSpecs(c).map((s) => g.input(s.name, dtype, s.shape));
}

function declareBatch(g: Graph, c: HeadConfig, dtype: DType, labels: boolean): { x: Value; y?: Value } {
  const x = g.input('x', dtype, [BATCH, c.inputDim]);
  return labels ? { x, y: g.input('y', 'int32', [BATCH]) } : { x };
}

function classWeightsValue(g: Graph, c: HeadConfig, weights: Float32Array | undefined, dtype: DType): Value | undefined {
  if (!weights) return undefined;
  if (weights.length !== c.classes) throw new Error(`mlp head: ${weights.length} class weights for ${c.classes} classes`);
  return g.constant(dtype, [c.classes], Array.from(weights));
}

export function buildTrainGraph(c: HeadConfig, o: TrainGraphOptions): Uint8Array {
  validateConfig(c);
  const dtype = o.dtype ?? 'float32';
  const g = new Graph('mlp_head_train_step');
  const { x, y } = declareBatch(g, c, dtype, true);
  const params = declareParams(g, c, dtype);
  const slots = stateSlots(o.optimizer);
  const state = paramSpecs(c).map((s) => slots.map((slot) => g.input(stateName(s.name, slot), dtype, s.shape)));
  const step = g.input('step', dtype, []);
  const lr = g.input('lr', dtype, []);
  const masks = (c.dropout ?? 0) > 0 ? c.hidden.map((h, i) => g.input(maskName(i), dtype, [BATCH, h])) : undefined;
  const logits = g.scope('forward', () => headForward(g, c, x, params, masks));
  const { loss } = softmaxCrossEntropy(g, logits, y!, classWeightsValue(g, c, o.classWeights, dtype));
  let grads = gradients(g, loss, params);
  const clip = optimizerDefaults(o.optimizer).clipNorm;
  let norm: Value | undefined;
  if (clip > 0) ({ grads, norm } = clipByGlobalNorm(g, grads, clip));
  const updates = applyOptimizer(g, o.optimizer, params, grads, state, { lr, step });
  const outputs: Record<string, Value> = { loss };
  if (norm) outputs.grad_norm = norm;
  paramSpecs(c).forEach((s, i) => {
    outputs[updatedName(s.name)] = updates[i]!.param;
    slots.forEach((slot, k) => { outputs[updatedName(stateName(s.name, slot))] = updates[i]!.state[k]!; });
  });
  return toModelBytes(g, { outputs });
}

/** Name of the gradient output of a parameter in the objective graph. */
export const gradName = (param: string) => `${param}.grad`;

/**
 * The penalized objective of a head, for full-batch solvers (L-BFGS): inputs x, y, a weight per
 * row (class weight, or 0 for rows outside the current fold), the L2 strength `l2` (scalar) and the
 * parameters; outputs `loss` = sum(row_weight * nll) + l2 / 2 * (sum of squared weight matrices;
 * biases are not penalized, as in scikit-learn's LogisticRegression), the gradient of every
 * parameter (`<name>.grad`) and the probabilities of every row, so held-out rows are scored in the
 * same run by giving them weight 0.
 */
export function buildObjectiveGraph(c: HeadConfig, o: { dtype?: DType } = {}): Uint8Array {
  validateConfig(c);
  const dtype = o.dtype ?? 'float32';
  const g = new Graph('mlp_head_objective');
  const { x, y } = declareBatch(g, c, dtype, true);
  const rowWeight = g.input('row_weight', dtype, [BATCH]);
  const l2 = g.input('l2', dtype, []);
  const params = declareParams(g, c, dtype);
  const logits = headForward(g, c, x, params);
  const { nll, logProbs } = softmaxCrossEntropy(g, logits, y!);
  let penalty: Value | null = null;
  paramSpecs(c).forEach((s, i) => {
    if (s.shape.length !== 2) return;
    const sq = g.reduceSum(g.mul(params[i]!, params[i]!));
    penalty = penalty ? g.add(penalty, sq) : sq;
  });
  const data = g.reduceSum(g.mul(rowWeight, nll));
  const loss = g.rename(g.add(data, g.mul(g.mul(g.s(0.5, l2), l2), penalty!)), 'loss');
  const grads = gradients(g, loss, params);
  const outputs: Record<string, Value> = { loss, probs: g.exp(logProbs) };
  paramSpecs(c).forEach((s, i) => { outputs[gradName(s.name)] = grads[i]!; });
  return toModelBytes(g, { outputs });
}

export function buildEvalGraph(c: HeadConfig, o: { classWeights?: Float32Array; dtype?: DType } = {}): Uint8Array {
  validateConfig(c);
  const dtype = o.dtype ?? 'float32';
  const g = new Graph('mlp_head_eval');
  const { x, y } = declareBatch(g, c, dtype, true);
  const params = declareParams(g, c, dtype);
  const logits = headForward(g, c, x, params);
  const { loss, nll } = softmaxCrossEntropy(g, logits, y!, classWeightsValue(g, c, o.classWeights, dtype));
  return toModelBytes(g, { outputs: { loss, nll, probs: g.softmax(logits, 1) } });
}

/** Inference graph; with `weights` the parameters are embedded as initializers (for export and fast scoring). */
/**
 * `inputType: 'float16'` takes half-precision features (cached embeddings as stored) and widens
 * them to float32 in the graph; the head itself always computes in float32.
 */
export function buildInferGraph(c: HeadConfig, weights?: readonly Float32Array[], o: { inputType?: 'float32' | 'float16' } = {}): Uint8Array {
  validateConfig(c);
  const g = new Graph('mlp_head_infer');
  const input = g.input('x', o.inputType ?? 'float32', [BATCH, c.inputDim]);
  const x = input.dtype === 'float32' ? input : g.cast(input, 'float32');
  const specs = paramSpecs(c);
  const params = weights
    ? specs.map((s, i) => g.initializer(s.name, 'float32', s.shape, weights[i]!))
    : declareParams(g, c, 'float32');
  const logits = headForward(g, c, x, params);
  return toModelBytes(g, { outputs: { probs: g.softmax(logits, 1) } });
}
