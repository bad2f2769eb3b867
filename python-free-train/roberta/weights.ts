/**
 * Hugging Face RoBERTa tensor names mapped onto a typed structure. Checkpoints name tensors with or
 * without the `roberta.` prefix (RobertaModel vs RobertaForSequenceClassification); both are read.
 * Linear weights keep Hugging Face's layout, [out, in].
 */
import type { RobertaConfig } from './config';
import type { FloatTensor } from './safetensors';

export interface Linear { weight: FloatTensor; bias: FloatTensor }
export interface LayerNormWeights { weight: FloatTensor; bias: FloatTensor }

export interface RobertaLayerWeights {
  query: Linear;
  key: Linear;
  value: Linear;
  attentionOutput: Linear;
  attentionLayerNorm: LayerNormWeights;
  intermediate: Linear;
  output: Linear;
  outputLayerNorm: LayerNormWeights;
}

export interface RobertaHeadWeights { dense: Linear; outProj: Linear }

export interface RobertaWeights {
  wordEmbeddings: FloatTensor;
  positionEmbeddings: FloatTensor;
  tokenTypeEmbeddings: FloatTensor;
  embeddingsLayerNorm: LayerNormWeights;
  layers: RobertaLayerWeights[];
  /** The sequence-classification head; absent in plain encoder checkpoints such as roberta-base. */
  head?: RobertaHeadWeights;
}

export class RobertaWeightsError extends Error {
  constructor(message: string) {
    super(`roberta weights: ${message}`);
    this.name = 'RobertaWeightsError';
  }
}

export function mapRobertaWeights(tensors: ReadonlyMap<string, FloatTensor>, c: RobertaConfig, where = 'model.safetensors'): RobertaWeights {
  const get = (name: string, shape: readonly number[]): FloatTensor => {
    const t = tensors.get(`roberta.${name}`) ?? tensors.get(name);
    if (!t) throw new RobertaWeightsError(`${where}: tensor "roberta.${name}" (or "${name}") is missing`);
    checkShape(where, name, t, shape);
    return t;
  };
  const h = c.hiddenSize, f = c.intermediateSize;
  const linear = (prefix: string, out: number, inp: number): Linear => ({ weight: get(`${prefix}.weight`, [out, inp]), bias: get(`${prefix}.bias`, [out]) });
  const norm = (prefix: string): LayerNormWeights => ({ weight: get(`${prefix}.weight`, [h]), bias: get(`${prefix}.bias`, [h]) });
  const layers: RobertaLayerWeights[] = [];
  for (let i = 0; i < c.numHiddenLayers; i++) {
    const p = `encoder.layer.${i}`;
    layers.push({
      query: linear(`${p}.attention.self.query`, h, h),
      key: linear(`${p}.attention.self.key`, h, h),
      value: linear(`${p}.attention.self.value`, h, h),
      attentionOutput: linear(`${p}.attention.output.dense`, h, h),
      attentionLayerNorm: norm(`${p}.attention.output.LayerNorm`),
      intermediate: linear(`${p}.intermediate.dense`, f, h),
      output: linear(`${p}.output.dense`, h, f),
      outputLayerNorm: norm(`${p}.output.LayerNorm`),
    });
  }
  const weights: RobertaWeights = {
    wordEmbeddings: get('embeddings.word_embeddings.weight', [c.vocabSize, h]),
    positionEmbeddings: get('embeddings.position_embeddings.weight', [c.maxPositionEmbeddings, h]),
    tokenTypeEmbeddings: get('embeddings.token_type_embeddings.weight', [c.typeVocabSize, h]),
    embeddingsLayerNorm: norm('embeddings.LayerNorm'),
    layers,
  };
  // The head is never prefixed (it sits beside `roberta`, not inside it).
  if (tensors.has('classifier.dense.weight')) {
    const headGet = (name: string, shape: readonly number[]): FloatTensor => {
      const t = tensors.get(name);
      if (!t) throw new RobertaWeightsError(`${where}: tensor "${name}" is missing (the classifier head is incomplete)`);
      checkShape(where, name, t, shape);
      return t;
    };
    weights.head = {
      dense: { weight: headGet('classifier.dense.weight', [h, h]), bias: headGet('classifier.dense.bias', [h]) },
      outProj: { weight: headGet('classifier.out_proj.weight', [c.numLabels, h]), bias: headGet('classifier.out_proj.bias', [c.numLabels]) },
    };
  }
  return weights;
}

function checkShape(where: string, name: string, t: FloatTensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new RobertaWeightsError(`${where}: tensor "${name}" has shape [${t.shape.join(', ')}], config.json implies [${shape.join(', ')}]`);
  }
}

/** Hugging Face names of every tensor of `w` (with the `roberta.` prefix), for writing checkpoints. */
export function robertaTensorEntries(w: RobertaWeights): [string, FloatTensor][] {
  const out: [string, FloatTensor][] = [];
  const add = (name: string, t: FloatTensor) => out.push([name, t]);
  const linear = (p: string, l: Linear) => { add(`${p}.weight`, l.weight); add(`${p}.bias`, l.bias); };
  add('roberta.embeddings.word_embeddings.weight', w.wordEmbeddings);
  add('roberta.embeddings.position_embeddings.weight', w.positionEmbeddings);
  add('roberta.embeddings.token_type_embeddings.weight', w.tokenTypeEmbeddings);
  linear('roberta.embeddings.LayerNorm', w.embeddingsLayerNorm);
  w.layers.forEach((l, i) => {
    const p = `roberta.encoder.layer.${i}`;
    linear(`${p}.attention.self.query`, l.query);
    linear(`${p}.attention.self.key`, l.key);
    linear(`${p}.attention.self.value`, l.value);
    linear(`${p}.attention.output.dense`, l.attentionOutput);
    linear(`${p}.attention.output.LayerNorm`, l.attentionLayerNorm);
    linear(`${p}.intermediate.dense`, l.intermediate);
    linear(`${p}.output.dense`, l.output);
    linear(`${p}.output.LayerNorm`, l.outputLayerNorm);
  });
  if (w.head) { linear('classifier.dense', w.head.dense); linear('classifier.out_proj', w.head.outProj); }
  return out;
}
