/**
 * Serialization of a built graph to ONNX model bytes (opset 17, IR version 8). Only the nodes and
 * initializers the requested outputs depend on are written; every declared input is kept so the
 * model's interface does not change with what it happens to use.
 */
import { onnx } from 'onnx-proto';
import { type Attr, type GraphCore, type GraphNode, GraphError, Value } from './core';
import { ONNX_DTYPE, type Shape, type TensorData } from './types';

export const OPSET = 17;
export const IR_VERSION = 8;

export interface ModelOptions {
  /** Graph outputs by the name they get in the model. */
  outputs: Record<string, Value>;
  /** Inputs to declare, in order (default: every graph input). */
  inputs?: readonly Value[];
  name?: string;
  producer?: string;
}

export function toModelBytes(g: GraphCore, options: ModelOptions): Uint8Array {
  const extraNodes: onnx.INodeProto[] = [];
  const outputs: onnx.IValueInfoProto[] = [];
  const taken = new Set<string>();
  for (const [name, v] of Object.entries(options.outputs)) {
    if (taken.has(name)) throw new GraphError(`output "${name}" is declared twice`);
    taken.add(name);
    if (v.name !== name) {
      if (v.producer && !g.hasName(name)) g.rename(v, name);
      else extraNodes.push(onnx.NodeProto.create({ opType: 'Identity', input: [v.name], output: [name], name: `${name}_Identity` }));
    }
    outputs.push(valueInfo(name, v.dtype, v.shape));
  }
  const needed = liveNodes(g.nodes, Object.values(options.outputs));
  const usedValues = new Set<Value>();
  for (const n of needed) for (const i of n.inputs) if (i) usedValues.add(i);
  for (const v of Object.values(options.outputs)) usedValues.add(v);
  const initializers: onnx.ITensorProto[] = [];
  for (const init of g.initializers.values()) {
    if (usedValues.has(init.value)) initializers.push(tensorProto(init.value.name, init.value.dtype, init.value.shape as number[], init.data));
  }
  const declared = options.inputs ?? g.inputs;
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: options.producer ?? 'secreview python-free-train',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: options.name ?? g.name,
      node: [...needed.map(nodeProto), ...extraNodes],
      input: declared.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      output: outputs,
      initializer: initializers,
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Nodes the outputs depend on, in the graph's (topological) order. */
export function liveNodes(nodes: readonly GraphNode[], outputs: readonly Value[]): GraphNode[] {
  const live = new Set<GraphNode>();
  const stack = outputs.map((v) => v.producer).filter((n): n is GraphNode => !!n);
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    for (const i of n.inputs) if (i?.producer) stack.push(i.producer);
  }
  return nodes.filter((n) => live.has(n));
}

function valueInfo(name: string, dtype: Value['dtype'], shape: Shape): onnx.IValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[dtype],
        // Builder-invented symbols (containing '?') are written as unknown dimensions.
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : d.includes('?') ? {} : { dimParam: d })) },
      },
    },
  });
}

function rawBytes(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function tensorProto(name: string, dtype: Value['dtype'], dims: readonly number[], data: TensorData): onnx.ITensorProto {
  // Copy: protobufjs keeps a reference, and callers may reuse their arrays.
  return onnx.TensorProto.create({ name, dims: [...dims], dataType: ONNX_DTYPE[dtype], rawData: rawBytes(data).slice() });
}

function attrProto(name: string, a: Attr): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.kind) {
    case 'int': return { name, type: T.INT, i: a.value };
    case 'float': return { name, type: T.FLOAT, f: a.value };
    case 'ints': return { name, type: T.INTS, ints: [...a.value] };
    case 'floats': return { name, type: T.FLOATS, floats: [...a.value] };
    case 'string': return { name, type: T.STRING, s: new TextEncoder().encode(a.value) };
    case 'tensor': return { name, type: T.TENSOR, t: tensorProto('', a.dtype, a.dims, a.data) };
  }
}

function nodeProto(n: GraphNode): onnx.INodeProto {
  return onnx.NodeProto.create({
    name: n.name,
    opType: n.op,
    input: n.inputs.map((i) => i?.name ?? ''),
    output: n.outputs.map((o) => o.name),
    attribute: Object.entries(n.attrs).map(([k, a]) => attrProto(k, a)),
  });
}
