/**
 * RoBERTa encoder throughput on this machine's CPU or GPU: a random roberta-base-sized model (12
 * layers, hidden 768, 12 heads, FFN 3072, vocabulary 50265) run through onnxruntime as built by
 * python-free-train/roberta. Prints JSON:
 * - texts/s at 64 tokens, batch 32, per precision (CPU: fp32 and dynamic int8; GPU: fp32 and fp16);
 * - texts/s on real review comments (the paper's labeled reviews when ../shared/data is there, else
 *   the demo reviews) sorted by length and padded per batch to the longest text;
 * - the device's matmul FLOP rate (one large MatMul through onnxruntime) and fp32's share of it;
 * - seconds per fine-tuning step (forward, gradients of the head and the top K layers, AdamW) on
 *   a batch of 16 real texts, for K = 0, 1, 2;
 * - with --placement, where the encoder's nodes ran (GPU or CPU fallback, with time shares);
 * - peak resident memory.
 * Options: --device cpu|webgpu|cuda|dml|coreml|auto (default cpu), --threads N (default 2),
 *          --texts N (real texts, default 256), --runs N (default 3), --batch N (default 32),
 *          --layers N (default 12, fewer for a quick look), --precisions P,P (default by device),
 *          --finetune-layers K,K,... (default 0,1,2; "none" skips), --placement.
 */
import os from 'node:os';
import { Backend, type Feeds, Tensor } from '../python-free-train/backend';
import { Graph } from '../python-free-train/graph/ops';
import { toModelBytes } from '../python-free-train/graph/serialize';
import type { RobertaConfig } from '../python-free-train/roberta/config';
import { PRECISIONS, type Precision, RobertaEncoder } from '../python-free-train/roberta/encoder';
import { RobertaFineTuner } from '../python-free-train/roberta/fineTune';
import { randomRobertaWeights, robertaTokenizerJson } from '../test/helpers/robertaFixtures';
import { RobertaTokenizer } from '../python-free-train/roberta/tokenizer';
import { args, deviceFlag, flag, note, option, reviewTexts, robertaBaseConfig } from './_common';

const threads = flag('threads', 2), realTexts = flag('texts', 256), runs = flag('runs', 3), layers = flag('layers', 12), BATCH = flag('batch', 32);
const finetuneArg = option('finetune-layers', '0,1,2');
const finetuneLayers = finetuneArg === 'none' ? [] : finetuneArg.split(',').map(Number);
if (finetuneLayers.some((k) => !Number.isInteger(k) || k < 0)) throw new Error(`--finetune-layers: expected K,K,... or none, got "${finetuneArg}"`);
const FINETUNE_BATCH = 16;
const device = deviceFlag('cpu');

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Multiply-adds x 2 of one text of `tokens` tokens through the encoder (linear layers and attention). */
function flopsPerText(c: RobertaConfig, tokens: number): number {
  const h = c.hiddenSize, f = c.intermediateSize;
  const linear = 2 * tokens * (4 * h * h + 2 * h * f);
  const attention = 2 * 2 * tokens * tokens * h;
  return c.numHiddenLayers * (linear + attention);
}

/**
 * The matmul rate of the device. On the CPU a [2048, 768] x [768, 3072] product fed from memory;
 * on a GPU a [4096, 4096] square with both operands resident and the result summed on the device,
 * so the bus does not count.
 */
