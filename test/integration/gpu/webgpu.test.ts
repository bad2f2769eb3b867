/**
 * GPU parity on onnxruntime's WebGPU provider (a software Vulkan adapter in CI): every graph kind
 * the tool runs agrees with the CPU within its stated tolerance and runs on the GPU with no large
 * node falling back; tensors kept on the device round-trip; dropout masks drawn on the GPU drop
 * the right share; and a whole retrain runs there.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { Backend, DeviceTensor, Tensor } from '../../../python-free-train/backend';
import { checkDevice, doctorRoberta, headCases, robertaCases } from '../../../python-free-train/doctor';
import { Graph } from '../../../python-free-train/graph/ops';
import { toModelBytes } from '../../../python-free-train/graph/serialize';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { main } from '../../../src/cli/main';
import { simulationCases } from '../../../src/simulation/deviceCheck';
import { webgpuOrSkip } from '../../helpers/webgpu';
import { paperWorkspace } from '../trainer/helpers';

describe('WebGPU', () => {
  test('auto never picks a software adapter; asked for, webgpu names it as one', async (t) => {
    const gpu = await webgpuOrSkip(t);
    if (!gpu) return;
    assert.equal(gpu.device, 'webgpu');
    assert.ok(gpu.adapter, 'the adapter is named');
    const auto = await Backend.create({ device: 'auto', threads: 1 });
    if (gpu.adapter!.kind === 'software') {
      assert.match(gpu.describe(), /^onnxruntime-node \(WebGPU: .*, a software adapter, Vulkan\)$/);
      assert.notEqual(auto.device, 'webgpu');
    }
    assert.equal(gpu.info().adapter?.name, gpu.adapter!.name);
  });

  test('every graph kind agrees with the CPU and runs on the GPU (head, encoder fp32 and fp16, fine-tuning, simulation)', async (t) => {
    const gpu = await webgpuOrSkip(t);
    if (!gpu) return;
    const cpu = await Backend.create({ device: 'cpu', threads: 1 });
    const report = await checkDevice(gpu, cpu, [...headCases(), ...robertaCases(doctorRoberta(), ['fp32', 'fp16']), ...simulationCases()]);
    assert.equal(report.checks.length, 7);
    for (const c of report.checks) {
      assert.equal(c.error, undefined, `${c.graph}: ${c.error}`);
      assert.ok(c.maxDiff <= c.tolerance, `${c.graph}: differs from the CPU by ${c.maxDiff} in ${c.worst} (tolerance ${c.tolerance})`);
      const p = c.placement!;
      assert.ok((p.nodesByProvider.WebGpuExecutionProvider ?? 0) > 0, `${c.graph} ran on the GPU`);
      assert.deepEqual(p.hotCpuNodes, [], `${c.graph}: large nodes fell back to the CPU`);
      // No graph kind falls back with anything but shape and scalar work (int64 index ops, the loss).
      assert.ok(p.cpuTimeShare < 0.2, `${c.graph}: ${(p.cpuTimeShare * 100).toFixed(1)}% of the kernel time on the CPU`);
    }
    assert.ok(report.ok);
    // fp16 is really half precision: close to fp32, not equal.
    const fp16 = report.checks.find((c) => c.graph.includes('fp16'))!;
    assert.ok(fp16.maxDiff > 1e-5 && fp16.maxDiff < 0.05, `fp16 differs from fp32 by ${fp16.maxDiff}`);
  });

  test('outputs kept on the device feed the next run and download to the same values', async (t) => {
    const gpu = await webgpuOrSkip(t);
    if (!gpu) return;
    const g = new Graph('accumulate');
    const acc = g.input('acc', 'float32', [3]);
    const x = g.input('x', 'float32', [3]);
    const session = await gpu.session(toModelBytes(g, { outputs: { next: g.add(acc, x), sum: g.reduceSum(g.add(acc, x)) } }), 'accumulate', { deviceOutputs: ['next'] });
    let value: Tensor | DeviceTensor = Tensor.float32(Float32Array.of(0, 0, 0), [3]);
    for (let i = 1; i <= 4; i++) {
      const { host, device } = await session.runMixed({ acc: value, x: Tensor.float32(Float32Array.of(1, 2, 3), [3]) });
      assert.ok(device.next instanceof DeviceTensor, 'kept on the device');
      assert.equal(host.sum!.float32[0], 6 * i);
      if (value instanceof DeviceTensor) value.dispose();
      value = device.next!;
    }
    assert.deepEqual([...(await gpu.download(value as DeviceTensor)).float32], [4, 8, 12]);
    await assert.rejects(session.run({ acc: value, x: Tensor.float32(Float32Array.of(1, 1, 1), [3]) }), /keeps next on the device; use runMixed/);
    (value as DeviceTensor).dispose();
    await assert.rejects(session.runMixed({ acc: value, x: Tensor.float32(Float32Array.of(1, 1, 1), [3]) }), /input "acc" of accumulate was disposed/);
    await session.release();
  });

  test('dropout masks drawn in the graph drop the asked share, differ by step and site, and backward uses the same mask', async (t) => {
    const gpu = await webgpuOrSkip(t);
    if (!gpu) return;
    for (const backend of [await Backend.create({ device: 'cpu', threads: 1 }), gpu]) {
      const g = new Graph('dropout', { symbolsNeverBroadcast: true });
      const x = g.input('x', 'float32', ['batch', 'seq', 96]);
      const noise = g.input('noise', 'float32', []);
      const a = g.dropout(x, { ratio: 0.25, noise, seed: 1 });
      const b = g.dropout(x, { ratio: 0.25, noise, seed: 2 });
      const s = await backend.session(toModelBytes(g, { outputs: { a, b } }), 'dropout');
      const ones = Tensor.float32(new Float32Array(8 * 64 * 96).fill(1), [8, 64, 96]);
      const r1 = await s.run({ x: ones, noise: Tensor.scalar(0.125) });
      const r2 = await s.run({ x: ones, noise: Tensor.scalar(0.625) });
      const kept = (v: Float32Array) => v.reduce((n, e) => n + (e !== 0 ? 1 : 0), 0) / v.length;
      for (const v of [r1.a!.float32, r1.b!.float32, r2.a!.float32]) {
        assert.ok(Math.abs(kept(v) - 0.75) < 0.01, `${backend.device}: kept ${kept(v)}`);
        assert.ok(v.every((e) => e === 0 || Math.abs(e - 4 / 3) < 1e-6), 'survivors are scaled by 1 / (1 - p)');
      }
      const same = (p: Float32Array, q: Float32Array) => p.reduce((n, e, i) => n + ((e === 0) === (q[i] === 0) ? 1 : 0), 0) / p.length;
      // Independent masks agree on 0.75^2 + 0.25^2 = 62.5% of elements.
      assert.ok(Math.abs(same(r1.a!.float32, r1.b!.float32) - 0.625) < 0.01, 'sites differ');
      assert.ok(Math.abs(same(r1.a!.float32, r2.a!.float32) - 0.625) < 0.01, 'steps differ');
      await s.release();
    }
  });

  test('secreview train --device webgpu: a RoBERTa retrain with fine-tuning runs on the GPU and records the device and adapter', async (t) => {
    const gpu = await webgpuOrSkip(t);
    if (!gpu) return;
    const { ws, folder, cleanup } = await paperWorkspace(120);
    await ws.close();
    const modelDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-tiny-roberta-'));
    try {
      await writeTinyRoberta(modelDir, { seed: 5, bpeTokens: 600, hidden: 16, layers: 1, heads: 2, intermediate: 32 });
      const out: string[] = [], err: string[] = [], progress: string[] = [];
      const code = await main(['train', '--json', '--device', 'webgpu', '--representation', 'roberta', '--model', modelDir, '--epochs', '2', '--size', '10',
        '--max-tokens', '24', '--finetune-layers', '1', '--finetune-epochs', '1', '--shortlist', '40'],
      { cwd: folder, out: (s) => out.push(s), err: (s) => err.push(s), progress: (s) => progress.push(s) });
      assert.equal(code, 0, err.join('\n'));
      const report = JSON.parse(out.join('\n')) as { model: { provider: string; device: { device: string; adapter?: { name: string } }; finetune?: { layers: number } }; batch: { size: number } };
      assert.equal(report.model.provider, 'webgpu');
      assert.equal(report.model.device.device, 'webgpu');
      assert.equal(report.model.device.adapter?.name, gpu.adapter?.name);
      assert.equal(report.model.finetune?.layers, 1);
      assert.equal(report.batch.size, 10);
      assert.ok(progress.some((l) => l.startsWith('device: onnxruntime-node (WebGPU')), progress.slice(0, 4).join(' | '));
      // A device that cannot start is the user's to fix, and says why.
      const bad: string[] = [];
      const refused = await main(['train', '--device', 'tpu'], { cwd: folder, out: () => {}, err: (s) => bad.push(s), progress: () => {} });
      assert.equal(refused, 2);
      assert.match(bad.join('\n'), /--device must be one of auto, cpu, webgpu, cuda, dml, coreml, got "tpu"/);
    } finally {
      cleanup();
      rmSync(modelDir, { recursive: true, force: true });
    }
  });
});
