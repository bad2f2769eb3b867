import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDenseEngine } from '../../helpers/denseSimulation';
import { createOrtEngine } from '../../../src/simulation/ortEngine';
import { createMlp, initGlorot } from '../../../src/simulation/network';
import { Rng } from '../../../src/simulation/random';
import { generateData } from '../../../src/simulation/generator';

test('the onnxruntime engine fits and scores like the dense TypeScript engine', async () => {
  const sizes = [20, 15, 15, 15, 2];
  const ort = await createOrtEngine(sizes, { threads: 1, chunkRows: 4096 });
  const dense = createDenseEngine();
  try {
    const data = await generateData({ rows: 10_000, inputs: 20, hidden: [15, 15, 15], predictability: 1.3, balance: Math.log(0.01 / 0.99), correlation: 'none', seed: 3 }, dense);
    const fresh = () => { const n = createMlp(sizes); initGlorot(n, new Rng(1)); return n; };
    const a = [fresh(), fresh()], b = [fresh(), fresh()];
    // Two networks on different rows (as two strategies of a run), 330 rows: a partial last batch.
    const lists = [Int32Array.from({ length: 330 }, (_, i) => i), Int32Array.from({ length: 330 }, (_, i) => 9000 + i)];
    const fit = { epochs: 3, batchSize: 128, learningRate: 0.01 };
    await ort.fit(a, data.x, data.y, lists, fit, [new Rng(5), new Rng(6)]);
    await dense.fit(b, data.x, data.y, lists, fit, [new Rng(5), new Rng(6)]);
    for (let k = 0; k < 2; k++) {
      const worst = Math.max(...Array.from(a[k]!.params, (v, i) => Math.abs(v - b[k]!.params[i]!)));
      assert.ok(worst < 1e-4, `network ${k}: largest parameter difference ${worst}`);
    }
    // Score the dense engine's networks with both engines: the same logits and loss.
    const so = await ort.score(b, data.x, data.rows, data.yFloat);
    const sd = await dense.score(b, data.x, data.rows, data.yFloat);
    for (let k = 0; k < 2; k++) {
      const worst = Math.max(...Array.from(so.d[k]!, (v, i) => Math.abs(v - sd.d[k]![i]!)));
      assert.ok(worst < 1e-4, `logit difference ${worst}`);
      assert.ok(Math.abs(so.meanLoss[k]! - sd.meanLoss[k]!) < 1e-5, `loss ${so.meanLoss[k]} vs ${sd.meanLoss[k]}`);
    }
    assert.ok(so.meanLoss[0]! !== so.meanLoss[1]!, 'the two networks differ');
  } finally {
    await ort.close();
  }
});
