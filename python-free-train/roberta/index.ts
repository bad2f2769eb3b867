/** RoBERTa without Python: reading Hugging Face folders, the encoder graph, inference, caching, fine-tuning. */
export { type RobertaConfig, RobertaConfigError, maxSequenceLength, parseRobertaConfig } from './config';
export { type FloatTensor, SafetensorsError, parseSafetensors, readSafetensors } from './safetensors';
export { type RobertaWeights, RobertaWeightsError, mapRobertaWeights } from './weights';
export { DEFAULT_MAX_TOKENS, type EncodedBatch, RobertaTokenizer, RobertaTokenizerError } from './tokenizer';
export { type RobertaModel, RobertaModelError, loadRobertaModel, missingModelFiles, robertaFingerprint } from './model';
export { PRECISIONS, type Precision, RobertaEncoder, robertaInferenceModel } from './encoder';
export { isPrecision, robertaClassifierModel } from './inferenceGraph';
export { type RobertaExport, type RobertaExportOptions, buildRobertaExport } from './classifierExport';
export { quantizeMatMulsDynamic } from './quantize';
export {
  DEFAULT_HUB_MODEL, DEFAULT_HUB_URL, DEFAULT_REVISION, MODEL_FLAG, MODEL_PATH_SETTING, ModelDownloadError,
  type DownloadProgress, type ModelSource, cacheFolder, downloadModel, resolveModelFolder,
} from './hub';
export { RobertaRepresentation, type RobertaRepresentationOptions } from './representation';
export { Fp16EmbeddingCache } from './embeddingCache';
export { type FineTuneOptions, RobertaFineTuner } from './fineTune';
export { saveRobertaModel } from './save';
export { MLP_HEAD_CONFIG, headFromMlpParams, mlpParamsFromHead } from './headBridge';
