/**
 * Types shared by the graph builder, autodiff and the backend: element types, shapes with known or
 * symbolic dimensions, and the typed arrays that hold tensor data.
 */

export type DType = 'float32' | 'float64' | 'float16' | 'int32' | 'int64' | 'int8' | 'uint8' | 'bool';

/** A dimension: a known size, or a symbol (e.g. `batch`) whose size is fixed only at run time. */
export type Dim = number | string;
export type Shape = readonly Dim[];

/** float16 data are the IEEE half-precision bits in a Uint16Array (see half.ts). */
export type TensorData = Float32Array | Float64Array | Uint16Array | Int32Array | BigInt64Array | Int8Array | Uint8Array;

/** ONNX TensorProto.DataType codes. */
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9, float16: 10, float64: 11 };

export const isFloat = (t: DType): boolean => t === 'float32' || t === 'float64' || t === 'float16';

export function isStaticShape(shape: Shape): shape is readonly number[] {
  return shape.every((d) => typeof d === 'number');
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** A typed array of `n` elements for `dtype`. */
export function allocate(dtype: DType, n: number): TensorData {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'float16': return new Uint16Array(n);
    case 'int32': return new Int32Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
  }
}
