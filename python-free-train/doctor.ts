/**
 * The device check behind `secreview doctor`: every kind of graph the tool runs (the head's train
 * step and scoring, the RoBERTa encoder in each precision, the fine-tuning step, and whatever the
 * caller adds, such as the simulation study's graphs) is run on the chosen device and on the CPU
 * at small sizes. For each it reports where the nodes ran (GPU or CPU fallback, time shares, the
 * hot nodes that fell back) and the largest difference from the CPU's results, against a stated
 * tolerance. The parity tests run the same checks on a software adapter.
 */
import { mulberry32 } from '../src/core/hash';
import type { Backend, Feeds, Placement, Tensor } from './backend';
import { floatsToHalves } from './graph/half';
import { HeadModel } from './models/mlpHead';
import type { RobertaConfig } from './roberta/config';
import { RobertaEncoder } from './roberta/encoder';
import { RobertaFineTuner } from './roberta/fineTune';
import type { Precision } from './roberta/precision';
import { RobertaTokenizer } from './roberta/tokenizer';
import type { RobertaWeights } from './roberta/weights';

/** What one graph computed: named float outputs (compared with the CPU's), and where it ran. */
export interface CaseRun { values: Record<string, Float32Array>; placement?: Placement }

export interface GraphCase {
  name: string;
  /**
   * Largest difference from the CPU's values that still counts as the same result: absolute for
   * values up to 1, relative above (sums such as a loss over many rows).
   */
  tolerance: number;
  /** Runs the graph on `backend`; `profile` asks for its placement (the device run only). */
  run(backend: Backend, profile: boolean): Promise<CaseRun>;
}

export interface GraphCheck {
  graph: string;
  ok: boolean;
  /** See `GraphCase.tolerance`. */
  maxDiff: number;
  /** Output whose difference was largest. */
  worst: string;
  tolerance: number;
  placement?: Placement;
  error?: string;
}

export interface DoctorReport {
  device: ReturnType<Backend['info']>;
  checks: GraphCheck[];
  /** Every check within its tolerance, and no hot node fell back to the CPU. */
  ok: boolean;
}

/** max |a - b| / max(1, |a|) over the elements. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(a[i]!));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Runs every case on `device` (profiled) and on `cpu`, and compares. */
export async function checkDevice(device: Backend, cpu: Backend, cases: readonly GraphCase[]): Promise<DoctorReport> {
  const checks: GraphCheck[] = [];
  for (const c of cases) {
    try {
      const reference = await c.run(cpu, false);
      const onDevice = await c.run(device, device.device !== 'cpu');
      let worst = '', diff = 0;
      for (const [name, want] of Object.entries(reference.values)) {
        const got = onDevice.values[name];
        const d = got ? maxDiff(want, got) : Infinity;
        if (d >= diff) { diff = d; worst = name; }
      }
      const hot = onDevice.placement?.hotCpuNodes.length ?? 0;
      checks.push({ graph: c.name, ok: diff <= c.tolerance && hot === 0, maxDiff: diff, worst, tolerance: c.tolerance, ...(onDevice.placement ? { placement: onDevice.placement } : {}) });
    } catch (e) {
      checks.push({ graph: c.name, ok: false, maxDiff: Infinity, worst: '', tolerance: c.tolerance, error: (e as Error).message });
    }
  }
  return { device: device.info(), checks, ok: checks.every((c) => c.ok) };
}

function randomFloats(n: number, seed: number, scale = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
}

/** The head: an epoch of train steps (loss and every updated tensor), then scoring in float32 and float16. */
export function headCases(): GraphCase[] {
  const config = { inputDim: 64, hidden: [32], classes: 4, seed: 3 };
  const n = 96;
  const x = randomFloats(n * config.inputDim, 11);
  const y = Int32Array.from({ length: n }, (_, i) => i % 4);
  const order = Int32Array.from({ length: n }, (_, i) => (i * 37) % n);
  return [
    {
      name: 'head train step (AdamW)', tolerance: 1e-4,
      async run(backend, profile) {
        const head = await HeadModel.create(config, { batchSize: 16, optimizer: { kind: 'adamw', lr: 1e-2, weightDecay: 0.01 }, profile }, backend);
        try {
          const loss = await head.trainEpoch(x, y, n, order);
          const values: Record<string, Float32Array> = { loss: Float32Array.of(loss) };
          for (const p of head.getState().params) values[p.name] = p.data;
          return { values, ...(profile ? { placement: head.placement('train') } : {}) };
        } finally { await head.release(); }
      },
    },
    {
      name: 'head scoring (float32 and float16 features)', tolerance: 1e-4,
      async run(backend, profile) {
        const head = await HeadModel.create(config, { batchSize: 16, optimizer: { kind: 'adam', lr: 1e-2 }, profile }, backend);
        try {
          await head.trainEpoch(x, y, n, order);
          const half = floatsToHalves(x);
          const probs = await head.predict(x, n);
          for (let i = 0; i < 2; i++) await head.predict(half, n);
          const values = { probs, probsFromHalf: await head.predict(half, n) };
          return { values, ...(profile ? { placement: head.placement('scoring') } : {}) };
        } finally { await head.release(); }
      },
    },
  ];
}

export interface RobertaFixture { config: RobertaConfig; weights: RobertaWeights; tokenizer: RobertaTokenizer; texts: string[] }

