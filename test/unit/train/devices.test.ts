/**
 * Device choice and GPU inventory (pure parts): what `auto` tries in which order, how Vulkan
 * drivers are classified and found, and how onnxruntime's profile becomes a placement report.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { type GpuAdapter, autoDeviceOrder, classifyVulkanLibrary, gpuInventory, hardwareAdapter, vulkanDrivers } from '../../../python-free-train/gpuAdapters';
import { floatToHalf, floatsToHalves } from '../../../python-free-train/graph/half';
import { summarizeProfile } from '../../../python-free-train/placement';

const nvidia: GpuAdapter = { name: 'NVIDIA H200', vendor: 'NVIDIA', kind: 'discrete', api: 'vulkan', source: 'test' };

describe('auto device order', () => {
  test('CUDA first only when its provider is installed; a hardware GPU next; the CPU always last', () => {
    const listed = new Set(['cpu', 'webgpu', 'cuda']);
    assert.deepEqual(autoDeviceOrder({ platform: 'linux', listed, cudaInstalled: true, hardware: nvidia }), ['cuda', 'webgpu', 'cpu']);
    assert.deepEqual(autoDeviceOrder({ platform: 'linux', listed, cudaInstalled: false, hardware: nvidia }), ['webgpu', 'cpu']);
    // CUDA is listed by onnxruntime-node on Linux x64 but its files are a separate install.
    assert.deepEqual(autoDeviceOrder({ platform: 'linux', listed, cudaInstalled: false }), ['cpu']);
    assert.deepEqual(autoDeviceOrder({ platform: 'win32', listed: new Set(['cpu', 'webgpu', 'dml']), cudaInstalled: false, hardware: { ...nvidia, api: 'd3d12' } }), ['dml', 'webgpu', 'cpu']);
    assert.deepEqual(autoDeviceOrder({ platform: 'darwin', listed: new Set(['cpu', 'webgpu', 'coreml']), cudaInstalled: false, hardware: { ...nvidia, api: 'metal' } }), ['webgpu', 'cpu']);
    assert.deepEqual(autoDeviceOrder({ platform: 'linux', listed: new Set(['cpu']), cudaInstalled: true, hardware: nvidia }), ['cpu']);
  });
});

describe('GPU inventory', () => {
  test('Vulkan driver libraries are told apart by vendor, software ones marked', () => {
    assert.deepEqual(classifyVulkanLibrary('/usr/lib/x86_64-linux-gnu/libvulkan_lvp.so'), { vendor: 'Mesa', software: true });
    assert.deepEqual(classifyVulkanLibrary('libvk_swiftshader.so'), { vendor: 'Google', software: true });
    assert.deepEqual(classifyVulkanLibrary('libGLX_nvidia.so.0'), { vendor: 'NVIDIA', software: false });
    assert.deepEqual(classifyVulkanLibrary('libvulkan_radeon.so'), { vendor: 'AMD', software: false });
    assert.deepEqual(classifyVulkanLibrary('libvulkan_intel.so'), { vendor: 'Intel', software: false });
    assert.deepEqual(classifyVulkanLibrary('libvulkan_dzn.so'), { vendor: 'Microsoft', software: false });
  });

  test('drivers are read from the manifests the loader would read (VK_DRIVER_FILES first), each library once', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'icd-'));
    try {
      const manifest = (name: string, library: string) => {
        const f = path.join(dir, name);
        writeFileSync(f, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: library, api_version: '1.3.0' } }));
        return f;
      };
      const lvp = manifest('lvp_icd.json', 'libvulkan_lvp.so');
      const nv = manifest('nvidia_icd.json', 'libGLX_nvidia.so.0');
      manifest('again.json', 'libGLX_nvidia.so.0');
      writeFileSync(path.join(dir, 'broken.json'), '{ not json');
      assert.deepEqual(vulkanDrivers({ VK_DRIVER_FILES: `${nv}:${lvp}` }).map((d) => [d.vendor, d.software]), [['NVIDIA', false], ['Mesa', true]]);
      // Without VK_DRIVER_FILES the standard folders are searched, plus VK_ADD_DRIVER_FILES.
      const all = vulkanDrivers({ HOME: dir, VK_ADD_DRIVER_FILES: dir }).map((d) => d.library);
      for (const lib of ['libGLX_nvidia.so.0', 'libvulkan_lvp.so']) assert.equal(all.filter((l) => l === lib).length, 1, `${lib} once in ${all.join(', ')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a Vulkan driver alone is not a GPU: without one the kernel shows, only software adapters remain, and auto sees no hardware', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'icd-'));
    try {
      writeFileSync(path.join(dir, 'intel.json'), JSON.stringify({ ICD: { library_path: 'libvulkan_intel_test_only.so' } }));
      writeFileSync(path.join(dir, 'lvp.json'), JSON.stringify({ ICD: { library_path: 'libvulkan_lvp.so' } }));
      const inv = gpuInventory({ VK_DRIVER_FILES: `${path.join(dir, 'intel.json')}:${path.join(dir, 'lvp.json')}` }, 'linux');
      // This test machine may have a real Intel GPU; only then may it be listed.
      const intel = inv.adapters.find((a) => a.vendor === 'Intel');
      if (intel) assert.notEqual(intel.source, 'vulkan driver manifest');
      assert.ok(inv.adapters.some((a) => a.kind === 'software'));
      if (!hardwareAdapter(inv)) assert.match(inv.missing ?? '', /no GPU of a vendor whose Vulkan driver is installed \(Intel\)/);
      const none = gpuInventory({ VK_DRIVER_FILES: path.join(dir, 'absent.json') }, 'linux');
      assert.equal(hardwareAdapter(none), undefined);
      assert.match(none.missing ?? '', /no Vulkan driver is installed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('placement from a profile', () => {
  const node = (name: string, op: string, provider: string, dur: number, shape: number[] = [4]) =>
    ({ cat: 'Node', name: `${name}_kernel_time`, dur, args: { op_name: op, provider, input_type_shape: [{ float: shape }] } });
  const run = (dur: number) => ({ cat: 'Session', name: 'model_run', dur });
  const api = (name: string, op: string, dur: number) => ({ cat: 'Api', name: `${name}&${op}&${op}`, dur });
  const events = [
    // The first run compiles shaders: left out.
    node('mm', 'MatMul', 'WebGpuExecutionProvider', 9000), node('sm', 'LogSoftmax', 'CPUExecutionProvider', 9000), api('mm', 'MatMul', 9000), run(20000),
    node('mm', 'MatMul', 'WebGpuExecutionProvider', 10), node('sm', 'LogSoftmax', 'CPUExecutionProvider', 5),
    node('big', 'RandomUniformLike', 'CPUExecutionProvider', 1, [32, 64, 768]), node('cp', 'MemcpyFromHost', 'WebGpuExecutionProvider', 2),
    api('mm', 'MatMul', 900), api('add', 'Add', 100), run(1500),
  ];

  test('counts nodes by provider, the CPU fallbacks and their share of kernel time, GPU time by operator; the first run is left out', () => {
    const p = summarizeProfile(events, 'g', 'webgpu');
    assert.deepEqual(p.nodesByProvider, { WebGpuExecutionProvider: 2, CPUExecutionProvider: 2 });
    assert.deepEqual(p.cpuOps, { LogSoftmax: 1, RandomUniformLike: 1 });
    assert.equal(p.runs, 1);
    assert.equal(p.copies, 1);
    assert.equal(p.gpuMicros, 1000);
    assert.equal(p.cpuMicros, 6);
    assert.equal(p.runMicros, 1500);
    assert.ok(Math.abs(p.cpuTimeShare - 6 / 1006) < 1e-9);
    assert.deepEqual(p.gpuTimeByOp.map((o) => o.op), ['MatMul', 'Add']);
    // A CPU node over a large float tensor is hot however short it was; a small one taking >= 1% too.
    assert.deepEqual(p.hotCpuNodes.map((h) => h.op).sort(), ['RandomUniformLike']);
  });

  test('on the CPU every node is the CPU\'s and none is a fallback', () => {
    const p = summarizeProfile(events, 'g', 'cpu');
    assert.deepEqual(p.cpuOps, {});
    assert.deepEqual(p.hotCpuNodes, []);
    assert.equal(p.cpuTimeShare, 1);
  });
});

test('float16 conversion of whole arrays equals the per-value conversion, rounding half to even', () => {
  const values = Float32Array.from([0, -0, 1, -2.5, 65504, 65520, 1e-8, 5.96e-8, 3.14159, -1e5, Infinity, NaN, 2049, 2051]);
  const many = Float32Array.from({ length: 10_000 }, (_, i) => Math.sin(i) * 10 ** ((i % 13) - 8));
  for (const a of [values, many]) {
    const h = floatsToHalves(a);
    a.forEach((v, i) => assert.equal(h[i], floatToHalf(v), `value ${v}`));
  }
  assert.equal(floatToHalf(2049), floatToHalf(2048));
  assert.equal(floatToHalf(65520), 0x7c00);
});
