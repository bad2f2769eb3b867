/**
 * The onnxruntime backend: provider choice (CPU here; CUDA only when it can really start), the
 * project's Tensor type in and out of sessions, and errors that say what failed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { onnx } from 'onnx-proto';
import { Backend, type DeviceChoice, Tensor, cudaProviderInstalled } from '../../../python-free-train/backend';
import { gpuInventory, hardwareAdapter } from '../../../python-free-train/gpuAdapters';
import { Graph } from '../../../python-free-train/graph/ops';
import { toModelBytes } from '../../../python-free-train/graph/serialize';

function addModel(): Uint8Array {
  const g = new Graph('add');
  const a = g.input('a', 'float32', ['n']);
  const i = g.input('i', 'int32', ['n']);
  return toModelBytes(g, { outputs: { sum: g.add(a, g.cast(i, 'float32')), twice: g.mul(i, g.scalar(2, 'int32')) } });
}

describe('backend', () => {
  test('auto picks a GPU only where one is present and starts; a CPU-only machine hears nothing about GPUs', async () => {
    const b = await Backend.create({ device: 'auto', threads: 1 });
    if (b.device === 'cpu') {
      const inventory = gpuInventory();
      if (!hardwareAdapter(inventory) && !cudaProviderInstalled()) assert.equal(b.describe(), 'onnxruntime-node (CPU)');
      else assert.match(b.describe(), /^onnxruntime-node \(CPU/);
    } else {
      assert.ok(b.adapter ? b.adapter.kind !== 'software' : b.device === 'cuda', `auto chose ${b.describe()}`);
    }
    const cpu = await Backend.create({ device: 'cpu' });
    assert.equal(cpu.device, 'cpu');
    assert.equal(cpu.describe(), 'onnxruntime-node (CPU)');
  });

  test('runs a model on project tensors', async () => {
    const b = await Backend.create({ device: 'cpu', threads: 1 });
    const s = await b.session(addModel(), 'adder');
    assert.deepEqual([...s.inputNames], ['a', 'i']);
    const out = await s.run({ a: Tensor.float32(Float32Array.from([0.5, 1.5]), [2]), i: Tensor.int32(Int32Array.from([1, 2]), [2]) });
    assert.deepEqual(out.sum!.float32, Float32Array.from([1.5, 3.5]));
    assert.deepEqual(out.twice!.data, Int32Array.from([2, 4]));
    const only = await s.run({ a: Tensor.float32(Float32Array.from([1]), [1]), i: Tensor.int32(Int32Array.from([1]), [1]) }, ['twice']);
    assert.deepEqual(Object.keys(only), ['twice']);
    await assert.rejects(s.run({ a: Tensor.float32(Float32Array.from([1]), [1]) }), /backend: running adder failed/);
    await s.release();
  });

  test('errors name the valid options and the broken input', async () => {
    await assert.rejects(Backend.create({ device: 'tpu' as DeviceChoice }), /unsupported device "tpu". Should be one of: auto, cpu, webgpu, cuda, dml, coreml/);
    assert.throws(() => Tensor.float32(new Float32Array(3), [2, 2]), /dims \[2, 2\] given 3 values/);
    const b = await Backend.create({ device: 'cpu' });
    await assert.rejects(b.session(Uint8Array.from([1, 2, 3]), 'garbage'), /backend: cannot load garbage/);
    assert.throws(() => Tensor.scalar(1).float64, /expected a float64 tensor, got float32/);
  });
});

describe('backend: int8 tensors', () => {
  test('a dynamically quantized MatMul approximates the float product', async () => {
    const g = new Graph('quantized');
    const x = g.input('x', 'float32', ['n', 3]);
    const wq = g.input('wq', 'int8', [3, 2]);
    const [xq, scale, zeroPoint] = g.dynamicQuantizeLinear(x);
    const y = g.mul(g.cast(g.matmulInteger(xq, wq, zeroPoint), 'float32'), g.mul(scale, g.scalar(1 / 100)));
    const b = await Backend.create({ device: 'cpu', threads: 1 });
    const s = await b.session(toModelBytes(g, { outputs: { y, xq } }));
    const out = await s.run({ x: Tensor.float32(Float32Array.from([0.5, -1, 0.25, 1, 0, -0.5]), [2, 3]), wq: new Tensor('int8', [3, 2], Int8Array.from([100, 0, 0, 100, 50, -50])) });
    assert.equal(out.xq!.dtype, 'uint8');
    // w = wq / 100 = [[1, 0], [0, 1], [0.5, -0.5]]; x @ w = [[0.625, -1.125], [0.75, 0.25]].
    const want = [0.625, -1.125, 0.75, 0.25];
    out.y!.float32.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 0.02, `y[${i}] = ${v}, want ${want[i]}`));
    await s.release();
  });
});

describe('backend: fused kernels', () => {
  test('gelu and layerNorm composites run as fused Gelu and LayerNormalization at inference', async () => {
    const g = new Graph('fusion');
    const x = g.input('x', 'float32', ['n', 4, 8]);
    const scale = g.initializer('scale', 'float32', [8], new Float32Array(8).fill(1));
    const bias = g.initializer('bias', 'float32', [8], new Float32Array(8));
    const y = g.gelu(g.layerNorm(x, scale, bias));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fusion-'));
    try {
      const file = path.join(dir, 'optimized.onnx');
      const b = await Backend.create({ device: 'cpu', threads: 1 });
      const s = await b.session(toModelBytes(g, { outputs: { y } }), 'fusion', { optimizedModelPath: file });
      await s.release();
      const ops = (onnx.ModelProto.decode(readFileSync(file)).graph as onnx.GraphProto).node.map((n) => n.opType);
      assert.ok(ops.includes('LayerNormalization') && ops.includes('Gelu'), `optimized ops: ${ops.join(', ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
