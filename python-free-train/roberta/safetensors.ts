/**
 * Reading and writing safetensors files: an 8-byte little-endian header length, a JSON header
 * mapping tensor names to dtype, shape and byte offsets into the data that follows, then the raw
 * little-endian data. Floating-point tensors (F32, F16, BF16) are returned as Float32Array.
 */
import { readFile } from 'node:fs/promises';
import { floatToHalf, halfToFloat } from '../graph/half';

export { floatToHalf, halfToFloat };

export interface FloatTensor {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export class SafetensorsError extends Error {
  constructor(where: string, message: string) {
    super(`safetensors: ${where}: ${message}`);
    this.name = 'SafetensorsError';
  }
}

const FLOAT_DTYPES = ['F32', 'F16', 'BF16'] as const;
type FloatDType = (typeof FLOAT_DTYPES)[number];
const BYTES: Record<FloatDType, number> = { F32: 4, F16: 2, BF16: 2 };
/** A header larger than this is certainly corrupt (real ones are kilobytes). */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;

interface HeaderEntry { dtype: string; shape: number[]; data_offsets: [number, number] }

export interface ReadOptions {
  /** Tensors to decode; others are skipped unchecked (e.g. int64 `position_ids` buffers, the LM head). */
  select?: (name: string) => boolean;
}

export async function readSafetensors(file: string, o: ReadOptions = {}): Promise<Map<string, FloatTensor>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new SafetensorsError(file, `cannot read: ${(e as Error).message}`);
  }
  return parseSafetensors(bytes, file, o);
}

/** Parses a whole safetensors file held in memory; `where` names it in errors. */
export function parseSafetensors(bytes: Uint8Array, where = 'buffer', o: ReadOptions = {}): Map<string, FloatTensor> {
  if (bytes.byteLength < 8) throw new SafetensorsError(where, `truncated: ${bytes.byteLength} bytes, no header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER_BYTES) throw new SafetensorsError(where, `corrupt: header length ${headerLength} is implausible`);
  if (8 + headerLength > bytes.byteLength) {
    throw new SafetensorsError(where, `truncated: header of ${headerLength} bytes but the file has ${bytes.byteLength}`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (e) {
    throw new SafetensorsError(where, `corrupt header (not JSON): ${(e as Error).message}`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError(where, 'corrupt header: not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  const out = new Map<string, FloatTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__' || (o.select && !o.select(name))) continue;
    const entry = checkEntry(where, name, raw);
    const [begin, end] = entry.data_offsets;
    if (end > dataLength) {
      throw new SafetensorsError(where, `truncated: tensor "${name}" ends at byte ${end} of the data but only ${dataLength} bytes are present`);
    }
    if (!(FLOAT_DTYPES as readonly string[]).includes(entry.dtype)) {
      throw new SafetensorsError(where, `tensor "${name}" has unsupported dtype ${entry.dtype} (supported: ${FLOAT_DTYPES.join(', ')})`);
    }
    const dtype = entry.dtype as FloatDType;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) {
      throw new SafetensorsError(where, `corrupt: tensor "${name}" of shape [${entry.shape.join(', ')}] ${dtype} needs ${count * BYTES[dtype]} bytes, offsets give ${end - begin}`);
    }
    out.set(name, { shape: entry.shape, data: decode(dtype, bytes, dataStart + begin, count) });
  }
  return out;
}

function checkEntry(where: string, name: string, raw: unknown): HeaderEntry {
  const e = raw as Partial<HeaderEntry> | null;
  const ok = !!e && typeof e === 'object' && typeof e.dtype === 'string'
    && Array.isArray(e.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0)
    && Array.isArray(e.data_offsets) && e.data_offsets.length === 2
    && e.data_offsets.every((d) => Number.isInteger(d) && d >= 0) && e.data_offsets[0]! <= e.data_offsets[1]!;
  if (!ok) throw new SafetensorsError(where, `corrupt header entry for "${name}": ${JSON.stringify(raw)}`);
  return e as HeaderEntry;
}

const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function decode(dtype: FloatDType, bytes: Uint8Array, offset: number, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * BYTES[dtype]);
  if (dtype === 'F32' && LITTLE_ENDIAN) {
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + count * 4));
  }
  const out = new Float32Array(count);
  if (dtype === 'F32') {
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  } else if (dtype === 'BF16') {
    // bfloat16 is the top half of a float32.
    const u32 = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) u32[i] = view.getUint16(i * 2, true) << 16;
  } else {
    for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
  }
  return out;
}

export interface TensorToWrite { shape: readonly number[]; data: Float32Array; dtype?: FloatDType }

/** Encodes tensors as a safetensors file (F32 unless an entry asks for F16 or BF16). */
export function encodeSafetensors(tensors: Record<string, TensorToWrite>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(tensors);
  for (const name of names) {
    const t = tensors[name]!;
    const dtype = t.dtype ?? 'F32';
    const n = t.data.length * BYTES[dtype];
    header[name] = { dtype, shape: [...t.shape], data_offsets: [offset, offset + n] };
    offset += n;
  }
  let json = JSON.stringify(header);
  // Data starts 8-byte aligned, as the reference implementation writes it.
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const t = tensors[name]!;
    const dtype = t.dtype ?? 'F32';
    for (let i = 0; i < t.data.length; i++) {
      const x = t.data[i]!;
      if (dtype === 'F32') { view.setFloat32(pos, x, true); pos += 4; }
      else if (dtype === 'F16') { view.setUint16(pos, floatToHalf(x), true); pos += 2; }
      else { view.setUint16(pos, bf16Bits(x), true); pos += 2; }
    }
  }
  return out;
}

function bf16Bits(x: number): number {
  const u32 = new Uint32Array(Float32Array.of(x).buffer)[0]!;
  // Round to nearest even on the dropped 16 bits.
  return ((u32 + 0x7fff + ((u32 >>> 16) & 1)) >>> 16) & 0xffff;
}
