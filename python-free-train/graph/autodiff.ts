/**
 * Reverse-mode automatic differentiation on a built graph. `gradients` walks the nodes between the
 * parameters and a scalar loss backwards and appends gradient nodes made of standard ONNX ops, so
 * the forward pass, the backward pass and the optimizer update run as one ordinary ONNX model.
 *
 * Broadcasting: the gradient of a broadcast operand is summed over the broadcast axes and reshaped
 * to the operand's shape. When a dimension is symbolic on one side only, the axes are found at run
 * time from the shapes (Shape, Equal, NonZero, ReduceSum with run-time axes).
 */
import { type CustomGradient, GraphError, type GraphNode, Value } from './core';
import type { Graph } from './ops';
import { type Dim, isFloat, isStaticShape, sizeOf } from './types';

/** Gradient of the outputs of a node with respect to its inputs; null where not needed or zero. */
type Rule = (ctx: RuleContext) => (Value | null)[];

interface RuleContext {
  g: Graph;
  node: GraphNode;
  /** Gradient of output 0 (rules of multi-output ops read `dys`). */
  dy: Value;
  dys: readonly (Value | null)[];
  /** Whether input i needs a gradient (depends on a parameter). */
  needs: (i: number) => boolean;
}

/** Ops whose outputs carry no gradient (shapes, comparisons, random draws, index computations). */
const NON_DIFFERENTIABLE = new Set([
  'Shape', 'Size', 'Equal', 'Greater', 'Less', 'GreaterOrEqual', 'LessOrEqual', 'Not', 'And', 'Or',
  'RandomUniformLike', 'RandomNormalLike', 'ConstantOfShape', 'Range', 'NonZero', 'ArgMax', 'ArgMin', 'OneHot',
]);

/**
 * Appends the gradient of scalar `loss` with respect to each of `wrt` (graph inputs or
 * initializers) and returns them in order. A parameter the loss does not depend on gets zeros.
 */
export function gradients(g: Graph, loss: Value, wrt: readonly Value[]): Value[] {
  if (loss.rank !== 0 && !(isStaticShape(loss.shape) && sizeOf(loss.shape) === 1)) {
    throw new GraphError(`gradients: loss must be a scalar, got ${loss}`);
  }
  if (!isFloat(loss.dtype)) throw new GraphError(`gradients: loss must be floating point, got ${loss}`);
  const nodes = [...g.nodes];
  // Values that depend on a parameter: only those need gradients.
  const dependent = new Set<Value>(wrt);
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op) || (n.op === 'Cast' && !isFloat(n.inputs[0]!.dtype))) continue;
    if (n.inputs.some((i) => i && dependent.has(i))) for (const o of n.outputs) dependent.add(o);
  }
  if (!dependent.has(loss)) throw new GraphError(`gradients: loss ${loss.name} depends on none of the parameters`);

  // A fused backward form replaces the nodes it spans only when every parameter reaches them
  // through its declared inputs (none lies inside, none enters another way).
  const wrtProducers = new Set(wrt.map((p) => p.producer).filter((n): n is GraphNode => !!n));
  const customApplies = (c: CustomGradient, last: number): boolean => {
    const inside = new Set<Value>(c.inputs);
    for (let i = c.firstNode; i <= last; i++) {
      const n = nodes[i]!;
      if (wrtProducers.has(n)) return false;
      if (n.inputs.some((v) => v && dependent.has(v) && !inside.has(v))) return false;
      for (const o of n.outputs) inside.add(o);
    }
    return true;
  };

  const pending = new Map<Value, Value[]>();
  const push = (v: Value, grad: Value) => {
    const list = pending.get(v);
    if (list) list.push(grad); else pending.set(v, [grad]);
  };
  const total = (v: Value): Value | null => {
    const list = pending.get(v);
    if (!list?.length) return null;
    let sum = list[0]!;
    for (let i = 1; i < list.length; i++) sum = g.add(sum, list[i]!);
    pending.set(v, [sum]);
    return sum;
  };

  return g.scope('grad', () => {
    push(loss, g.s(1, loss));
    for (let k = nodes.length - 1; k >= 0; k--) {
      const node = nodes[k]!;
      if (!node.outputs.some((o) => dependent.has(o) && pending.has(o))) continue;
      const dys = node.outputs.map((o) => total(o));
      if (NON_DIFFERENTIABLE.has(node.op)) continue;
      const custom = node.outputs.length === 1 ? g.customGradients.get(node.outputs[0]!) : undefined;
      if (custom && customApplies(custom, k)) {
        const grads = g.scope(node.name.split('/').pop()!, () => custom.rule(dys[0]!));
        grads.forEach((grad, i) => {
          const input = custom.inputs[i]!;
          if (grad && dependent.has(input) && isFloat(input.dtype)) push(input, grad);
        });
        continue;
      }
      const rule = RULES[node.op];
      if (!rule) throw new GraphError(`gradients: no gradient rule for ${node.op} (node ${node.name})`);
      const dy = dys[0] ?? zerosLike(g, node.outputs[0]!);
      const needs = (i: number) => { const v = node.inputs[i]; return !!v && dependent.has(v) && isFloat(v.dtype); };
      const grads = g.scope(node.name.split('/').pop()!, () => rule({ g, node, dy, dys, needs }));
      grads.forEach((grad, i) => {
        const input = node.inputs[i];
        if (grad && input && needs(i)) push(input, grad);
      });
    }
    return wrt.map((p) => total(p) ?? zerosLike(g, p));
  });
}

