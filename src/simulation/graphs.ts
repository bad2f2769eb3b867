/**
 * Hand-built ONNX graphs for the simulation, each handling S networks of the same shape at once
 * (one per strategy of a run: they always train on equally many rows, so their mini-batches line
 * up). Parameters travel as one flat row per network (`[S, P]`, the layout of `Mlp.params`) and
 * are sliced inside the graph, so a session run has a handful of inputs whatever the depth.
 *
 * - scoring: x^T [in, N] shared by all networks -> per network d [1, N] (the logit, or for a
 *   collapsed two-class network the logit difference yes - no) and the summed cross-entropy.
 * - training steps: the labeled rows of all networks x [R, in] with one-hot y [R, C], the rows of
 *   K mini-batches [K, S, B] (int32 indices into R), params/m/v [S, P], alpha [K], invB -> the
 *   params/m/v after K Adam steps on softmax cross-entropy (Keras' form).
 */
import { onnx } from 'onnx-proto';
import { parameterCount } from './network';

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const ATTR = onnx.AttributeProto.AttributeType;

class GraphBuilder {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];
  private counter = 0;

  op(opType: string, inputs: string[], attrs: Record<string, number | number[]> = {}, output?: string): string {
    const out = output ?? `${opType.toLowerCase()}_${this.counter++}`;
    const attribute: onnx.IAttributeProto[] = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v) ? { name, type: ATTR.INTS, ints: v } : { name, type: ATTR.INT, i: v });
    this.nodes.push({ opType, input: inputs, output: [out], name: `${out}_node`, attribute });
    return out;
  }

  /** An op with several outputs. */
  opMulti(opType: string, inputs: string[], outputs: number, attrs: Record<string, number | number[]> = {}): string[] {
    const names = Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.counter++}`);
    const attribute: onnx.IAttributeProto[] = Object.entries(attrs).map(([name, v]) =>
      Array.isArray(v) ? { name, type: ATTR.INTS, ints: v } : { name, type: ATTR.INT, i: v });
    this.nodes.push({ opType, input: inputs, output: names, name: `${names[0]}_node`, attribute });
    return names;
  }

  scalarInt(value: number): string {
    const name = `const_${this.counter++}`;
    this.initializers.push({ name, dims: [], dataType: INT64, rawData: new Uint8Array(BigInt64Array.of(BigInt(value)).buffer) });
    return name;
  }

  ints(values: number[]): string {
    const name = `const_${this.counter++}`;
    const data = new BigInt64Array(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims: [values.length], dataType: INT64, rawData: new Uint8Array(data.buffer) });
    return name;
  }

  float(value: number): string {
    const name = `const_${this.counter++}`;
    this.initializers.push({ name, dims: [], dataType: FLOAT, rawData: new Uint8Array(Float32Array.of(value).buffer) });
    return name;
  }

  encode(inputs: onnx.IValueInfoProto[], outputs: onnx.IValueInfoProto[], name: string): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'secreview-simulation',
      opsetImport: [{ domain: '', version: 13 }],
      graph: { name, node: this.nodes, input: inputs, output: outputs, initializer: this.initializers },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: (number | string)[], elemType: number = FLOAT): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } } };
}

function indexInfo(name: string, dims: (number | string)[]): onnx.IValueInfoProto {
  return valueInfo(name, dims, onnx.TensorProto.DataType.INT32);
}

/** Slices layer l's weights [S, fin, fout] and bias [S, 1, fout] out of flat params [S, P]. */
function sliceLayers(g: GraphBuilder, params: string, sizes: readonly number[]): { w: string; b: string }[] {
  const out = [];
  let o = 0;
  const axis1 = g.ints([1]);
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fin = sizes[l]!, fout = sizes[l + 1]!;
    const wFlat = g.op('Slice', [params, g.ints([o]), g.ints([o + fin * fout]), axis1]);
    o += fin * fout;
    const bFlat = g.op('Slice', [params, g.ints([o]), g.ints([o + fout]), axis1]);
    o += fout;
    out.push({ w: g.op('Reshape', [wFlat, g.ints([0, fin, fout])]), b: g.op('Reshape', [bFlat, g.ints([0, 1, fout])]) });
  }
  return out;
}

/**
 * Scoring graph for S networks of `sizes` (a single output: two-class networks are collapsed to
 * yes - no first). Rows are the GEMM's long dimension: x comes transposed ([in, n]) and each layer
 * is Gemm(W^T, a) + b, Relu, which onnxruntime fuses; with n as the wide side of the product the
 * MLAS kernels run about twice as fast as with the 15-wide layers as the wide side.
 * Outputs per network `d<k>` [1, n], and `loss` [S]: each network's summed cross-entropy.
 */
export function buildScoringGraph(sizes: readonly number[], networks: number): Uint8Array {
  const L = sizes.length - 1;
  if (sizes[L] !== 1) throw new Error(`the scoring graph takes one output (collapse two-class networks first), got ${sizes[L]}`);
  const P = parameterCount(sizes);
  const g = new GraphBuilder();
  const outputs: onnx.IValueInfoProto[] = [];
  const axis0 = g.ints([0]);
  const logits: string[] = [];
  for (let k = 0; k < networks; k++) {
    let a = 'x';
    let o = 0;
    for (let l = 0; l < L; l++) {
      const fin = sizes[l]!, fout = sizes[l + 1]!;
      const w = g.op('Reshape', [g.op('Slice', ['params', g.ints([k * P + o]), g.ints([k * P + o + fin * fout]), axis0]), g.ints([fin, fout])]);
      o += fin * fout;
      const b = g.op('Reshape', [g.op('Slice', ['params', g.ints([k * P + o]), g.ints([k * P + o + fout]), axis0]), g.ints([fout, 1])]);
      o += fout;
      const z = g.op('Gemm', [w, a, b], { transA: 1 }, l === L - 1 ? `d${k}` : undefined);
      a = l < L - 1 ? g.op('Relu', [z]) : z;
    }
    logits.push(a);
    outputs.push(valueInfo(`d${k}`, [1, 'n']));
  }
  // Cross-entropy of a row, softplus(d) - y d, for all networks at once ([S, n]). Softplus is
  // spelled relu(d) + log(1 + exp(-|d|)): onnxruntime's Softplus kernel is scalar and cost a fifth
  // of the scoring time, while Exp and Log are vectorised.
  const d = networks > 1 ? g.op('Concat', logits, { axis: 0 }) : logits[0]!;
  const softplus = g.op('Add', [g.op('Relu', [d]), g.op('Log', [g.op('Add', [g.op('Exp', [g.op('Neg', [g.op('Abs', [d])])]), g.float(1)])])]);
  g.op('ReduceSum', [g.op('Sub', [softplus, g.op('Mul', ['y', d])]), g.ints([1])], { keepdims: 0 }, 'loss');
  outputs.push(valueInfo('loss', [networks]));
  return g.encode([valueInfo('x', [sizes[0]!, 'n']), valueInfo('y', [1, 'n']), valueInfo('params', [networks * P])], outputs, 'score');
}

/**
 * `steps` consecutive Adam steps for S classifiers of `sizes` with softmax cross-entropy, unrolled
 * in one graph: a session run costs about 0.1 ms of fixed overhead here, more than the arithmetic of
 * a 128-row step of these small networks, so several steps share one run.
 * Inputs x [R, in] and one-hot y [R, C] (every network's labeled rows, stacked), rows [K, S, B]
 * (int32: which of them form each step's mini-batches; the gather runs in the graph, as one
 * memcpy per row), params/m/v [S, P], alpha [K] (Adam's step size per step, bias corrections
 * included), inv_b (1 / B).
 */
export function buildTrainStepGraph(sizes: readonly number[], beta1: number, beta2: number, epsilon: number, steps = 1): Uint8Array {
  const L = sizes.length - 1;
  const C = sizes[L]!;
  const P = parameterCount(sizes);
  const g = new GraphBuilder();
  const b1 = g.float(beta1), b1c = g.float(1 - beta1), b2 = g.float(beta2), b2c = g.float(1 - beta2), eps = g.float(epsilon);
  const perm = { perm: [0, 2, 1] };
  const axisBatch = g.ints([1]);
  const splitSizes: number[] = [];
  for (let l = 0; l < L; l++) splitSizes.push(sizes[l]! * sizes[l + 1]!, sizes[l + 1]!);
  const split = g.ints(splitSizes);
  const weightShapes = sizes.slice(0, L).map((fin, l) => g.ints([0, fin, sizes[l + 1]!]));
  const biasShapes = sizes.slice(0, L).map((_, l) => g.ints([0, 1, sizes[l + 1]!]));
  const flatShapes = sizes.slice(0, L).map((fin, l) => g.ints([0, fin * sizes[l + 1]!]));
  let params = 'params', m = 'm', v = 'v';
  for (let k = 0; k < steps; k++) {
    const last = k === steps - 1;
    const index = g.scalarInt(k);
    // This step's rows of every network ([S, B] indices into the pooled rows).
    const rows = g.op('Gather', ['rows', index], { axis: 0 });
    const x = g.op('Gather', ['x', rows], { axis: 0 });
    const y = g.op('Gather', ['y', rows], { axis: 0 });
    const alpha = g.op('Gather', ['alpha', index], { axis: 0 });
    const pieces = g.opMulti('Split', [params, split], 2 * L, { axis: 1 });
    const layers = sizes.slice(0, L).map((_, l) => ({
      w: g.op('Reshape', [pieces[2 * l]!, weightShapes[l]!]),
      b: g.op('Reshape', [pieces[2 * l + 1]!, biasShapes[l]!]),
    }));
    const acts = [x];
    for (let l = 0; l < L; l++) {
      const z = g.op('Add', [g.op('MatMul', [acts[l]!, layers[l]!.w]), layers[l]!.b]);
      acts.push(l < L - 1 ? g.op('Relu', [z]) : z);
    }
    // d loss / d logits = (softmax - onehot) / B.
    let dz = g.op('Mul', [g.op('Sub', [g.op('Softmax', [acts[L]!], { axis: 2 }), y]), 'inv_b']);
    const grads: string[] = new Array(2 * L);
    for (let l = L - 1; l >= 0; l--) {
      const gw = g.op('MatMul', [g.op('Transpose', [acts[l]!], perm), dz]);
      grads[2 * l] = g.op('Reshape', [gw, flatShapes[l]!]);
      grads[2 * l + 1] = g.op('ReduceSum', [dz, axisBatch], { keepdims: 0 });
      if (l > 0) {
        const da = g.op('MatMul', [dz, g.op('Transpose', [layers[l]!.w], perm)]);
        // The activation is a ReLU output (>= 0), so its sign is the ReLU's derivative.
        dz = g.op('Mul', [da, g.op('Sign', [acts[l]!])]);
      }
    }
    const grad = g.op('Concat', grads, { axis: 1 });
    m = g.op('Add', [g.op('Mul', [m, b1]), g.op('Mul', [grad, b1c])], {}, last ? 'm_out' : undefined);
    v = g.op('Add', [g.op('Mul', [v, b2]), g.op('Mul', [g.op('Mul', [grad, grad]), b2c])], {}, last ? 'v_out' : undefined);
    const stepSize = g.op('Div', [g.op('Mul', [m, alpha]), g.op('Add', [g.op('Sqrt', [v]), eps])]);
    params = g.op('Sub', [params, stepSize], {}, last ? 'params_out' : undefined);
  }
  return g.encode(
    [
      valueInfo('x', ['r', sizes[0]!]), valueInfo('y', ['r', C]), indexInfo('rows', [steps, 's', 'b']),
      valueInfo('params', ['s', P]), valueInfo('m', ['s', P]), valueInfo('v', ['s', P]),
      valueInfo('alpha', [steps]), valueInfo('inv_b', []),
    ],
    [valueInfo('params_out', ['s', P]), valueInfo('m_out', ['s', P]), valueInfo('v_out', ['s', P])],
    'train_steps',
  );
}
