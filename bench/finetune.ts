/**
 * Fine-tuning throughput: one epoch of the top K encoder layers and the classification head of a
 * random roberta-base-sized model over N labeled review texts (cycled from the paper's data or the
 * demo reviews), mini-batches of B texts of at most 64 tokens, AdamW with dropout 0.1, as the
 * trainer runs it (trained tensors and optimizer state stay on the device between steps).
 * Prints JSON: build and first-step seconds, seconds per epoch, texts/s, the loss at the start and
 * end, the device (with its adapter), and with --placement where the step graph's nodes ran.
 * Usage: npm run bench -- finetune [--device cpu|webgpu|...] [--texts 4000] [--batch 32]
 *        [--finetune-layers 12] [--layers 12] [--epochs 1] [--placement] [--threads N]
 * On a 2-core CPU a full-size epoch takes hours: try --layers 2 --texts 64 there.
 */
import os from 'node:os';
import { RobertaFineTuner } from '../python-free-train/roberta/fineTune';
import { randomRobertaWeights, robertaTokenizerJson } from '../test/helpers/robertaFixtures';
import { RobertaTokenizer } from '../python-free-train/roberta/tokenizer';
import { args, backendFromFlags, flag, note, printJson, reviewTexts, robertaBaseConfig, round, seconds } from './_common';

async function main(): Promise<void> {
  const textsCount = flag('texts', 4000), batchSize = flag('batch', 32), layers = flag('layers', 12);
  const trainedLayers = Math.min(flag('finetune-layers', layers), layers), epochs = flag('epochs', 1);
  const backend = await backendFromFlags();
  const config = robertaBaseConfig(layers);
  const weights = randomRobertaWeights(config, 1, 0.02);
  const tokenizer = RobertaTokenizer.fromJson(robertaTokenizerJson(50256));
  const data = reviewTexts(textsCount);
  const batches = [];
  for (let start = 0; start < data.texts.length; start += batchSize) {
    const end = Math.min(data.texts.length, start + batchSize);
    batches.push({ batch: tokenizer.encodeBatch(data.texts.slice(start, end)), labels: data.labels.slice(start, end) });
  }
  const meanTokens = batches.reduce((s, b) => s + b.batch.lengths.reduce((a, n) => a + n, 0), 0) / data.texts.length;

  let t0 = process.hrtime.bigint();
  const tuner = await RobertaFineTuner.create(backend, config, weights, { topLayers: trainedLayers, optimizer: { kind: 'adamw', lr: 2e-5, weightDecay: 0.01 }, dropout: 0.1 });
  const buildSeconds = seconds(t0);
  note('built', { device: backend.info().detail, buildSeconds });
  t0 = process.hrtime.bigint();
  await tuner.step(batches[0]!.batch, batches[0]!.labels);
  const firstStepSeconds = seconds(t0);
  note('first step', { firstStepSeconds });

  const epochSeconds: number[] = [];
  const losses: number[] = [];
  let stepSeconds = Infinity;
  for (let e = 0; e < epochs; e++) {
    let sum = 0;
    t0 = process.hrtime.bigint();
    for (const b of batches) {
      const t1 = process.hrtime.bigint();
      sum += (await tuner.step(b.batch, b.labels)) * b.labels.length;
      stepSeconds = Math.min(stepSeconds, seconds(t1));
      if (b === batches[9]) note('10 steps', { seconds: seconds(t0), bestStepSeconds: stepSeconds });
    }
    epochSeconds.push(seconds(t0));
    note('epoch', { seconds: epochSeconds.at(-1) });
    losses.push(sum / data.texts.length);
  }
  await tuner.release();

  let placement;
  if (args.includes('--placement')) {
    // Where nodes run does not depend on how many layers repeat: two keep the profiled build short.
    const small = robertaBaseConfig(Math.min(2, layers));
    const profiled = await RobertaFineTuner.create(backend, small, randomRobertaWeights(small, 1, 0.02),
      { topLayers: Math.min(2, trainedLayers), optimizer: { kind: 'adamw', lr: 2e-5 }, dropout: 0.1, profile: true });
    for (const b of batches.slice(0, 4)) await profiled.step(b.batch, b.labels);
    placement = profiled.placement();
    await profiled.release();
  }
  const best = Math.min(...epochSeconds);
  printJson({
    benchmark: 'finetune',
    device: backend.info(),
    model: { layers, trainedLayers, hidden: 768, heads: 12, ffn: 3072, vocab: 50265, random: true },
    texts: { file: data.file, count: data.texts.length, meanTokens: round(meanTokens), maxTokens: 64 },
    batch: batchSize, steps: batches.length, optimizer: 'adamw', dropout: 0.1,
    buildSeconds: round(buildSeconds), firstStepSeconds: round(firstStepSeconds),
    epochSeconds: epochSeconds.map((s) => round(s)), bestStepSeconds: round(stepSeconds, 4),
    textsPerSecond: round(data.texts.length / best),
    meanLossPerEpoch: losses.map((l) => round(l, 4)),
    target: { epochSecondsFor4000TextsAll12Layers: 60 },
    ...(placement ? { placement } : {}),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '' },
  });
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
