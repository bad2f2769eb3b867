/**
 * The MLP classification head the trainer fits over cached features: hidden layers with an
 * activation (and optional dropout), a softmax output, cross-entropy with optional class weights
 * and an SGD/Adam/AdamW update, all run as ONNX graphs (see headGraphs.ts). Parameters and
 * optimizer state live here as plain Float32Arrays between steps.
 */
import { mulberry32 } from '../../src/core/hash';
import { type Backend, type Feeds, type Placement, type Session, Tensor, defaultBackend } from '../backend';
import { type OptimizerConfig, optimizerDefaults, stateSlots } from '../graph/optimizers';
import { type HeadState, deserializeHead, serializeHead } from './headFile';
import { type HeadConfig, type ParamSpec, buildEvalGraph, buildInferGraph, buildTrainGraph, maskName, paramSpecs, stateName, updatedName, validateConfig } from './headGraphs';

export type { HeadConfig } from './headGraphs';
export type { OptimizerConfig } from '../graph/optimizers';

export interface HeadTrainOptions {
  batchSize: number;
  optimizer: OptimizerConfig;
  classWeights?: Float32Array;
  /** Record onnxruntime's profile of the train and scoring sessions, for `placement()` (diagnostics). */
  profile?: boolean;
}

export type { HeadState, NamedArray } from './headFile';

/**
 * Rows per run when evaluating and scoring: bounds memory whatever n is, and keeps each run's
 * activations cache-sized (8192 rows scored ~2x faster per row than 65,536 on a 2-core CPU). On a
 * GPU a run costs a fixed dispatch and transfer overhead, so runs are larger there.
 */
const EVAL_CHUNK = 8192;
const PREDICT_CHUNK = 8192;
const GPU_PREDICT_CHUNK = 131_072;

export class HeadModel {
  private params: Float32Array[];
  private state: Float32Array[][];
  private step = 0;
  /** Bumped whenever the weights change, so the inference session is rebuilt only when stale. */
  private version = 0;
  private evalSession?: Session;
  private infer?: { version: number; half: boolean; session: Session };

  private constructor(
    readonly config: HeadConfig,
    readonly options: HeadTrainOptions,
    private readonly backend: Backend,
    private readonly trainSession: Session,
    private readonly specs: ParamSpec[],
  ) {
    this.params = initialParams(config, specs);
    const slots = stateSlots(options.optimizer);
    this.state = specs.map((s) => slots.map(() => new Float32Array(size(s))));
  }

  static async create(config: HeadConfig, options: HeadTrainOptions, backend?: Backend): Promise<HeadModel> {
    validateConfig(config);
    optimizerDefaults(options.optimizer);
    if (!(Number.isInteger(options.batchSize) && options.batchSize > 0)) throw new Error(`mlp head: batchSize must be a positive integer, got ${options.batchSize}`);
    const b = backend ?? await defaultBackend();
    const train = await b.session(buildTrainGraph(config, { optimizer: options.optimizer, classWeights: options.classWeights }), 'mlp head train step', { profile: options.profile });
    return new HeadModel(config, options, b, train, paramSpecs(config));
  }

  /** Which execution provider runs the graphs. */
  get device(): Backend['device'] { return this.backend.device; }

  /** One pass over n examples in the order given by `order`; returns the mean training loss. */
  async trainEpoch(x: Float32Array, y: Int32Array, n: number, order: Int32Array): Promise<number> {
    const d = this.config.inputDim;
    this.checkInputs(x, n, y);
    if (order.length !== n) throw new Error(`mlp head: order has ${order.length} entries for ${n} examples`);
    const bs = this.options.batchSize;
    const xb = new Float32Array(bs * d);
    const yb = new Int32Array(bs);
    const lr = Tensor.scalar(this.options.optimizer.lr);
    const slots = stateSlots(this.options.optimizer);
    let lossSum = 0;
    for (let start = 0; start < n; start += bs) {
      const b = Math.min(bs, n - start);
      for (let i = 0; i < b; i++) {
        const row = order[start + i]!;
        if (!(row >= 0 && row < n)) throw new Error(`mlp head: order[${start + i}] = ${row} is not a row index below ${n}`);
        xb.set(x.subarray(row * d, row * d + d), i * d);
        yb[i] = y[row]!;
      }
      this.step++;
      const feeds: Feeds = {
        x: Tensor.float32(xb.subarray(0, b * d), [b, d]),
        y: Tensor.int32(yb.subarray(0, b), [b]),
        step: Tensor.scalar(this.step),
        lr,
      };
      this.specs.forEach((s, i) => {
        feeds[s.name] = Tensor.float32(this.params[i]!, s.shape);
        slots.forEach((slot, k) => { feeds[stateName(s.name, slot)] = Tensor.float32(this.state[i]![k]!, s.shape); });
      });
      Object.assign(feeds, this.dropoutMasks(b));
      const out = await this.trainSession.run(feeds);
      this.specs.forEach((s, i) => {
        this.params[i] = out[updatedName(s.name)]!.float32;
        slots.forEach((slot, k) => { this.state[i]![k] = out[updatedName(stateName(s.name, slot))]!.float32; });
      });
      const loss = out.loss!.float32[0]!;
      if (!Number.isFinite(loss)) throw new Error(`mlp head: training loss became ${loss} at step ${this.step}; lower the learning rate`);
      lossSum += loss * b;
    }
    this.version++;
    return n ? lossSum / n : NaN;
  }

