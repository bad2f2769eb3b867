/**
 * Gradient checks of every differentiable op against central finite differences, in float64
 * (float32 where onnxruntime's CPU kernels lack double: Erf and so GELU, and Cast).
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { Backend, Tensor } from '../../../python-free-train/backend';
import { gradients } from '../../../python-free-train/graph/autodiff';
import { sigmoidCrossEntropy, softmaxCrossEntropy } from '../../../python-free-train/graph/losses';
import { Graph } from '../../../python-free-train/graph/ops';
import { toModelBytes } from '../../../python-free-train/graph/serialize';
import { type GradCase, checkGradients } from './autodiffHarness';

const cases: GradCase[] = [
  // Broadcasting: static, symbolic with a known 1, and decided at run time.
  { name: 'Add [2,3]+[3]', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [3], dims: [3] }], build: (g, [a, b]) => g.add(a!, b!) },
  { name: 'Add [2,3]+[2,1]', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [2, 1], dims: [2, 1] }], build: (g, [a, b]) => g.add(a!, b!) },
  { name: 'Add [N,3]+[1,3] symbolic', inputs: [{ name: 'a', shape: ['N', 3], dims: [4, 3] }, { name: 'b', shape: [1, 3], dims: [1, 3] }], build: (g, [a, b]) => g.add(a!, b!) },
  { name: 'Add [N,3]+[M,3] broadcast found at run time', inputs: [{ name: 'a', shape: ['N', 3], dims: [4, 3] }, { name: 'b', shape: ['M', 3], dims: [1, 3] }], build: (g, [a, b]) => g.add(a!, b!) },
  { name: 'Sub [2,3]-[2,1]', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [2, 1], dims: [2, 1] }], build: (g, [a, b]) => g.sub(a!, b!) },
  { name: 'Mul [2,3]*[] scalar', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [], dims: [] }], build: (g, [a, b]) => g.mul(a!, b!) },
  { name: 'Mul [N,1,3]*[2,1] symbolic', inputs: [{ name: 'a', shape: ['N', 1, 3], dims: [2, 1, 3] }, { name: 'b', shape: [2, 1], dims: [2, 1] }], build: (g, [a, b]) => g.mul(a!, b!) },
  { name: 'Div [2,3]/[3]', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [3], dims: [3], range: [0.5, 2] }], build: (g, [a, b]) => g.div(a!, b!) },
  { name: 'Neg', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.neg(a!) },
  { name: 'Pow base and exponent', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3], range: [0.5, 2] }, { name: 'b', shape: [3], dims: [3], range: [0.5, 2.5] }], build: (g, [a, b]) => g.pow(a!, b!) },
  { name: 'Sqrt', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3], range: [0.5, 2] }], build: (g, [a]) => g.sqrt(a!) },
  { name: 'Exp', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.exp(a!) },
  { name: 'Log', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3], range: [0.5, 2] }], build: (g, [a]) => g.log(a!) },
  { name: 'Relu', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3], data: [-1, 0.5, -0.3, 0.8, 1.2, -2] }], build: (g, [a]) => g.relu(a!) },
  { name: 'Tanh', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.tanh(a!) },
  { name: 'Sigmoid', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.sigmoid(a!) },
  { name: 'Softmax axis -1', inputs: [{ name: 'a', shape: [2, 4], dims: [2, 4] }], build: (g, [a]) => g.softmax(a!, -1) },
  { name: 'Softmax axis 0', inputs: [{ name: 'a', shape: [3, 2], dims: [3, 2] }], build: (g, [a]) => g.softmax(a!, 0) },
  { name: 'LogSoftmax', inputs: [{ name: 'a', shape: ['N', 4], dims: [3, 4] }], build: (g, [a]) => g.logSoftmax(a!, 1) },
  { name: 'MatMul 2-D', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [3, 4], dims: [3, 4] }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'MatMul batched [2,3,4]@[4,2] (broadcast weight)', inputs: [{ name: 'a', shape: [2, 3, 4], dims: [2, 3, 4] }, { name: 'b', shape: [4, 2], dims: [4, 2] }], build: (g, [a, b]) => g.matmul(a!, b!) },
  { name: 'MatMul batched [B,2,3]@[B,3,2]', inputs: [{ name: 'a', shape: ['B', 2, 3], dims: [2, 2, 3] }, { name: 'b', shape: ['B', 3, 2], dims: [2, 3, 2] }], build: (g, [a, b]) => g.matmul(a!, b!) },
  ...[[false, false], [true, false], [false, true], [true, true]].map(([ta, tb]): GradCase => ({
    name: `Gemm transA=${ta} transB=${tb} alpha beta, C broadcast`,
    inputs: [{ name: 'a', shape: ta ? [3, 2] : [2, 3], dims: ta ? [3, 2] : [2, 3] }, { name: 'b', shape: tb ? [4, 3] : [3, 4], dims: tb ? [4, 3] : [3, 4] }, { name: 'c', shape: [4], dims: [4] }],
    build: (g, [a, b, c]) => g.gemm(a!, b!, c!, { alpha: 0.7, beta: 1.3, transA: ta, transB: tb }),
  })),
  { name: 'LayerNorm (decomposed)', inputs: [{ name: 'x', shape: ['N', 5], dims: [3, 5] }, { name: 's', shape: [5], dims: [5] }, { name: 'b', shape: [5], dims: [5] }], build: (g, [x, s, b]) => g.layerNorm(x!, s!, b!) },
  { name: 'ReduceSum axis 1', inputs: [{ name: 'a', shape: [2, 3, 2], dims: [2, 3, 2] }], build: (g, [a]) => g.reduceSum(a!, [1]) },
  { name: 'ReduceSum keepdims all axes', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.mul(g.reduceSum(a!, undefined, true), a!) },
  { name: 'ReduceMean symbolic', inputs: [{ name: 'a', shape: ['N', 3], dims: [4, 3] }], build: (g, [a]) => g.mul(g.reduceMean(a!, [0], true), a!) },
  { name: 'ReduceMean static', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.reduceMean(a!, [-1]) },
  { name: 'Reshape', inputs: [{ name: 'a', shape: ['N', 6], dims: [2, 6] }], build: (g, [a]) => g.mul(g.reshape(a!, [0, 2, 3]), g.reshape(a!, [-1, 2, 3])) },
  { name: 'Transpose', inputs: [{ name: 'a', shape: [2, 3, 4], dims: [2, 3, 4] }, { name: 'w', shape: [4, 2, 3], dims: [4, 2, 3] }], build: (g, [a, w]) => g.mul(g.transpose(a!, [2, 0, 1]), w!) },
  { name: 'Unsqueeze and Squeeze', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [2, 1, 3], dims: [2, 1, 3] }], build: (g, [a, b]) => g.add(g.unsqueeze(a!, [1]), g.unsqueeze(g.squeeze(b!, [1]), [1])) },
  { name: 'Concat static', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [2, 2], dims: [2, 2] }], build: (g, [a, b]) => g.concat([a!, b!, a!], 1) },
  { name: 'Concat symbolic axis', inputs: [{ name: 'a', shape: ['N', 3], dims: [2, 3] }, { name: 'b', shape: ['M', 3], dims: [3, 3] }], build: (g, [a, b]) => g.concat([a!, b!], 0) },
  { name: 'Slice negative and clamped', inputs: [{ name: 'a', shape: [4, 5], dims: [4, 5] }], build: (g, [a]) => g.slice(a!, { starts: [1, -3], ends: [100, -1], axes: [0, 1] }) },
  { name: 'Slice with symbolic dimensions (padded back)', inputs: [{ name: 'a', shape: ['N', 'M'], dims: [4, 5] }], build: (g, [a]) => g.slice(a!, { starts: [1, -3], ends: [100, -1], axes: [0, 1] }) },
  { name: 'Slice of the first position, as the <s> token', inputs: [{ name: 'a', shape: ['B', 'S', 3], dims: [2, 4, 3] }], build: (g, [a]) => g.squeeze(g.slice(a!, { starts: [0], ends: [1], axes: [1] }), [1]) },
  { name: 'Slice steps 2 and -1', inputs: [{ name: 'a', shape: ['N', 5], dims: [4, 5] }], build: (g, [a]) => g.slice(a!, { starts: [0, 4], ends: [100, 0], axes: [0, 1], steps: [2, -1] }) },
  { name: 'Gather rows (embedding, repeated ids)', inputs: [{ name: 'e', shape: [5, 3], dims: [5, 3] }, { name: 'ids', shape: [2, 3], dims: [2, 3], data: [0, 2, 2, 4, 0, 0], dtype: 'int64', constant: true }], build: (g, [e, ids]) => g.gather(e!, ids!) },
  { name: 'Gather int32 ids', inputs: [{ name: 'e', shape: [4, 2], dims: [4, 2] }, { name: 'ids', shape: ['N'], dims: [3], data: [3, 1, 3], dtype: 'int32', constant: true }], build: (g, [e, ids]) => g.gather(e!, ids!) },
  { name: 'Where with broadcast branches', inputs: [{ name: 'c', shape: [2, 3], dims: [2, 3], data: [1, 0, 1, 0, 0, 1], dtype: 'bool', constant: true }, { name: 'a', shape: [2, 3], dims: [2, 3] }, { name: 'b', shape: [3], dims: [3] }], build: (g, [c, a, b]) => g.where(c!, a!, b!) },
  { name: 'Dropout with a mask input', inputs: [{ name: 'x', shape: ['N', 4], dims: [2, 4] }, { name: 'm', shape: ['N', 4], dims: [2, 4], data: [2, 0, 2, 2, 0, 2, 0, 2], constant: true }], build: (g, [x, m]) => g.dropout(x!, { ratio: 0.5, mask: m! }) },
  { name: 'Min and Max', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3], data: [0.1, 0.9, -0.5, 0.3, 0.7, -0.2] }, { name: 'b', shape: [3], dims: [3], data: [0.4, 0.2, 0.0] }], build: (g, [a, b]) => g.add(g.min(a!, b!), g.max(a!, b!)) },
  // float32: onnxruntime's CPU Erf has no double kernel.
  { name: 'Abs', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3], data: [-1, 0.5, -0.3, 0.8, 1.2, -2] }], build: (g, [a]) => g.abs(a!) },
  { name: 'Softplus and binary cross-entropy', inputs: [{ name: 'd', shape: [2, 'N'], dims: [2, 3], range: [-4, 4] }, { name: 'y', shape: [1, 'N'], dims: [1, 3], data: [1, 0, 1], constant: true }],
    build: (g, [d, y]) => sigmoidCrossEntropy(g, d!, y!) },
  // Softmax cross-entropy's fused gradient ((softmax - target) / batch), for every form of the loss;
  // the harness's outer loss makes the incoming gradient other than 1.
  { name: 'Cross-entropy, class indices [N, C]', inputs: [{ name: 'z', shape: ['N', 3], dims: [4, 3] }, { name: 'y', shape: ['N'], dims: [4], data: [0, 2, 1, 2], dtype: 'int32', constant: true }],
    build: (g, [z, y]) => softmaxCrossEntropy(g, z!, y!).loss },
  { name: 'Cross-entropy, class weights [N, C]', inputs: [{ name: 'z', shape: ['N', 3], dims: [4, 3] }, { name: 'y', shape: ['N'], dims: [4], data: [0, 2, 1, 2], dtype: 'int32', constant: true }],
    build: (g, [z, y]) => softmaxCrossEntropy(g, z!, y!, g.constant('float64', [3], [0.5, 2, 1.5])).loss },
  { name: 'Cross-entropy, one-hot targets, models side by side [S, B, C]', inputs: [{ name: 'z', shape: ['S', 'B', 2], dims: [2, 3, 2] }, { name: 't', shape: ['S', 'B', 2], dims: [2, 3, 2], data: [1, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0], constant: true }],
    build: (g, [z, t]) => softmaxCrossEntropy(g, z!, t!).loss },
  { name: 'Cross-entropy, class weights, models side by side [2, B, C]', inputs: [{ name: 'z', shape: [2, 'B', 3], dims: [2, 3, 3] }, { name: 'y', shape: [2, 'B'], dims: [2, 3], data: [0, 2, 1, 2, 2, 0], dtype: 'int32', constant: true }],
    build: (g, [z, y]) => softmaxCrossEntropy(g, z!, y!, g.constant('float64', [3], [0.5, 2, 1.5])).loss },
  { name: 'Cross-entropy, gradient of the class weights too (node by node, not fused)', inputs: [{ name: 'z', shape: ['N', 3], dims: [4, 3] }, { name: 'w', shape: [3], dims: [3], range: [0.5, 2] }, { name: 'y', shape: ['N'], dims: [4], data: [0, 2, 1, 2], dtype: 'int32', constant: true }],
    build: (g, [z, w, y]) => softmaxCrossEntropy(g, z!, y!, w!).loss },
  { name: 'Erf (float32)', precision: 'float32', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.erf(a!) },
  { name: 'Gelu via Erf (float32)', precision: 'float32', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3], range: [-2, 2] }], build: (g, [a]) => g.gelu(a!) },
  { name: 'Cast float32 -> float64', precision: 'float32', inputs: [{ name: 'a', shape: [2, 3], dims: [2, 3] }], build: (g, [a]) => g.cast(g.mul(a!, a!), 'float64') },
];

describe('autodiff: gradients match finite differences', () => {
  let backend: Backend;
  before(async () => { backend = await Backend.create({ device: 'cpu', threads: 1 }); });
  for (const c of cases) test(c.name, () => checkGradients(backend, c));

  test('seeded in-graph dropout: backward uses the forward mask', async () => {
    const g = new Graph('dropout_seeded');
    const x = g.input('x', 'float64', ['N', 50]);
    const y = g.dropout(x, { ratio: 0.4, seed: 7 });
    const [dx] = gradients(g, g.reduceSum(y), [x]);
    const session = await backend.session(toModelBytes(g, { outputs: { y, dx: dx! } }));
    const xs = Float64Array.from({ length: 100 }, (_, i) => 1 + i);
    const out = await session.run({ x: Tensor.float64(xs, [2, 50]) });
    const ys = out.y!.float64, dxs = out.dx!.float64;
    let dropped = 0;
    for (let i = 0; i < 100; i++) {
      assert.ok(Math.abs(dxs[i]! - ys[i]! / xs[i]!) < 1e-12, `element ${i}: gradient ${dxs[i]} is not the mask ${ys[i]! / xs[i]!}`);
      if (ys[i] === 0) dropped++;
    }
    assert.ok(dropped > 15 && dropped < 65, `about 40% dropped, got ${dropped}`);
    await session.release();
  });

  test('gradient with respect to an initializer equals the one with respect to an input', async () => {
    const run = async (asInit: boolean) => {
      const g = new Graph('init_vs_input');
      const x = g.input('x', 'float64', [2, 3]);
      const wData = Float64Array.from([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]);
      const w = asInit ? g.initializer('w', 'float64', [3, 2], wData) : g.input('w', 'float64', [3, 2]);
      const [dw] = gradients(g, g.reduceSum(g.tanh(g.matmul(x, w))), [w]);
      const session = await backend.session(toModelBytes(g, { outputs: { dw: dw! } }));
      const feeds = { x: Tensor.float64(Float64Array.from([1, 2, 3, -1, 0, 1]), [2, 3]), ...(asInit ? {} : { w: Tensor.float64(wData, [3, 2]) }) };
      const out = (await session.run(feeds)).dw!.float64;
      await session.release();
      return Array.from(out);
    };
    assert.deepEqual(await run(true), await run(false));
  });
});
