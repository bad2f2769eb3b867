import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrainOptions } from '../../../src/protocol/trainer';
import { MODEL_FILES } from '../../../src/store/layout';
import { Backend } from '../../../python-free-train/backend';
import { HashingRepresentation } from '../../../python-free-train/features/hashing';
import { ParallelFeaturizer, defaultFeaturizeWorkers, featurizerWorkerScript } from '../../../python-free-train/features/parallelFeaturizer';
import { TrainJobError, runTrainJob } from '../../../python-free-train/trainer/job';
import { scoreShard } from '../../../python-free-train/trainer/shards';
import { readLabeledJsonl } from '../../helpers/inMemoryTrainer';
import { paperLabelsFile, paperWorkspace, needsPaperData } from './helpers';
import { referenceVector } from '../../helpers/hashingReference';

const options: Omit<TrainOptions, 'modelVersion'> = {
  representation: 'hashing', epochs: 3, seed: 11, strategy: 'rare:0.5,entropy:0.5', batchSize: 20, hashingDim: 512, scoreChunk: 100,
};

test('pool scoring with featurizer worker threads writes exactly the scores of scoring in one thread', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(300);
  try {
    const backend = await Backend.create({ device: 'cpu' });
    const scoresOf = async (modelVersion: string, featurizeWorkers: number) => {
      const done: number[] = [];
      const ctx = { progress: (p: { phase: string; done?: number }) => { if (p.phase === 'scoring') done.push(p.done!); }, signal: new AbortController().signal, backend };
      const result = await runTrainJob(folder, { ...options, modelVersion, featurizeWorkers }, ctx);
      assert.equal(result.model.scoredRows, ws.pool.size);
      // Chunks are scored in pool order: progress climbs from 0 by a chunk at a time to the pool size.
      assert.deepEqual(done, Array.from({ length: Math.ceil(ws.pool.size / 100) + 1 }, (_, i) => Math.min(i * 100, ws.pool.size)));
      return readFileSync(path.join(ws.modelsDir, modelVersion, MODEL_FILES.scores));
    };
    assert.ok(featurizerWorkerScript(), 'the worker script is found, so the workers run');
    const one = await scoresOf('m-one-thread', 0);
    const parallel = await scoresOf('m-parallel', 3);
    assert.equal(one.length, ws.pool.size * 4 * 4);
    assert.ok(one.equals(parallel), 'scores.bin is byte for byte the same');
    // `secreview score --shard` hashes in workers too, and two shards tile the same scores.
    const shards = [];
    for (const index of [0, 1]) shards.push(readFileSync((await scoreShard(ws.dir, ws.pool, { index, count: 2 }, { version: 'm-one-thread', chunk: 100, backend })).file));
    assert.ok(Buffer.concat(shards).equals(one), 'shard scores equal the trainer\'s');
  } finally {
    await ws.close();
    cleanup();
  }
});

test('the parallel featurizer returns the vectors of the representation, in order, reusing its buffers', { skip: needsPaperData }, async () => {
  const texts = readLabeledJsonl(paperLabelsFile, 'tag_post_qa').map((r) => r.body);
  const representation = await HashingRepresentation.fit(texts, { dim: 256 });
  const params = representation.params();
  if (params.id !== 'hashing') throw new Error('expected hashing parameters');
  const pool = ParallelFeaturizer.start(params, 2);
  try {
    const chunks = [texts.slice(0, 300), texts.slice(300, 600), texts.slice(600, 601), texts.slice(601)];
    const results = await Promise.all(chunks.map((c) => pool.featurize(c)));
    for (const [i, c] of chunks.entries()) assert.deepEqual(results[i], await representation.featurize(c), `chunk ${i}`);
    results.forEach((r) => pool.recycle(r));
    const again = await pool.featurize(texts.slice(0, 200));
    // A recycled buffer went to the worker again: moved, it is detached here.
    assert.equal(results.filter((r) => r.buffer.byteLength === 0).length, 1, 'one recycled buffer is reused');
    assert.deepEqual(again, await representation.featurize(texts.slice(0, 200)), 'a reused buffer holds no stale values');
  } finally {
    await pool.close();
  }
  await assert.rejects(pool.featurize(['late']), /closed/);
});

