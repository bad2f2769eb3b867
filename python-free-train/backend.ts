/**
 * The only module that imports onnxruntime-node. It turns model bytes into sessions, picks the
 * execution provider once (CUDA when it is bundled and a session can be created with it, else CPU)
 * and converts between the project's `Tensor` and onnxruntime's tensors.
 */
import * as ort from 'onnxruntime-node';
import { Graph } from './graph/ops';
import { toModelBytes } from './graph/serialize';
import { type DType, type TensorData, sizeOf } from './graph/types';

export type Device = 'cpu' | 'cuda';
export const DEVICE_CHOICES = ['auto', 'cpu', 'cuda'] as const;
export type DeviceChoice = (typeof DEVICE_CHOICES)[number];

export interface BackendOptions {
  /** `auto` (default): CUDA when available, else CPU. */
  device?: DeviceChoice;
  /** Intra-op threads (default: onnxruntime's choice, i.e. the number of cores). */
  threads?: number;
  /**
   * Let idle worker threads spin between ops (default false). Spinning shaves latency on an idle
   * machine but burns the cores others need; on a loaded 2-core machine it made a train step 3-5x
   * slower, because a descheduled thread stalls every op that waits for it.
   */
  spin?: boolean;
}

/** A tensor in the project's own terms: element type, dimensions and a typed array. */
export class Tensor {
  constructor(readonly dtype: DType, readonly dims: readonly number[], readonly data: TensorData) {
    if (data.length !== sizeOf(dims)) throw new Error(`backend: tensor of dims [${dims.join(', ')}] given ${data.length} values`);
  }
  static float32(data: Float32Array, dims: readonly number[]): Tensor { return new Tensor('float32', dims, data); }
  static float64(data: Float64Array, dims: readonly number[]): Tensor { return new Tensor('float64', dims, data); }
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

export type Feeds = Record<string, Tensor>;

export class Session {
  constructor(private readonly inner: ort.InferenceSession, readonly device: Device, readonly label: string) {}
  get inputNames(): readonly string[] { return this.inner.inputNames; }
  get outputNames(): readonly string[] { return this.inner.outputNames; }

  async run(feeds: Feeds, outputs?: readonly string[]): Promise<Record<string, Tensor>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = toOrt(t);
    let result: ort.InferenceSession.ReturnType;
    try {
      result = outputs ? await this.inner.run(ortFeeds, [...outputs]) : await this.inner.run(ortFeeds);
    } catch (e) {
      throw new Error(`backend: running ${this.label} failed: ${(e as Error).message}`, { cause: e });
    }
    const out: Record<string, Tensor> = {};
    for (const [name, v] of Object.entries(result)) out[name] = fromOrt(name, v);
    return out;
  }

  async release(): Promise<void> { await this.inner.release(); }
}

export class Backend {
  private constructor(readonly device: Device, private readonly options: BackendOptions, readonly fallbackReason?: string) {}

  get threads(): number | undefined { return this.options.threads; }

  /**
   * Chooses the execution provider. CUDA is probed by creating a tiny session with it, because a
   * listed provider can still fail to load (missing CUDA/cuDNN libraries).
   */
  static async create(options: BackendOptions = {}): Promise<Backend> {
    const choice = options.device ?? 'auto';
    if (!DEVICE_CHOICES.includes(choice)) {
      throw new Error(`backend: unsupported device "${String(choice)}". Should be one of: ${DEVICE_CHOICES.join(', ')}`);
    }
    if (choice === 'cpu') return new Backend('cpu', options);
    const listed = ort.listSupportedBackends().some((b) => b.name === 'cuda');
    // A failed CUDA probe is expected on CPU-only installs; onnxruntime would print it as an error
    // on stderr. Its log is global and fixed at the first session, so keep it to fatal messages
    // unless the caller chose a level; every failure still reaches callers as an exception.
    if (ort.env.logLevel === 'warning') ort.env.logLevel = 'fatal';
    let reason = 'onnxruntime-node was installed without the CUDA provider';
    if (listed) {
      try {
        const probe = await ort.InferenceSession.create(probeModel(), { executionProviders: ['cuda'], logSeverityLevel: 4 });
        await probe.release();
        return new Backend('cuda', options);
      } catch (e) {
        reason = `CUDA provider failed to start: ${(e as Error).message}`;
      }
    }
    if (choice === 'cuda') throw new Error(`backend: device "cuda" requested but ${reason}`);
    return new Backend('cpu', options, reason);
  }

