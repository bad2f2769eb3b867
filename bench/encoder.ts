/**
 * RoBERTa encoder throughput on this CPU: a random roberta-base-sized model (12 layers, hidden 768,
 * 12 heads, FFN 3072, vocabulary 50265) run through onnxruntime as built by
 * python-free-train/roberta. Prints JSON:
 * - texts/s at 64 tokens, batch 32, fp32 and dynamic int8;
 * - texts/s on real review comments (../shared/data/paper-labels-it1-5.jsonl, read at run time)
 *   sorted by length and padded per batch to the longest text, fp32 and int8;
 * - the CPU's matmul FLOP rate (one large MatMul through onnxruntime) and fp32's share of it;
 * - peak resident memory.
 * - seconds per fine-tuning step (forward, gradients of the head and the top K layers, AdamW) on
 *   a batch of 16 real texts, for K = 0, 1, 2.
 * Options: --threads N (default 2), --texts N (real texts, default 256), --runs N (default 3),
 *          --layers N (default 12, fewer for a quick look), --finetune-layers K,K,... (default
 *          0,1,2; "none" skips), --device cpu|cuda|auto (default cpu; cuda needs the CUDA provider,
 *          see the README).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Backend, DEVICE_CHOICES, type DeviceChoice, Tensor } from '../python-free-train/backend';
import { Graph } from '../python-free-train/graph/ops';
import { toModelBytes } from '../python-free-train/graph/serialize';
import type { RobertaConfig } from '../python-free-train/roberta/config';
import { type Precision, RobertaEncoder } from '../python-free-train/roberta/encoder';
import { RobertaFineTuner } from '../python-free-train/roberta/fineTune';
import { randomRobertaWeights, robertaTokenizerJson } from '../python-free-train/roberta/fixtures';
import { RobertaTokenizer } from '../python-free-train/roberta/tokenizer';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const threads = flag('threads', 2), realTexts = flag('texts', 256), runs = flag('runs', 3), layers = flag('layers', 12);
const finetuneArg = args.includes('--finetune-layers') ? args[args.indexOf('--finetune-layers') + 1] ?? '' : '0,1,2';
const finetuneLayers = finetuneArg === 'none' ? [] : finetuneArg.split(',').map(Number);
if (finetuneLayers.some((k) => !Number.isInteger(k) || k < 0)) throw new Error(`--finetune-layers: expected K,K,... or none, got "${finetuneArg}"`);
const FINETUNE_BATCH = 16;
const deviceArg = args.includes('--device') ? args[args.indexOf('--device') + 1] ?? '' : 'cpu';
if (!(DEVICE_CHOICES as readonly string[]).includes(deviceArg)) throw new Error(`--device must be one of ${DEVICE_CHOICES.join(', ')}, got "${deviceArg}"`);
const device = deviceArg as DeviceChoice;
const root = path.resolve(__dirname, '..');
const DATA = path.resolve(root, '../shared/data/paper-labels-it1-5.jsonl');

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

/** Multiply-adds x 2 of one text of `tokens` tokens through the encoder (linear layers and attention). */
function flopsPerText(c: RobertaConfig, tokens: number): number {
  const h = c.hiddenSize, f = c.intermediateSize;
  const linear = 2 * tokens * (4 * h * h + 2 * h * f);
  const attention = 2 * 2 * tokens * tokens * h;
  return c.numHiddenLayers * (linear + attention);
}

async function matmulPeak(backend: Backend): Promise<{ gflops: number; shape: number[] }> {
  const [m, k, n] = [2048, 768, 3072];
  const g = new Graph('peak');
  const a = g.input('a', 'float32', [m, k]);
  const b = g.initializer('b', 'float32', [k, n], Float32Array.from({ length: k * n }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5));
  const session = await backend.session(toModelBytes(g, { outputs: { y: g.matmul(a, b) } }), 'matmul peak');
  const feeds = { a: Tensor.float32(Float32Array.from({ length: m * k }, (_, i) => ((i * 104729) % 1000) / 1000 - 0.5), [m, k]) };
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
  const batch = tokenizer.encodeBatch(Array.from({ length: 32 }, (_, i) => `security review comment number ${i} `.repeat(20)));
  if (batch.seqLen !== 64 || batch.lengths.some((n) => n !== 64)) throw new Error('bench: expected 32 texts of 64 tokens');
  await encoder.runBatch(batch);
  let best = Infinity;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    await encoder.runBatch(batch);
    best = Math.min(best, seconds(t0));
  }
  return 32 / best;
}

async function main(): Promise<void> {
  const config: RobertaConfig = {
    hiddenSize: 768, numHiddenLayers: layers, numAttentionHeads: 12, intermediateSize: 3072, vocabSize: 50265,
    maxPositionEmbeddings: 514, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1, numLabels: 4, hiddenAct: 'gelu',
  };
  const weights = randomRobertaWeights(config, 1, 0.02);
  const tokenizer = RobertaTokenizer.fromJson(robertaTokenizerJson(50256));
  const backend = await Backend.create({ device, threads });
  const peak = await matmulPeak(backend);

  const texts: string[] = [];
  if (existsSync(DATA)) {
    for (const line of readFileSync(DATA, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const body = (JSON.parse(line) as { body?: unknown }).body;
      if (typeof body === 'string') texts.push(body);
      if (texts.length >= realTexts) break;
    }
  }
  const meanTokens = texts.length ? texts.reduce((s, t) => s + tokenizer.encode(t).length, 0) / texts.length : 0;

  const results: Record<string, unknown> = {};
  for (const precision of ['fp32', 'int8'] as Precision[]) {
    const t0 = process.hrtime.bigint();
    const encoder = await RobertaEncoder.create(backend, { config, weights, tokenizer }, { precision, batchSize: 32 });
    const buildSeconds = seconds(t0);
    const at64 = await fixedLength(encoder, tokenizer);
    let dynamic: number | null = null;
    if (texts.length) {
      await encoder.encode(texts.slice(0, 32));
      const t1 = process.hrtime.bigint();
      await encoder.encode(texts);
      dynamic = texts.length / seconds(t1);
    }
    results[precision] = {
      textsPerSecondAt64TokensBatch32: round(at64),
      textsPerSecondRealTextsDynamicPadding: dynamic === null ? null : round(dynamic),
      hoursPerMillionRealTexts: dynamic === null ? null : round(1e6 / dynamic / 3600),
      effectiveGflopsAt64: round((at64 * flopsPerText(config, 64)) / 1e9),
      modelBuildSeconds: round(buildSeconds),
    };
    await encoder.release();
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
  const fp32 = results.fp32 as { effectiveGflopsAt64: number };
  process.stdout.write(`${JSON.stringify({
    benchmark: 'encoder',
    model: { layers: config.numHiddenLayers, hidden: 768, heads: 12, ffn: 3072, vocab: 50265, random: true },
    backend: backend.describe(),
    threads,
    runs,
    realTexts: { file: texts.length ? '../shared/data/paper-labels-it1-5.jsonl' : null, count: texts.length, meanTokens: round(meanTokens), maxTokens: 64 },
    matmulPeakGflops: round(peak.gflops),
    matmulPeakShape: peak.shape,
    ...results,
    fp32ShareOfMatmulPeak: round(fp32.effectiveGflopsAt64 / peak.gflops),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    note: `${threads} onnxruntime threads on a ${os.cpus().length}-core machine shared with other jobs: figures are lower bounds`,
  }, null, 2)}\n`);
}

function round(x: number): number { return Math.round(x * 100) / 100; }

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
