import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTrainRequest, ensembleSizeOf } from '../../../src/protocol/trainer';
import { parseMixture } from '../../../src/core/selection';
import { TrainerFailedError, runTraining } from '../../../src/train/client';
import { DEFAULT_TRAIN_OPTIONS } from '../../../src/train/retrain';

const ok = { ...DEFAULT_TRAIN_OPTIONS, modelVersion: 'm1' };

test('a train request is checked whole, and its mixture parsed once', () => {
  const r = checkTrainRequest({ ...ok, strategy: 'rare:0.45,entropy:0.45,random:0.1' });
  assert.ok(r.ok && r.mixture.map((p) => p.strategy).join() === 'rare,entropy,random');
  const d = checkTrainRequest(ok);
  assert.ok(d.ok && d.mixture.map((p) => p.strategy).join() === 'auto', 'the default is auto');
  for (const [bad, error] of [
    [{ strategy: 'best' }, /unknown strategy/], [{ batchSize: -1 }, /batch size/], [{ batchSize: 1.5 }, /batch size/],
    [{ epochs: 0 }, /epochs/], [{ device: 'tpu' }, /device must be one of/], [{ representation: 'bert' }, /representation/],
    [{ ensembleSize: 1 }, /needs at least 2 members/], [{ ensembleSize: 2.5 }, /ensemble size must be an integer/],
  ] as const) {
    const c = checkTrainRequest({ ...ok, ...bad } as typeof ok);
    assert.ok(!c.ok && error.test(c.error), JSON.stringify(bad));
  }
  assert.ok(checkTrainRequest({ ...ok, batchSize: 0 }).ok, 'size 0 trains without proposing');
});

test('members are trained for the ensemble strategies, and for auto only over a network head, unless the request sets them', () => {
  const auto = parseMixture('auto:0.9,random:0.1');
  assert.equal(ensembleSizeOf({ representation: 'hashing' }, auto), 0, 'the hashing representation\'s head is linear');
  assert.equal(ensembleSizeOf({ representation: 'roberta' }, auto), 5, 'RoBERTa\'s head has a hidden layer');
  assert.equal(ensembleSizeOf({ representation: 'hashing', hidden: [64] }, auto), 5);
  assert.equal(ensembleSizeOf({ representation: 'roberta', hidden: [] }, auto), 0);
  assert.equal(ensembleSizeOf({ representation: 'roberta', finetuneLayers: 2 }, auto), 0, 'members over base embeddings are not fits of a fine-tuned model');
  assert.equal(ensembleSizeOf({ representation: 'roberta', finetuneLayers: 2 }, parseMixture('ensemble')), 5, 'an ensemble asked for is trained still');
  assert.equal(ensembleSizeOf({ representation: 'hashing', ensembleSize: 3 }, auto), 3);
  assert.equal(ensembleSizeOf({ representation: 'hashing' }, parseMixture('ensemble')), 5);
  assert.equal(ensembleSizeOf({ representation: 'roberta' }, parseMixture('rare')), 0);
});

test('an invalid setting fails before a trainer process is started', async () => {
  const t0 = performance.now();
  await assert.rejects(runTraining('/nonexistent', { ...ok, strategy: 'rare:0.5,best:0.5' }, { entry: { modulePath: '/nonexistent/trainer.js', execArgv: [] } }),
    (e: unknown) => e instanceof TrainerFailedError && e.code === 'bad-request' && /unknown strategy/.test(e.message));
  assert.ok(performance.now() - t0 < 500);
});
