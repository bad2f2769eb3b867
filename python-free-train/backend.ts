/**
 * The only module that imports onnxruntime-node. It turns model bytes into sessions, picks the
 * execution provider once (see `Backend.create`), converts between the project's `Tensor` and
 * onnxruntime's tensors, keeps tensors on the GPU between runs where a provider allows it, and
 * reports where each node of a graph ran (`Session.placement`).
 *
 * Devices: `cpu`; `webgpu` (onnxruntime-node's bundled WebGPU provider: Dawn over Vulkan on Linux,
 * Metal on macOS, Direct3D 12 on Windows; any vendor's GPU, nothing to download); `cuda` (NVIDIA,
 * only where the CUDA provider was installed, see the README); `dml` (DirectML, Windows); `coreml`
 * (macOS, inference graphs). `auto` prefers CUDA when its provider is installed and starts, then a
 * hardware GPU through DirectML (Windows) or WebGPU, then the CPU; it never picks a software
 * adapter (Mesa's lavapipe, SwiftShader, Microsoft's WARP), which only an explicit `webgpu` gets.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { DEVICE_CHOICES, type DeviceChoice, type DeviceInfo } from '../src/protocol/trainer';
import { type GpuAdapter, type GpuInventory, autoDeviceOrder, gpuInventory, hardwareAdapter } from './gpuAdapters';
import { type Placement, type ProfileEvent, summarizeProfile } from './placement';
import { Graph } from './graph/ops';
import { toModelBytes } from './graph/serialize';
import { type DType, type TensorData, sizeOf } from './graph/types';

export { DEVICE_CHOICES, type DeviceChoice, type DeviceInfo, type Placement };

/**
 * onnxruntime-node, required on first use rather than when this module loads: the packages for
 * platforms onnxruntime publishes no library for (macOS on Intel, Alpine) carry none, and the CLI's
 * other commands (import, label, stats, export) must still start there.
 */
let loaded: typeof Ort | undefined;
const ort = new Proxy({} as typeof Ort, { get: (_, key) => Reflect.get(loaded ??= require('onnxruntime-node') as typeof Ort, key) });
export type Device = Exclude<DeviceChoice, 'auto'>;

export function isDeviceChoice(value: unknown): value is DeviceChoice {
  return (DEVICE_CHOICES as readonly unknown[]).includes(value);
}

export interface BackendOptions {
  /** `auto` (default): see the module comment. */
  device?: DeviceChoice;
  /** Intra-op threads of the CPU kernels (default: onnxruntime's choice, i.e. the number of cores). */
  threads?: number;
  /**
   * Let idle worker threads spin between ops (default false). Spinning shaves latency on an idle
   * machine but burns the cores others need; on a loaded 2-core machine it made a train step 3-5x
   * slower, because a descheduled thread stalls every op that waits for it.
   */
  spin?: boolean;
}

/** A tensor in host memory, in the project's own terms: element type, dimensions and a typed array. */
export class Tensor {
  constructor(readonly dtype: DType, readonly dims: readonly number[], readonly data: TensorData) {
    if (data.length !== sizeOf(dims)) throw new Error(`backend: tensor of dims [${dims.join(', ')}] given ${data.length} values`);
  }
  static float32(data: Float32Array, dims: readonly number[]): Tensor { return new Tensor('float32', dims, data); }
  static float64(data: Float64Array, dims: readonly number[]): Tensor { return new Tensor('float64', dims, data); }
  /** float16 bits (see graph/half.ts). */
  static float16(data: Uint16Array, dims: readonly number[]): Tensor { return new Tensor('float16', dims, data); }
  static int32(data: Int32Array, dims: readonly number[]): Tensor { return new Tensor('int32', dims, data); }
  static scalar(x: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
    return dtype === 'float32' ? new Tensor(dtype, [], Float32Array.of(x)) : new Tensor(dtype, [], Float64Array.of(x));
  }
  get float32(): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new Error(`backend: expected a float32 tensor, got ${this.dtype}`);
    return this.data;
  }
  get float64(): Float64Array {
    if (!(this.data instanceof Float64Array)) throw new Error(`backend: expected a float64 tensor, got ${this.dtype}`);
    return this.data;
  }
}

