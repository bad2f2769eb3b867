/**
 * Fine-tuning the head and the top K encoder layers through the ONNX train step: the loss falls
 * on a small labeled set, frozen layers stay as they were, and the exported weights give the
 * same logits in the plain TypeScript reference as in the trained graph, also once saved in
 * Hugging Face layout and loaded back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Backend } from '../../../python-free-train/backend';
import { randomRobertaWeights, robertaTokenizerJson, tinyRobertaConfig } from '../../helpers/robertaFixtures';
import { RobertaEncoder } from '../../../python-free-train/roberta/encoder';
import { RobertaFineTuner, initialHead, isTrainable } from '../../../python-free-train/roberta/fineTune';
import { mlpParamsFromHead } from '../../../python-free-train/roberta/headBridge';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { FINETUNE_DEFAULTS, PAPER_PRESET, fineTuneRoberta, type FineTuneRequest } from '../../../python-free-train/trainer/finetune';
import { type LrSchedule, learningRateAt } from '../../../src/core/schedule';
import { loadRobertaModel } from '../../../python-free-train/roberta/model';
import { saveRobertaModel } from '../../../python-free-train/roberta/save';
import { robertaForwardReference } from '../../helpers/robertaReference';
import { RobertaTokenizer } from '../../../python-free-train/roberta/tokenizer';

const DATA: [string, number][] = [
  ['This is vulnerable to SQL injection through the id parameter', 0],
  ['nit: rename this variable', 1],
  ['The token is compared with == which leaks timing', 0],
  ['Please add a unit test for this branch', 1],
  ['User input reaches the shell command unescaped', 0],
  ['Typo in the comment', 1],
  ['Possible XSS: the title is rendered as raw HTML', 0],
  ['Can we move this helper to utils?', 1],
];

describe('roberta fine-tuning (head + top K layers)', () => {
  it('selects the top K layers and the head as trainable', () => {
    assert.ok(isTrainable('head.dense.weight', 12, 0));
    assert.ok(!isTrainable('layer.11.query.weight', 12, 0));
    assert.ok(isTrainable('layer.10.output_norm.bias', 12, 2));
    assert.ok(!isTrainable('layer.9.query.weight', 12, 2));
    assert.ok(!isTrainable('embeddings.word', 12, 12));
  });

  it('lowers the loss, keeps frozen layers, and exports weights the reference agrees with', async () => {
    const config = tinyRobertaConfig({ layers: 2, hidden: 32, heads: 4, intermediate: 64, bpeTokens: 1000, numLabels: 2 });
    const original = randomRobertaWeights(config, 9, 0.2, false);
    const tokenizer = RobertaTokenizer.fromJson(robertaTokenizerJson(1000));
    const backend = await Backend.create({ device: 'cpu', threads: 1 });
    const tuner = await RobertaFineTuner.create(backend, config, original, { topLayers: 1, optimizer: { kind: 'adamw', lr: 3e-3 } });
    const batch = tokenizer.encodeBatch(DATA.map(([t]) => t));
    const labels = DATA.map(([, y]) => y);
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) losses.push(await tuner.step(batch, labels));
    assert.ok(losses[0]! > 0.5, `initial loss ${losses[0]}`);
    assert.ok(losses.at(-1)! < 0.1 * losses[0]!, `loss went from ${losses[0]} to ${losses.at(-1)}`);

    const tuned = await tuner.weights();
    assert.equal(tuned.layers[0]!.query.weight, original.layers[0]!.query.weight, 'layer 0 is frozen');
    assert.notDeepEqual(Array.from(tuned.layers[1]!.query.weight.data), Array.from(original.layers[1]!.query.weight.data));
    const ref = robertaForwardReference(config, tuned, batch);
    let correct = 0;
    for (let i = 0; i < DATA.length; i++) if ((ref.logits![2 * i]! > ref.logits![2 * i + 1]! ? 0 : 1) === labels[i]) correct++;
    assert.equal(correct, DATA.length, 'the exported weights classify the training texts');
    // One more step reports the loss of the current weights: the reference must agree.
    let refLoss = 0;
    for (let i = 0; i < DATA.length; i++) {
      const a = ref.logits![2 * i]!, b = ref.logits![2 * i + 1]!;
      const m = Math.max(a, b), lse = m + Math.log(Math.exp(a - m) + Math.exp(b - m));
      refLoss += lse - (labels[i] === 0 ? a : b);
    }
    const graphLoss = await tuner.step(batch, labels, 0);
    assert.ok(Math.abs(graphLoss - refLoss / DATA.length) < 1e-4, `graph loss ${graphLoss}, reference ${refLoss / DATA.length}`);
    await tuner.release();

    // Saved in Hugging Face layout and loaded back, the tuned model scores as it trained.
    const dir = await mkdtemp(path.join(os.tmpdir(), 'secreview-tuned-'));
    try {
      await saveRobertaModel(dir, config, tuned, { tokenizerJson: robertaTokenizerJson(1000) });
      const loaded = await loadRobertaModel(dir);
      const encoder = await RobertaEncoder.create(backend, loaded);
      const { logits } = await encoder.encode(DATA.map(([t]) => t));
      for (let i = 0; i < logits!.length; i++) assert.ok(Math.abs(logits![i]! - ref.logits![i]!) < 1e-4);
      await encoder.release();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('with dropout: masks change from step to step and the loss still falls', async () => {
    const config = tinyRobertaConfig({ layers: 2, hidden: 32, heads: 4, intermediate: 64, bpeTokens: 1000, numLabels: 2 });
    const tokenizer = RobertaTokenizer.fromJson(robertaTokenizerJson(1000));
    const backend = await Backend.create({ device: 'cpu', threads: 1 });
    const tuner = await RobertaFineTuner.create(backend, config, randomRobertaWeights(config, 9, 0.2, false),
      { topLayers: 2, dropout: 0.1, seed: 5, optimizer: { kind: 'adamw', lr: 3e-3 } });
    const batch = tokenizer.encodeBatch(DATA.map(([t]) => t));
    const labels = DATA.map(([, y]) => y);
    const a = await tuner.step(batch, labels, 0), b = await tuner.step(batch, labels, 0);
    assert.notEqual(a, b, 'same weights, different dropout masks, different losses');
    const losses: number[] = [];
    for (let i = 0; i < 40; i++) losses.push(await tuner.step(batch, labels));
    const tail = losses.slice(-5).reduce((s, x) => s + x, 0) / 5;
    assert.ok(tail < 0.3 * a, `loss went from ${a} to ${tail}`);
    await tuner.release();
  });

  it('a whole fine-tuning run follows its learning-rate schedule: warmup, decay, and the paper preset constant', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'secreview-schedule-'));
    const backend = await Backend.create({ device: 'cpu', threads: 1 });
    try {
      const tiny = await writeTinyRoberta(path.join(dir, 'base'), { layers: 2, hidden: 32, heads: 4, intermediate: 64, bpeTokens: 1000, head: false });
      const head = mlpParamsFromHead(initialHead({ ...tiny.config, numLabels: 2 }, 3));
      const run = (schedule: LrSchedule, optimizer: 'adam' | 'adamw', out: string) => fineTuneRoberta({
        backend, folder: tiny.dir, maxTokens: 32, precision: 'fp32', layers: 1, epochs: 4, learningRate: 5e-3,
        optimizer, weightDecay: optimizer === 'adamw' ? 0.01 : 0, dropout: 0, schedule, miniBatch: 3, seed: 7,
        texts: DATA.map(([t]) => t), labels: Int32Array.from(DATA, ([, y]) => y), head, classes: 2,
        outDir: path.join(dir, out), shortlist: [], signal: new AbortController().signal,
      } satisfies FineTuneRequest);
      // 8 texts in batches of 3: 3 steps per epoch, 12 in all; each epoch reports its last step's rate.
      const linear = await run({ kind: 'linear', warmup: 0.25 }, 'adamw', 'linear');
      assert.deepEqual(linear.learningRates, [3, 6, 9, 12].map((s) => learningRateAt(5e-3, { kind: 'linear', warmup: 0.25 }, s, 12)));
      assert.equal(linear.learningRates[0], 5e-3, 'warmup (3 steps) ends with the first epoch');
      assert.ok(linear.learningRates[3]! < linear.learningRates[1]!, 'then the rate decays');
      assert.ok(linear.losses.at(-1)! < linear.losses[0]!, `loss fell: ${linear.losses.join(', ')}`);

      const constant = await run(PAPER_PRESET.finetuneSchedule, PAPER_PRESET.finetuneOptimizer, 'constant');
      assert.deepEqual(constant.learningRates, [5e-3, 5e-3, 5e-3, 5e-3]);
      // The schedule reaches the optimizer: same data, seed and start, different weights.
      assert.notDeepEqual(Array.from(constant.head[0]!.data), Array.from(linear.head[0]!.data));
      assert.deepEqual(FINETUNE_DEFAULTS.schedule, { kind: 'linear', warmup: 0.06 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
