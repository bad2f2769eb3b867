/**
 * Fine-tuning the classification head and the top K encoder layers: one ONNX train-step graph
 * (forward through the whole encoder, loss, reverse-mode gradients of the trainable tensors,
 * AdamW update) run by onnxruntime. Frozen layers are initializers inside the graph, so only the
 * trainable tensors and their optimizer state travel between steps. K = 0 trains the head alone.
 */
import { type Backend, DeviceTensor, type Feeds, type Placement, type Session, Tensor, type Value as Resident } from '../backend';
import { gradients } from '../graph/autodiff';
import type { Value } from '../graph/core';
import { softmaxCrossEntropy } from '../graph/losses';
import { Graph } from '../graph/ops';
import { type OptimizerConfig, applyOptimizer, clipByGlobalNorm, optimizerDefaults, stateSlots } from '../graph/optimizers';
import { toModelBytes } from '../graph/serialize';
import { mulberry32 } from '../../src/core/hash';
import type { RobertaConfig } from './config';
import { ATTENTION_MASK, BATCH, INPUT_IDS, SEQ, type ParamTensor, buildRobertaEncoder, declareParams, encoderValues, robertaParamTensors } from './encoderGraph';
import type { EncodedBatch } from './tokenizer';
import type { RobertaHeadWeights, RobertaWeights } from './weights';

export interface FineTuneOptions {
  /** Encoder layers trained from the top (0 = head only). */
  topLayers: number;
  optimizer?: OptimizerConfig;
  /** Seed of the head's initialization when the checkpoint has none (e.g. roberta-base), and of dropout. */
  seed?: number;
  /** Dropout in the trained layers and the head (RoBERTa's default is 0.1; default 0). */
  dropout?: number;
  /**
   * How dropout masks are drawn: `graph` (RandomUniformLike inside the graph, the CPU's form) or
   * `hash` (a coordinate hash of a per-step value the tuner feeds: the form GPU providers run).
   * Default: `hash` on a GPU backend, else `graph`.
   */
  dropoutNoise?: 'graph' | 'hash';
  /** Record onnxruntime's profile of the step graph, for `placement()` (diagnostics). */
  profile?: boolean;
}

const LABELS = 'labels';
const DROPOUT_NOISE = 'dropout_noise';
/** The flat vector of every trained tensor (see `buildFineTuneStep`). */
const TRAINED = 'trained';
const next = (name: string) => `${name}.next`;
const slotName = (name: string, slot: string) => `${name}.${slot}`;

/** Whether parameter `name` is trained when the top `k` of `layers` layers are. */
export function isTrainable(name: string, layers: number, k: number): boolean {
  if (name.startsWith('head.')) return true;
  const m = name.match(/^layer\.(\d+)\./);
  return !!m && Number(m[1]) >= layers - k;
}

/** A classification head like RobertaClassificationHead's initialization: normal(0, 0.02), zero bias. */
export function initialHead(c: RobertaConfig, seed = 1): RobertaHeadWeights {
  const random = mulberry32(seed);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const matrix = (rows: number, cols: number) => ({ shape: [rows, cols], data: Float32Array.from({ length: rows * cols }, () => 0.02 * normal()) });
  const h = c.hiddenSize;
  return {
    dense: { weight: matrix(h, h), bias: { shape: [h], data: new Float32Array(h) } },
    outProj: { weight: matrix(c.numLabels, h), bias: { shape: [c.numLabels], data: new Float32Array(c.numLabels) } },
  };
}

/** Where each trained tensor sits in the one flat vector that holds them all. */
export interface TrainedLayout { tensors: { name: string; shape: number[]; offset: number; size: number }[]; total: number }

export function trainedLayout(c: RobertaConfig, params: readonly ParamTensor[], topLayers: number): TrainedLayout {
  let offset = 0;
  const tensors = params.filter((p) => isTrainable(p.name, c.numHiddenLayers, topLayers)).map((p) => {
    const size = p.data.length;
    const t = { name: p.name, shape: [...p.shape], offset, size };
    offset += size;
    return t;
  });
  return { tensors, total: offset };
}

/** The step graph's inputs for the first step: the trained tensors (flat) and zero optimizer state. */
export function initialTrainedFeeds(c: RobertaConfig, params: readonly ParamTensor[], topLayers: number, optimizer: OptimizerConfig): Feeds {
  const layout = trainedLayout(c, params, topLayers);
  const flat = new Float32Array(layout.total);
  const byName = new Map(params.map((p) => [p.name, p]));
  for (const t of layout.tensors) flat.set(byName.get(t.name)!.data, t.offset);
  const feeds: Feeds = { [TRAINED]: Tensor.float32(flat, [layout.total]) };
  for (const s of stateSlots(optimizer)) feeds[slotName(TRAINED, s)] = Tensor.float32(new Float32Array(layout.total), [layout.total]);
  return feeds;
}