/**
 * A tensor that stays in GPU memory between runs (an output a session was asked to keep on the
 * device, fed back as an input). Dispose it when it is replaced: its memory is otherwise freed
 * only when the garbage collector finalizes it.
 */
export class DeviceTensor {
  private disposed = false;
  /** @internal */
  constructor(readonly inner: Ort.Tensor, readonly dtype: DType) {}
  get dims(): readonly number[] { return this.inner.dims; }
  get isDisposed(): boolean { return this.disposed; }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.inner.dispose();
  }
}

export type Feed = Tensor | DeviceTensor;
export type Feeds = Record<string, Feed>;
export type Value = Tensor | DeviceTensor;

export interface SessionOptions {
  /** Saves the graph as onnxruntime optimized it (fused kernels included), for inspection. */
  optimizedModelPath?: string;
  /**
   * Outputs returned as `DeviceTensor`s kept in GPU memory (WebGPU only; elsewhere they come back
   * as host tensors), so that state such as weights and optimizer moments need not travel each step.
   */
  deviceOutputs?: readonly string[];
  /** Record onnxruntime's profile, for `Session.placement()`. */
  profile?: boolean;
}

const PROVIDER_NAMES: Record<Device, string> = {
  cpu: 'CPUExecutionProvider', webgpu: 'WebGpuExecutionProvider', cuda: 'CUDAExecutionProvider', dml: 'DmlExecutionProvider', coreml: 'CoreMLExecutionProvider',
};

export class Session {
  private profileDir?: string;
  /** @internal */
  constructor(private readonly inner: Ort.InferenceSession, readonly device: Device, readonly label: string, private readonly onDevice: ReadonlySet<string>, profileDir?: string) {
    this.profileDir = profileDir;
  }
  get inputNames(): readonly string[] { return this.inner.inputNames; }
  get outputNames(): readonly string[] { return this.inner.outputNames; }

  /** Runs the graph; every output comes back in host memory. */
  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    const { host, device } = await this.runMixed(feeds, outputs);
    const kept = Object.keys(device);
    if (kept.length) {
      for (const d of Object.values(device)) d.dispose();
      throw new Error(`backend: ${this.label} keeps ${kept.join(', ')} on the device; use runMixed`);
    }
    return host;
  }

  /** Runs the graph; outputs named in `deviceOutputs` come back as `DeviceTensor`s (on a GPU). */
  async runMixed(feeds: Feeds, outputs?: readonly string[]): Promise<{ host: Record<string, Tensor>; device: Record<string, DeviceTensor> }> {
    const ortFeeds: Record<string, Ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (t instanceof DeviceTensor) {
        if (t.isDisposed) throw new Error(`backend: input "${name}" of ${this.label} was disposed`);
        ortFeeds[name] = t.inner;
      } else {
        ortFeeds[name] = toOrt(t);
      }
    }
    let result: Ort.InferenceSession.ReturnType;
    try {
      result = outputs ? await this.inner.run(ortFeeds, [...outputs]) : await this.inner.run(ortFeeds);
    } catch (e) {
      throw new Error(`backend: running ${this.label} failed: ${(e as Error).message}`, { cause: e });
    }
    const host: Record<string, Tensor> = {};
    const device: Record<string, DeviceTensor> = {};
    for (const [name, v] of Object.entries(result)) {
      if (v.location === 'gpu-buffer') device[name] = new DeviceTensor(v, dtypeOf(name, v.type));
      else host[name] = fromOrt(name, v);
    }
    return { host, device };
  }

  /** Whether an output stays on the device when run (see `SessionOptions.deviceOutputs`). */
  keepsOnDevice(output: string): boolean { return this.onDevice.has(output); }

  /**
   * Ends profiling (the session must have been created with `profile: true`) and says where the
   * nodes ran. The first run is left out: it compiles shaders and warms caches.
   */
  placement(): Placement {
    if (!this.profileDir) throw new Error(`backend: ${this.label} was not created with profile: true`);
    const dir = this.profileDir;
    this.profileDir = undefined;
    try {
      this.inner.endProfiling();
      const file = readdirSync(dir).find((f) => f.endsWith('.json'));
      if (!file) throw new Error(`backend: onnxruntime wrote no profile for ${this.label}`);
      return summarizeProfile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[], this.label, this.device);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  async release(): Promise<void> {
    if (this.profileDir) { rmSync(this.profileDir, { recursive: true, force: true }); this.profileDir = undefined; }
    await this.inner.release();
  }
}

