/**
 * Dynamic int8 quantization of a serialized model: every MatMul whose right operand is a constant
 * 2-D float32 weight W becomes an integer MatMul of the activation A quantized at run time to uint8
 * and W quantized once to int8, symmetric per output column (per output channel), then rescaled:
 *   per row (default):  quantize each row of A -> MatMulInteger(A_q, W_q) -> Cast
 *                       -> minus zero_point_row x column sums of W_q -> x scale_row x scale_column
 *   per tensor:         DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_q, A_zp, W_zp) -> Cast
 *                       -> Mul(A_scale * W_scale), which onnxruntime fuses into DynamicQuantizeMatMul
 *                       (onnxruntime's `quantize_dynamic`).
 * Per row is the default because a text's vector must not depend on the texts batched with it
 * (per tensor, one batch-mate's large value coarsens every row: up to 0.05 apart on a tiny model),
 * and it keeps more of fp32's ranking (`npm run bench -- int8`). Weights use 7 bits ([-63, 63])
 * because AVX2 CPUs without VNNI add pairs of u8*s8 products in int16, which saturates with
 * full-range int8 weights.
 */
import { onnx } from 'onnx-proto';

/**
 * How an activation (the MatMul's left operand) is quantized at run time:
 * - `per-row`: each row (token) on its own, symmetric int8 with scale max|row| / 127: a text's
 *   vector does not depend on the texts batched with it, and a short row beside a large one keeps
 *   its resolution;
 * - `per-tensor`: the whole batch at once, asymmetric uint8 (DynamicQuantizeLinear; onnxruntime
 *   fuses the chain into DynamicQuantizeMatMul): one outlier anywhere in the batch coarsens every
 *   row, and a text's vector depends on its batch.
 */
export const ACTIVATION_QUANTIZATIONS = ['per-row', 'per-tensor'] as const;
export type ActivationQuantization = (typeof ACTIVATION_QUANTIZATIONS)[number];

export interface QuantizeOptions {
  /** Largest quantized weight magnitude (default 63: safe from int16 saturation on AVX2). */
  weightLevels?: number;
  /** Default `per-row`. */
  activations?: ActivationQuantization;
  /** Names of initializers never quantized. */
  skip?: (initializerName: string) => boolean;
}

export interface QuantizeReport { quantized: number; kept: number; bytesBefore: number; bytesAfter: number }

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;
const UINT8 = onnx.TensorProto.DataType.UINT8;

