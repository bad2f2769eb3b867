import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomRobertaWeights, tinyRobertaConfig } from '../../helpers/robertaFixtures';
import { headFromMlpParams, mlpParamsFromHead } from '../../../python-free-train/roberta/headBridge';
import { robertaForwardReference } from '../../helpers/robertaReference';

describe('RoBERTa head <-> MLP head over cached embeddings', () => {
  const config = tinyRobertaConfig({ layers: 1, hidden: 8, heads: 2, intermediate: 12, bpeTokens: 300, numLabels: 4 });
  const weights = randomRobertaWeights(config, 2);
  const out = robertaForwardReference(config, weights, { batch: 2, seqLen: 4, inputIds: [0, 50, 60, 2, 0, 70, 2, 1], attentionMask: [1, 1, 1, 1, 1, 1, 1, 0] });

  it('the MLP (tanh hidden layer) over the <s> embedding gives the model\'s logits', () => {
    const [w0, b0, w1, b1] = mlpParamsFromHead(weights.head!);
    for (let r = 0; r < 2; r++) {
      const hidden = Array.from({ length: 8 }, (_, j) => {
        let z = b0!.data[j]!;
        for (let i = 0; i < 8; i++) z += out.cls[r * 8 + i]! * w0!.data[i * 8 + j]!;
        return Math.tanh(z);
      });
      for (let c = 0; c < 4; c++) {
        let z = b1!.data[c]!;
        for (let j = 0; j < 8; j++) z += hidden[j]! * w1!.data[j * 4 + c]!;
        assert.ok(Math.abs(z - out.logits![r * 4 + c]!) < 1e-5);
      }
    }
  });

  it('round-trips, and refuses MLPs of another shape', () => {
    const back = headFromMlpParams(mlpParamsFromHead(weights.head!));
    assert.deepEqual(Array.from(back.dense.weight.data), Array.from(weights.head!.dense.weight.data));
    assert.deepEqual(Array.from(back.outProj.weight.data), Array.from(weights.head!.outProj.weight.data));
    const params = mlpParamsFromHead(weights.head!);
    assert.throws(() => headFromMlpParams(params.slice(0, 2)), /"output\.weight" is missing/);
    assert.throws(() => headFromMlpParams([{ name: 'layer0.weight', shape: [8, 4], data: new Float32Array(32) }, ...params.slice(1)]), /expected an MLP 8 -> 8/);
  });
});