function zerosLike(g: Graph, v: Value): Value {
  if (isStaticShape(v.shape)) return g.constantOfShape(g.int64s(v.shape), 0, v.dtype, v.shape);
  return g.constantOfShape(g.shapeOf(v), 0, v.dtype, v.shape);
}

/** The run-time or constant shape of `v`, as an int64 vector. */
function shapeValue(g: Graph, v: Value): Value {
  return isStaticShape(v.shape) ? g.int64s(v.shape) : g.shapeOf(v);
}

/**
 * Reshapes `grad` to the shape of `like` (same number of elements). The target is a constant where
 * it can be: known sizes, 0 (copy) for a symbol at the same position of `grad`, -1 for one other
 * symbol; only otherwise is `like`'s shape read at run time (a Shape node: CPU work between GPU kernels).
 */
function reshapeLike(g: Graph, grad: Value, like: Value): Value {
  if (grad.shape.length === like.shape.length && grad.shape.every((d, i) => d === like.shape[i])) return grad;
  const target = like.shape.map((d, i) => (typeof d === 'number' ? d : grad.shape[i] === d ? 0 : -1));
  if (target.filter((d) => d === -1).length <= 1 && !target.some((d, i) => d === 0 && typeof like.shape[i] === 'number')) {
    return g.reshape(grad, g.int64s(target), like.shape);
  }
  return g.reshape(grad, shapeValue(g, like), like.shape);
}

/**
 * Sums `grad` (shaped like a broadcast result) down to the shape of operand `x`. Axes are decided at
 * build time where sizes or symbols allow it, else at run time.
 */
export function reduceToShape(g: Graph, grad: Value, x: Value): Value {
  const lead = grad.rank - x.rank;
  if (lead < 0) throw new GraphError(`gradients: gradient ${grad} has lower rank than operand ${x}`);
  const axes: number[] = [];
  let dynamic = false;
  grad.shape.forEach((d: Dim, i) => {
    if (i < lead) { axes.push(i); return; }
    const xd = x.shape[i - lead]!;
    if (xd === d) return;
    if (xd === 1) axes.push(i);
    else if (typeof xd === 'number' && typeof d === 'number') throw new GraphError(`gradients: ${grad} does not broadcast from ${x}`);
    else if (typeof xd !== 'number' && typeof d !== 'number' && g.options.symbolsNeverBroadcast) return;
    else if (typeof xd !== 'number' || typeof d !== 'number') dynamic = true;
  });
  if (dynamic) {
    // Axes where the operand (left-padded with ones) has size 1 are the broadcast ones.
    const xs = g.shapeOf(x);
    const padded = lead > 0 ? g.concat([g.int64s(Array.from({ length: lead }, () => 1)), xs], 0) : xs;
    const axesValue = g.reshape(g.nonZero(g.equal(padded, g.int64s([1]))), [-1]);
    return reshapeLike(g, g.reduceSumDynamic(grad, axesValue), x);
  }
  if (!axes.length) return reshapeLike(g, grad, x);
  return reshapeLike(g, g.reduceSum(grad, axes, true), x);
}

const T = (g: Graph, v: Value) => g.transposeLast2(v);