/** One attempt at a device while choosing: what was tried and why it was not taken. */
interface Attempt { device: Device; reason: string }

export class Backend {
  private readonly downloads = new Map<string, Promise<Session>>();

  private constructor(readonly device: Device, private readonly options: BackendOptions, readonly requested: DeviceChoice,
    readonly adapter: GpuAdapter | undefined, private readonly notTaken: readonly Attempt[]) {}

  get threads(): number | undefined { return this.options.threads; }

  /** Why a faster device was not used (`auto` only; empty when none was expected to work). */
  get fallbackReason(): string | undefined {
    return this.notTaken.length ? this.notTaken.map((a) => `${a.device}: ${a.reason}`).join('; ') : undefined;
  }

  /**
   * Chooses the execution provider. A GPU provider is probed by running a small graph on it and
   * checking that it really ran there, because a listed provider can still fail to load (missing
   * CUDA/cuDNN libraries, no Vulkan driver) or hand its nodes to the CPU.
   */
  static async create(options: BackendOptions = {}): Promise<Backend> {
    const choice = options.device ?? 'auto';
    if (!isDeviceChoice(choice)) {
      throw new Error(`backend: unsupported device "${String(choice)}". Should be one of: ${DEVICE_CHOICES.join(', ')}`);
    }
    if (choice === 'cpu') return new Backend('cpu', options, choice, undefined, []);
    // A failed probe is expected on many machines; onnxruntime would print it as an error on
    // stderr. Its log is global and fixed at the first session, so keep it to fatal messages
    // unless the caller chose a level; every failure still reaches callers as an exception.
    if (ort.env.logLevel === 'warning') ort.env.logLevel = 'fatal';
    const listed = new Set(ort.listSupportedBackends().map((b) => b.name));
    const inventory = needsInventory(choice) ? gpuInventory() : undefined;
    const order = choice === 'auto'
      ? autoDeviceOrder({ platform: process.platform, listed, cudaInstalled: cudaProviderInstalled(), hardware: inventory && hardwareAdapter(inventory) })
      : [choice];
    const notTaken: Attempt[] = [];
    for (const device of order) {
      if (device === 'cpu') return new Backend('cpu', options, choice, undefined, notTaken);
      const unavailable = whyUnavailable(device, listed, inventory);
      if (unavailable) { notTaken.push({ device, reason: unavailable }); continue; }
      const adapter = device === 'webgpu' || device === 'dml' ? pickAdapter(inventory, choice === 'auto') : undefined;
      try {
        await probeDevice(device, choice === 'auto' ? inventory : undefined);
        return new Backend(device, options, choice, adapter, notTaken);
      } catch (e) {
        notTaken.push({ device, reason: (e as Error).message });
      }
    }
    const last = notTaken[notTaken.length - 1]!;
    throw new Error(`backend: device "${choice}" requested but ${last.reason}${hint(last.device, inventory)}`);
  }