/** The encoder per precision (fp16 compared with the CPU's fp32), and fine-tuning steps of every layer. */
export function robertaCases(m: RobertaFixture, precisions: readonly Precision[]): GraphCase[] {
  const cases: GraphCase[] = precisions.map((precision) => ({
    name: `roberta encoder (${precision})`,
    // Half precision rounds each activation to 11 bits; int8 quantizes them (a CPU-only option).
    tolerance: precision === 'fp16' ? 0.05 : precision === 'int8' ? 0.5 : 1e-4,
    async run(backend, profile) {
      const p = backend.device === 'cpu' && precision === 'fp16' ? 'fp32' : precision;
      const encoder = await RobertaEncoder.create(backend, m, { precision: p, batchSize: 4, profile });
      try {
        const r = await encoder.encode(m.texts);
        await encoder.encode(m.texts);
        return { values: { cls: r.embeddings, ...(r.logits ? { logits: r.logits } : {}) }, ...(profile ? { placement: encoder.placement() } : {}) };
      } finally { await encoder.release(); }
    },
  }));
  cases.push({
    name: 'roberta fine-tuning step (all layers, AdamW)', tolerance: 2e-4,
    async run(backend, profile) {
      const tuner = await RobertaFineTuner.create(backend, m.config, m.weights, { topLayers: m.config.numHiddenLayers, optimizer: { kind: 'adamw', lr: 1e-3 }, profile });
      try {
        const batch = m.tokenizer.encodeBatch(m.texts.slice(0, 4));
        const losses: number[] = [];
        for (let i = 0; i < 3; i++) losses.push(await tuner.step(batch, [0, 1, 2, 3].slice(0, batch.batch)));
        const w = await tuner.weights();
        const top = w.layers[w.layers.length - 1]!;
        return {
          values: { losses: Float32Array.from(losses), query: top.query.weight.data, output: top.output.weight.data, head: w.head!.outProj.weight.data },
          ...(profile ? { placement: tuner.placement() } : {}),
        };
      } finally { await tuner.release(); }
    },
  });
  return cases;
}

/** A graph given as model bytes and feeds, compared output by output. */
export function modelCase(name: string, tolerance: number, model: () => Uint8Array, feeds: () => Feeds, outputs: readonly string[]): GraphCase {
  return {
    name, tolerance,
    async run(backend, profile) {
      const s = await backend.session(model(), name, { profile });
      try {
        let out: Record<string, Tensor> = {};
        for (let i = 0; i < (profile ? 3 : 1); i++) out = await s.run(feeds());
        const values: Record<string, Float32Array> = {};
        for (const o of outputs) values[o] = out[o]!.float32;
        return { values, ...(profile ? { placement: s.placement() } : {}) };
      } finally { await s.release(); }
    },
  };
}

/** GPT-2's printable stand-ins for the 256 bytes (byte-level BPE's alphabet). */
function byteAlphabet(): string[] {
  const printable = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  let extra = 0;
  return Array.from({ length: 256 }, (_, b) => String.fromCodePoint(printable(b) ? b : 256 + extra++));
}

/**
 * A small random RoBERTa held in memory (2 layers, hidden 64, 4 heads) with a byte-level tokenizer
 * of RoBERTa's special tokens and the 256 byte symbols (no merges): enough to run every encoder
 * and fine-tuning graph the tool builds, at sizes that take seconds even on a software adapter.
 */
export function doctorRoberta(seed = 5): RobertaFixture {
  const special = ['<s>', '<pad>', '</s>', '<unk>', '<mask>'];
  const vocab: Record<string, number> = {};
  special.forEach((t, i) => { vocab[t] = i; });
  byteAlphabet().forEach((c) => { vocab[c] = Object.keys(vocab).length; });
  const tokenizer = RobertaTokenizer.fromJson({
    version: '1.0', truncation: null, padding: null, normalizer: null,
    added_tokens: special.map((content, id) => ({ id, content, single_word: false, lstrip: content === '<mask>', rstrip: false, normalized: false, special: true })),
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0], trim_offsets: true, add_prefix_space: false },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false, byte_fallback: false, vocab, merges: [] },
  }, { maxTokens: 24 });
  const h = 64, f = 128;
  const config: RobertaConfig = {
    hiddenSize: h, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: f, vocabSize: Object.keys(vocab).length,
    maxPositionEmbeddings: 26, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1, numLabels: 4, hiddenAct: 'gelu',
  };
  let k = seed;
  const tensor = (shape: number[], scale: number, mean = 0) => ({ shape, data: randomFloats(shape.reduce((a, b) => a * b, 1), k++, scale).map((v) => v + mean) });
  const linear = (out: number, inp: number) => ({ weight: tensor([out, inp], 0.1), bias: tensor([out], 0.02) });
  const norm = () => ({ weight: tensor([h], 0.1, 1), bias: tensor([h], 0.05) });
  const weights: RobertaWeights = {
    wordEmbeddings: tensor([config.vocabSize, h], 0.5), positionEmbeddings: tensor([config.maxPositionEmbeddings, h], 0.3),
    tokenTypeEmbeddings: tensor([1, h], 0.3), embeddingsLayerNorm: norm(),
    layers: Array.from({ length: config.numHiddenLayers }, () => ({
      query: linear(h, h), key: linear(h, h), value: linear(h, h), attentionOutput: linear(h, h), attentionLayerNorm: norm(),
      intermediate: linear(f, h), output: linear(h, f), outputLayerNorm: norm(),
    })),
    head: { dense: linear(h, h), outProj: linear(config.numLabels, h) },
  };
  const texts = [
    'This could lead to a SQL injection if the name comes from the request.',
    'Nit: rename',
    'Please sanitize this input before rendering it, otherwise we are open to XSS.',
    'LGTM <pad> thanks!',
    'Why not use the constant-time comparison here? Timing attacks on the token check are real.',
    'ok',
  ];
  return { config, weights, tokenizer, texts };
}