/**
 * The train step. Every trained tensor lives in one flat vector (`trained`, with its optimizer
 * state `trained.m`, `trained.v`), sliced and reshaped for the forward pass, and the gradients are
 * concatenated back: the update, the clipping and the moments are then a dozen ops over one tensor
 * instead of a dozen per tensor. On a GPU every op costs a dispatch whatever its size, and the
 * per-tensor form spent most of a step there (about 3,000 of 8,000 dispatches for all 12 layers).
 */
export function buildFineTuneStep(c: RobertaConfig, params: readonly ParamTensor[], o: FineTuneOptions): Uint8Array {
  const optimizer = o.optimizer ?? { kind: 'adamw', lr: 2e-5 };
  const g = new Graph('roberta_finetune_step', { symbolsNeverBroadcast: true });
  const ids = g.input(INPUT_IDS, 'int64', [BATCH, SEQ]);
  const mask = g.input(ATTENTION_MASK, 'int64', [BATCH, SEQ]);
  const labels = g.input(LABELS, 'int64', [BATCH]);
  const layout = trainedLayout(c, params, o.topLayers);
  const trainable = new Set(layout.tensors.map((t) => t.name));
  const byName = declareParams(g, params.filter((p) => !trainable.has(p.name)));
  const flat = g.input(TRAINED, 'float32', [layout.total]);
  const values = layout.tensors.map((t) => g.scope(t.name, () => g.reshape(g.slice(flat, { starts: [t.offset], ends: [t.offset + t.size] }), t.shape)));
  layout.tensors.forEach((t, i) => byName.set(t.name, values[i]!));
  const noise = o.dropout && o.dropoutNoise === 'hash' ? g.input(DROPOUT_NOISE, 'float32', []) : undefined;
  const dropout = o.dropout ? { ratio: o.dropout, seed: o.seed ?? 1, fromLayer: c.numHiddenLayers - o.topLayers, ...(noise ? { noise } : {}) } : undefined;
  const out = buildRobertaEncoder(g, c, encoderValues(byName, c), ids, mask, { dropout });
  if (!out.logits) throw new Error('roberta fine-tuning: the model has no classification head');
  const { loss } = softmaxCrossEntropy(g, out.logits, labels);
  const grads = gradients(g, loss, values);
  let grad = g.concat(grads.map((gr) => g.reshape(gr, [-1], [gr.shape.reduce((a: number, b) => a * (b as number), 1)])), 0);
  const clip = optimizerDefaults(optimizer).clipNorm;
  if (clip > 0) grad = clipByGlobalNorm(g, [grad], clip).grads[0]!;
  const slots = stateSlots(optimizer);
  const state = slots.map((s) => g.input(slotName(TRAINED, s), 'float32', [layout.total]));
  const step = g.input('step', 'float32', []);
  const lr = g.input('lr', 'float32', []);
  const [update] = applyOptimizer(g, optimizer, [flat], [grad], [state], { lr, step });
  const outputs: Record<string, Value> = { loss, logits: out.logits, [next(TRAINED)]: update!.param };
  slots.forEach((s, k) => { outputs[next(slotName(TRAINED, s))] = update!.state[k]!; });
  return toModelBytes(g, { outputs });
}

/**
 * Runs fine-tuning steps. Trained tensors and their optimizer state stay on the device between
 * steps where the provider allows it (WebGPU: about 1 GB for all 12 layers of roberta-base with
 * Adam, which would otherwise cross the bus twice per step); only the batch goes in and the loss
 * and logits come out.
 */
export class RobertaFineTuner {
  private steps = 0;
  private readonly noise?: () => number;
  private constructor(private readonly backend: Backend, private readonly session: Session, readonly config: RobertaConfig, private readonly base: RobertaWeights,
    private readonly layout: TrainedLayout, private readonly values: Map<string, Resident>,
    readonly optimizer: OptimizerConfig, hashNoiseSeed: number | undefined) {
    if (hashNoiseSeed !== undefined) {
      const random = mulberry32(hashNoiseSeed);
      this.noise = () => random();
    }
  }

