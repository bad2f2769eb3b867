/**
 * The RoBERTa encoder (embeddings, N layers, optional classification head) built on the project's
 * graph builder. Batch and sequence are symbolic (`batch`, `seq`): a batch is padded only to its
 * longest text. Parameters are either initializers (inference) or graph inputs (training and
 * gradient checks), chosen per tensor, so fine-tuning the top K layers feeds only those.
 */
import type { Value } from '../graph/core';
import { floatsToHalves } from '../graph/half';
import type { Graph } from '../graph/ops';
import type { DType } from '../graph/types';
import type { RobertaConfig } from './config';
import type { FloatTensor } from './safetensors';
import type { RobertaWeights } from './weights';

export const BATCH = 'batch';
export const SEQ = 'seq';
export const INPUT_IDS = 'input_ids';
export const ATTENTION_MASK = 'attention_mask';

/** Graph values of one linear layer, weight in [in, out] layout (transposed from Hugging Face). */
export interface LinearValues { weight: Value; bias: Value }
export interface NormValues { weight: Value; bias: Value }
export interface LayerValues {
  query: LinearValues; key: LinearValues; value: LinearValues; attentionOutput: LinearValues; attentionNorm: NormValues;
  intermediate: LinearValues; output: LinearValues; outputNorm: NormValues;
}
export interface EncoderValues {
  wordEmbeddings: Value; positionEmbeddings: Value; tokenType: Value; embeddingsNorm: NormValues;
  layers: LayerValues[];
  head?: { dense: LinearValues; outProj: LinearValues };
}

export interface ParamOptions {
  dtype?: DType;
  /** Tensors (by parameter name, e.g. `layer.1.query.weight`, `head.dense.bias`) fed as graph inputs instead of initializers. */
  asInput?: (name: string) => boolean;
}

/** A parameter tensor with its graph name and the data to feed or embed. */
export interface ParamTensor { name: string; shape: number[]; data: Float32Array }

/**
 * Every parameter of `w` as the graph sees it (linear weights transposed to [in, out]), in a
 * fixed order. The name is the graph input or initializer name.
 */
export function robertaParamTensors(w: RobertaWeights): ParamTensor[] {
  const out: ParamTensor[] = [];
  const plain = (name: string, t: FloatTensor) => out.push({ name, shape: [...t.shape], data: t.data });
  const linear = (name: string, l: { weight: FloatTensor; bias: FloatTensor }) => {
    const [o, i] = l.weight.shape as [number, number];
    out.push({ name: `${name}.weight`, shape: [i, o], data: transpose(l.weight.data, o, i) });
    plain(`${name}.bias`, l.bias);
  };
  plain('embeddings.word', w.wordEmbeddings);
  plain('embeddings.position', w.positionEmbeddings);
  // Token type is always 0 for single texts: only that row is used.
  out.push({ name: 'embeddings.token_type', shape: [w.tokenTypeEmbeddings.shape[1]!], data: w.tokenTypeEmbeddings.data.slice(0, w.tokenTypeEmbeddings.shape[1]) });
  plain('embeddings.norm.weight', w.embeddingsLayerNorm.weight);
  plain('embeddings.norm.bias', w.embeddingsLayerNorm.bias);
  w.layers.forEach((l, i) => {
    const p = `layer.${i}`;
    linear(`${p}.query`, l.query); linear(`${p}.key`, l.key); linear(`${p}.value`, l.value);
    linear(`${p}.attention_output`, l.attentionOutput);
    plain(`${p}.attention_norm.weight`, l.attentionLayerNorm.weight); plain(`${p}.attention_norm.bias`, l.attentionLayerNorm.bias);
    linear(`${p}.intermediate`, l.intermediate); linear(`${p}.output`, l.output);
    plain(`${p}.output_norm.weight`, l.outputLayerNorm.weight); plain(`${p}.output_norm.bias`, l.outputLayerNorm.bias);
  });
  if (w.head) { linear('head.dense', w.head.dense); linear('head.out_proj', w.head.outProj); }
  return out;
}

/** Declares every parameter in `g` (initializer or input per `asInput`); returns the values by name. */
export function declareParams(g: Graph, params: readonly ParamTensor[], o: ParamOptions = {}): Map<string, Value> {
  const dtype = o.dtype ?? 'float32';
  const byName = new Map<string, Value>();
  for (const p of params) {
    const data = dtype === 'float64' ? Float64Array.from(p.data) : dtype === 'float16' ? floatsToHalves(p.data) : p.data;
    byName.set(p.name, o.asInput?.(p.name) ? g.input(p.name, dtype, p.shape) : g.initializer(p.name, dtype, p.shape, data));
  }
  return byName;
}

export function encoderValues(byName: ReadonlyMap<string, Value>, c: RobertaConfig): EncoderValues {
  const v = (name: string): Value => {
    const x = byName.get(name);
    if (!x) throw new Error(`roberta graph: parameter "${name}" was not declared`);
    return x;
  };
  const linear = (p: string): LinearValues => ({ weight: v(`${p}.weight`), bias: v(`${p}.bias`) });
  return {
    wordEmbeddings: v('embeddings.word'), positionEmbeddings: v('embeddings.position'), tokenType: v('embeddings.token_type'),
    embeddingsNorm: linear('embeddings.norm'),
    layers: Array.from({ length: c.numHiddenLayers }, (_, i) => ({
      query: linear(`layer.${i}.query`), key: linear(`layer.${i}.key`), value: linear(`layer.${i}.value`),
      attentionOutput: linear(`layer.${i}.attention_output`), attentionNorm: linear(`layer.${i}.attention_norm`),
      intermediate: linear(`layer.${i}.intermediate`), output: linear(`layer.${i}.output`), outputNorm: linear(`layer.${i}.output_norm`),
    })),
    ...(byName.has('head.dense.weight') ? { head: { dense: linear('head.dense'), outProj: linear('head.out_proj') } } : {}),
  };
}

