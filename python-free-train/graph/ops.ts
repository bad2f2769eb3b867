/**
 * The graph builder: ONNX operators (opset 17) with static shape inference and checks. Shapes may
 * hold symbolic dimensions; a mismatch between known sizes fails at build time with the node name.
 */
import { type Attr, GraphCore, Value, float, int, ints, str } from './core';
import { type DType, type Dim, ONNX_DTYPE, type Shape, allocate, formatShape, isStaticShape } from './types';

export interface GemmOptions { alpha?: number; beta?: number; transA?: boolean; transB?: boolean }
export interface SliceSpec { starts: readonly number[]; ends: readonly number[]; axes?: readonly number[]; steps?: readonly number[] }
export interface DropoutOptions {
  ratio: number;
  /** A scaled keep-mask (0 or 1/(1-ratio)) fed as an input: the same mask serves forward and backward. */
  mask?: Value;
  /** Otherwise a seeded RandomUniformLike draws the mask inside the graph. */
  seed?: number;
  /**
   * Or a float scalar in [0, 1), drawn by the caller for each run: the mask is then a hash of each
   * element's coordinates and this value, computed with element-wise ops every GPU provider has
   * (onnxruntime's WebGPU provider has no random-number kernel, and a RandomUniformLike on the CPU
   * would copy a mask as large as the activations to the GPU at every site and step). `seed` then
   * only tells sites apart.
   */
  noise?: Value;
}

/** Weights of each axis's coordinate in the dropout hash (cycled): the classic shader constants. */
const HASH_WEIGHTS = [12.9898, 78.233, 37.719, 4.581];

const INT64_MAX = 9223372036854775807;

export class Graph extends GraphCore {
  // ---------- elementwise

  private binary(op: string, a: Value, b: Value, outType?: DType): Value {
    if (a.dtype !== b.dtype) this.fail(op, `element types differ: ${a} and ${b}`);
    const shape = this.broadcastShapes(op, a.shape, b.shape);
    return this.addNode(op, [a, b], [{ dtype: outType ?? a.dtype, shape }])[0]!;
  }

  add(a: Value, b: Value): Value { return this.binary('Add', a, b); }
  sub(a: Value, b: Value): Value { return this.binary('Sub', a, b); }
  mul(a: Value, b: Value): Value { return this.binary('Mul', a, b); }
  div(a: Value, b: Value): Value { return this.binary('Div', a, b); }
  pow(a: Value, b: Value): Value { return this.binary('Pow', a, b); }
  min(a: Value, b: Value): Value { return this.binary('Min', a, b); }
  max(a: Value, b: Value): Value { return this.binary('Max', a, b); }
  equal(a: Value, b: Value): Value { return this.binary('Equal', a, b, 'bool'); }
  greater(a: Value, b: Value): Value { return this.binary('Greater', a, b, 'bool'); }
  less(a: Value, b: Value): Value { return this.binary('Less', a, b, 'bool'); }
  greaterOrEqual(a: Value, b: Value): Value { return this.binary('GreaterOrEqual', a, b, 'bool'); }
  and(a: Value, b: Value): Value { return this.binary('And', a, b); }

  /** A scalar constant of `like`'s element type. */
  s(x: number, like: Value): Value { return this.scalar(x, like.dtype); }

  private unary(op: string, x: Value, attrs: Record<string, Attr> = {}): Value {
    return this.addNode(op, [x], [{ dtype: x.dtype, shape: x.shape }], attrs)[0]!;
  }

  neg(x: Value): Value { return this.unary('Neg', x); }
  abs(x: Value): Value { return this.unary('Abs', x); }
  sign(x: Value): Value { return this.unary('Sign', x); }
  reciprocal(x: Value): Value { return this.unary('Reciprocal', x); }
  relu(x: Value): Value { return this.unary('Relu', x); }
  tanh(x: Value): Value { return this.unary('Tanh', x); }
  sigmoid(x: Value): Value { return this.unary('Sigmoid', x); }
  erf(x: Value): Value { return this.unary('Erf', x); }
  sqrt(x: Value): Value { return this.unary('Sqrt', x); }
  exp(x: Value): Value { return this.unary('Exp', x); }
  log(x: Value): Value { return this.unary('Log', x); }
  identity(x: Value): Value { return this.unary('Identity', x); }
  not(x: Value): Value { return this.unary('Not', x); }

