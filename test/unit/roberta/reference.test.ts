import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomRobertaWeights, tinyRobertaConfig } from '../../../python-free-train/roberta/fixtures';
import { erf, gelu, robertaForwardReference, robertaPositionIds } from '../../../python-free-train/roberta/reference';

describe('roberta reference forward pass', () => {
  it('erf and GELU match tabulated values', () => {
    const table: [number, number][] = [[0, 0], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [2, 0.9953222650189527],
      [2.5, 0.999593047982555], [3, 0.9999779095030014], [-1, -0.8427007929497149], [4, 0.9999999845827421]];
    for (const [x, want] of table) assert.ok(Math.abs(erf(x) - want) < 1e-13, `erf(${x}) = ${erf(x)}, want ${want}`);
    assert.ok(Math.abs(gelu(1) - 0.8413447460685429) < 1e-13);
    assert.ok(Math.abs(gelu(-3) - -0.00404969409489031) < 1e-13);
  });

  it('numbers positions from padding_idx + 1 and puts padding at padding_idx', () => {
    assert.deepEqual(Array.from(robertaPositionIds([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], 2, 5, 1)), [2, 3, 4, 1, 1, 2, 3, 4, 5, 6]);
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
