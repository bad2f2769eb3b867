import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createOrtEngine } from '../../../src/simulation/ortEngine';
import { createMlp, initGlorot } from '../../../src/simulation/network';
import { Rng } from '../../../src/simulation/random';
import { generateData } from '../../../src/simulation/generator';
import { simulateRun } from '../../../src/simulation/run';

const sizes = [20, 15, 15, 15, 2];

test('the engine weighs classes in the loss and stops when told after an epoch', { timeout: 120_000 }, async () => {
  const ort = await createOrtEngine(sizes, { threads: 1 });
  try {
    const data = await generateData({ rows: 5000, inputs: 20, hidden: [15, 15, 15], predictability: 1.3, balance: Math.log(0.05 / 0.95), correlation: 'none', seed: 4 }, ort);
    const fresh = () => { const n = createMlp(sizes); initGlorot(n, new Rng(1)); return n; };
    const list = [Int32Array.from({ length: 2000 }, (_, i) => i)];
    const fit = { epochs: 5, batchSize: 128, learningRate: 0.01 };
    const plain = fresh(), weighted = fresh(), unit = fresh();
    await ort.fit([plain], data.x, data.y, list, fit, [new Rng(2)]);
    await ort.fit([unit], data.x, data.y, list, { ...fit, classWeights: [1, 1] }, [new Rng(2)]);
    await ort.fit([weighted], data.x, data.y, list, { ...fit, classWeights: [0.5, 10] }, [new Rng(2)]);
    assert.deepEqual(unit.params, plain.params, 'weights of 1 are the unweighted loss');
    const s = await ort.score([plain, weighted], data.x, data.rows);
    const meanP = (d: Float32Array) => d.reduce((a, v) => a + 1 / (1 + Math.exp(-v)), 0) / d.length;
    assert.ok(meanP(s.d[1]!) > 2 * meanP(s.d[0]!), `weighting the positives raises p(yes): ${meanP(s.d[1]!)} vs ${meanP(s.d[0]!)}`);
    const seen: number[] = [];
    const stopped = fresh();
    await ort.fit([stopped], data.x, data.y, list, { ...fit, onEpoch: (epoch, params) => { seen.push(epoch); assert.equal(params[0]!.length, stopped.params.length); return epoch === 2; } }, [new Rng(2)]);
    assert.deepEqual(seen, [1, 2]);
    const two = fresh();
    await ort.fit([two], data.x, data.y, list, { ...fit, epochs: 2 }, [new Rng(2)]);
    assert.deepEqual(stopped.params, two.params, 'stopping after epoch 2 is training 2 epochs');
  } finally {
    await ort.close();
  }
});

test('new arms run paired with rare-label: same start, own increments at the same budget, one shared first model', { timeout: 300_000 }, async () => {
  const ort = await createOrtEngine(sizes, { threads: 1 });
  try {
    const arms = ['rare', 'rare@warm', 'ensemble@m3', 'thompson@m3', 'ucb@m3', 'diverse', 'rare@weighted', 'rare@early', 'rare@inc25'];
    const r = await simulateRun({ rows: 8000, start: 50, increment: [50], iterations: 3, predictability: [1.3], strategies: arms, seed: 3 }, 0, ort);
    for (const arm of arms) {
      const recs = r.iterations.filter((x) => x.arm === arm);
      const inc = arm === 'rare@inc25' ? 25 : 50;
      assert.deepEqual(recs.map((x) => x.labeled), Array.from({ length: 150 / inc + 1 }, (_, i) => 50 + i * inc), arm);
      assert.equal(recs[0]!.positives, r.iterations[0]!.positives, `${arm}: the shared start`);
      assert.ok(recs.every((x) => x.increment === inc));
    }
    const first = (arm: string) => r.iterations.find((x) => x.arm === arm && x.iteration === 1)!;
    // Iteration 1: warm start has nothing to start from, and member 0 of an ensemble is rare-label's network.
    assert.equal(first('rare@warm').batchPositives, first('rare').batchPositives);
    assert.equal(first('rare@warm').loss, first('rare').loss);
    assert.equal(first('ensemble@m3').loss, first('rare').loss);
    assert.notEqual(first('rare@weighted').loss, first('rare').loss);
    const summary = (arm: string) => r.summaries.find((s) => s.arm === arm)!;
    assert.equal(summary('rare@inc25').iterations, 6);
    assert.ok(summary('rare').rate > r.prevalence, 'rare-label beats the prevalence');
    // The paper's arms are unchanged by new arms beside them (common random numbers).
    const alone = await simulateRun({ rows: 8000, start: 50, increment: [50], iterations: 3, predictability: [1.3], strategies: ['rare', 'random'], seed: 3 }, 0, ort);
    assert.deepEqual(alone.iterations.filter((x) => x.arm === 'rare').map((x) => x.positives), r.iterations.filter((x) => x.arm === 'rare').map((x) => x.positives));
  } finally {
    await ort.close();
  }
});

test('bootstrap members: fitted beside the arm\'s own network on stratified resamples, drawn the same for every arm and run', { timeout: 300_000 }, async () => {
  const ort = await createOrtEngine(sizes, { threads: 1 });
  try {
    const config = { rows: 8000, start: 50, increment: [50], iterations: 3, predictability: [1.3], seed: 5 };
    const arms = ['rare', 'ensemble@m3', 'ensemble@m3@boot', 'ucb@m3@boot'];
    const r = await simulateRun({ ...config, strategies: arms }, 0, ort);
    const of = (run: typeof r, arm: string) => run.iterations.filter((x) => x.arm === arm);
    const first = (arm: string) => of(r, arm)[0]!;
    // The arm's own network (on all its rows) is rare-label's, so its loss is rare-label's; the
    // members beside it differ from seed-only members, so the first batch differs.
    assert.equal(first('ensemble@m3@boot').loss, first('rare').loss);
    assert.notDeepEqual(of(r, 'ensemble@m3@boot').map((x) => x.batchPositives), of(r, 'ensemble@m3').map((x) => x.batchPositives));
    assert.ok(r.summaries.find((s) => s.arm === 'ensemble@m3@boot')!.rate > r.prevalence, 'the bootstrap ensemble beats the prevalence');
    // Alone or beside other arms, and run again: the same resamples, the same rows found (the pool
    // loss is summed in another order when other networks are scored beside it).
    const found = (run: typeof r, arm: string) => of(run, arm).map(({ loss, ...x }) => ({ ...x, loss: Number.isNaN(loss) ? loss : Math.fround(loss).toPrecision(5) }));
    assert.deepEqual(found(await simulateRun({ ...config, strategies: ['ensemble@m3@boot'] }, 0, ort), 'ensemble@m3@boot'), found(r, 'ensemble@m3@boot'));
    assert.deepEqual(found(await simulateRun({ ...config, strategies: ['rare'] }, 0, ort), 'rare'), found(r, 'rare'));
  } finally {
    await ort.close();
  }
});
