/**
 * The file format of a trained MLP head (`head.bin` in a model folder): magic, a JSON header
 * (config, step, tensor table), then float32 data. Kept apart from `mlpHead.ts` so that reading a
 * head (e.g. to export a model) needs no onnxruntime.
 */
import { type HeadConfig, validateConfig } from './headGraphs';

export interface NamedArray { name: string; shape: number[]; data: Float32Array }

export interface HeadState {
  /** Optimizer steps taken so far (Adam's bias correction continues from here). */
  step: number;
  params: NamedArray[];
  /** Optimizer state tensors named `<param>.<slot>` (e.g. `layer0.weight.m`). */
  optimizer: NamedArray[];
}

interface SerializedHeader {
  format: number;
  config: HeadConfig;
  step: number;
  tensors: { name: string; group: 'param' | 'optimizer'; shape: number[]; offset: number; length: number }[];
}

const MAGIC = new TextEncoder().encode('SRHEAD\n');

export function serializeHead(state: HeadState, config: HeadConfig): Uint8Array {
  const tensors = [...state.params.map((t) => ({ ...t, group: 'param' })), ...state.optimizer.map((t) => ({ ...t, group: 'optimizer' }))];
  let offset = 0;
  const table = tensors.map((t) => { const e = { name: t.name, group: t.group, shape: t.shape, offset, length: t.data.length }; offset += t.data.length; return e; });
  const header = new TextEncoder().encode(JSON.stringify({ format: 1, config, step: state.step, tensors: table }));
  const headerPadded = Math.ceil((MAGIC.length + 4 + header.length) / 4) * 4;
  const out = new Uint8Array(headerPadded + offset * 4);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(MAGIC.length, header.length, true);
  out.set(header, MAGIC.length + 4);
  const data = new Float32Array(out.buffer, headerPadded, offset);
  tensors.forEach((t, i) => data.set(t.data, table[i]!.offset));
  return out;
}

export function deserializeHead(bytes: Uint8Array): { state: HeadState; config: HeadConfig } {
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('mlp head: not a serialized head (bad magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(MAGIC.length + 4, MAGIC.length + 4 + headerLength))) as SerializedHeader;
  if (header.format !== 1) throw new Error(`mlp head: unsupported format ${header.format}`);
  const start = Math.ceil((MAGIC.length + 4 + headerLength) / 4) * 4;
  // Copy to an aligned buffer: `bytes` may be a view at any offset (e.g. from fs.readFile).
  const data = new Float32Array(bytes.slice(start).buffer);
  const state: HeadState = { step: header.step, params: [], optimizer: [] };
  for (const t of header.tensors) {
    if (t.offset + t.length > data.length) throw new Error(`mlp head: serialized tensor ${t.name} is truncated`);
    const entry = { name: t.name, shape: t.shape, data: data.slice(t.offset, t.offset + t.length) };
    (t.group === 'param' ? state.params : state.optimizer).push(entry);
  }
  validateConfig(header.config);
  return { state, config: header.config };
}