test('on the paper\'s 959 texts, hashing in one thread and in workers gives the plain implementation\'s vectors bit for bit', { skip: needsPaperData }, async () => {
  const texts = readLabeledJsonl(paperLabelsFile, 'tag_post_qa').map((r) => r.body);
  const representation = await HashingRepresentation.fit(texts);
  const params = representation.params();
  if (params.id !== 'hashing') throw new Error('expected hashing parameters');
  const dim = representation.dim;
  const inThread = await representation.featurize(texts);
  const pool = ParallelFeaturizer.start(params, 2);
  const inWorkers = new Float32Array(texts.length * dim);
  try {
    let at = 0;
    const chunks = Array.from({ length: Math.ceil(texts.length / 200) }, (_, i) => texts.slice(i * 200, (i + 1) * 200));
    await pool.pipeline(chunks, 2, async (x, rows) => { inWorkers.set(x, at * dim); at += rows; });
  } finally {
    await pool.close();
  }
  texts.forEach((text, r) => {
    const want = referenceVector(text, representation);
    assert.deepEqual(inThread.subarray(r * dim, (r + 1) * dim), want, `text ${r} in this thread`);
    assert.deepEqual(inWorkers.subarray(r * dim, (r + 1) * dim), want, `text ${r} in a worker`);
  });
});

test('a featurizer worker that fails rejects the pending chunks with the reason', async () => {
  const representation = await HashingRepresentation.fit(['a b c'], { dim: 64 });
  const params = representation.params();
  if (params.id !== 'hashing') throw new Error('expected hashing parameters');
  // Parameters the worker cannot rebuild: the idf has the wrong length.
  const pool = ParallelFeaturizer.start({ ...params, idfBase64: Buffer.from(new Float32Array(3).buffer).toString('base64') }, 1);
  try {
    await assert.rejects(pool.featurize(['some text']), /featurizer worker thread failed: hashing representation: idf has 3 weights, expected 64 \(SECREVIEW_FEATURIZE_WORKERS=0 hashes/);
  } finally {
    await pool.close();
  }
});

test('SECREVIEW_FEATURIZE_WORKERS sets the default number of workers, and a bad value names the variable', { skip: needsPaperData }, async () => {
  assert.equal(defaultFeaturizeWorkers({ SECREVIEW_FEATURIZE_WORKERS: '0' }), 0);
  assert.equal(defaultFeaturizeWorkers({ SECREVIEW_FEATURIZE_WORKERS: ' 3 ' }), 3);
  assert.ok(defaultFeaturizeWorkers({}) >= 1 && defaultFeaturizeWorkers({}) <= 8);
  assert.throws(() => defaultFeaturizeWorkers({ SECREVIEW_FEATURIZE_WORKERS: 'many' }), /SECREVIEW_FEATURIZE_WORKERS must be an integer in \[0, 64\], got "many"/);
  // A retrain refuses it before reading anything.
  const { ws, folder, cleanup } = await paperWorkspace(0);
  process.env.SECREVIEW_FEATURIZE_WORKERS = '-1';
  try {
    const ctx = { progress: () => {}, signal: new AbortController().signal, backend: await Backend.create({ device: 'cpu' }) };
    await assert.rejects(runTrainJob(folder, { ...options, modelVersion: 'x' }, ctx), (e: unknown) => e instanceof TrainJobError && e.code === 'bad-request' && /SECREVIEW_FEATURIZE_WORKERS/.test(e.message));
  } finally {
    delete process.env.SECREVIEW_FEATURIZE_WORKERS;
    await ws.close();
    cleanup();
  }
});
