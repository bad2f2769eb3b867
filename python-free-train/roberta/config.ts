/** The fields of a Hugging Face RoBERTa `config.json` the encoder needs, checked. */

export interface RobertaConfig {
  hiddenSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositionEmbeddings: number;
  typeVocabSize: number;
  layerNormEps: number;
  padTokenId: number;
  /** Classes of the classification head, when the checkpoint has one (`num_labels`/`id2label`). */
  numLabels: number;
  hiddenAct: string;
}

export class RobertaConfigError extends Error {
  constructor(where: string, message: string) {
    super(`roberta config: ${where}: ${message}`);
    this.name = 'RobertaConfigError';
  }
}

export function parseRobertaConfig(json: unknown, where = 'config.json'): RobertaConfig {
  if (!json || typeof json !== 'object' || Array.isArray(json)) throw new RobertaConfigError(where, 'not a JSON object');
  const o = json as Record<string, unknown>;
  const positive = (key: string, fallback?: number): number => {
    const v = o[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new RobertaConfigError(where, `"${key}" must be a positive integer, got ${JSON.stringify(o[key])}`);
    }
    return v;
  };
  const hiddenAct = o.hidden_act ?? 'gelu';
  if (hiddenAct !== 'gelu') throw new RobertaConfigError(where, `hidden_act "${String(hiddenAct)}" is not supported (only the exact "gelu")`);
  const config: RobertaConfig = {
    hiddenSize: positive('hidden_size'),
    numHiddenLayers: positive('num_hidden_layers'),
    numAttentionHeads: positive('num_attention_heads'),
    intermediateSize: positive('intermediate_size'),
    vocabSize: positive('vocab_size'),
    maxPositionEmbeddings: positive('max_position_embeddings'),
    typeVocabSize: positive('type_vocab_size', 1),
    layerNormEps: typeof o.layer_norm_eps === 'number' && o.layer_norm_eps > 0 ? o.layer_norm_eps : 1e-5,
    padTokenId: typeof o.pad_token_id === 'number' && Number.isInteger(o.pad_token_id) && o.pad_token_id >= 0 ? o.pad_token_id : 1,
    numLabels: numLabelsOf(o),
    hiddenAct: 'gelu',
  };
  if (config.hiddenSize % config.numAttentionHeads !== 0) {
    throw new RobertaConfigError(where, `hidden_size ${config.hiddenSize} is not a multiple of num_attention_heads ${config.numAttentionHeads}`);
  }
  if (config.padTokenId >= config.vocabSize) throw new RobertaConfigError(where, `pad_token_id ${config.padTokenId} >= vocab_size ${config.vocabSize}`);
  if (config.maxPositionEmbeddings <= config.padTokenId + 1) {
    throw new RobertaConfigError(where, `max_position_embeddings ${config.maxPositionEmbeddings} leaves no positions after the padding offset ${config.padTokenId + 1}`);
  }
  return config;
}

function numLabelsOf(o: Record<string, unknown>): number {
  if (typeof o.num_labels === 'number' && Number.isInteger(o.num_labels) && o.num_labels > 0) return o.num_labels;
  if (o.id2label && typeof o.id2label === 'object') return Object.keys(o.id2label).length;
  return 2;
}

/** Longest token sequence (with `<s>` and `</s>`) the position table allows: RoBERTa offsets positions by pad_token_id + 1. */
export function maxSequenceLength(c: RobertaConfig): number {
  return c.maxPositionEmbeddings - c.padTokenId - 1;
}

/** The inverse of `parseRobertaConfig`, in Hugging Face's field names (for writing models). */
export function toHfConfig(c: RobertaConfig): Record<string, unknown> {
  return {
    architectures: ['RobertaForSequenceClassification'],
    model_type: 'roberta',
    hidden_size: c.hiddenSize,
    num_hidden_layers: c.numHiddenLayers,
    num_attention_heads: c.numAttentionHeads,
    intermediate_size: c.intermediateSize,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxPositionEmbeddings,
    type_vocab_size: c.typeVocabSize,
    layer_norm_eps: c.layerNormEps,
    pad_token_id: c.padTokenId,
    bos_token_id: 0,
    eos_token_id: 2,
    hidden_act: c.hiddenAct,
    num_labels: c.numLabels,
    id2label: Object.fromEntries(Array.from({ length: c.numLabels }, (_, i) => [String(i), `LABEL_${i}`])),
    label2id: Object.fromEntries(Array.from({ length: c.numLabels }, (_, i) => [`LABEL_${i}`, i])),
  };
}