const RULES: Record<string, Rule> = {
  Identity: ({ dy }) => [dy],
  Add: ({ g, node, dy, needs }) => [needs(0) ? reduceToShape(g, dy, node.inputs[0]!) : null, needs(1) ? reduceToShape(g, dy, node.inputs[1]!) : null],
  Sub: ({ g, node, dy, needs }) => [needs(0) ? reduceToShape(g, dy, node.inputs[0]!) : null, needs(1) ? reduceToShape(g, g.neg(dy), node.inputs[1]!) : null],
  Mul: ({ g, node, dy, needs }) => {
    const [a, b] = [node.inputs[0]!, node.inputs[1]!];
    return [needs(0) ? reduceToShape(g, g.mul(dy, b), a) : null, needs(1) ? reduceToShape(g, g.mul(dy, a), b) : null];
  },
  Div: ({ g, node, dy, needs }) => {
    const [a, b] = [node.inputs[0]!, node.inputs[1]!];
    const y = node.outputs[0]!;
    return [needs(0) ? reduceToShape(g, g.div(dy, b), a) : null,
      needs(1) ? reduceToShape(g, g.neg(g.div(g.mul(dy, y), b)), b) : null];
  },
  Neg: ({ g, dy }) => [g.neg(dy)],
  Abs: ({ g, node, dy }) => [g.mul(dy, g.sign(node.inputs[0]!))],
  Pow: ({ g, node, dy, needs }) => {
    const [a, b] = [node.inputs[0]!, node.inputs[1]!];
    const y = node.outputs[0]!;
    const da = needs(0) ? reduceToShape(g, g.mul(dy, g.mul(b, g.pow(a, g.sub(b, g.s(1, b))))), a) : null;
    const db = needs(1) ? reduceToShape(g, g.mul(dy, g.mul(y, g.log(a))), b) : null;
    return [da, db];
  },
  Sqrt: ({ g, node, dy }) => [g.div(g.mul(dy, g.s(0.5, dy)), node.outputs[0]!)],
  Exp: ({ g, node, dy }) => [g.mul(dy, node.outputs[0]!)],
  Log: ({ g, node, dy }) => [g.div(dy, node.inputs[0]!)],
  Relu: ({ g, node, dy }) => {
    const x = node.inputs[0]!;
    return [g.where(g.greater(x, g.s(0, x)), dy, g.s(0, dy))];
  },
  Tanh: ({ g, node, dy }) => {
    const y = node.outputs[0]!;
    return [g.mul(dy, g.sub(g.s(1, y), g.mul(y, y)))];
  },
  Sigmoid: ({ g, node, dy }) => {
    const y = node.outputs[0]!;
    return [g.mul(dy, g.mul(y, g.sub(g.s(1, y), y)))];
  },
  Erf: ({ g, node, dy }) => {
    const x = node.inputs[0]!;
    return [g.mul(dy, g.mul(g.s(2 / Math.sqrt(Math.PI), x), g.exp(g.neg(g.mul(x, x)))))];
  },
  Softmax: ({ g, node, dy }) => {
    const y = node.outputs[0]!;
    const axis = attrInt(node, 'axis');
    return [g.mul(y, g.sub(dy, g.reduceSum(g.mul(dy, y), [axis], true)))];
  },
  LogSoftmax: ({ g, node, dy }) => {
    const y = node.outputs[0]!;
    const axis = attrInt(node, 'axis');
    return [g.sub(dy, g.mul(g.exp(y), g.reduceSum(dy, [axis], true)))];
  },
  MatMul: ({ g, node, dy, needs }) => {
    const [a, b] = [node.inputs[0]!, node.inputs[1]!];
    return [needs(0) ? reduceToShape(g, g.matmul(dy, T(g, b)), a) : null, needs(1) ? reduceToShape(g, g.matmul(T(g, a), dy), b) : null];
  },
  Gemm: ({ g, node, dy, needs }) => {
    const [a, b, c] = [node.inputs[0]!, node.inputs[1]!, node.inputs[2] ?? null];
    const alpha = attrFloat(node, 'alpha', 1), beta = attrFloat(node, 'beta', 1);
    const ta = attrInt(node, 'transA', 0) === 1, tb = attrInt(node, 'transB', 0) === 1;
    // d(op(A)) = alpha * dY op(B)^T and d(op(B)) = alpha * op(A)^T dY, transposed back when op transposes.
    const da = !needs(0) ? null : ta ? g.gemm(b, dy, null, { alpha, transA: tb, transB: true }) : g.gemm(dy, b, null, { alpha, transB: !tb });
    const db = !needs(1) ? null : tb ? g.gemm(dy, a, null, { alpha, transA: true, transB: ta }) : g.gemm(a, dy, null, { alpha, transA: !ta });
    const dc = c && needs(2) ? reduceToShape(g, beta === 1 ? dy : g.mul(dy, g.s(beta, dy)), c) : null;
    return [da, db, dc];
  },
  ReduceSum: ({ g, node, dy }) => [expandReduced(g, node, dy)],
  ReduceMean: ({ g, node, dy }) => {
    const x = node.inputs[0]!, y = node.outputs[0]!;
    const expanded = expandReduced(g, node, dy);
    // The count is the product of the reduced dimensions: known at build time when those are,
    // however symbolic the others (LayerNorm's mean over the hidden axis of [batch, seq, hidden]).
    const reduced = (node.meta.axes as readonly number[] | undefined) ?? [];
    const reducedDims = reduced.map((a) => x.shape[a < 0 ? a + x.rank : a]);
    const count = reduced.length && reducedDims.every((d): d is number => typeof d === 'number')
      ? g.s(reducedDims.reduce((a, b) => a * b, 1), dy)
      : isStaticShape(x.shape) && isStaticShape(y.shape)
        ? g.s(sizeOf(x.shape) / sizeOf(y.shape), dy)
        : g.cast(g.div(g.sizeOfValue(x), g.sizeOfValue(y)), dy.dtype);
    return [g.div(expanded, count)];
  },
  Reshape: ({ g, node, dy }) => [reshapeLike(g, dy, node.inputs[0]!), null],
  Unsqueeze: ({ g, node, dy }) => [reshapeLike(g, dy, node.inputs[0]!), null],
  Squeeze: ({ g, node, dy }) => [reshapeLike(g, dy, node.inputs[0]!), null],
  Expand: ({ g, node, dy }) => [reduceToShape(g, dy, node.inputs[0]!), null],
  Transpose: ({ g, node, dy }) => {
    const perm = attrInts(node, 'perm');
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return [g.transpose(dy, inverse)];
  },
  Cast: ({ g, node, dy }) => {
    const x = node.inputs[0]!;
    return [isFloat(x.dtype) ? g.cast(dy, x.dtype) : null];
  },
  Concat: ({ g, node, dy, needs }) => {
    const axis = attrInt(node, 'axis');
    const parts = node.inputs.map((v) => v!);
    const sizes = parts.map((p) => p.shape[axis]!);
    const sizeValue = sizes.every((d): d is number => typeof d === 'number')
      ? sizes
      : g.concat(parts.map((p) => g.slice(g.shapeOf(p), { starts: [axis], ends: [axis + 1] })), 0);
    const pieces = g.split(dy, sizeValue, axis, parts.map((p) => p.shape));
    return pieces.map((piece, i) => (needs(i) ? piece : null));
  },
  Split: ({ g, node, dys }) => {
    const axis = attrInt(node, 'axis');
    const pieces = node.outputs.map((o, i) => dys[i] ?? zerosLike(g, o));
    return [g.concat(pieces, axis), null];
  },
  Slice: ({ g, node, dy }) => {
    const x = node.inputs[0]!;
    // Unit steps: dY padded with zeros back to x's shape (Pad runs on every provider; the scatter
    // below needs index grids as large as x, which GPU providers compute on the CPU).
    const padded = slicePadGradient(g, node, dy);
    if (padded) return [padded];
    // Otherwise scatter dY into zeros at the flat positions the slice picked: exact for any starts,
    // ends (negative or clamped) and steps, because the same Slice runs over a grid of flat indices.
    const flatIndex = g.reshape(g.range(g.constant('int64', [], [0]), g.sizeOfValue(x), g.constant('int64', [], [1])), shapeValue(g, x), x.shape);
    const picked = g.addNode('Slice', [flatIndex, ...node.inputs.slice(1)], [{ dtype: 'int64', shape: node.outputs[0]!.shape }])[0]!;
    const zeros = g.constantOfShape(g.reshape(g.sizeOfValue(x), [1]), 0, dy.dtype, [g.freshDim()]);
    const scattered = g.scatterElements(zeros, g.reshape(picked, [-1]), g.reshape(dy, [-1]), 0);
    return [reshapeLike(g, scattered, x)];
  },
  Gather: ({ g, node, dy, needs }) => {
    const [data, indices] = [node.inputs[0]!, node.inputs[1]!];
    if (!needs(0)) return [null, null];
    if (attrInt(node, 'axis', 0) !== 0) throw new GraphError(`gradients: Gather ${node.name} is differentiable along axis 0 only`);
    // Rows gathered several times get the sum of their gradients (ScatterND with reduction add).
    const idx = g.unsqueeze(indices.dtype === 'int64' ? indices : g.cast(indices, 'int64'), [-1]);
    const zeros = g.constantOfShape(shapeValue(g, data), 0, dy.dtype, data.shape);
    return [g.scatterND(zeros, idx, dy, 'add'), null];
  },
  Where: ({ g, node, dy, needs }) => {
    const [cond, a, b] = [node.inputs[0]!, node.inputs[1]!, node.inputs[2]!];
    const zero = g.s(0, dy);
    return [null, needs(1) ? reduceToShape(g, g.where(cond, dy, zero), a) : null, needs(2) ? reduceToShape(g, g.where(cond, zero, dy), b) : null];
  },
  Min: ({ g, node, dy, needs }) => minMax(g, node, dy, needs, 'less'),
  Max: ({ g, node, dy, needs }) => minMax(g, node, dy, needs, 'greater'),
};

