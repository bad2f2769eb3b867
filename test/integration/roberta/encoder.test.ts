/**
 * The encoder graph run by onnxruntime against the plain TypeScript reference, on tiny random
 * RoBERTa models written in Hugging Face layout; int8 against fp32; batching and padding.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Backend } from '../../../python-free-train/backend';
import { RobertaEncoder } from '../../../python-free-train/roberta/encoder';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { type RobertaModel, loadRobertaModel } from '../../../python-free-train/roberta/model';
import { robertaForwardReference } from '../../helpers/robertaReference';

const TEXTS = [
  'This could lead to a SQL injection if `name` comes from the request.',
  'nit: typo',
  'Why not use `crypto.timingSafeEqual` here? Comparing tokens with === leaks timing.',
  'LGTM',
  'Ça ne marche pas avec des caractères non ASCII — 日本語のテキスト',
  'x'.repeat(50) + ' ' + 'word '.repeat(100),
];

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('roberta encoder graph', () => {
  let dir: string;
  let model: RobertaModel;
  let backend: Backend;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'secreview-roberta-'));
    await writeTinyRoberta(dir, { seed: 7 });
    model = await loadRobertaModel(dir);
    backend = await Backend.create({ device: 'cpu', threads: 1 });
  });
  after(async () => { await rm(dir, { recursive: true, force: true }); });

  it('fp32 matches the TypeScript reference within 1e-4 (embeddings and logits, padded batch)', async () => {
    const encoder = await RobertaEncoder.create(backend, model, { precision: 'fp32' });
    const batch = model.tokenizer.encodeBatch(TEXTS);
    assert.ok(batch.seqLen === 64 && batch.lengths.some((n) => n < 10), 'the batch mixes long and short texts');
    const got = await encoder.runBatch(batch);
    const want = robertaForwardReference(model.config, model.weights, batch);
    const dEmb = maxAbsDiff(got.embeddings, want.cls);
    const dLogits = maxAbsDiff(got.logits!, want.logits!);
    assert.ok(dEmb < 1e-4, `embeddings differ by ${dEmb}`);
    assert.ok(dLogits < 1e-4, `logits differ by ${dLogits}`);
    assert.ok(maxAbsDiff(want.logits!.subarray(0, 4), want.logits!.subarray(4, 8)) > 1e-2, 'different texts give different logits');
    await encoder.release();
  });

  it('a review that writes <s>, </s>, <pad>, <unk> and <mask> literally: special ids, positions as Hugging Face numbers them', async () => {
    const encoder = await RobertaEncoder.create(backend, model, { precision: 'fp32' });
    const review = 'Escape <s>, </s>, <pad>, <unk> and <mask> before they reach the HTML template.';
    const batch = model.tokenizer.encodeBatch([review, TEXTS[1]!]);
    const ids = Array.from(batch.inputIds.subarray(0, batch.lengths[0]!), Number);
    for (const id of [0, 1, 2, 3, model.config.vocabSize - 1]) assert.ok(ids.slice(1, -1).includes(id), `special id ${id} inside the text`);
    const got = await encoder.runBatch(batch);
    const want = robertaForwardReference(model.config, model.weights, batch);
    assert.ok(maxAbsDiff(got.embeddings, want.cls) < 1e-4, `embeddings differ by ${maxAbsDiff(got.embeddings, want.cls)}`);
    assert.ok(maxAbsDiff(got.logits!, want.logits!) < 1e-4, `logits differ by ${maxAbsDiff(got.logits!, want.logits!)}`);
    // Alone or beside a shorter text, the review gets the same vector: its <pad> is a token, not padding.
    const alone = await encoder.runBatch(model.tokenizer.encodeBatch([review]));
    assert.ok(maxAbsDiff(alone.embeddings, got.embeddings.subarray(0, model.config.hiddenSize)) < 1e-5);
    await encoder.release();
  });

  it('int8 agrees with fp32: embedding cosine >= 0.98 per text, logits within 0.25', async () => {
    const fp32 = await RobertaEncoder.create(backend, model, { precision: 'fp32' });
    const int8 = await RobertaEncoder.create(backend, model, { precision: 'int8' });
    const batch = model.tokenizer.encodeBatch(TEXTS);
    const a = await fp32.runBatch(batch), b = await int8.runBatch(batch);
    const H = model.config.hiddenSize;
    for (let t = 0; t < TEXTS.length; t++) {
      const x = a.embeddings.subarray(t * H, (t + 1) * H), y = b.embeddings.subarray(t * H, (t + 1) * H);
      let dot = 0, nx = 0, ny = 0;
      for (let i = 0; i < H; i++) { dot += x[i]! * y[i]!; nx += x[i]! ** 2; ny += y[i]! ** 2; }
      const cosine = dot / Math.sqrt(nx * ny);
      assert.ok(cosine >= 0.98, `text ${t}: cosine ${cosine}`);
    }
    const d = maxAbsDiff(a.logits!, b.logits!);
    assert.ok(d < 0.25, `logits differ by ${d}`);
    assert.ok(d > 0, 'int8 really quantizes');
    await fp32.release(); await int8.release();
  });

  it('int8: each text gets the same vector alone or in any batch (activations quantized per token, not per batch)', async () => {
    const encoder = await RobertaEncoder.create(backend, model, { precision: 'int8', batchSize: 4 });
    const all = await encoder.encode(TEXTS);
    const H = model.config.hiddenSize;
    for (let t = 0; t < TEXTS.length; t++) {
      const alone = await encoder.runBatch(model.tokenizer.encodeBatch([TEXTS[t]!]));
      const d = maxAbsDiff(all.embeddings.subarray(t * H, (t + 1) * H), alone.embeddings);
      assert.ok(d < 1e-6, `text ${t} differs by ${d} when batched with others`);
    }
    await encoder.release();
  });

  it('encode() returns each text\'s own result whatever the batching and padding', async () => {
    const encoder = await RobertaEncoder.create(backend, model, { precision: 'fp32', batchSize: 4 });
    const all = await encoder.encode(TEXTS);
    const H = model.config.hiddenSize;
    for (let t = 0; t < TEXTS.length; t++) {
      const alone = await encoder.runBatch(model.tokenizer.encodeBatch([TEXTS[t]!]));
      const d = maxAbsDiff(all.embeddings.subarray(t * H, (t + 1) * H), alone.embeddings);
      assert.ok(d < 1e-5, `text ${t} differs by ${d} when batched with others`);
    }
    await encoder.release();
  });

  it('reads F16 and unprefixed checkpoints (RobertaModel naming) to the same results as the reference', async () => {
    const other = await mkdtemp(path.join(os.tmpdir(), 'secreview-roberta-f16-'));
    try {
      await writeTinyRoberta(other, { seed: 7, dtype: 'F16', unprefixed: true, head: false, layers: 1 });
      const m = await loadRobertaModel(other);
      assert.equal(m.weights.head, undefined);
      const encoder = await RobertaEncoder.create(backend, m);
      const batch = m.tokenizer.encodeBatch(TEXTS.slice(0, 3));
      const got = await encoder.runBatch(batch);
      assert.equal(got.logits, undefined);
      const d = maxAbsDiff(got.embeddings, robertaForwardReference(m.config, m.weights, batch).cls);
      assert.ok(d < 1e-4, `differs by ${d}`);
      await encoder.release();
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});
