import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomRobertaWeights, tinyRobertaConfig } from '../../helpers/robertaFixtures';
import { erf, gelu, robertaForwardReference, robertaPositionIds } from '../../helpers/robertaReference';
import { HF_TOLERANCE, hfOracleSkip, loadHfOracle, maxAbsDiff, realTokenRows } from '../../helpers/hfOracle';

describe('roberta reference forward pass', () => {
  it('erf and GELU match tabulated values', () => {
    const table: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
      [2.5, 0.999593047982555], [3, 0.9999779095030014], [-1, -0.8427007929497149], [4, 0.9999999845827421]];
    for (const [x, want] of table) assert.ok(Math.abs(erf(x) - want) < 1e-13, `erf(${x}) = ${erf(x)}, want ${want}`);
    assert.ok(Math.abs(gelu(1) - 0.8413447460685429) < 1e-13);
    assert.ok(Math.abs(gelu(-3) - -0.00404969409489031) < 1e-13);
  });

  it('numbers positions from padding_idx + 1 and puts padding at padding_idx', () => {
    assert.deepEqual(Array.from(robertaPositionIds([0, 9, 2, 1, 1, 0, 7, 8, 9, 2], 2, 5, 1)), [2, 3, 4, 1, 1, 2, 3, 4, 5, 6]);
  });

  it('gives a pad id inside a text the padding position and counts on after it, as Hugging Face does', () => {
    // "a <pad> b" tokenizes to [<s>, a, Ġ, <pad>, Ġb, </s>]: every token has attention mask 1.
    assert.deepEqual(Array.from(robertaPositionIds([0, 68, 224, 1, 279, 2, 0, 1, 2, 1, 1, 1], 2, 6, 1)), [2, 3, 4, 1, 5, 6, 2, 1, 3, 1, 1, 1]);
  });

  it('gives a text the same output with or without padding after it', () => {
    const config = tinyRobertaConfig({ layers: 2, hidden: 8, heads: 2, intermediate: 12, bpeTokens: 300 });
    const weights = randomRobertaWeights(config, 5);
    const alone = robertaForwardReference(config, weights, { batch: 1, seqLen: 3, inputIds: [0, 100, 2], attentionMask: [1, 1, 1] });
    const padded = robertaForwardReference(config, weights, {
      batch: 2, seqLen: 5, inputIds: [0, 100, 2, 1, 1, 0, 7, 8, 9, 2], attentionMask: [1, 1, 1, 0, 0, 1, 1, 1, 1, 1],
    });
    for (let i = 0; i < 8; i++) assert.ok(Math.abs(alone.cls[i]! - padded.cls[i]!) < 1e-6);
    for (let i = 0; i < config.numLabels; i++) assert.ok(Math.abs(alone.logits![i]! - padded.logits![i]!) < 1e-6);
    assert.ok(Math.abs(padded.cls[0]! - padded.cls[8]!) > 1e-6, 'different texts differ');
  });
});

describe('roberta reference against Hugging Face (parity oracle)', { skip: hfOracleSkip() }, () => {
  it(`matches Hugging Face's float64 outputs within ${HF_TOLERANCE} on every batch, the pad id inside a text included`, async () => {
    const oracle = await loadHfOracle();
    const H = oracle.config.hiddenSize;
    for (const b of oracle.batches) {
      const got = robertaForwardReference(oracle.config, oracle.weights, b);
      const dCls = maxAbsDiff(got.cls, b.cls), dLogits = maxAbsDiff(got.logits!, b.logits);
      assert.ok(dCls < HF_TOLERANCE, `${b.name}: <s> vectors differ by ${dCls}`);
      assert.ok(dLogits < HF_TOLERANCE, `${b.name}: logits differ by ${dLogits}`);
      realTokenRows(got.hidden, b, H).forEach((rows, r) => {
        const d = maxAbsDiff(rows, b.realTokens[r]!);
        assert.ok(d < HF_TOLERANCE, `${b.name} text ${r}: last hidden state differs by ${d}`);
      });
    }
  });
});
