import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { resolvePrecision } from '../../../python-free-train/roberta/precision';
import { Predictor } from '../../../python-free-train/trainer/predictor';
import { paperWorkspace, needsPaperData } from './helpers';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[]; progress: string[] }> {
  const out: string[] = [], err: string[] = [], progress: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: (t) => progress.push(t) });
  return { code, out, err, progress };
}

interface TrainReport {
  model: { version: string; representation: string; scoredRows: number; embedding?: { cached: number; computed: number }; representationFingerprint: string };
  batch: { size: number };
}

/** Sizes of the embedding cache's chunk files, by name. */
function cacheChunks(folder: string): Record<string, number> {
  const root = path.join(folder, '.secreview', 'cache', 'embeddings');
  const out: Record<string, number> = {};
  for (const fp of readdirSync(root)) for (const f of readdirSync(path.join(root, fp))) out[`${fp}/${f}`] = statSync(path.join(root, fp, f)).size;
  return out;
}

test('secreview train --representation roberta: model, pool scores and batch; the second run reads every embedding from the cache; predict scores new text', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(300);
  const poolSize = ws.pool.size;
  await ws.close();
  const modelDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-tiny-roberta-'));
  try {
    await writeTinyRoberta(modelDir, { seed: 5, bpeTokens: 600, hidden: 16, layers: 1, heads: 2, intermediate: 32 });
    const args = ['train', '--json', '--representation', 'roberta', '--model', modelDir, '--epochs', '2', '--size', '20', '--max-tokens', '32'];
    const first = await cli(folder, ...args);
    assert.equal(first.code, 0, first.err.join('\n'));
    const r1 = JSON.parse(first.out.join('\n')) as TrainReport;
    assert.equal(r1.model.version, 'm0001');
    assert.equal(r1.model.representation, 'roberta');
    assert.equal(r1.model.scoredRows, poolSize);
    assert.equal(r1.batch.size, 20);
    const scores = path.join(folder, '.secreview', 'models', 'm0001', 'scores.bin');
    assert.equal(statSync(scores).size, poolSize * 4 * 4);
    const probs = new Float32Array(new Uint8Array(readFileSync(scores)).buffer);
    assert.ok(Math.abs(probs[0]! + probs[1]! + probs[2]! + probs[3]! - 1) < 1e-4);
    const stored = JSON.parse(readFileSync(path.join(folder, '.secreview', 'models', 'm0001', 'representation.json'), 'utf8')) as Record<string, unknown>;
    // No --precision: auto, which records the precision it picked and says why.
    const auto = resolvePrecision('auto');
    assert.deepEqual(stored, { id: 'roberta', model: modelDir, maxTokens: 32, precision: auto.precision });
    assert.ok(first.progress.some((l) => l.includes(auto.reason)), `the run says why: ${first.progress.slice(0, 5).join(' | ')}`);
    // First run: every distinct body embedded once (labeled texts are read back when the pool is scored).
    const e1 = r1.model.embedding!;
    assert.ok(e1.computed > 0 && e1.computed <= poolSize, JSON.stringify(e1));
    assert.equal(e1.cached + e1.computed, 300 + poolSize);
    const chunks = cacheChunks(folder);
    assert.ok(Object.keys(chunks).some((k) => k.startsWith(`${r1.model.representationFingerprint}/chunk-`)));

    // Second run: nothing embedded again, the cache is unchanged.
    const second = await cli(folder, ...args);
    assert.equal(second.code, 0, second.err.join('\n'));
    const r2 = JSON.parse(second.out.join('\n')) as TrainReport;
    assert.equal(r2.model.version, 'm0002');
    assert.deepEqual(r2.model.embedding, { cached: 300 + poolSize, computed: 0 });
    assert.deepEqual(cacheChunks(folder), chunks);
    assert.equal(r2.model.representationFingerprint, r1.model.representationFingerprint);

    writeFileSync(path.join(folder, 'new.jsonl'), `${JSON.stringify({ id: 7, body: 'This allows SQL injection.', html_url: 'https://github.com/o/r/pull/1#discussion_r7' })}\n`);
    const predicted = await cli(folder, 'predict', 'new.jsonl');
    assert.equal(predicted.code, 0, predicted.err.join('\n'));
    const row = JSON.parse(predicted.out[0]!) as { id: string; probs: Record<string, number> };
    assert.deepEqual(Object.keys(row.probs), ['yes', 'no', 'unclear', 'language']);
  } finally {
    cleanup();
    rmSync(modelDir, { recursive: true, force: true });
  }
});