async function matmulPeak(backend: Backend): Promise<{ gflops: number; shape: number[] }> {
  const gpu = backend.device !== 'cpu';
  // A software adapter (tests, CI) runs at CPU speed: a smaller square keeps the run short.
  const side = backend.adapter?.kind === 'software' ? 1024 : 4096;
  const [m, k, n] = gpu ? [side, side, side] : [2048, 768, 3072];
  const g = new Graph('peak');
  const b = g.initializer('b', 'float32', [k, n], Float32Array.from({ length: k * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
  const aData = Float32Array.from({ length: m * k }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5);
  // On a GPU, a scale fed at each run keeps onnxruntime from folding the constant product away.
  const scale = g.input('scale', 'float32', []);
  const a = gpu ? g.mul(g.initializer('a', 'float32', [m, k], aData), scale) : g.input('a', 'float32', [m, k]);
  const product = g.matmul(a, b);
  const session = await backend.session(toModelBytes(g, { outputs: { y: gpu ? g.reduceSum(product) : product }, inputs: gpu ? [scale] : [a] }), 'matmul peak');
  const feeds: Feeds = gpu ? { scale: Tensor.scalar(1) } : { a: Tensor.float32(aData, [m, k]) };
  await session.run(feeds);
  let best = Infinity;
  for (let r = 0; r < Math.max(3, runs); r++) {
    const t0 = process.hrtime.bigint();
    await session.run(feeds);
    best = Math.min(best, seconds(t0));
  }
  await session.release();
  return { gflops: (2 * m * k * n) / best / 1e9, shape: [m, k, n] };
}

async function fixedLength(encoder: RobertaEncoder, tokenizer: RobertaTokenizer): Promise<number> {
  const batch = tokenizer.encodeBatch(Array.from({ length: BATCH }, (_, i) => `security review comment number ${i} `.repeat(20)));
  if (batch.seqLen !== 64 || batch.lengths.some((n) => n !== 64)) throw new Error(`bench: expected ${BATCH} texts of 64 tokens`);
  await encoder.runBatch(batch);
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    await encoder.runBatch(batch);
    best = Math.min(best, seconds(t0));
  }
  return BATCH / best;
}

async function main(): Promise<void> {
  const config = robertaBaseConfig(layers);
  const weights = randomRobertaWeights(config, 1, 0.02);
  const tokenizer = RobertaTokenizer.fromJson(robertaTokenizerJson(50256));
  const backend = await Backend.create({ device, threads });
  note('device', backend.info());
  const peak = await matmulPeak(backend);
  note('matmul peak', peak);

  const data = reviewTexts(realTexts);
  const texts = data.texts;
  const meanTokens = texts.length ? texts.reduce((s, t) => s + tokenizer.encode(t).length, 0) / texts.length : 0;

  const results: Record<string, unknown> = {};
  const defaultPrecisions = backend.device === 'cpu' ? 'fp32,int8' : 'fp32,fp16';
  const precisions = option('precisions', defaultPrecisions).split(',') as Precision[];
  for (const p of precisions) if (!PRECISIONS.includes(p)) throw new Error(`--precisions: each one of ${PRECISIONS.join(', ')}, got "${p}"`);
  for (const precision of precisions) {
    const t0 = process.hrtime.bigint();
    let encoder: RobertaEncoder;
    try {
      encoder = await RobertaEncoder.create(backend, { config, weights, tokenizer }, { precision, batchSize: BATCH });
    } catch (e) {
      results[precision] = { error: (e as Error).message };
      continue;
    }
    const buildSeconds = seconds(t0);
    const at64 = await fixedLength(encoder, tokenizer);
    let dynamic: number | null = null;
    if (texts.length) {
      await encoder.encode(texts.slice(0, BATCH));
      const t1 = process.hrtime.bigint();
      await encoder.encode(texts);
      dynamic = texts.length / seconds(t1);
    }
    note(`${precision} at 64 tokens`, { textsPerSecond: round(at64), dynamic, buildSeconds });
    results[precision] = {
      textsPerSecondAt64TokensBatch32: round(at64),
      textsPerSecondRealTextsDynamicPadding: dynamic === null ? null : round(dynamic),
      hoursPerMillionRealTexts: dynamic === null ? null : round(1e6 / dynamic / 3600),
      effectiveGflopsAt64: round((at64 * flopsPerText(config, 64)) / 1e9),
      modelBuildSeconds: round(buildSeconds),
    };
    await encoder.release();
    if (args.includes('--placement')) {
      const profiled = await RobertaEncoder.create(backend, { config, weights, tokenizer }, { precision, batchSize: BATCH, profile: true });
      await profiled.encode(texts.slice(0, 3 * BATCH));
      (results[precision] as Record<string, unknown>).placement = profiled.placement();
      await profiled.release();
    }
  }
  const finetune: Record<string, unknown>[] = [];
  for (const k of finetuneLayers) {
    const tuner = await RobertaFineTuner.create(backend, config, weights, { topLayers: k, optimizer: { kind: 'adamw', lr: 2e-5 }, dropout: 0.1 });
    const sample = (texts.length ? texts : ['a security review comment']).slice(0, FINETUNE_BATCH);
    while (sample.length < FINETUNE_BATCH) sample.push(sample[sample.length % Math.max(1, texts.length)] ?? 'text');
    const batch = tokenizer.encodeBatch(sample);
    const labels = sample.map((_, i) => i % config.numLabels);
    await tuner.step(batch, labels);
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      await tuner.step(batch, labels);
      best = Math.min(best, seconds(t0));
    }
    finetune.push({ topLayers: k, batch: FINETUNE_BATCH, seqLen: batch.seqLen, secondsPerStep: round(best), textsPerSecond: round(FINETUNE_BATCH / best) });
    await tuner.release();
  }
  if (finetune.length) results.finetune = finetune;
  // Measured again after the encoders: on a shared machine the best of both is the fairer peak.
  const peakAfter = await matmulPeak(backend);
  peak.gflops = Math.max(peak.gflops, peakAfter.gflops);
  const fp32 = results.fp32 as { effectiveGflopsAt64?: number } | undefined;
  process.stdout.write(`${JSON.stringify({
    benchmark: 'encoder',
    model: { layers: config.numHiddenLayers, hidden: 768, heads: 12, ffn: 3072, vocab: 50265, random: true },
    backend: backend.describe(),
    device: backend.info(),
    batch: BATCH,
    threads,
    runs,
    realTexts: { file: data.file, count: texts.length, meanTokens: round(meanTokens), maxTokens: 64 },
    matmulPeakGflops: round(peak.gflops),
    matmulPeakShape: peak.shape,
    ...results,
    fp32ShareOfMatmulPeak: fp32?.effectiveGflopsAt64 ? round(fp32.effectiveGflopsAt64 / peak.gflops) : null,
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '' },
    note: backend.device === 'cpu' ? `${threads} onnxruntime threads on a ${os.cpus().length}-core machine: on a shared machine figures are lower bounds` : undefined,
  }, null, 2)}\n`);
}

function round(x: number): number { return Math.round(x * 100) / 100; }

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
