/**
 * Finite-difference check of the autodiff gradients through one full encoder layer (masked
 * multi-head attention, LayerNorm, GELU FFN) and the classification head, in float64 (GELU's Erf
 * runs in float32: onnxruntime's CPU Erf has no double kernel).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backend, type Feeds, Tensor } from '../../../python-free-train/backend';
import { gradients } from '../../../python-free-train/graph/autodiff';
import { softmaxCrossEntropy } from '../../../python-free-train/graph/losses';
import { Graph } from '../../../python-free-train/graph/ops';
import { toModelBytes } from '../../../python-free-train/graph/serialize';
import { ATTENTION_MASK, INPUT_IDS, buildRobertaEncoder, declareParams, encoderValues, robertaParamTensors } from '../../../python-free-train/roberta/encoderGraph';
import { randomRobertaWeights, robertaTokenizerJson, tinyRobertaConfig } from '../../helpers/robertaFixtures';
import { RobertaTokenizer } from '../../../python-free-train/roberta/tokenizer';
import { mulberry32 } from '../../../src/core/hash';

describe('roberta encoder gradients', () => {
  it('match central finite differences for every parameter of layer 0 and the head', async () => {
    const config = tinyRobertaConfig({ layers: 1, hidden: 16, heads: 2, intermediate: 24, bpeTokens: 600, numLabels: 3 });
    const weights = randomRobertaWeights(config, 3, 0.3);
    const tensors = robertaParamTensors(weights);
    const trained = (name: string) => name.startsWith('layer.0.') || name.startsWith('head.');
    const g = new Graph('gradcheck');
    const ids = g.input(INPUT_IDS, 'int64', ['batch', 'seq']);
    const mask = g.input(ATTENTION_MASK, 'int64', ['batch', 'seq']);
    const labels = g.input('labels', 'int64', ['batch']);
    const byName = declareParams(g, tensors, { dtype: 'float64', asInput: trained });
    const out = buildRobertaEncoder(g, config, encoderValues(byName, config), ids, mask, { erfInFloat32: true });
    const { loss } = softmaxCrossEntropy(g, out.logits!, labels);
    const params = tensors.filter((t) => trained(t.name));
    const grads = gradients(g, loss, params.map((p) => byName.get(p.name)!));
    const outputs: Record<string, typeof loss> = { loss };
    grads.forEach((grad, i) => { outputs[`grad:${params[i]!.name}`] = grad; });
    const backend = await Backend.create({ device: 'cpu', threads: 1 });
    const session = await backend.session(toModelBytes(g, { outputs }), 'roberta gradcheck');

    const tokenizer = RobertaTokenizer.fromJson(robertaTokenizerJson(600));
    // Padding in the batch: gradients must not flow from padded keys.
    const batch = tokenizer.encodeBatch(['Possible XSS: the value is rendered unescaped.', 'nit', 'Use a constant-time comparison']);
    const values = new Map(params.map((p) => [p.name, Float64Array.from(p.data)]));
    const feeds = (): Feeds => {
      const f: Feeds = {
        [INPUT_IDS]: new Tensor('int64', [batch.batch, batch.seqLen], batch.inputIds),
        [ATTENTION_MASK]: new Tensor('int64', [batch.batch, batch.seqLen], batch.attentionMask),
        labels: new Tensor('int64', [batch.batch], BigInt64Array.of(0n, 2n, 1n)),
      };
      for (const p of params) f[p.name] = Tensor.float64(values.get(p.name)!, p.shape);
      return f;
    };
    const analytic = await session.run(feeds());
    const lossAt = async (): Promise<number> => (await session.run(feeds(), ['loss'])).loss!.float64[0]!;
    const random = mulberry32(11);
    const h = 1e-3;
    let checked = 0;
    for (const p of params) {
      const data = values.get(p.name)!;
      const grad = analytic[`grad:${p.name}`]!.float64;
      assert.ok(grad.some((x) => x !== 0), `${p.name}: gradient is all zeros`);
      for (let k = 0; k < 3; k++) {
        const i = Math.floor(random() * data.length);
        const x0 = data[i]!;
        data[i] = x0 + h; const up = await lossAt();
        data[i] = x0 - h; const down = await lossAt();
        data[i] = x0;
        const numeric = (up - down) / (2 * h);
        assert.ok(Math.abs(grad[i]! - numeric) <= 1e-4 + 1e-3 * Math.abs(numeric),
          `d loss / d ${p.name}[${i}]: ${grad[i]} by autodiff, ${numeric} by finite differences`);
        checked++;
      }
    }
    assert.equal(checked, params.length * 3);
    await session.release();
  });
});