test('roberta without a model: the errors name the setting secreview.model.path and the flag --model, and nothing is recorded', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(50);
  await ws.close();
  const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-empty-cache-'));
  const saved = { cache: process.env.SECREVIEW_CACHE, hub: process.env.HF_ENDPOINT };
  try {
    const missingFolder = await cli(folder, 'train', '--representation', 'roberta', '--model', path.join(cacheDir, 'nothing-here'));
    assert.equal(missingFolder.code, 2);
    assert.match(missingFolder.err.join('\n'), /secreview\.model\.path.*--model/);
    const badSchedule = await cli(folder, 'train', '--representation', 'roberta', '--finetune-layers', '1', '--finetune-schedule', 'step:0.1');
    assert.equal(badSchedule.code, 2);
    assert.match(badSchedule.err.join('\n'), /--finetune-schedule: .*constant, linear, cosine, got "step"/);
    const badOptimizer = await cli(folder, 'train', '--representation', 'roberta', '--finetune-layers', '1', '--finetune-optimizer', 'sgd');
    assert.match(badOptimizer.err.join('\n'), /--finetune-optimizer must be one of adam, adamw, got "sgd"/);
    const decayWithAdam = await cli(folder, 'train', '--representation', 'roberta', '--preset', 'paper', '--finetune-weight-decay', '0.1');
    assert.match(decayWithAdam.err.join('\n'), /--finetune-weight-decay applies to adamw only \(the optimizer is adam, from --preset paper\)/);

    // Offline (the Hub refuses connections) with nothing cached.
    process.env.SECREVIEW_CACHE = cacheDir;
    process.env.HF_ENDPOINT = 'http://127.0.0.1:1';
    const offline = await cli(folder, 'train', '--representation', 'roberta');
    assert.equal(offline.code, 2, offline.err.join('\n'));
    assert.match(offline.err.join('\n'), /not cached.*secreview\.model\.path.*--model/s);
    assert.ok(!existsSync(path.join(folder, '.secreview', 'models', 'm0001')));
  } finally {
    for (const [k, v] of [['SECREVIEW_CACHE', saved.cache], ['HF_ENDPOINT', saved.hub]] as const) {
      if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
    cleanup();
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('--finetune-layers 1: the tuned encoder is kept with the model, the shortlist is re-scored by it, and predict uses it', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(120);
  const poolSize = ws.pool.size;
  const bodies = Array.from({ length: poolSize }, (_, row) => ws.pool.get(row).body);
  await ws.close();
  const modelDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-tiny-roberta-'));
  try {
    await writeTinyRoberta(modelDir, { seed: 6, bpeTokens: 600, hidden: 16, layers: 2, heads: 2, intermediate: 32 });
    const r = await cli(folder, 'train', '--json', '--representation', 'roberta', '--model', modelDir, '--max-tokens', '32', '--epochs', '2', '--size', '10',
      '--finetune-layers', '1', '--finetune-epochs', '2', '--finetune-lr', '0.01', '--shortlist', '40', '--finetune-schedule', 'cosine:0.1');
    assert.equal(r.code, 0, r.err.join('\n'));
    type Finetune = { layers: number; losses: number[]; learningRates: number[]; shortlistRows: number; optimizer: string; schedule: unknown; dropout: number; weightDecay: number };
    const record = (JSON.parse(r.out.join('\n')) as { model: { version: string; finetune: Finetune; representationFingerprint: string } }).model;
    assert.equal(record.finetune.layers, 1);
    assert.equal(record.finetune.losses.length, 2);
    assert.equal(record.finetune.shortlistRows, 40);
    // The defaults (AdamW, dropout 0.1) with the requested schedule, recorded with the model; cosine ends near 0.
    assert.deepEqual({ ...record.finetune, losses: [], learningRates: [], shortlistRows: 0, layers: 0 },
      { losses: [], learningRates: [], shortlistRows: 0, layers: 0, optimizer: 'adamw', schedule: { kind: 'cosine', warmup: 0.1 }, dropout: 0.1, weightDecay: 0.01 });
    assert.equal(record.finetune.learningRates.length, 2);
    assert.ok(record.finetune.learningRates[1]! < 0.01 * 0.2 && record.finetune.learningRates[0]! > record.finetune.learningRates[1]!, `${record.finetune.learningRates}`);
    const dir = path.join(folder, '.secreview', 'models', record.version);
    assert.ok(existsSync(path.join(dir, 'encoder', 'model.safetensors')));
    assert.equal((JSON.parse(readFileSync(path.join(dir, 'representation.json'), 'utf8')) as { model: string }).model, 'encoder');

    // The tuned model (its encoder + its head) reproduces the re-scored rows; the other rows keep the head's scores.
    const predictor = await Predictor.load(dir);
    try {
      assert.equal(predictor.representation.fingerprint(), record.representationFingerprint);
      const p = await predictor.predict(bodies);
      const scores = new Float32Array(new Uint8Array(readFileSync(path.join(dir, 'scores.bin'))).buffer);
      let same = 0;
      for (let row = 0; row < poolSize; row++) {
        let d = 0;
        for (let c = 0; c < 4; c++) d = Math.max(d, Math.abs(p[row * 4 + c]! - scores[row * 4 + c]!));
        if (d < 1e-4) same++;
      }
      assert.ok(same >= 40 && same < poolSize, `${same} of ${poolSize} rows agree with the tuned model`);
    } finally {
      await predictor.release();
    }
  } finally {
    cleanup();
    rmSync(modelDir, { recursive: true, force: true });
  }
});
