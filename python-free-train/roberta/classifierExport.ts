/**
 * A trained RoBERTa model version as ONE inference graph, for `secreview export-model`: its encoder
 * (the base one, or the fine-tuned copy in the model folder) with the trained head put in as
 * RoBERTa's classification head (`<s>` -> dense -> tanh -> out_proj: the same function as the MLP
 * head over cached embeddings), followed by a softmax. Inputs `input_ids`, `attention_mask`;
 * outputs `probs`, `logits`. Needs no onnxruntime: building and quantizing are plain TypeScript.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RobertaGraph } from '../../src/store/exportModel';
import { MODEL_FILES as VERSION_FILES, readManifest } from '../../src/store/layout';
import type { RobertaParams } from '../features/representation';
import { deserializeHead } from '../models/headFile';
import { headFromMlpParams } from './headBridge';
import { MODEL_PATH_SETTING, parseModelId, resolveModelFolder } from './hub';
import { PRECISIONS, type Precision, isPrecision, robertaClassifierModel } from './inferenceGraph';
import { MODEL_FILES, loadRobertaModel, robertaFingerprint } from './model';

export interface RobertaExportOptions {
  /** Precision of the exported graph (default: the one the model was trained with). */
  precision?: string;
  /** A folder replacing the stored location of a base encoder (CLI `--model-path`). */
  modelPath?: string;
  /** Used instead when the stored folder is gone (the extension's `secreview.model.path`). */
  fallbackModelPath?: string;
  /** Folder of Hub downloads, for models trained on a Hub encoder. */
  cacheDir: string;
  /** Hub base URL (tests). */
  hubUrl?: string;
}

/** The store's description of an exported graph (`src/store/exportModel.ts`), with typed precisions. */
export interface RobertaExport extends RobertaGraph {
  precision: Precision;
  /** The precision the model was trained (and scored the pool) with. */
  trainedPrecision: Precision;
}

export async function buildRobertaExport(modelDir: string, o: RobertaExportOptions): Promise<RobertaExport> {
  const manifest = readManifest(modelDir);
  const params = JSON.parse(await readFile(path.join(modelDir, VERSION_FILES.representation), 'utf8')) as RobertaParams;
  if (params.id !== 'roberta') throw new Error(`${modelDir}: not a RoBERTa model (representation "${String(params.id)}")`);
  const trainedPrecision: Precision = params.precision ?? 'fp32';
  // An exported model runs on any onnxruntime: one trained in fp16 on a GPU is exported in fp32.
  const precision = o.precision ?? (trainedPrecision === 'fp16' ? 'fp32' : trainedPrecision);
  if (!isPrecision(precision)) throw new Error(`unknown precision "${precision}"; use one of: ${PRECISIONS.join(', ')}`);

  const { folder, finetuned } = await encoderFolder(modelDir, params, o);
  const model = await loadRobertaModel(folder, { maxTokens: params.maxTokens });
  const expected = manifest.record.representationFingerprint;
  const actual = robertaFingerprint(model.weightsSha256, params.maxTokens, trainedPrecision);
  if (actual !== expected && robertaFingerprint(model.weightsSha256, params.maxTokens, trainedPrecision, 1) === expected) {
    throw new Error(`model ${manifest.record.version} was trained with an earlier version of the RoBERTa encoder (positions numbered from the attention mask, `
      + 'unlike Hugging Face on reviews with a literal <pad>): retrain it (secreview train) to export it');
  }
  if (actual !== expected) {
    throw new Error(`${folder}: these are not the encoder weights model ${manifest.record.version} was trained with (fingerprint ${actual} vs ${expected})`
      + (finetuned ? '' : `; give the right folder with the setting ${MODEL_PATH_SETTING} or the CLI flag --model-path <folder>`));
  }

  const { state, config: headConfig } = deserializeHead(new Uint8Array(await readFile(path.join(modelDir, VERSION_FILES.head))));
  if (headConfig.inputDim !== model.config.hiddenSize) {
    throw new Error(`${modelDir}: the head reads ${headConfig.inputDim} features, the encoder gives ${model.config.hiddenSize}`);
  }
  const head = headFromMlpParams(state.params);
  const classes = manifest.classes;
  if (head.outProj.weight.shape[0] !== classes.length) throw new Error(`${modelDir}: the head has ${head.outProj.weight.shape[0]} classes, model.json lists ${classes.length}`);
  const bytes = robertaClassifierModel({ ...model.config, numLabels: classes.length }, { ...model.weights, head }, precision);

  const files = [MODEL_FILES.tokenizer, MODEL_FILES.tokenizerConfig, MODEL_FILES.config]
    .filter((f) => existsSync(path.join(folder, f)))
    .map((name) => ({ name, from: path.join(folder, name) }));
  return {
    model: bytes, precision, trainedPrecision, maxTokens: params.maxTokens,
    hiddenSize: model.config.hiddenSize, layers: model.config.numHiddenLayers, classes: [...classes],
    // The tokenizer finds these ids by these tokens.
    special: { bos: { token: '<s>', id: model.tokenizer.special.cls }, eos: { token: '</s>', id: model.tokenizer.special.sep }, pad: { token: '<pad>', id: model.tokenizer.special.pad } },
    encoder: finetuned ? 'fine-tuned' : params.model, finetuned, files,
  };
}

/** The encoder folder, resolved as `Predictor.load` does: the model's own (fine-tuned), an override, the stored folder, or the Hub cache. */
async function encoderFolder(modelDir: string, params: RobertaParams, o: RobertaExportOptions): Promise<{ folder: string; finetuned: boolean }> {
  if (!path.isAbsolute(params.model) && existsSync(path.join(modelDir, params.model, MODEL_FILES.config))) {
    return { folder: path.join(modelDir, params.model), finetuned: true };
  }
  const source = { cacheDir: o.cacheDir, ...(o.hubUrl ? { baseUrl: o.hubUrl } : {}) };
  if (o.modelPath) return { folder: await resolveModelFolder({ ...source, path: path.resolve(o.modelPath) }), finetuned: false };
  const isFolder = existsSync(params.model) || path.isAbsolute(params.model) || params.model.startsWith('.');
  if (isFolder) {
    if (existsSync(params.model)) return { folder: await resolveModelFolder({ ...source, path: path.resolve(params.model) }), finetuned: false };
    if (o.fallbackModelPath) return { folder: await resolveModelFolder({ ...source, path: path.resolve(o.fallbackModelPath) }), finetuned: false };
    throw new Error(`the model's RoBERTa folder ${params.model} is gone: give the folder with the setting ${MODEL_PATH_SETTING} or the CLI flag --model-path <folder>`);
  }
  const { repo, revision } = parseModelId(params.model);
  return { folder: await resolveModelFolder({ ...source, repo, revision }), finetuned: false };
}