/** Min/Max route the gradient to the selected operand (the first one on ties). */
function minMax(g: Graph, node: GraphNode, dy: Value, needs: (i: number) => boolean, cmp: 'less' | 'greater'): (Value | null)[] {
  const [a, b] = [node.inputs[0]!, node.inputs[1]!];
  const pickA = g.not(cmp === 'less' ? g.greater(a, b) : g.less(a, b));
  const zero = g.s(0, dy);
  return [needs(0) ? reduceToShape(g, g.where(pickA, dy, zero), a) : null, needs(1) ? reduceToShape(g, g.where(pickA, zero, dy), b) : null];
}

/** dY of a reduction, broadcast back to the input shape. */
/**
 * The gradient of a unit-step Slice with constant starts, ends and axes: dY padded with zeros.
 * Starts and ends are normalized as Slice does (negative from the end, clamped to the dimension),
 * at build time for known dimensions and with a few int64 scalar ops for symbolic ones.
 */
function slicePadGradient(g: Graph, node: GraphNode, dy: Value): Value | null {
  const [x, startsV, endsV, axesV, stepsV] = node.inputs;
  const data = (v: Value | null | undefined) => (v ? g.constantData(v) : undefined);
  const starts = data(startsV), ends = data(endsV), axesData = data(axesV), steps = data(stepsV);
  if (!x || !starts || !ends || !axesData || (stepsV && (!steps || [...steps].some((s) => Number(s) !== 1)))) return null;
  const r = x.rank;
  const begin: Value[] = [], end: Value[] = [];
  const i64 = (n: number) => g.constant('int64', [], [n]);
  const clamp = (v: Value, dim: Value) => g.max(g.min(v, dim), i64(0));
  const axes = [...axesData].map((a) => (Number(a) < 0 ? Number(a) + r : Number(a)));
  for (let a = 0; a < r; a++) {
    const k = axes.indexOf(a);
    if (k < 0) { begin.push(i64(0)); end.push(i64(0)); continue; }
    const start = Number(starts[k]), stop = Number(ends[k]);
    const d = x.shape[a]!;
    if (typeof d === 'number') {
      const s = Math.min(Math.max(start < 0 ? start + d : start, 0), d);
      const e = Math.min(Math.max(stop < 0 ? stop + d : stop, 0), d);
      begin.push(i64(s)); end.push(i64(d - Math.max(e, s)));
      continue;
    }
    const dim = g.squeeze(g.slice(g.shapeOf(x), { starts: [a], ends: [a + 1] }), [0]);
    const s = clamp(start < 0 ? g.add(dim, i64(start)) : i64(start), dim);
    const e = clamp(stop < 0 ? g.add(dim, i64(stop)) : i64(Math.min(stop, 2 ** 52)), dim);
    begin.push(s); end.push(g.sub(dim, g.max(e, s)));
  }
  const pads = g.concat([...begin, ...end].map((v) => g.unsqueeze(v, [0])), 0);
  return g.pad(dy, pads, x.shape);
}

function expandReduced(g: Graph, node: GraphNode, dy: Value): Value {
  const x = node.inputs[0]!;
  if (node.meta.dynamicAxes) throw new GraphError(`gradients: ${node.name} reduces over run-time axes; no gradient`);
  const axes = node.meta.axes as readonly number[];
  const keep = attrInt(node, 'keepdims', 1) === 1;
  const kept = keep || !axes.length ? dy : g.unsqueeze(dy, axes);
  return g.expand(kept, shapeValue(g, x), x.shape);
}

function attrInt(node: GraphNode, name: string, fallback?: number): number {
  const a = node.attrs[name];
  if (a?.kind === 'int') return a.value;
  if (fallback !== undefined) return fallback;
  throw new GraphError(`gradients: node ${node.name} lacks attribute ${name}`);
}

function attrFloat(node: GraphNode, name: string, fallback: number): number {
  const a = node.attrs[name];
  return a?.kind === 'float' ? a.value : fallback;
}

function attrInts(node: GraphNode, name: string): readonly number[] {
  const a = node.attrs[name];
  if (a?.kind !== 'ints') throw new GraphError(`gradients: node ${node.name} lacks attribute ${name}`);
  return a.value;
}

export { Value };