  /** A session for `model`. */
  async session(model: Uint8Array, label = 'model', extra: SessionOptions = {}): Promise<Session> {
    const gpuResident = this.device === 'webgpu' && extra.deviceOutputs?.length;
    const profileDir = extra.profile ? mkdtempSync(path.join(os.tmpdir(), 'secreview-profile-')) : undefined;
    const options: Ort.InferenceSession.SessionOptions = {
      ...(extra.optimizedModelPath ? { optimizedModelFilePath: extra.optimizedModelPath } : {}),
      executionProviders: executionProviders(this.device),
      graphOptimizationLevel: 'all',
      // Warnings such as "some nodes were not assigned to the preferred provider" are what
      // `placement()` reports precisely; errors still reach the caller as exceptions.
      logSeverityLevel: 3,
      ...(this.threads ? { intraOpNumThreads: this.threads, interOpNumThreads: 1 } : {}),
      ...(profileDir ? { enableProfiling: true, profileFilePrefix: path.join(profileDir, 'profile') } : {}),
      // Outputs not named here stay in host memory; an unknown name fails the creation.
      ...(gpuResident ? { preferredOutputLocation: Object.fromEntries(extra.deviceOutputs!.map((n) => [n, 'gpu-buffer' as const])) } : {}),
      extra: { session: { intra_op: { allow_spinning: this.options.spin ? '1' : '0' }, inter_op: { allow_spinning: this.options.spin ? '1' : '0' } } },
    };
    let inner: Ort.InferenceSession;
    try {
      inner = await ort.InferenceSession.create(model, options);
    } catch (e) {
      if (profileDir) rmSync(profileDir, { recursive: true, force: true });
      throw new Error(`backend: cannot load ${label} on ${this.device}: ${(e as Error).message}`, { cause: e });
    }
    return new Session(inner, this.device, label, new Set(gpuResident ? extra.deviceOutputs : []), profileDir);
  }

  /** Copies a device tensor to host memory (the tensor stays valid on the device). */
  async download(t: DeviceTensor): Promise<Tensor> {
    const key = `${t.dtype}:${t.dims.length}`;
    let pending = this.downloads.get(key);
    if (!pending) {
      const g = new Graph('download');
      const x = g.input('x', t.dtype, t.dims.map((_, i) => `d${i}`));
      pending = this.session(toModelBytes(g, { outputs: { y: g.identity(x) } }), `download of a ${t.dtype} tensor`);
      this.downloads.set(key, pending);
    }
    const out = await (await pending).run({ x: t });
    return out.y!;
  }

  private float16?: Promise<boolean>;

  /**
   * Whether half-precision MatMuls run on this device (a GPU whose adapter has shader-f16). Probed
   * once: a float16 MatMul must run on the device's provider, not fall back to the CPU.
   */
  supportsFloat16(): Promise<boolean> {
    if (this.device === 'cpu') return Promise.resolve(false);
    this.float16 ??= (async () => {
      const g = new Graph('probe_f16');
      const a = g.input('a', 'float16', [16, 16]);
      const session = await this.session(toModelBytes(g, { outputs: { y: g.matmul(a, a) } }), 'float16 probe', { profile: true }).catch(() => undefined);
      if (!session) return false;
      try {
        const x = Tensor.float16(new Uint16Array(256).fill(0x3c00), [16, 16]);
        await session.run({ a: x });
        await session.run({ a: x });
        return (session.placement().nodesByProvider[PROVIDER_NAMES[this.device]] ?? 0) > 0;
      } catch {
        return false;
      } finally {
        await session.release();
      }
    })();
    return this.float16;
  }

  /** Host tensor or device tensor to host tensor. */
  async toHost(v: Value): Promise<Tensor> { return v instanceof Tensor ? v : this.download(v); }

  /** What runs the graphs, for logs, progress and model metadata. */
  info(): DeviceInfo {
    return {
      device: this.device, requested: this.requested, detail: this.describe(),
      ...(this.adapter ? { adapter: { name: this.adapter.name, vendor: this.adapter.vendor, kind: this.adapter.kind, api: this.adapter.api } } : {}),
      ...(this.fallbackReason ? { fallback: this.fallbackReason } : {}),
    };
  }

