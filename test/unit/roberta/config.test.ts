import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxSequenceLength, parseRobertaConfig, toHfConfig } from '../../../python-free-train/roberta/config';
import { randomRobertaWeights, tinyRobertaConfig } from '../../helpers/robertaFixtures';
import { isEncoderTensor } from '../../../python-free-train/roberta/model';
import type { FloatTensor } from '../../../python-free-train/roberta/safetensors';
import { mapRobertaWeights, robertaTensorEntries } from '../../../python-free-train/roberta/weights';

// roberta-base's config.json as published on the Hub.
const ROBERTA_BASE = {
  architectures: ['RobertaForMaskedLM'], attention_probs_dropout_prob: 0.1, bos_token_id: 0, eos_token_id: 2,
  hidden_act: 'gelu', hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072,
  layer_norm_eps: 1e-5, max_position_embeddings: 514, model_type: 'roberta', num_attention_heads: 12,
  num_hidden_layers: 12, pad_token_id: 1, type_vocab_size: 1, vocab_size: 50265,
};

describe('roberta config.json', () => {
  it('reads roberta-base', () => {
    const c = parseRobertaConfig(ROBERTA_BASE);
    assert.equal(c.hiddenSize, 768);
    assert.equal(c.numHiddenLayers, 12);
    assert.equal(c.numAttentionHeads, 12);
    assert.equal(c.intermediateSize, 3072);
    assert.equal(c.vocabSize, 50265);
    assert.equal(c.maxPositionEmbeddings, 514);
    assert.equal(c.layerNormEps, 1e-5);
    assert.equal(c.padTokenId, 1);
    assert.equal(maxSequenceLength(c), 512);
    assert.deepEqual(parseRobertaConfig(toHfConfig(c)), c);
  });

  it('names the field that is wrong', () => {
    assert.throws(() => parseRobertaConfig({ ...ROBERTA_BASE, hidden_size: '768' }, 'x/config.json'), /x\/config\.json: "hidden_size" must be a positive integer, got "768"/);
    assert.throws(() => parseRobertaConfig({ ...ROBERTA_BASE, num_attention_heads: 7 }), /not a multiple of num_attention_heads 7/);
    assert.throws(() => parseRobertaConfig({ ...ROBERTA_BASE, hidden_act: 'relu' }), /hidden_act "relu" is not supported/);
    assert.throws(() => parseRobertaConfig([]), /not a JSON object/);
  });
});

describe('roberta weight names', () => {
  const config = tinyRobertaConfig({ layers: 2, hidden: 8, heads: 2, intermediate: 12, bpeTokens: 256 });
  const weights = randomRobertaWeights(config, 1);
  const entries = robertaTensorEntries(weights);

  it('maps Hugging Face names with and without the roberta. prefix', () => {
    const names = entries.map(([n]) => n);
    assert.ok(names.includes('roberta.encoder.layer.1.attention.self.query.weight'));
    assert.ok(names.includes('roberta.encoder.layer.0.output.LayerNorm.bias'));
    assert.ok(names.includes('classifier.out_proj.weight'));
    const prefixed = mapRobertaWeights(new Map(entries), config);
    const unprefixed = mapRobertaWeights(new Map(entries.map(([n, t]) => [n.replace(/^roberta\./, ''), t])), config);
    assert.equal(prefixed.layers[1]!.intermediate.weight, weights.layers[1]!.intermediate.weight);
    assert.equal(unprefixed.layers[1]!.attentionLayerNorm.bias, weights.layers[1]!.attentionLayerNorm.bias);
    assert.equal(unprefixed.head!.outProj.bias, weights.head!.outProj.bias);
  });

  it('reports a missing tensor, a wrong shape and an incomplete head', () => {
    const without = (name: string) => new Map(entries.filter(([n]) => n !== name));
    assert.throws(() => mapRobertaWeights(without('roberta.encoder.layer.1.attention.self.key.bias'), config, 'm.safetensors'),
      /m\.safetensors: tensor "roberta\.encoder\.layer\.1\.attention\.self\.key\.bias" \(or "encoder\.layer\.1\.attention\.self\.key\.bias"\) is missing/);
    const bad = new Map<string, FloatTensor>(entries);
    bad.set('roberta.embeddings.position_embeddings.weight', { shape: [3, 8], data: new Float32Array(24) });
    assert.throws(() => mapRobertaWeights(bad, config), /"embeddings\.position_embeddings\.weight" has shape \[3, 8\], config\.json implies \[68, 8\]/);
    assert.throws(() => mapRobertaWeights(without('classifier.out_proj.bias'), config), /classifier head is incomplete/);
    assert.equal(mapRobertaWeights(new Map(entries.filter(([n]) => !n.startsWith('classifier'))), config).head, undefined);
  });
});

describe('which checkpoint tensors are read', () => {
  it('reads the encoder and the classifier, not buffers, the pooler or the LM head', () => {
    assert.ok(isEncoderTensor('roberta.encoder.layer.3.attention.self.query.weight'));
    assert.ok(isEncoderTensor('embeddings.word_embeddings.weight'));
    assert.ok(isEncoderTensor('classifier.out_proj.bias'));
    assert.ok(!isEncoderTensor('roberta.embeddings.position_ids'));
    assert.ok(!isEncoderTensor('roberta.pooler.dense.weight'));
    assert.ok(!isEncoderTensor('lm_head.dense.weight'));
  });
});