export function quantizeMatMulsDynamic(modelBytes: Uint8Array, o: QuantizeOptions = {}): { bytes: Uint8Array; report: QuantizeReport } {
  const levels = o.weightLevels ?? 63;
  const activations = o.activations ?? 'per-row';
  if (!(ACTIVATION_QUANTIZATIONS as readonly string[]).includes(activations)) {
    throw new Error(`quantize: unknown activation quantization "${String(activations)}". Should be one of: ${ACTIVATION_QUANTIZATIONS.join(', ')}`);
  }
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  const inits = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) inits.set(t.name!, t);
  const consumers = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const nodes: onnx.INodeProto[] = [];
  const dropInits = new Set<string>();
  const newInits: onnx.ITensorProto[] = [];
  const quantizedInput = new Map<string, QuantizedActivation>();
  let quantized = 0, kept = 0;
  for (const n of graph.node ?? []) {
    const w = n.opType === 'MatMul' ? inits.get(n.input![1]!) : undefined;
    if (!w || w.dataType !== FLOAT || w.dims?.length !== 2 || o.skip?.(w.name!)) {
      if (n.opType === 'MatMul') kept++;
      nodes.push(n);
      continue;
    }
    const [k, cols] = w.dims.map(toNumber) as [number, number];
    const { q, scales } = quantizeColumns(floatData(w), k, cols, levels);
    const base = n.name ?? n.output![0]!;
    newInits.push(
      { name: `${w.name}.q`, dims: [k, cols], dataType: INT8, rawData: new Uint8Array(q.buffer) },
      ...(activations === 'per-tensor' ? [{ name: `${w.name}.zero_point`, dims: [cols], dataType: INT8, rawData: new Uint8Array(cols) }] : []),
      { name: `${w.name}.scale`, dims: [cols], dataType: FLOAT, rawData: new Uint8Array(scales.buffer) },
    );
    if ((consumers.get(w.name!) ?? 0) <= 1) dropInits.add(w.name!);
    const a = n.input![0]!;
    // One quantization of an activation serves every MatMul that reads it (Q, K and V share x).
    let aq = quantizedInput.get(a);
    if (!aq) {
      // Short names: a model has ~15 such nodes per quantized activation, and a small model's file
      // would grow past its float size with the activation's long name in every one.
      aq = activations === 'per-row' ? quantizeRows(nodes, a, `int8/a${quantizedInput.size}`) : quantizeTensor(nodes, a, base);
      quantizedInput.set(a, aq);
    }
    const y = n.output![0]!;
    const toFloat = { name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT };
    if (aq.rowZeroPoint) {
      // y = scale_row * scale_col * (A_q W_q - zero_point_row * sum_k W_q[k, col])
      newInits.push({ name: `${w.name}.column_sums`, dims: [cols], dataType: FLOAT, rawData: new Uint8Array(columnSums(q, k, cols).buffer) });
      const m = `int8/m${quantized}`;
      nodes.push(
        { opType: 'MatMulInteger', name: `${m}/MatMulInteger`, input: [aq.q, `${w.name}.q`], output: [`${m}/int32`] },
        { opType: 'Cast', name: `${m}/Cast`, input: [`${m}/int32`], output: [`${m}/float`], attribute: [toFloat] },
        { opType: 'Mul', name: `${m}/ZeroPointTerm`, input: [aq.rowZeroPoint, `${w.name}.column_sums`], output: [`${m}/zero_point_term`] },
        { opType: 'Sub', name: `${m}/Correct`, input: [`${m}/float`, `${m}/zero_point_term`], output: [`${m}/corrected`] },
        { opType: 'Mul', name: `${m}/RowScale`, input: [`${m}/corrected`, aq.scale], output: [`${m}/row_scaled`] },
        { opType: 'Mul', name: `${m}/ColumnScale`, input: [`${m}/row_scaled`, `${w.name}.scale`], output: [y] },
      );
    } else {
      nodes.push(
        { opType: 'MatMulInteger', name: `${base}/MatMulInteger`, input: [aq.q, `${w.name}.q`, aq.zeroPoint!, `${w.name}.zero_point`], output: [`${y}.int32`] },
        { opType: 'Cast', name: `${base}/Cast`, input: [`${y}.int32`], output: [`${y}.float`], attribute: [toFloat] },
        { opType: 'Mul', name: `${base}/Scale`, input: [aq.scale, `${w.name}.scale`], output: [`${y}.scale`] },
        { opType: 'Mul', name: `${base}/Rescale`, input: [`${y}.float`, `${y}.scale`], output: [y] },
      );
    }
    quantized++;
  }
  if (activations === 'per-row' && quantized) {
    for (const [name, value] of Object.entries(ROW_CONSTANTS)) newInits.push({ name, dims: [], dataType: FLOAT, rawData: new Uint8Array(Float32Array.of(value).buffer) });
  }
  const before = byteSize(graph.initializer ?? []);
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !dropInits.has(t.name!)), ...newInits];
  graph.node = nodes;
  const bytes = onnx.ModelProto.encode(model).finish();
  return { bytes, report: { quantized, kept, bytesBefore: before, bytesAfter: byteSize(graph.initializer) } };
}

/** Names of an activation's quantized values, its scale, and (per tensor) its zero point. */
interface QuantizedActivation {
  q: string;
  scale: string;
  /** Per tensor: the uint8 zero point MatMulInteger subtracts. */
  zeroPoint?: string;
  /** Per row: the float zero points [..., 1], corrected for after the product. */
  rowZeroPoint?: string;
}