  /** Mean test loss (class-weighted when weights were given) and probabilities n*classes. */
  async evaluate(x: Float32Array, y: Int32Array, n: number): Promise<{ loss: number; probs: Float32Array }> {
    this.checkInputs(x, n, y);
    this.evalSession ??= await this.backend.session(buildEvalGraph(this.config, { classWeights: this.options.classWeights }), 'mlp head eval');
    const d = this.config.inputDim, c = this.config.classes;
    const probs = new Float32Array(n * c);
    const w = this.options.classWeights;
    let num = 0, den = 0;
    for (let start = 0; start < n; start += EVAL_CHUNK) {
      const b = Math.min(EVAL_CHUNK, n - start);
      const feeds: Feeds = {
        x: Tensor.float32(x.subarray(start * d, (start + b) * d), [b, d]),
        y: Tensor.int32(y.subarray(start, start + b), [b]),
      };
      this.specs.forEach((s, i) => { feeds[s.name] = Tensor.float32(this.params[i]!, s.shape); });
      const out = await this.evalSession.run(feeds, ['nll', 'probs']);
      probs.set(out.probs!.float32, start * c);
      const nll = out.nll!.float32;
      for (let i = 0; i < b; i++) {
        const weight = w ? w[y[start + i]!]! : 1;
        num += weight * nll[i]!;
        den += weight;
      }
    }
    return { loss: den > 0 ? num / den : NaN, probs };
  }

  /**
   * Probabilities n*classes, scored in chunks with the weights embedded in the graph. `x` may be
   * float16 bits (a Uint16Array, as the embedding cache stores them): half the bytes to move to a
   * GPU, widened to float32 inside the graph.
   */
  async predict(x: Float32Array | Uint16Array, n: number): Promise<Float32Array> {
    this.checkInputs(x, n);
    const half = x instanceof Uint16Array;
    const session = await this.inferSession(half);
    const d = this.config.inputDim, c = this.config.classes;
    const probs = new Float32Array(n * c);
    const chunk = this.backend.device === 'cpu' ? PREDICT_CHUNK : GPU_PREDICT_CHUNK;
    for (let start = 0; start < n; start += chunk) {
      const b = Math.min(chunk, n - start);
      const rows = x.subarray(start * d, (start + b) * d);
      const out = await session.run({ x: rows instanceof Uint16Array ? Tensor.float16(rows, [b, d]) : Tensor.float32(rows, [b, d]) });
      probs.set(out.probs!.float32, start * c);
    }
    return probs;
  }

  getState(): HeadState {
    const slots = stateSlots(this.options.optimizer);
    return {
      step: this.step,
      params: this.specs.map((s, i) => ({ name: s.name, shape: [...s.shape], data: this.params[i]!.slice() })),
      optimizer: this.specs.flatMap((s, i) => slots.map((slot, k) => ({ name: stateName(s.name, slot), shape: [...s.shape], data: this.state[i]![k]!.slice() }))),
    };
  }

  /** Restores a state from getState (or deserialize). Optimizer state absent from `s` is reset to zeros. */
  setState(s: HeadState): void {
    const byName = new Map(s.params.map((p) => [p.name, p]));
    const params = this.specs.map((spec) => {
      const p = byName.get(spec.name);
      if (!p) throw new Error(`mlp head: state lacks parameter ${spec.name}`);
      if (p.data.length !== size(spec)) throw new Error(`mlp head: parameter ${spec.name} has ${p.data.length} values, expected ${size(spec)} for [${spec.shape.join(', ')}]`);
      return p.data.slice();
    });
    const opt = new Map(s.optimizer.map((p) => [p.name, p]));
    const slots = stateSlots(this.options.optimizer);
    this.state = this.specs.map((spec) => slots.map((slot) => {
      const t = opt.get(stateName(spec.name, slot));
      return t && t.data.length === size(spec) ? t.data.slice() : new Float32Array(size(spec));
    }));
    this.params = params;
    this.step = s.step;
    this.version++;
  }