  cast(x: Value, to: DType): Value {
    return this.addNode('Cast', [x], [{ dtype: to, shape: x.shape }], { to: int(onnxType(to)) })[0]!;
  }

  where(cond: Value, a: Value, b: Value): Value {
    if (cond.dtype !== 'bool') this.fail('Where', `condition must be bool, got ${cond}`);
    if (a.dtype !== b.dtype) this.fail('Where', `branch types differ: ${a} and ${b}`);
    const shape = this.broadcastShapes('Where', this.broadcastShapes('Where', cond.shape, a.shape), b.shape);
    return this.addNode('Where', [cond, a, b], [{ dtype: a.dtype, shape }])[0]!;
  }

  // ---------- composites (built from standard ops, so autodiff needs no extra rules)

  /**
   * GELU (exact, erf form): x * (1 + erf(x / sqrt(2))) * 0.5. Written in the op pattern
   * onnxruntime's GeluFusion recognizes, so inference graphs run one fused Gelu kernel.
   */
  gelu(x: Value): Value {
    return this.scope(this.uniqueScope('Gelu'), () => {
      const e = this.erf(this.div(x, this.s(Math.SQRT2, x)));
      return this.mul(this.mul(x, this.add(e, this.s(1, x))), this.s(0.5, x));
    });
  }

  /**
   * softplus(x) = log(1 + e^x), spelled relu(x) + log(1 + exp(-|x|)): exact for any x without
   * overflow, and made of kernels onnxruntime vectorises (its Softplus kernel is scalar, and cost a
   * fifth of the simulation study's scoring time).
   */
  softplus(x: Value): Value {
    return this.scope(this.uniqueScope('Softplus'), () =>
      this.add(this.relu(x), this.log(this.add(this.exp(this.neg(this.abs(x))), this.s(1, x)))));
  }

  /**
   * Layer normalization over the last axis, decomposed into standard ops in the pattern
   * onnxruntime's LayerNormFusion recognizes (ReduceMean, Sub, Pow 2, ReduceMean, Add, Sqrt, Div,
   * Mul, Add): inference graphs get the fused kernel, train graphs keep ops autodiff knows.
   */
  layerNorm(x: Value, scale: Value, bias: Value, epsilon = 1e-5): Value {
    return this.scope(this.uniqueScope('LayerNorm'), () => {
      const axis = x.rank - 1;
      const centered = this.sub(x, this.reduceMean(x, [axis], true));
      const variance = this.reduceMean(this.pow(centered, this.s(2, x)), [axis], true);
      const normed = this.div(centered, this.sqrt(this.add(variance, this.s(epsilon, x))));
      return this.add(this.mul(normed, scale), bias);
    });
  }

  /**
   * Inverted dropout. With a mask input the caller draws the mask (reproducible from its seed); with
   * a seed the graph draws it with RandomUniformLike. Either way backward multiplies by the same mask.
   * A seeded RandomUniformLike advances its generator at every run of a session, so its masks repeat
   * only for the same sequence of runs in a fresh session: trainers that resume or must reproduce
   * exactly should feed masks.
   */
  dropout(x: Value, options: DropoutOptions): Value {
    if (options.ratio <= 0) return x;
    if (options.mask) return this.mul(x, options.mask);
    const u = options.noise ? this.coordinateHash(x, options.noise, options.seed ?? 0)
      : this.addNode('RandomUniformLike', [x], [{ dtype: x.dtype, shape: x.shape }], { seed: float(options.seed ?? 0) })[0]!;
    const keep = this.cast(this.greaterOrEqual(u, this.s(options.ratio, x)), x.dtype);
    return this.mul(x, this.mul(keep, this.s(1 / (1 - options.ratio), x)));
  }

