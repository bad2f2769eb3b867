/**
 * The graph core: values (typed tensors), nodes, graph inputs, initializers, name scopes and
 * constants. Operators with shape inference live in `ops.ts`; serialization in `serialize.ts`.
 */
import { floatToHalf } from './half';
import { type DType, type Shape, type TensorData, formatShape, sizeOf } from './types';

/** One attribute of a node, tagged by its ONNX kind so numbers are never ambiguous. */
export type Attr =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; dtype: DType; dims: readonly number[]; data: TensorData };

export const int = (value: number): Attr => ({ kind: 'int', value });
export const float = (value: number): Attr => ({ kind: 'float', value });
export const ints = (value: readonly number[]): Attr => ({ kind: 'ints', value });
export const str = (value: string): Attr => ({ kind: 'string', value });

/** A tensor in a graph. Identity matters: nodes hold Values, names are resolved at serialization. */
export class Value {
  constructor(
    public name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    /** The node that computes this value; undefined for graph inputs and initializers. */
    readonly producer?: GraphNode,
  ) {}
  get rank(): number { return this.shape.length; }
  toString(): string { return `${this.name}: ${this.dtype}${formatShape(this.shape)}`; }
}

export interface GraphNode {
  readonly name: string;
  readonly op: string;
  /** Inputs in ONNX order; null marks an omitted optional input. */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: Value[];
  readonly attrs: Readonly<Record<string, Attr>>;
  /** Static facts the builder knew (e.g. reduction axes given as constant inputs), for autodiff. */
  readonly meta: Readonly<Record<string, readonly number[] | number | string>>;
}

export interface Initializer { readonly value: Value; readonly data: TensorData }

export class GraphError extends Error {
  constructor(message: string) { super(`graph: ${message}`); this.name = 'GraphError'; }
}

export interface GraphOptions {
  /**
   * Promise that no symbolic dimension is 1 at run time where a broadcast would need it to be:
   * broadcasting in the graph happens only over dimensions known to be 1 when it is built (biases,
   * masks). Gradients then sum broadcast axes decided at build time, instead of finding them at
   * run time from shapes: the run-time form is CPU work between GPU kernels. The transformer graphs
   * (batch and sequence symbolic) make this promise.
   */
  symbolsNeverBroadcast?: boolean;
}

/**
 * A gradient rule of its own for a value built from several nodes (a fused backward form): the
 * value's gradient with respect to `inputs` in one step, instead of node by node through the
 * nodes built since `firstNode`. Autodiff uses it unless a parameter lies inside those nodes or
 * reaches them other than through `inputs`.
 */
export interface CustomGradient {
  /** Index in `nodes` of the first node of the composite. */
  readonly firstNode: number;
  readonly inputs: readonly Value[];
  /** Gradients of `inputs` given the value's gradient `dy`; null for an input it does not differentiate. */
  readonly rule: (dy: Value) => readonly (Value | null)[];
}

export class GraphCore {
  readonly nodes: GraphNode[] = [];
  /** Fused backward forms, by the value they differentiate (see `defineGradient`). */
  readonly customGradients = new Map<Value, CustomGradient>();
  readonly inputs: Value[] = [];
  readonly initializers = new Map<Value, Initializer>();
  private readonly scopes: string[] = [];
  private readonly usedNames = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly constCache = new Map<string, Value>();
  private symbolCounter = 0;

  constructor(readonly name = 'graph', readonly options: GraphOptions = {}) {}

  /** Runs `body` with every new node and value named under `scope/`. */
  scope<T>(scope: string, body: () => T): T {
    this.scopes.push(scope);
    try { return body(); } finally { this.scopes.pop(); }
  }

  /**
   * A reusable subgraph: a function of tensors that builds its nodes under a fresh scope named
   * `name`, `name_1`, ... at each call.
   */
  subgraph<A extends unknown[], R>(name: string, body: (...args: A) => R): (...args: A) => R {
    return (...args: A) => this.scope(this.uniqueScope(name), () => body(...args));
  }

  protected uniqueScope(name: string): string {
    const key = `${this.prefix()}${name}#scope`;
    const n = this.counters.get(key) ?? 0;
    this.counters.set(key, n + 1);
    return n === 0 ? name : `${name}_${n}`;
  }

  private prefix(): string { return this.scopes.length ? `${this.scopes.join('/')}/` : ''; }

  /** A name not used yet in this graph, under the current scope. */
  uniqueName(base: string): string {
    const full = `${this.prefix()}${base}`;
    if (!this.usedNames.has(full)) { this.usedNames.add(full); return full; }
    let n = this.counters.get(full) ?? 1;
    while (this.usedNames.has(`${full}_${n}`)) n++;
    this.counters.set(full, n + 1);
    const name = `${full}_${n}`;
    this.usedNames.add(name);
    return name;
  }