  /** Binary form (see headFile.ts): magic, a JSON header (config, step, tensor table), then float32 data. */
  static serialize(state: HeadState, config: HeadConfig): Uint8Array { return serializeHead(state, config); }

  static deserialize(bytes: Uint8Array): { state: HeadState; config: HeadConfig } { return deserializeHead(bytes); }

  /** The ONNX inference graph (x [batch, inputDim] -> probs [batch, classes]) with the current weights. */
  inferenceModel(inputType: 'float32' | 'float16' = 'float32'): Uint8Array {
    return buildInferGraph(this.config, this.params, { inputType });
  }

  /** Where the train step's or the latest scoring session's nodes ran (created with `profile: true`). */
  placement(which: 'train' | 'scoring'): Placement {
    const s = which === 'train' ? this.trainSession : this.infer?.session;
    if (!s) throw new Error('mlp head: nothing was scored yet');
    return s.placement();
  }

  async release(): Promise<void> {
    await this.trainSession.release();
    await this.evalSession?.release();
    await this.infer?.session.release();
    this.evalSession = undefined;
    this.infer = undefined;
  }

  private async inferSession(half = false): Promise<Session> {
    if (this.infer?.version === this.version && this.infer.half === half) return this.infer.session;
    await this.infer?.session.release();
    this.infer = undefined;
    const session = await this.backend.session(this.inferenceModel(half ? 'float16' : 'float32'), 'mlp head inference', { profile: this.options.profile });
    this.infer = { version: this.version, half, session };
    return session;
  }

  private checkInputs(x: Float32Array | Uint16Array, n: number, y?: Int32Array): void {
    const d = this.config.inputDim;
    if (!(Number.isInteger(n) && n >= 0)) throw new Error(`mlp head: n must be a non-negative integer, got ${n}`);
    if (x.length < n * d) throw new Error(`mlp head: x has ${x.length} values, fewer than n * inputDim = ${n} * ${d}`);
    if (y) {
      if (y.length < n) throw new Error(`mlp head: y has ${y.length} labels for ${n} examples`);
      for (let i = 0; i < n; i++) {
        const c = y[i]!;
        if (!(c >= 0 && c < this.config.classes)) throw new Error(`mlp head: label y[${i}] = ${c} is not a class index below ${this.config.classes}`);
      }
    }
  }

  /** Scaled keep-masks for this step, drawn from (seed, step): reproducible and resumable. */
  private dropoutMasks(batch: number): Feeds {
    const p = this.config.dropout ?? 0;
    if (p <= 0) return {};
    const rng = mulberry32((this.config.seed ^ Math.imul(this.step, 0x9e3779b1)) >>> 0);
    const keep = 1 / (1 - p);
    const feeds: Feeds = {};
    this.config.hidden.forEach((h, i) => {
      const m = new Float32Array(batch * h);
      for (let k = 0; k < m.length; k++) m[k] = rng() >= p ? keep : 0;
      feeds[maskName(i)] = Tensor.float32(m, [batch, h]);
    });
    return feeds;
  }
}

const size = (s: ParamSpec) => s.shape.reduce((a, b) => a * b, 1);

/**
 * Weights drawn from the seed: He normal (std sqrt(2 / fan_in)) for relu/gelu layers, Xavier
 * uniform for tanh layers and the output layer; biases zero.
 */
export function initialParams(c: HeadConfig, specs: readonly ParamSpec[]): Float32Array[] {
  const rng = mulberry32(c.seed >>> 0);
  const normal = () => {
    const u = Math.max(rng(), 1e-12), v = rng();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  return specs.map((s, i) => {
    const out = new Float32Array(size(s));
    if (s.shape.length === 1) return out;
    const [fanIn, fanOut] = s.shape as [number, number];
    const isOutput = i === specs.length - 2;
    if (!isOutput && c.activation !== 'tanh') {
      const std = Math.sqrt(2 / fanIn);
      for (let k = 0; k < out.length; k++) out[k] = normal() * std;
    } else {
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      for (let k = 0; k < out.length; k++) out[k] = (rng() * 2 - 1) * limit;
    }
    return out;
  });
}