  /**
   * Uniform-looking values in [0, 1) with the shape of `x`: the classic shader hash
   * fract(sin(t) * 43758.5453) of t = (a weighted sum of the element's coordinates) + `noise` +
   * `salt`. The coordinate sum depends only on the shape, so it is built once per shape and shared
   * by every site: a site then costs six element-wise ops, which matters on GPUs, where each op is a
   * dispatch whatever its size. Masks of different sites, steps and neighbours are uncorrelated
   * (|r| < 0.003 on [32, 64, 768] and [32, 12, 64, 64]). For dropout, not for cryptography.
   */
  coordinateHash(x: Value, noise: Value, salt: number): Value {
    return this.scope('coordinate_hash', () => {
      const base = this.coordinateSum(x);
      const t = this.add(base, this.add(noise.dtype === 'float32' ? noise : this.cast(noise, 'float32'), this.scalar(salt)));
      const v = this.mul(this.unary('Sin', t), this.scalar(43758.5453));
      const u = this.sub(v, this.unary('Floor', v));
      return x.dtype === 'float32' ? u : this.cast(u, x.dtype);
    });
  }

  private readonly coordinateSums = new Map<string, Value>();

  /** sum over axes k of coordinate_k * HASH_WEIGHTS[k], shaped like `x` (cached per shape where its symbols are shared names). */
  private coordinateSum(x: Value): Value {
    const shared = x.shape.every((d) => typeof d === 'number' || !d.includes('?'));
    const key = x.shape.join(',');
    const hit = shared ? this.coordinateSums.get(key) : undefined;
    if (hit) return hit;
    const r = x.rank;
    const shape = this.shapeOf(x);
    let sum: Value | undefined;
    for (let k = 0; k < r; k++) {
      const d = x.shape[k]!;
      const weight = HASH_WEIGHTS[k % HASH_WEIGHTS.length]!;
      const coords = typeof d === 'number'
        ? this.constant('float32', [d], Array.from({ length: d }, (_, i) => i * weight))
        : this.mul(this.range(this.scalar(0), this.cast(this.squeeze(this.gather(shape, this.int64s([k]), 0), [0]), 'float32'), this.scalar(1)), this.scalar(weight));
      // The axis keeps x's own symbol (a Range's length would otherwise be a new one, and so would
      // every shape downstream of the mask).
      const axis = this.reshape(coords, this.int64s(Array.from({ length: r }, (_, j) => (j === k ? -1 : 1))), x.shape.map((dim, j) => (j === k ? dim : 1)));
      sum = sum ? this.add(sum, axis) : axis;
    }
    if (shared) this.coordinateSums.set(key, sum!);
    return sum!;
  }

  // ---------- linear algebra

