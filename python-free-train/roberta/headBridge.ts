/**
 * The bridge between the project's MLP head over cached embeddings (`models/mlpHead.ts`, config
 * `{ inputDim: H, hidden: [H], activation: 'tanh' }`) and RoBERTa's classification head
 * (`<s>` -> dense -> tanh -> out_proj): the same function, so a head trained quickly over cached
 * pool embeddings can start fine-tuning of the top layers, or re-score a shortlist with the full
 * model, and a fine-tuned head can score cached embeddings.
 */
import type { RobertaHeadWeights } from './weights';

/** Parameters in the MLP head's order and layout: layer0.weight [in, out], layer0.bias, output.weight, output.bias. */
export interface MlpHeadParam { name: string; shape: number[]; data: Float32Array }

export const MLP_HEAD_CONFIG = (hidden: number, classes: number) => ({ inputDim: hidden, hidden: [hidden], classes, activation: 'tanh' as const });

export function headFromMlpParams(params: readonly MlpHeadParam[]): RobertaHeadWeights {
  const get = (name: string): MlpHeadParam => {
    const p = params.find((x) => x.name === name);
    if (!p) throw new Error(`roberta head: MLP parameter "${name}" is missing (need one tanh hidden layer as wide as the input)`);
    return p;
  };
  const w0 = get('layer0.weight'), b0 = get('layer0.bias'), w1 = get('output.weight'), b1 = get('output.bias');
  const [inDim, hidden] = w0.shape as [number, number];
  const classes = w1.shape[1]!;
  if (params.length !== 4 || inDim !== hidden || w1.shape[0] !== hidden) {
    throw new Error(`roberta head: expected an MLP ${inDim} -> ${inDim} (tanh) -> classes, got layers ${params.map((p) => `${p.name}[${p.shape.join('x')}]`).join(', ')}`);
  }
  return {
    dense: { weight: { shape: [hidden, inDim], data: transpose(w0.data, inDim, hidden) }, bias: { shape: [hidden], data: b0.data.slice() } },
    outProj: { weight: { shape: [classes, hidden], data: transpose(w1.data, hidden, classes) }, bias: { shape: [classes], data: b1.data.slice() } },
  };
}

export function mlpParamsFromHead(head: RobertaHeadWeights): MlpHeadParam[] {
  const [hidden, inDim] = head.dense.weight.shape as [number, number];
  const classes = head.outProj.weight.shape[0]!;
  return [
    { name: 'layer0.weight', shape: [inDim, hidden], data: transpose(head.dense.weight.data, hidden, inDim) },
    { name: 'layer0.bias', shape: [hidden], data: head.dense.bias.data.slice() },
    { name: 'output.weight', shape: [hidden, classes], data: transpose(head.outProj.weight.data, classes, hidden) },
    { name: 'output.bias', shape: [classes], data: head.outProj.bias.data.slice() },
  ];
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = data[r * cols + k]!;
  return out;
}