export interface EncoderOutputs {
  /** [batch, seq, hidden] last layer. */
  hidden: Value;
  /** [batch, hidden] the `<s>` token of the last layer: the text embedding that gets cached. */
  cls: Value;
  /** [batch, numLabels] when there is a head. */
  logits?: Value;
}

export interface EncoderGraphOptions {
  /** GELU through float32 Erf even in a float64 graph (onnxruntime's CPU Erf has no double kernel). */
  erfInFloat32?: boolean;
  /**
   * Training-time dropout where Hugging Face applies it (embeddings, attention probabilities,
   * attention and FFN outputs, before each head layer), drawn in the graph from `seed`. Only
   * layers from `fromLayer` up and the head get it (frozen layers run as at inference); the
   * embeddings only when `fromLayer` is negative. With `noise` (a float scalar in [0, 1) fed each
   * run) masks are coordinate hashes instead of RandomUniformLike draws: the form GPU providers run.
   */
  dropout?: { ratio: number; seed: number; fromLayer?: number; noise?: Value };
}

/** Builds the forward pass; `inputIds` and `attentionMask` are int64 [batch, seq]. */
export function buildRobertaEncoder(g: Graph, c: RobertaConfig, p: EncoderValues, inputIds: Value, attentionMask: Value,
  o: EncoderGraphOptions = {}): EncoderOutputs {
  const H = c.hiddenSize, nh = c.numAttentionHeads, hd = H / nh;
  const ftype = p.wordEmbeddings.dtype;
  const dense = (x: Value, l: LinearValues): Value => g.add(g.matmul(x, l.weight), l.bias);
  const norm = (x: Value, n: NormValues): Value => g.layerNorm(x, n.weight, n.bias, c.layerNormEps);
  const gelu = (x: Value): Value => (o.erfInFloat32 && x.dtype !== 'float32' ? geluViaFloat32Erf(g, x) : g.gelu(x));
  let draws = 0;
  const drop = (x: Value, layer: number): Value => {
    const d = o.dropout;
    if (!d || d.ratio <= 0 || layer < (d.fromLayer ?? 0)) return x;
    return g.dropout(x, { ratio: d.ratio, seed: d.seed + 1000 * draws++, ...(d.noise ? { noise: d.noise } : {}) });
  };

  // Additive mask [batch, 1, 1, seq]: 0 for tokens, a large negative for padding keys.
  const maskF = g.cast(attentionMask, ftype);
  // (float16 tops out at 65504: a larger constant would become infinity, and 0 * infinity NaN.)
  const additive = g.unsqueeze(g.mul(g.sub(g.s(1, maskF), maskF), g.s(ftype === 'float16' ? -65504 : -1e9, maskF)), [1, 2]);

  let x = g.scope('embeddings', () => {
    // Hugging Face's create_position_ids_from_input_ids: positions = cumsum(ids != pad) * (ids != pad) + pad.
    // From the ids, not the attention mask: a `<pad>` written in a review is a real token (mask 1)
    // that still gets the padding position, and the tokens after it count on from the one before.
    const pad = g.constant('int64', [], [c.padTokenId]);
    const notPad = g.cast(g.not(g.equal(inputIds, pad)), 'int64');
    const cumsum = g.addNode('CumSum', [notPad, g.constant('int64', [], [1])], [{ dtype: 'int64', shape: inputIds.shape }])[0]!;
    const positions = g.add(g.mul(cumsum, notPad), pad);
    const e = g.add(g.add(g.gather(p.wordEmbeddings, inputIds, 0), g.gather(p.positionEmbeddings, positions, 0)), p.tokenType);
    return drop(norm(e, p.embeddingsNorm), -1);
  });
  const scale = g.s(1 / Math.sqrt(hd), x);
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const l = p.layers[i]!;
    x = g.scope(`layer${i}`, () => {
      const heads = (t: Value): Value => g.transpose(g.reshape(t, [0, 0, nh, hd]), [0, 2, 1, 3]);
      const q = heads(dense(x, l.query));
      const kT = g.transpose(g.reshape(dense(x, l.key), [0, 0, nh, hd]), [0, 2, 3, 1]);
      const v = heads(dense(x, l.value));
      const scores = g.add(g.mul(g.matmul(q, kT), scale), additive);
      const probs = drop(g.softmax(scores, -1), i);
      const context = g.reshape(g.transpose(g.matmul(probs, v), [0, 2, 1, 3]), [0, 0, H]);
      const attended = norm(g.add(drop(dense(context, l.attentionOutput), i), x), l.attentionNorm);
      const inner = gelu(dense(attended, l.intermediate));
      return norm(g.add(drop(dense(inner, l.output), i), attended), l.outputNorm);
    });
  }
  // Slice + Squeeze rather than Gather on axis 1: the autodiff differentiates Gather along axis 0 only.
  const cls = g.squeeze(g.slice(x, { starts: [0], ends: [1], axes: [1] }), [1]);
  const out: EncoderOutputs = { hidden: x, cls };
  if (p.head) {
    const head = p.head;
    const top = c.numHiddenLayers;
    out.logits = g.scope('head', () => dense(drop(g.tanh(dense(drop(cls, top), head.dense)), top), head.outProj));
  }
  return out;
}

function geluViaFloat32Erf(g: Graph, x: Value): Value {
  const e = g.cast(g.erf(g.cast(g.mul(x, g.s(Math.SQRT1_2, x)), 'float32')), x.dtype);
  return g.mul(g.mul(x, g.s(0.5, x)), g.add(e, g.s(1, x)));
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = data[r * cols + k]!;
  return out;
}
