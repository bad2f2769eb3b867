/**
 * The graph builder without running anything: shape inference and its errors, naming and scopes,
 * serialization to ONNX (opset, IR version, symbolic dims, pruning), autodiff's build-time checks.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { gradients } from '../../../python-free-train/graph/autodiff';
import { Graph } from '../../../python-free-train/graph/ops';
import { softmaxCrossEntropy } from '../../../python-free-train/graph/losses';
import { applyOptimizer, stateSlots } from '../../../python-free-train/graph/optimizers';
import { IR_VERSION, OPSET, toModelBytes } from '../../../python-free-train/graph/serialize';
import { buildInferGraph, buildTrainGraph, paramSpecs } from '../../../python-free-train/models/headGraphs';
import { buildEnsembleTrainSteps } from '../../../python-free-train/models/mlpEnsemble';

describe('graph builder: shapes', () => {
  test('broadcasting keeps known and symbolic dims', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 1, 4]);
    const b = g.input('b', 'float32', [3, 1]);
    assert.deepEqual(g.add(x, b).shape, ['batch', 3, 4]);
    assert.deepEqual(g.mul(x, g.scalar(2)).shape, ['batch', 1, 4]);
    assert.deepEqual(g.equal(x, x).dtype, 'bool');
  });

  test('conflicting sizes fail at build time, naming the node and the shapes', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2, 3]);
    const w = g.input('w', 'float32', [4, 5]);
    g.scope('encoder', () => {
      assert.throws(() => g.add(x, w), /graph: encoder\/Add: shapes \[2, 3\] and \[4, 5\] do not broadcast \(axis 0: 2 vs 4\)/);
      assert.throws(() => g.matmul(x, w), /encoder\/MatMul: inner dimensions differ: x: float32\[2, 3\] @ w: float32\[4, 5\]/);
    });
    assert.throws(() => g.add(x, g.input('i', 'int64', [3])), /Add: element types differ/);
    assert.throws(() => g.reshape(x, [4, 2]), /cannot reshape x: float32\[2, 3\] \(6 elements\)/);
    assert.throws(() => g.squeeze(x, [0]), /axis 0 has size 2, not 1/);
    assert.throws(() => g.transpose(x, [0, 0]), /not a permutation/);
    assert.throws(() => g.softmax(x, 2), /Softmax: axis 2 out of range/);
  });

  test('matmul, gemm, reductions, reshape, slice, concat, gather infer shapes', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['batch', 8, 16]);
    const w = g.input('w', 'float32', [16, 4]);
    assert.deepEqual(g.matmul(x, w).shape, ['batch', 8, 4]);
    const a = g.input('a', 'float32', [5, 3]);
    assert.deepEqual(g.gemm(a, g.input('b', 'float32', [4, 3]), null, { transB: true }).shape, [5, 4]);
    assert.deepEqual(g.reduceSum(x, [1]).shape, ['batch', 16]);
    assert.deepEqual(g.reduceMean(x, [-1], true).shape, ['batch', 8, 1]);
    assert.deepEqual(g.reduceSum(x).shape, []);
    assert.deepEqual(g.reshape(x, [0, -1]).shape, ['batch', 128]);
    assert.deepEqual(g.reshape(x, [-1, 16]).shape[1], 16);
    assert.deepEqual(g.reshape(g.input('y', 'float32', ['n', 4, 4]), [-1, 4, 4]).shape, ['n', 4, 4]);
    assert.deepEqual(g.slice(a, { starts: [1, -2], ends: [100, 3] }).shape, [4, 2]);
    assert.deepEqual(g.slice(a, { starts: [4], ends: [0], axes: [0], steps: [-2] }).shape, [2, 3]);
    assert.deepEqual(g.concat([a, a], 1).shape, [5, 6]);
    assert.deepEqual(g.gather(a, g.input('ids', 'int64', ['n', 2])).shape, ['n', 2, 3]);
    assert.deepEqual(g.unsqueeze(a, [0, -1]).shape, [1, 5, 3, 1]);
    assert.deepEqual(g.transpose(x).shape, [16, 8, 'batch']);
  });
});

describe('graph builder: names and serialization', () => {
  test('scopes and subgraphs give readable unique names', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    const block = g.subgraph('block', (v: typeof x) => g.tanh(g.add(v, v)));
    const y = block(block(x));
    assert.equal(y.producer!.name, 'block_1/Tanh');
    assert.equal(g.nodes[0]!.name, 'block/Add');
    assert.deepEqual(g.nodes.map((n) => n.name), ['block/Add', 'block/Tanh', 'block_1/Add', 'block_1/Tanh']);
    g.rename(y, 'features');
    assert.throws(() => g.rename(g.relu(y), 'x'), /name already used/);
  });

  test('model bytes: IR 8, opset 17, symbolic dims, only live nodes and initializers', () => {
    const g = new Graph('demo');
    const x = g.input('x', 'float32', ['batch', 3]);
    const w = g.initializer('w', 'float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
    const unused = g.initializer('unused', 'float32', [1], Float32Array.from([9]));
    g.add(x, g.mul(unused, unused));
    const y = g.relu(g.matmul(x, w));
    const m = onnx.ModelProto.decode(toModelBytes(g, { outputs: { y } }));
    assert.equal(Number(m.irVersion), IR_VERSION);
    assert.equal(OPSET >= 17, true);
    assert.equal(Number(m.opsetImport[0]!.version), OPSET);
    const graph = m.graph as onnx.GraphProto;
    assert.deepEqual(graph.node.map((n) => n.opType), ['MatMul', 'Relu']);
    assert.deepEqual(graph.initializer.map((t) => t.name), ['w']);
    assert.equal(graph.input[0]!.type!.tensorType!.shape!.dim![0]!.dimParam, 'batch');
    assert.equal(graph.output[0]!.name, 'y');
    assert.equal(Number(graph.output[0]!.type!.tensorType!.shape!.dim![1]!.dimValue), 2);
  });

  test('head graphs declare the trainer interface', () => {
    const c = { inputDim: 6, hidden: [5], classes: 4, seed: 1, dropout: 0.2 };
    const train = onnx.ModelProto.decode(buildTrainGraph(c, { optimizer: { kind: 'adamw', lr: 0.1, clipNorm: 1 } })).graph as onnx.GraphProto;
    const names = train.input.map((i) => i.name);
    assert.deepEqual(names.slice(0, 2), ['x', 'y']);
    for (const s of paramSpecs(c)) {
      assert.ok(names.includes(s.name));
      for (const slot of stateSlots({ kind: 'adamw', lr: 0.1 })) assert.ok(names.includes(`${s.name}.${slot}`));
    }
    assert.ok(names.includes('step') && names.includes('lr') && names.includes('dropout0.mask'));
    assert.deepEqual(train.output.map((o) => o.name).slice(0, 3), ['loss', 'grad_norm', 'layer0.weight.next']);
    const infer = onnx.ModelProto.decode(buildInferGraph(c, paramSpecs(c).map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1))))).graph as onnx.GraphProto;
    assert.deepEqual(infer.input.map((i) => i.name), ['x']);
    assert.equal(infer.initializer.length >= 4, true);
    assert.ok(!infer.node.some((n) => n.opType === 'Mul'), 'no dropout at inference');
  });
});

describe('autodiff: build-time checks', () => {
  test('loss must be a scalar that depends on the parameters', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', [2]);
    const p = g.input('p', 'float32', [2]);
    assert.throws(() => gradients(g, g.mul(x, p), [p]), /loss must be a scalar/);
    assert.throws(() => gradients(g, g.reduceSum(x), [p]), /depends on none of the parameters/);
  });

  test('an op without a rule is named in the error', () => {
    const g = new Graph();
    const p = g.input('p', 'float32', [2]);
    const odd = g.addNode('Softplus', [p], [{ dtype: 'float32', shape: [2] }])[0]!;
    assert.throws(() => gradients(g, g.reduceSum(odd), [p]), /no gradient rule for Softplus \(node Softplus\)/);
  });

  test('gradients skip branches that do not reach parameters', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['n', 4]);
    const w = g.input('w', 'float32', [4, 3]);
    const loss = g.reduceSum(g.matmul(x, w));
    const before = g.nodes.length;
    const [dw] = gradients(g, loss, [w]);
    assert.deepEqual(dw!.shape, [4, 3]);
    // dL/dx (a second MatMul over the batch) is never built: only one MatMul in the backward pass.
    assert.equal(g.nodes.slice(before).filter((n) => n.op === 'MatMul').length, 1);
    assert.ok(g.nodes.slice(before).every((n) => n.name.startsWith('grad/')));
  });
});

describe('fused and batched forms', () => {
  test('softmax cross-entropy differentiates as (softmax - target) / batch, not through LogSoftmax', () => {
    const g = new Graph();
    const x = g.input('x', 'float32', ['n', 4]);
    const w = g.input('w', 'float32', [4, 3]);
    const y = g.input('y', 'int32', ['n']);
    const { loss } = softmaxCrossEntropy(g, g.matmul(x, w), y);
    const before = g.nodes.length;
    gradients(g, loss, [w]);
    const ops = g.nodes.slice(before).map((n) => n.op);
    assert.ok(ops.includes('Softmax') && !ops.includes('Exp') && !ops.includes('Expand'), `backward ops: ${ops.join(' ')}`);
  });

  test('the fused form is skipped when a parameter reaches the loss other than through the logits', () => {
    const g = new Graph();
    const z = g.input('z', 'float32', ['n', 3]);
    const weights = g.input('class_weights', 'float32', [3]);
    const { loss } = softmaxCrossEntropy(g, z, g.input('y', 'int32', ['n']), weights);
    const before = g.nodes.length;
    gradients(g, loss, [z, weights]);
    assert.ok(g.nodes.slice(before).some((n) => n.op === 'ScatterND'), 'the class weights get their gradient through Gather');
  });

  test('the simulation\'s unrolled train steps read no shape at run time and hold no second copy of the loss', () => {
    const model = onnx.ModelProto.decode(buildEnsembleTrainSteps([20, 15, 15, 2], { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 }, 4, 128));
    const ops = model.graph!.node!.map((n) => n.opType!);
    assert.equal(ops.filter((o) => o === 'Shape').length, 0);
    assert.equal(ops.filter((o) => o === 'LogSoftmax').length, 0, 'the forward loss is not needed by the outputs');
    assert.equal(ops.filter((o) => o === 'Softmax').length, 4);
    assert.deepEqual(model.graph!.output!.map((o) => o.name), ['params_out', 'm_out', 'v_out']);
  });

  test('a precomputed Adam step size serves the Keras form only', () => {
    const g = new Graph();
    const p = g.input('p', 'float32', [2]);
    const stepSize = g.input('alpha', 'float32', []);
    const [grad] = gradients(g, g.reduceSum(g.mul(p, p)), [p]);
    assert.throws(() => applyOptimizer(g, { kind: 'adam', lr: 0.1 }, [p], [grad!], [[p, p]], { stepSize }), /Keras form/);
    const [update] = applyOptimizer(g, { kind: 'adam', lr: 0.1, adamForm: 'keras' }, [p], [grad!], [[p, p]], { stepSize });
    assert.equal(update!.param.producer!.op, 'Sub');
  });
});
