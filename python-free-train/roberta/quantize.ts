/**
 * Dynamic int8 quantization of a serialized model, as onnxruntime's `quantize_dynamic` does it:
 * every MatMul whose right operand is a constant 2-D float32 weight becomes
 *   DynamicQuantizeLinear(A) -> MatMulInteger(A_q, W_q, A_zp, W_zp) -> Cast -> Mul(A_scale * W_scale)
 * with W quantized once, symmetric per output column. onnxruntime fuses this chain into its
 * DynamicQuantizeMatMul kernel on CPU. Weights use 7 bits ([-63, 63]) because AVX2 CPUs without
 * VNNI add pairs of u8*s8 products in int16, which saturates with full-range int8 weights.
 */
import { onnx } from 'onnx-proto';

export interface QuantizeOptions {
  /** Largest quantized weight magnitude (default 63: safe from int16 saturation on AVX2). */
  weightLevels?: number;
  /** Names of initializers never quantized. */
  skip?: (initializerName: string) => boolean;
}

export interface QuantizeReport { quantized: number; kept: number; bytesBefore: number; bytesAfter: number }

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT8 = onnx.TensorProto.DataType.INT8;

export function quantizeMatMulsDynamic(modelBytes: Uint8Array, o: QuantizeOptions = {}): { bytes: Uint8Array; report: QuantizeReport } {
  const levels = o.weightLevels ?? 63;
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph!;
  const inits = new Map<string, onnx.ITensorProto>();
  for (const t of graph.initializer ?? []) inits.set(t.name!, t);
  const consumers = new Map<string, number>();
  for (const n of graph.node ?? []) for (const i of n.input ?? []) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const nodes: onnx.INodeProto[] = [];
  const dropInits = new Set<string>();
  const newInits: onnx.ITensorProto[] = [];
  const quantizedInput = new Map<string, [string, string, string]>();
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
      { name: `${w.name}.zero_point`, dims: [cols], dataType: INT8, rawData: new Uint8Array(cols) },
      { name: `${w.name}.scale`, dims: [cols], dataType: FLOAT, rawData: new Uint8Array(scales.buffer) },
    );
    if ((consumers.get(w.name!) ?? 0) <= 1) dropInits.add(w.name!);
    const a = n.input![0]!;
    // One quantization of an activation serves every MatMul that reads it (Q, K and V share x).
    let aq = quantizedInput.get(a);
    if (!aq) {
      aq = [`${a}.q`, `${a}.scale`, `${a}.zero_point`];
      nodes.push({ opType: 'DynamicQuantizeLinear', name: `${base}/DynamicQuantizeLinear`, input: [a], output: aq });
      quantizedInput.set(a, aq);
    }
    const y = n.output![0]!;
    nodes.push(
      { opType: 'MatMulInteger', name: `${base}/MatMulInteger`, input: [aq[0], `${w.name}.q`, aq[2], `${w.name}.zero_point`], output: [`${y}.int32`] },
      { opType: 'Cast', name: `${base}/Cast`, input: [`${y}.int32`], output: [`${y}.float`], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: FLOAT }] },
      { opType: 'Mul', name: `${base}/Scale`, input: [aq[1], `${w.name}.scale`], output: [`${y}.scale`] },
      { opType: 'Mul', name: `${base}/Rescale`, input: [`${y}.float`, `${y}.scale`], output: [y] },
    );
    quantized++;
  }
  const before = byteSize(graph.initializer ?? []);
  graph.initializer = [...(graph.initializer ?? []).filter((t) => !dropInits.has(t.name!)), ...newInits];
  graph.node = nodes;
  const bytes = onnx.ModelProto.encode(model).finish();
  return { bytes, report: { quantized, kept, bytesBefore: before, bytesAfter: byteSize(graph.initializer) } };
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
