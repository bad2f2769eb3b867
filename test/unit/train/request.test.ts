import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkTrainRequest } from '../../../src/protocol/trainer';
import { TrainerFailedError, runTraining } from '../../../src/train/client';
import { DEFAULT_TRAIN_OPTIONS } from '../../../src/train/retrain';

const ok = { ...DEFAULT_TRAIN_OPTIONS, modelVersion: 'm1' };

test('a train request is checked whole, and its mixture parsed once', () => {
  const r = checkTrainRequest({ ...ok, strategy: 'rare:0.45,entropy:0.45,random:0.1' });
  assert.ok(r.ok && r.mixture.map((p) => p.strategy).join() === 'rare,entropy,random');
  const d = checkTrainRequest(ok);
  assert.ok(d.ok && d.mixture.map((p) => p.strategy).join() === 'ensemble', 'the default is the ensemble');
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

test('an invalid setting fails before a trainer process is started', async () => {
  const t0 = performance.now();
  await assert.rejects(runTraining('/nonexistent', { ...ok, strategy: 'rare:0.5,best:0.5' }, { entry: { modulePath: '/nonexistent/trainer.js', execArgv: [] } }),
    (e: unknown) => e instanceof TrainerFailedError && e.code === 'bad-request' && /unknown strategy/.test(e.message));
  assert.ok(performance.now() - t0 < 500);
});
