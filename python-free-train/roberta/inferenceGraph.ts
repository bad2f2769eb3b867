/**
 * RoBERTa inference graphs as ONNX model bytes, built without onnxruntime (so the extension host
 * can export a model without loading the native runtime): the encoder (`<s>` embeddings, used for
 * caching and scoring) and the whole classifier (encoder + classification head + softmax, what
 * `secreview export-model` ships). fp32 or dynamic int8.
 */
import type { Value } from '../graph/core';
import { Graph } from '../graph/ops';
import { toModelBytes } from '../graph/serialize';
import type { RobertaConfig } from './config';
import { ATTENTION_MASK, BATCH, INPUT_IDS, SEQ, buildRobertaEncoder, declareParams, encoderValues, robertaParamTensors } from './encoderGraph';
import { PRECISIONS, type Precision } from './precision';
import { type QuantizeOptions, quantizeMatMulsDynamic } from './quantize';
import type { RobertaWeights } from './weights';

export { PRECISIONS, type Precision, isPrecision } from './precision';

/** The encoder model bytes: inputs input_ids, attention_mask (int64 [batch, seq]); outputs cls [, logits]. */
export function robertaInferenceModel(c: RobertaConfig, w: RobertaWeights, precision: Precision = 'fp32', quantize: QuantizeOptions = {}): Uint8Array {
  const g = new Graph('roberta');
  const ids = g.input(INPUT_IDS, 'int64', [BATCH, SEQ]);
  const mask = g.input(ATTENTION_MASK, 'int64', [BATCH, SEQ]);
  const params = encoderValues(declareParams(g, robertaParamTensors(w), { dtype: floatType(precision) }), c);
  const out = buildRobertaEncoder(g, c, params, ids, mask);
  const outputs = { cls: asFloat32(g, out.cls), ...(out.logits ? { logits: asFloat32(g, out.logits) } : {}) };
  return withPrecision(toModelBytes(g, { outputs, inputs: [ids, mask] }), precision, 'roberta encoder', quantize);
}

/**
 * The classifier model bytes: inputs input_ids, attention_mask (int64 [batch, seq]); outputs
 * `probs` (float32 [batch, numLabels], softmax of the logits) and `logits`. `w.head` is required
 * (RoBERTa's classification head: `<s>` -> dense -> tanh -> out_proj). With int8 only the encoder's
 * MatMuls are quantized; the head stays float32, as when the trainer scores cached embeddings.
 */
export function robertaClassifierModel(c: RobertaConfig, w: RobertaWeights, precision: Precision = 'fp32'): Uint8Array {
  if (!w.head) throw new Error('roberta classifier: the weights have no classification head');
  const classes = w.head.outProj.weight.shape[0]!;
  if (classes !== c.numLabels) throw new Error(`roberta classifier: the head has ${classes} classes, the config says ${c.numLabels}`);
  const g = new Graph('roberta_classifier');
  const ids = g.input(INPUT_IDS, 'int64', [BATCH, SEQ]);
  const mask = g.input(ATTENTION_MASK, 'int64', [BATCH, SEQ]);
  const params = encoderValues(declareParams(g, robertaParamTensors(w), { dtype: floatType(precision) }), c);
  const out = buildRobertaEncoder(g, c, params, ids, mask);
  const logits = asFloat32(g, out.logits!);
  const probs = g.softmax(logits, -1);
  const bytes = toModelBytes(g, { outputs: { probs, logits }, inputs: [ids, mask] });
  return withPrecision(bytes, precision, 'roberta classifier', { skip: (name) => name.startsWith('head.') });
}

function floatType(precision: Precision): 'float32' | 'float16' {
  return precision === 'fp16' ? 'float16' : 'float32';
}

/** Outputs are float32 whatever the graph computes in, so callers read them the same way. */
function asFloat32(g: Graph, v: Value): Value {
  return v.dtype === 'float32' ? v : g.cast(v, 'float32');
}

function withPrecision(bytes: Uint8Array, precision: Precision, what: string, quantize: QuantizeOptions): Uint8Array {
  if (precision === 'fp32' || precision === 'fp16') return bytes;
  if (precision !== 'int8') throw new Error(`${what}: unsupported precision "${String(precision)}". Should be one of: ${PRECISIONS.join(', ')}`);
  return quantizeMatMulsDynamic(bytes, quantize).bytes;
}