  static async create(backend: Backend, c: RobertaConfig, w: RobertaWeights, o: FineTuneOptions): Promise<RobertaFineTuner> {
    if (!(Number.isInteger(o.topLayers) && o.topLayers >= 0 && o.topLayers <= c.numHiddenLayers)) {
      throw new Error(`roberta fine-tuning: topLayers must be an integer in [0, ${c.numHiddenLayers}], got ${o.topLayers}`);
    }
    const weights: RobertaWeights = w.head ? w : { ...w, head: initialHead(c, o.seed) };
    const params = robertaParamTensors(weights);
    const optimizer = o.optimizer ?? { kind: 'adamw', lr: 2e-5 };
    const dropoutNoise = o.dropoutNoise ?? (backend.device === 'cpu' ? 'graph' : 'hash');
    const resident = [next(TRAINED), ...stateSlots(optimizer).map((s) => next(slotName(TRAINED, s)))];
    const session = await backend.session(buildFineTuneStep(c, params, { ...o, optimizer, dropoutNoise }),
      `roberta fine-tune step (top ${o.topLayers} layers + head)`, { deviceOutputs: resident, profile: o.profile });
    const values = new Map<string, Resident>();
    for (const [name, t] of Object.entries(initialTrainedFeeds(c, params, o.topLayers, optimizer))) values.set(name, t);
    const hashSeed = o.dropout && dropoutNoise === 'hash' ? ((o.seed ?? 1) ^ 0x5eed) >>> 0 : undefined;
    return new RobertaFineTuner(backend, session, c, weights, trainedLayout(c, params, o.topLayers), values, optimizer, hashSeed);
  }

  /** One optimizer step on a batch; returns the batch loss before the update. */
  async step(batch: EncodedBatch, labels: readonly number[], lr = this.optimizer.lr): Promise<number> {
    if (labels.length !== batch.batch) throw new Error(`roberta fine-tuning: ${labels.length} labels for ${batch.batch} texts`);
    this.steps++;
    const dims = [batch.batch, batch.seqLen];
    const feeds: Feeds = {
      [INPUT_IDS]: new Tensor('int64', dims, batch.inputIds),
      [ATTENTION_MASK]: new Tensor('int64', dims, batch.attentionMask),
      [LABELS]: new Tensor('int64', [batch.batch], BigInt64Array.from(labels, (l) => BigInt(l))),
      step: Tensor.scalar(this.steps),
      lr: Tensor.scalar(lr),
      ...(this.noise ? { [DROPOUT_NOISE]: Tensor.scalar(this.noise()) } : {}),
    };
    for (const [name, v] of this.values) feeds[name] = v;
    const { host, device } = await this.session.runMixed(feeds);
    const replaced: Resident[] = [];
    for (const name of this.values.keys()) {
      const updated = device[next(name)] ?? host[next(name)];
      if (!updated) throw new Error(`roberta fine-tuning: the step graph did not return ${next(name)}`);
      replaced.push(this.values.get(name)!);
      this.values.set(name, updated);
    }
    for (const old of replaced) if (old instanceof DeviceTensor) old.dispose();
    return host.loss!.float32[0]!;
  }

  /** The current weights in Hugging Face layout (frozen tensors shared with the original). */
  async weights(): Promise<RobertaWeights> {
    const flat = (await this.backend.toHost(this.values.get(TRAINED)!)).float32;
    const byName = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const t of this.layout.tensors) byName.set(t.name, { shape: t.shape, data: flat.slice(t.offset, t.offset + t.size) });
    const linear = (name: string, original: { weight: { shape: readonly number[]; data: Float32Array }; bias: { shape: readonly number[]; data: Float32Array } }) => {
      const w = byName.get(`${name}.weight`), b = byName.get(`${name}.bias`);
      if (!w || !b) return original;
      const [inDim, outDim] = w.shape as [number, number];
      return { weight: { shape: [outDim, inDim], data: transpose(w.data, inDim, outDim) }, bias: { shape: b.shape, data: b.data } };
    };
    const norm = (name: string, original: { weight: { shape: readonly number[]; data: Float32Array }; bias: { shape: readonly number[]; data: Float32Array } }) => {
      const w = byName.get(`${name}.weight`), b = byName.get(`${name}.bias`);
      return w && b ? { weight: { shape: w.shape, data: w.data }, bias: { shape: b.shape, data: b.data } } : original;
    };
    const base = this.base;
    return {
      ...base,
      layers: base.layers.map((l, i) => ({
        query: linear(`layer.${i}.query`, l.query), key: linear(`layer.${i}.key`, l.key), value: linear(`layer.${i}.value`, l.value),
        attentionOutput: linear(`layer.${i}.attention_output`, l.attentionOutput), attentionLayerNorm: norm(`layer.${i}.attention_norm`, l.attentionLayerNorm),
        intermediate: linear(`layer.${i}.intermediate`, l.intermediate), output: linear(`layer.${i}.output`, l.output),
        outputLayerNorm: norm(`layer.${i}.output_norm`, l.outputLayerNorm),
      })),
      head: { dense: linear('head.dense', base.head!.dense), outProj: linear('head.out_proj', base.head!.outProj) },
    };
  }

  /** Where the step graph's nodes ran (created with `profile: true`). */
  placement(): Placement { return this.session.placement(); }

  async release(): Promise<void> {
    for (const v of this.values.values()) if (v instanceof DeviceTensor) v.dispose();
    await this.session.release();
  }
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let k = 0; k < cols; k++) out[k * rows + r] = data[r * cols + k]!;
  return out;
}