function quantizeTensor(nodes: onnx.INodeProto[], a: string, base: string): QuantizedActivation {
  const out = { q: `${a}.q`, scale: `${a}.scale`, zeroPoint: `${a}.zero_point` };
  nodes.push({ opType: 'DynamicQuantizeLinear', name: `${base}/DynamicQuantizeLinear`, input: [a], output: [out.q, out.scale, out.zeroPoint] });
  return out;
}

/**
 * Asymmetric uint8 per row of `a` (its last axis), as DynamicQuantizeLinear does for a whole
 * tensor: the row's range (widened to include 0) over 255 steps, zero point round(-min / scale).
 * Scale and zero point are [..., 1]. MatMulInteger takes only a scalar zero point for A, so the
 * product runs without one and `correct` subtracts zero point x column sums of the weights.
 */
/** Scalars the per-row quantization reads, shared by every quantized activation. */
const ROW_CONSTANTS = { 'int8/zero': 0, 'int8/steps': 255, 'int8/tiny': 1e-30 } as const;

function quantizeRows(nodes: onnx.INodeProto[], a: string, prefix: string): QuantizedActivation {
  const v = (name: string) => `${prefix}/${name}`;
  const n = (opType: string, input: string[], output: string, attribute: onnx.IAttributeProto[] = []) =>
    nodes.push({ opType, name: v(output), input, output: [v(output)], attribute });
  const lastAxis: onnx.IAttributeProto[] = [
    { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }, { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
  ];
  const [zero, steps, tiny] = Object.keys(ROW_CONSTANTS);
  n('ReduceMax', [a], 'row_max', lastAxis);
  n('ReduceMin', [a], 'row_min', lastAxis);
  n('Max', [v('row_max'), zero!], 'hi');
  n('Min', [v('row_min'), zero!], 'lo');
  n('Sub', [v('hi'), v('lo')], 'range');
  // A row of zeros keeps a tiny scale: its values quantize to the zero point instead of 0/0.
  n('Max', [v('range'), tiny!], 'range_safe');
  n('Div', [v('range_safe'), steps!], 'scale');
  n('Div', [v('lo'), v('scale')], 'lo_steps');
  n('Neg', [v('lo_steps')], 'zero_point_raw');
  n('Round', [v('zero_point_raw')], 'zero_point');
  n('Div', [a, v('scale')], 'scaled');
  n('Round', [v('scaled')], 'rounded');
  n('Add', [v('rounded'), v('zero_point')], 'shifted');
  n('Clip', [v('shifted'), zero!, steps!], 'clipped');
  n('Cast', [v('clipped')], 'q', [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: UINT8 }]);
  return { q: v('q'), scale: v('scale'), rowZeroPoint: v('zero_point') };
}

/** Symmetric per-column quantization of a [rows, cols] matrix to integers in [-levels, levels]. */
export function quantizeColumns(w: Float32Array, rows: number, cols: number, levels: number): { q: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let c = 0; c < cols; c++) {
    let max = 0;
    for (let r = 0; r < rows; r++) max = Math.max(max, Math.abs(w[r * cols + c]!));
    scales[c] = max > 0 ? max / levels : 1;
  }
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) q[r * cols + c] = Math.max(-levels, Math.min(levels, Math.round(w[r * cols + c]! / scales[c]!)));
  }
  return { q, scales };
}

function columnSums(q: Int8Array, rows: number, cols: number): Float32Array {
  const sums = new Float32Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sums[c]! += q[r * cols + c]!;
  return sums;
}

function floatData(t: onnx.ITensorProto): Float32Array {
  if (t.rawData?.length) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

function byteSize(tensors: readonly onnx.ITensorProto[]): number {
  return tensors.reduce((s, t) => s + (t.rawData?.length ?? 0) + 4 * (t.floatData?.length ?? 0), 0);
}

/** protobufjs decodes int64 as a number or, with the `long` package present, a Long. */
function toNumber(d: number | { toNumber(): number }): number {
  return typeof d === 'number' ? d : d.toNumber();
}