  hasName(name: string): boolean { return this.usedNames.has(name); }

  /** A fresh symbolic dimension, for sizes known only at run time. */
  freshDim(hint = 'd'): string { return `${hint}?${++this.symbolCounter}`; }

  input(name: string, dtype: DType, shape: Shape): Value {
    if (this.usedNames.has(name)) throw new GraphError(`input name "${name}" is already used`);
    this.usedNames.add(name);
    const v = new Value(name, dtype, shape);
    this.inputs.push(v);
    return v;
  }

  initializer(name: string, dtype: DType, shape: readonly number[], data: TensorData): Value {
    if (data.length !== sizeOf(shape)) {
      throw new GraphError(`initializer "${name}": ${data.length} values for shape ${formatShape(shape)}`);
    }
    const v = new Value(this.uniqueName(name), dtype, shape);
    this.initializers.set(v, { value: v, data });
    return v;
  }

  /** A scalar constant (deduplicated). */
  scalar(x: number, dtype: DType = 'float32'): Value {
    return this.constant(dtype, [], [x]);
  }

  /** A 1-D int64 constant (deduplicated), for shapes, axes and indices. */
  int64s(values: readonly number[]): Value {
    return this.constant('int64', [values.length], values);
  }

  constant(dtype: DType, dims: readonly number[], values: readonly number[]): Value {
    const key = `${dtype}|${dims.join(',')}|${values.join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const label = dims.length === 0 ? `${values[0]}` : `${values.slice(0, 4).join('_')}${values.length > 4 ? '_etc' : ''}`;
    const name = `const/${dtype}_${label.replace(/[^0-9A-Za-z_.-]/g, '_')}`;
    const data = typedFrom(dtype, values);
    let unique = name;
    for (let k = 1; this.usedNames.has(unique); k++) unique = `${name}_${k}`;
    const v = new Value(unique, dtype, dims);
    this.usedNames.add(unique);
    this.initializers.set(v, { value: v, data });
    this.constCache.set(key, v);
    return v;
  }

  /** Constant data of a value, when it is an initializer. */
  constantData(v: Value): TensorData | undefined { return this.initializers.get(v)?.data; }

  /** Gives a value a readable name (e.g. `logits`); the name must be unused. */
  rename(v: Value, name: string): Value {
    if (v.name === name) return v;
    if (this.usedNames.has(name)) throw new GraphError(`cannot rename ${v.name} to "${name}": name already used`);
    this.usedNames.add(name);
    v.name = name;
    return v;
  }

  /**
   * Gives `output`, built by the nodes appended since node index `firstNode` from `inputs`, a
   * gradient rule of its own (e.g. softmax cross-entropy's `(softmax - target) / batch`): fewer
   * backward nodes, and the arithmetic of the textbook form.
   */
  defineGradient(output: Value, gradient: CustomGradient): void {
    if (!output.producer || this.nodes.indexOf(output.producer) < gradient.firstNode) {
      throw new GraphError(`defineGradient: ${output.name} is not computed by the nodes since ${gradient.firstNode}`);
    }
    this.customGradients.set(output, gradient);
  }

  /** Appends a node and returns its outputs; shapes are inferred by the caller (ops.ts). */
  addNode(op: string, inputs: readonly (Value | null)[], outputs: readonly { dtype: DType; shape: Shape }[],
    attrs: Record<string, Attr> = {}, meta: GraphNode['meta'] = {}): Value[] {
    const name = this.uniqueName(op);
    const outs: Value[] = [];
    const node: GraphNode = { name, op, inputs, outputs: outs, attrs, meta };
    outputs.forEach((o, i) => outs.push(new Value(outputs.length === 1 ? `${name}_out` : `${name}_out${i}`, o.dtype, o.shape, node)));
    for (const o of outs) this.usedNames.add(o.name);
    this.nodes.push(node);
    return outs;
  }

  /** The node about to be named `op`, for error messages before it exists. */
  pendingName(op: string): string { return `${this.prefix()}${op}`; }

  fail(op: string, message: string): never {
    throw new GraphError(`${this.pendingName(op)}: ${message}`);
  }
}

export function typedFrom(dtype: DType, values: readonly number[]): TensorData {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'float16': return Uint16Array.from(values, floatToHalf);
    case 'int32': return Int32Array.from(values);
    case 'int64': return BigInt64Array.from(values, (x) => BigInt(Math.trunc(x)));
    case 'int8': return Int8Array.from(values);
    case 'uint8': return Uint8Array.from(values);
    case 'bool': return Uint8Array.from(values, (x) => (x ? 1 : 0));
  }
}