  /**
   * A session for `model`. `optimizedModelPath` saves the graph as onnxruntime optimized it (fused
   * kernels included), for inspection.
   */
  async session(model: Uint8Array, label = 'model', extra: { optimizedModelPath?: string } = {}): Promise<Session> {
    const options: ort.InferenceSession.SessionOptions = {
      ...(extra.optimizedModelPath ? { optimizedModelFilePath: extra.optimizedModelPath } : {}),
      executionProviders: this.device === 'cuda' ? ['cuda', 'cpu'] : ['cpu'],
      graphOptimizationLevel: 'all',
      ...(this.threads ? { intraOpNumThreads: this.threads, interOpNumThreads: 1 } : {}),
      extra: { session: { intra_op: { allow_spinning: this.options.spin ? '1' : '0' }, inter_op: { allow_spinning: this.options.spin ? '1' : '0' } } },
    };
    try {
      return new Session(await ort.InferenceSession.create(model, options), this.device, label);
    } catch (e) {
      throw new Error(`backend: cannot load ${label}: ${(e as Error).message}`, { cause: e });
    }
  }

  describe(): string {
    return this.device === 'cuda' ? 'onnxruntime-node (CUDA)' : `onnxruntime-node (CPU${this.fallbackReason ? `; ${this.fallbackReason}` : ''})`;
  }
}

let shared: Promise<Backend> | undefined;
/** A process-wide backend with default options, created on first use. */
export function defaultBackend(): Promise<Backend> {
  shared ??= Backend.create();
  return shared;
}

function toOrt(t: Tensor): ort.Tensor {
  const dims = [...t.dims];
  switch (t.dtype) {
    case 'float32': return new ort.Tensor('float32', t.data as Float32Array, dims);
    case 'float64': return new ort.Tensor('float64', t.data as Float64Array, dims);
    case 'int32': return new ort.Tensor('int32', t.data as Int32Array, dims);
    case 'int64': return new ort.Tensor('int64', t.data as BigInt64Array, dims);
    case 'int8': return new ort.Tensor('int8', t.data as Int8Array, dims);
    case 'uint8': return new ort.Tensor('uint8', t.data as Uint8Array, dims);
    case 'bool': return new ort.Tensor('bool', t.data as Uint8Array, dims);
  }
}

function fromOrt(name: string, v: ort.OnnxValue): Tensor {
  const dims = [...v.dims];
  switch (v.type) {
    case 'float32': return new Tensor('float32', dims, v.data as Float32Array);
    case 'float64': return new Tensor('float64', dims, v.data as Float64Array);
    case 'int32': return new Tensor('int32', dims, v.data as Int32Array);
    case 'int64': return new Tensor('int64', dims, v.data as BigInt64Array);
    case 'int8': return new Tensor('int8', dims, v.data as Int8Array);
    case 'uint8': return new Tensor('uint8', dims, v.data as Uint8Array);
    case 'bool': return new Tensor('bool', dims, v.data as Uint8Array);
    default: throw new Error(`backend: output "${name}" has unsupported type ${v.type}`);
  }
}

/** A one-node model (Identity over a float) used to check that a provider can start. */
function probeModel(): Uint8Array {
  const g = new Graph('probe');
  const x = g.input('x', 'float32', [1]);
  return toModelBytes(g, { outputs: { y: g.identity(x) } });
}