  matmul(a: Value, b: Value): Value {
    if (a.dtype !== b.dtype) this.fail('MatMul', `element types differ: ${a} and ${b}`);
    if (a.rank < 2 || b.rank < 2) this.fail('MatMul', `operands need rank >= 2: ${a} and ${b}`);
    const k1 = a.shape[a.rank - 1]!, k2 = b.shape[b.rank - 2]!;
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) {
      this.fail('MatMul', `inner dimensions differ: ${a} @ ${b}`);
    }
    const batch = this.broadcastShapes('MatMul', a.shape.slice(0, -2), b.shape.slice(0, -2));
    const shape = [...batch, a.shape[a.rank - 2]!, b.shape[b.rank - 1]!];
    return this.addNode('MatMul', [a, b], [{ dtype: a.dtype, shape }])[0]!;
  }

  gemm(a: Value, b: Value, c: Value | null, o: GemmOptions = {}): Value {
    if (a.rank !== 2 || b.rank !== 2) this.fail('Gemm', `operands must be 2-D: ${a} and ${b}`);
    const [m, k1] = o.transA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
    const [k2, n] = o.transB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) this.fail('Gemm', `inner dimensions differ: ${a} and ${b}`);
    const shape = [m, n];
    if (c) this.broadcastShapes('Gemm', shape, c.shape);
    const attrs: Record<string, Attr> = {
      alpha: float(o.alpha ?? 1), beta: float(o.beta ?? 1), transA: int(o.transA ? 1 : 0), transB: int(o.transB ? 1 : 0),
    };
    return this.addNode('Gemm', c ? [a, b, c] : [a, b], [{ dtype: a.dtype, shape }], attrs)[0]!;
  }

  /** Per-tensor uint8 quantization of a float tensor: [quantized, scale, zero point]. */
  dynamicQuantizeLinear(x: Value): [Value, Value, Value] {
    if (x.dtype !== 'float32') this.fail('DynamicQuantizeLinear', `input must be float32, got ${x}`);
    const [q, scale, zeroPoint] = this.addNode('DynamicQuantizeLinear', [x],
      [{ dtype: 'uint8', shape: x.shape }, { dtype: 'float32', shape: [] }, { dtype: 'uint8', shape: [] }]);
    return [q!, scale!, zeroPoint!];
  }

  /** Integer matrix product with int32 accumulation (uint8 activations x int8 weights). */
  matmulInteger(a: Value, b: Value, aZeroPoint: Value | null, bZeroPoint: Value | null = null): Value {
    if (a.rank < 2 || b.rank !== 2) this.fail('MatMulInteger', `operands need rank >= 2 and 2: ${a} and ${b}`);
    const k1 = a.shape[a.rank - 1]!, k2 = b.shape[0]!;
    if (typeof k1 === 'number' && typeof k2 === 'number' && k1 !== k2) this.fail('MatMulInteger', `inner dimensions differ: ${a} @ ${b}`);
    const inputs = bZeroPoint ? [a, b, aZeroPoint, bZeroPoint] : aZeroPoint ? [a, b, aZeroPoint] : [a, b];
    return this.addNode('MatMulInteger', inputs, [{ dtype: 'int32', shape: [...a.shape.slice(0, -1), b.shape[1]!] }])[0]!;
  }

  softmax(x: Value, axis = -1): Value {
    return this.unary('Softmax', x, { axis: int(this.axis('Softmax', x, axis)) });
  }

  logSoftmax(x: Value, axis = -1): Value {
    return this.unary('LogSoftmax', x, { axis: int(this.axis('LogSoftmax', x, axis)) });
  }

  // ---------- reductions

  /** ReduceSum over `axes` (all axes when omitted). */
  reduceSum(x: Value, axes?: readonly number[], keepdims = false): Value {
    const ax = axes?.length ? axes.map((a) => this.axis('ReduceSum', x, a)) : x.shape.map((_, i) => i);
    const inputs = [x, this.int64s(ax)];
    return this.addNode('ReduceSum', inputs, [{ dtype: x.dtype, shape: reducedShape(x.shape, ax, keepdims) }],
      { keepdims: int(keepdims ? 1 : 0) }, { axes: ax })[0]!;
  }

  /** ReduceSum over axes computed at run time (empty axes: no-op); keeps dims. */
  reduceSumDynamic(x: Value, axes: Value): Value {
    return this.addNode('ReduceSum', [x, axes], [{ dtype: x.dtype, shape: x.shape.map((d) => (d === 1 ? 1 : this.freshDim())) }],
      { keepdims: int(1), noop_with_empty_axes: int(1) }, { dynamicAxes: 1 })[0]!;
  }

  reduceMean(x: Value, axes?: readonly number[], keepdims = false): Value {
    const ax = axes?.length ? axes.map((a) => this.axis('ReduceMean', x, a)) : x.shape.map((_, i) => i);
    return this.addNode('ReduceMean', [x], [{ dtype: x.dtype, shape: reducedShape(x.shape, ax, keepdims) }],
      { axes: ints(ax), keepdims: int(keepdims ? 1 : 0) }, { axes: ax })[0]!;
  }

  // ---------- shapes

  shapeOf(x: Value): Value {
    return this.addNode('Shape', [x], [{ dtype: 'int64', shape: [x.rank] }])[0]!;
  }

  /** Number of elements as a scalar int64. */
  /**
   * Number of elements of `x` at run time, as the product of its shape: GPU providers keep Shape's
   * input on the device, whereas a Size node would run on the CPU and copy all of `x` there first.
   */
  sizeOfValue(x: Value): Value {
    if (isStaticShape(x.shape)) return this.constant('int64', [], [x.shape.reduce((a, b) => a * b, 1)]);
    return this.addNode('ReduceProd', [this.shapeOf(x)], [{ dtype: 'int64', shape: [] }], { keepdims: int(0) })[0]!;
  }

  /**
   * Reshape to a constant target (ONNX semantics: 0 copies a dimension, -1 is inferred) or to a
   * run-time shape value, with `hint` giving the resulting shape when it is known to the caller.
   */
  reshape(x: Value, target: readonly number[] | Value, hint?: Shape): Value {
    if (target instanceof Value) {
      if (target.rank !== 1 || typeof target.shape[0] !== 'number') this.fail('Reshape', `shape must be 1-D of known length: ${target}`);
      const shape = hint ?? Array.from({ length: target.shape[0] as number }, () => this.freshDim());
      return this.addNode('Reshape', [x, target], [{ dtype: x.dtype, shape }])[0]!;
    }
    const shape = this.inferReshape(x, target);
    return this.addNode('Reshape', [x, this.int64s(target)], [{ dtype: x.dtype, shape }], {}, { shape: target })[0]!;
  }

  transpose(x: Value, perm?: readonly number[]): Value {
    const p = perm ?? x.shape.map((_, i) => x.rank - 1 - i);
    if (p.length !== x.rank || [...p].sort((a, b) => a - b).some((v, i) => v !== i)) {
      this.fail('Transpose', `perm ${formatShape(p)} is not a permutation of ${x.rank} axes (${x})`);
    }
    return this.addNode('Transpose', [x], [{ dtype: x.dtype, shape: p.map((i) => x.shape[i]!) }], { perm: ints(p) })[0]!;
  }

  /** Swaps the last two axes. */
  transposeLast2(x: Value): Value {
    const p = x.shape.map((_, i) => i);
    [p[x.rank - 2], p[x.rank - 1]] = [x.rank - 1, x.rank - 2];
    return this.transpose(x, p);
  }

  unsqueeze(x: Value, axes: readonly number[]): Value {
    const outRank = x.rank + axes.length;
    const ax = axes.map((a) => (a < 0 ? a + outRank : a)).sort((a, b) => a - b);
    if (ax.some((a) => a < 0 || a >= outRank)) this.fail('Unsqueeze', `axes ${formatShape(axes)} out of range for ${x}`);
    const shape: Dim[] = [];
    let j = 0;
    for (let i = 0; i < outRank; i++) shape.push(ax.includes(i) ? 1 : x.shape[j++]!);
    return this.addNode('Unsqueeze', [x, this.int64s(ax)], [{ dtype: x.dtype, shape }], {}, { axes: ax })[0]!;
  }

  squeeze(x: Value, axes: readonly number[]): Value {
    const ax = axes.map((a) => this.axis('Squeeze', x, a));
    for (const a of ax) {
      const d = x.shape[a]!;
      if (typeof d === 'number' && d !== 1) this.fail('Squeeze', `axis ${a} has size ${d}, not 1 (${x})`);
    }
    const shape = x.shape.filter((_, i) => !ax.includes(i));
    return this.addNode('Squeeze', [x, this.int64s(ax)], [{ dtype: x.dtype, shape }], {}, { axes: ax })[0]!;
  }

  concat(xs: readonly Value[], axis: number): Value {
    if (!xs.length) this.fail('Concat', 'no inputs');
    const first = xs[0]!;
    const ax = this.axis('Concat', first, axis);
    let total: Dim = 0;
    for (const x of xs) {
      if (x.dtype !== first.dtype || x.rank !== first.rank) this.fail('Concat', `inputs differ in type or rank: ${first} and ${x}`);
      x.shape.forEach((d, i) => {
        const f = first.shape[i]!;
        if (i !== ax && typeof d === 'number' && typeof f === 'number' && d !== f) this.fail('Concat', `dimension ${i} differs: ${first} and ${x}`);
      });
      const d = x.shape[ax]!;
      total = typeof total === 'number' && typeof d === 'number' ? total + d : this.freshDim();
    }
    const shape = first.shape.map((d, i) => (i === ax ? total : d));
    return this.addNode('Concat', xs, [{ dtype: first.dtype, shape }], { axis: int(ax) }, { axis: ax })[0]!;
  }

  /** Splits along `axis` into pieces of the given sizes (constant, or a run-time int64 vector). */
  split(x: Value, sizes: readonly number[] | Value, axis: number, pieceShapes?: readonly Shape[]): Value[] {
    const ax = this.axis('Split', x, axis);
    const count = sizes instanceof Value ? (sizes.shape[0] as number) : sizes.length;
    const splitInput = sizes instanceof Value ? sizes : this.int64s(sizes);
    const outs = Array.from({ length: count }, (_, i) => ({
      dtype: x.dtype,
      shape: pieceShapes?.[i] ?? x.shape.map((d, j) => (j === ax ? (sizes instanceof Value ? this.freshDim() : sizes[i]!) : d)),
    }));
    return this.addNode('Split', [x, splitInput], outs, { axis: int(ax) });
  }

  /** Constant padding with zeros; `pads` is int64 [2 * rank] (all begins, then all ends), `shape` the result's. */
  pad(x: Value, pads: Value, shape: Shape): Value {
    if (pads.dtype !== 'int64' || pads.rank !== 1) this.fail('Pad', `pads must be a 1-D int64 tensor, got ${pads}`);
    return this.addNode('Pad', [x, pads], [{ dtype: x.dtype, shape }], { mode: str('constant') })[0]!;
  }

  slice(x: Value, spec: SliceSpec): Value {
    const axes = (spec.axes ?? spec.starts.map((_, i) => i)).map((a) => this.axis('Slice', x, a));
    const steps = spec.steps ?? axes.map(() => 1);
    if (steps.some((s) => s === 0)) this.fail('Slice', 'step 0');
    const shape = [...x.shape];
    axes.forEach((a, i) => {
      const d = x.shape[a]!;
      const start = spec.starts[i]!, end = spec.ends[i]!, step = steps[i]!;
      if (typeof d === 'number') shape[a] = sliceLength(d, start, end, step);
      else shape[a] = start === 0 && end >= INT64_MAX / 2 && step === 1 ? d : this.freshDim();
    });
    const inputs = [x, this.int64s(spec.starts), this.int64s(spec.ends), this.int64s(axes), this.int64s(steps)];
    return this.addNode('Slice', inputs, [{ dtype: x.dtype, shape }], {}, {})[0]!;
  }

  gather(data: Value, indices: Value, axis = 0): Value {
    if (indices.dtype !== 'int64' && indices.dtype !== 'int32') this.fail('Gather', `indices must be int32/int64: ${indices}`);
    const ax = this.axis('Gather', data, axis);
    const shape = [...data.shape.slice(0, ax), ...indices.shape, ...data.shape.slice(ax + 1)];
    return this.addNode('Gather', [data, indices], [{ dtype: data.dtype, shape }], { axis: int(ax) }, { axis: ax })[0]!;
  }

  /** Broadcasts `x` to the run-time shape `shape`; `hint` is the resulting shape when known. */
  expand(x: Value, shape: Value, hint: Shape): Value {
    return this.addNode('Expand', [x, shape], [{ dtype: x.dtype, shape: hint }])[0]!;
  }

  /** A tensor of the run-time shape `shape` filled with `fill`. */
  constantOfShape(shape: Value, fill: number, dtype: DType, hint: Shape): Value {
    const data = allocate(dtype, 1);
    if (data instanceof BigInt64Array) data[0] = BigInt(fill); else data[0] = fill;
    return this.addNode('ConstantOfShape', [shape], [{ dtype, shape: hint }], { value: { kind: 'tensor', dtype, dims: [1], data } })[0]!;
  }

  scatterND(data: Value, indices: Value, updates: Value, reduction: 'none' | 'add' = 'none'): Value {
    if (indices.dtype !== 'int64') this.fail('ScatterND', `indices must be int64: ${indices}`);
    const attrs: Record<string, Attr> = reduction === 'none' ? {} : { reduction: str(reduction) };
    return this.addNode('ScatterND', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], attrs)[0]!;
  }

  scatterElements(data: Value, indices: Value, updates: Value, axis = 0): Value {
    return this.addNode('ScatterElements', [data, indices, updates], [{ dtype: data.dtype, shape: data.shape }], { axis: int(axis) })[0]!;
  }

  nonZero(x: Value): Value {
    return this.addNode('NonZero', [x], [{ dtype: 'int64', shape: [x.rank, this.freshDim('nz')] }])[0]!;
  }

  range(start: Value, limit: Value, delta: Value): Value {
    return this.addNode('Range', [start, limit, delta], [{ dtype: start.dtype, shape: [this.freshDim('range')] }])[0]!;
  }

  // ---------- helpers

  /** Normalizes a possibly negative axis, failing when out of range. */
  axis(op: string, x: Value, axis: number): number {
    const a = axis < 0 ? axis + x.rank : axis;
    if (a < 0 || a >= x.rank) this.fail(op, `axis ${axis} out of range for ${x}`);
    return a;
  }

  /** Numpy broadcasting of two shapes; fails when known sizes conflict. */
  broadcastShapes(op: string, a: Shape, b: Shape): Dim[] {
    const rank = Math.max(a.length, b.length);
    const out: Dim[] = [];
    for (let i = 0; i < rank; i++) {
      const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
      const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
      if (da === db) out.push(da);
      else if (da === 1) out.push(db);
      else if (db === 1) out.push(da);
      else if (typeof da === 'number' && typeof db === 'number') {
        this.fail(op, `shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast (axis ${i}: ${da} vs ${db})`);
      } else if (typeof da === 'number') out.push(da);
      else if (typeof db === 'number') out.push(db);
      // Two symbols that never broadcast (see GraphOptions) are one size: keep a named one.
      else if (this.options.symbolsNeverBroadcast) out.push(da.includes('?') ? db : da);
      else out.push(this.freshDim());
    }
    return out;
  }

  private inferReshape(x: Value, target: readonly number[]): Dim[] {
    const out: Dim[] = target.map((t, i) => {
      if (t === 0) {
        if (i >= x.rank) this.fail('Reshape', `0 at position ${i} but input ${x} has rank ${x.rank}`);
        return x.shape[i]!;
      }
      return t;
    });
    const minus = out.indexOf(-1);
    if (out.filter((d) => d === -1).length > 1) this.fail('Reshape', `more than one -1 in ${formatShape(target)}`);
    const known = (s: readonly Dim[]) => s.reduce<number>((p, d) => (typeof d === 'number' && d !== -1 ? p * d : p), 1);
    const symbols = (s: readonly Dim[]) => s.filter((d): d is string => typeof d === 'string');
    const inSyms = symbols(x.shape), outSyms = symbols(out);
    const left = [...inSyms];
    for (const s of outSyms) { const k = left.indexOf(s); if (k >= 0) left.splice(k, 1); }
    if (minus < 0) {
      if (isStaticShape(x.shape) && isStaticShape(out) && known(x.shape) !== known(out)) {
        this.fail('Reshape', `cannot reshape ${x} (${known(x.shape)} elements) to ${formatShape(target)}`);
      }
      return out;
    }
    const quotient = known(x.shape) / known(out);
    if (left.length === 0 && outSyms.length <= inSyms.length) {
      if (!Number.isInteger(quotient)) this.fail('Reshape', `cannot reshape ${x} to ${formatShape(target)}`);
      out[minus] = quotient;
    } else if (left.length === 1 && quotient === 1) out[minus] = left[0]!;
    else out[minus] = this.freshDim();
    return out;
  }
}

function reducedShape(shape: Shape, axes: readonly number[], keepdims: boolean): Dim[] {
  const out: Dim[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdims) out.push(1);
  });
  return out;
}

function sliceLength(dim: number, start: number, end: number, step: number): number {
  const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v, lo), hi);
  let s = start < 0 ? start + dim : start;
  let e = end < 0 ? end + dim : end;
  if (step > 0) {
    s = clamp(s, 0, dim); e = clamp(e, 0, dim);
    return Math.max(0, Math.ceil((e - s) / step));
  }
  s = clamp(s, 0, dim - 1); e = clamp(e, -1, dim - 1);
  return Math.max(0, Math.ceil((e - s) / step));
}

function onnxType(t: DType): number {
  return ONNX_DTYPE[t];
}