  /**
   * One line: the provider and, on a GPU, the adapter. Why a GPU was not used appears only when one
   * was expected to work (`auto` tries only GPUs that are present and providers that are installed),
   * never on a plain CPU-only machine.
   */
  describe(): string {
    const adapter = this.adapter ? `: ${this.adapter.name}${this.adapter.kind === 'software' ? ', a software adapter' : ''}, ${API_NAMES[this.adapter.api]}` : '';
    const why = this.notTaken.length ? `; ${this.notTaken.map((a) => `${DEVICE_NAMES[a.device]} not used: ${a.reason}`).join('; ')}` : '';
    return `onnxruntime-node (${DEVICE_NAMES[this.device]}${adapter}${why})`;
  }
}

const API_NAMES = { vulkan: 'Vulkan', metal: 'Metal', d3d12: 'Direct3D 12' } as const;
export const DEVICE_NAMES: Record<Device, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'CoreML' };

function needsInventory(choice: DeviceChoice): boolean {
  return choice === 'auto' || choice === 'webgpu' || choice === 'dml';
}

/** The onnxruntime-node folder that holds the native binding (and, if installed, the CUDA provider). */
function bindingFolder(): string | undefined {
  try {
    const pkg = require.resolve('onnxruntime-node/package.json');
    return path.join(path.dirname(pkg), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/** Whether the optional CUDA provider library was installed next to onnxruntime-node's binding. */
export function cudaProviderInstalled(): boolean {
  const dir = bindingFolder();
  if (!dir) return false;
  const file = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return existsSync(path.join(dir, file));
}

function whyUnavailable(device: Device, listed: ReadonlySet<string>, inventory: GpuInventory | undefined): string | undefined {
  const build = `this onnxruntime-node build for ${process.platform}-${process.arch}`;
  if (device === 'cuda') {
    if (!listed.has('cuda')) return `${build} has no CUDA provider`;
    if (!cudaProviderInstalled()) return 'the CUDA provider is not installed (see the README: ONNXRUNTIME_NODE_INSTALL=cuda12)';
    return undefined;
  }
  if (!listed.has(device)) return `${build} has no ${device} provider`;
  if (device === 'webgpu' && inventory && !inventory.adapters.length) return inventory.missing ?? 'no GPU adapter was found';
  return undefined;
}

function pickAdapter(inventory: GpuInventory | undefined, hardwareOnly: boolean): GpuAdapter | undefined {
  if (!inventory) return undefined;
  return hardwareOnly ? hardwareAdapter(inventory) : inventory.adapters[0];
}

function hint(device: Device, inventory: GpuInventory | undefined): string {
  if (device === 'webgpu' && process.platform === 'linux') {
    return `. WebGPU runs over Vulkan here: install your GPU's Vulkan driver (NVIDIA's driver, or Mesa's mesa-vulkan-drivers 23 or newer) and the loader libvulkan1${inventory?.missing ? ` (${inventory.missing})` : ''}`;
  }
  if (device === 'cuda') return '. The CUDA provider needs CUDA 12 and cuDNN 9 and is installed with ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node';
  return '';
}

function executionProviders(device: Device): Ort.InferenceSession.ExecutionProviderConfig[] {
  switch (device) {
    case 'cpu': return ['cpu'];
    case 'cuda': return ['cuda', 'cpu'];
    // Dawn's validation of every command costs CPU time and catches only our own misuse, which the
    // CPU parity tests already would.
    case 'webgpu': return [{ name: 'webgpu', validationMode: 'disabled' } as Ort.InferenceSession.ExecutionProviderConfig, 'cpu'];
    case 'dml': return ['dml', 'cpu'];
    case 'coreml': return ['coreml', 'cpu'];
  }
}

/**
 * Runs a small MatMul on `device` and checks, from the profile, that it ran there. With an
 * inventory (`auto`), software Vulkan drivers are hidden from the loader for the probe, so a
 * broken hardware driver cannot quietly hand the work to a CPU rasterizer.
 */
async function probeDevice(device: Device, inventory: GpuInventory | undefined): Promise<void> {
  const g = new Graph('probe');
  const a = g.input('a', 'float32', [64, 64]);
  const w = g.initializer('w', 'float32', [64, 64], Float32Array.from({ length: 64 * 64 }, (_, i) => (i % 7) / 7));
  const model = toModelBytes(g, { outputs: { y: g.matmul(a, w) } });
  if (device === 'webgpu') prepareWebGpuEnvironment();
  const restore = device === 'webgpu' && inventory ? hideSoftwareVulkan(inventory) : () => {};
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-probe-'));
  try {
    const s = await ort.InferenceSession.create(model, {
      executionProviders: executionProviders(device), logSeverityLevel: 4, enableProfiling: true, profileFilePrefix: path.join(dir, 'probe'),
    });
    try {
      const feeds = { a: new ort.Tensor('float32', new Float32Array(64 * 64).fill(1), [64, 64]) };
      await s.run(feeds);
      await s.run(feeds);
      s.endProfiling();
      const file = readdirSync(dir).find((f) => f.endsWith('.json'));
      const events = file ? JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as ProfileEvent[] : [];
      const ran = events.filter((e) => e.cat === 'Node' && e.args?.op_name === 'MatMul').map((e) => e.args?.provider);
      if (!ran.includes(PROVIDER_NAMES[device])) throw new Error(`a MatMul ran on ${ran[0] ?? 'no provider'} instead of ${PROVIDER_NAMES[device]}`);
    } finally {
      await s.release();
    }
  } catch (e) {
    const message = (e as Error).message.replace(/^.*\.cc:\d+ [^ ]+ /, '').split('\n')[0]!.trim();
    throw new Error(`${device} provider failed to start: ${message}`);
  } finally {
    restore();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Mesa's drivers want a runtime folder; without one they print warnings on every start. */
function prepareWebGpuEnvironment(): void {
  if (process.platform !== 'linux' || process.env.XDG_RUNTIME_DIR) return;
  process.env.XDG_RUNTIME_DIR = mkdtempSync(path.join(os.tmpdir(), 'secreview-xdg-'));
}

/** Hides software Vulkan drivers from the loader until the returned function is called. */
function hideSoftwareVulkan(inventory: GpuInventory): () => void {
  const software = inventory.vulkanDrivers.filter((d) => d.software);
  if (process.platform !== 'linux' || !software.length || process.env.VK_LOADER_DRIVERS_DISABLE !== undefined) return () => {};
  process.env.VK_LOADER_DRIVERS_DISABLE = software.map((d) => `*${path.basename(d.manifest)}`).join(',');
  return () => { delete process.env.VK_LOADER_DRIVERS_DISABLE; };
}

let shared: Promise<Backend> | undefined;
/** A process-wide backend with default options, created on first use. */
export function defaultBackend(): Promise<Backend> {
  shared ??= Backend.create();
  return shared;
}

function toOrt(t: Tensor): Ort.Tensor {
  const dims = [...t.dims];
  switch (t.dtype) {
    case 'float32': return new ort.Tensor('float32', t.data as Float32Array, dims);
    case 'float64': return new ort.Tensor('float64', t.data as Float64Array, dims);
    case 'float16': return new ort.Tensor('float16', t.data as Uint16Array, dims);
    case 'int32': return new ort.Tensor('int32', t.data as Int32Array, dims);
    case 'int64': return new ort.Tensor('int64', t.data as BigInt64Array, dims);
    case 'int8': return new ort.Tensor('int8', t.data as Int8Array, dims);
    case 'uint8': return new ort.Tensor('uint8', t.data as Uint8Array, dims);
    case 'bool': return new ort.Tensor('bool', t.data as Uint8Array, dims);
  }
}

function dtypeOf(name: string, type: string): DType {
  switch (type) {
    case 'float32': case 'float64': case 'float16': case 'int32': case 'int64': case 'int8': case 'uint8': case 'bool': return type;
    default: throw new Error(`backend: output "${name}" has unsupported type ${type}`);
  }
}

function fromOrt(name: string, v: Ort.OnnxValue): Tensor {
  const dims = [...v.dims];
  const dtype = dtypeOf(name, v.type);
  return new Tensor(dtype, dims, v.data as TensorData);
}
