import path from 'node:path';
import { exportModel } from '../../store/exportModel';
import { defaultModelCacheDir } from '../../../python-free-train/features/roberta';
import { buildRobertaExport } from '../../../python-free-train/roberta/classifierExport';
/** Exported models run on any onnxruntime: fp32 or int8 (fp16 graphs need a GPU provider). */
const EXPORT_PRECISIONS = ['fp32', 'int8'] as const;
import { withWorkspace, printJson } from '../workspace';
import { CliError, optString, type CliCommand } from '../types';
import { outputFolder } from '../paths';

export const exportModelCommand: CliCommand = {
  name: 'export-model',
  summary: 'export a trained model as an ONNX inference graph with its tokenizer or representation and label map',
  usage: [
    'Usage: secreview export-model --out DIR [--model VERSION] [--precision fp32|int8] [--model-path DIR]',
    '',
    'Writes the model as a self-contained folder (default: the latest model):',
    '  RoBERTa models: model.onnx, ONE graph from token ids to probabilities (inputs input_ids and',
    '    attention_mask, int64 [batch, seq]; outputs probs and logits, float32 [batch, 4]): the encoder,',
    '    fine-tuned or not, with the trained classification head; tokenizer.json and config.json; head.onnx',
    '    (the head alone, for cached <s> embeddings); label_map.json (labels, input and output names,',
    '    max tokens, how to tokenize and pad); representation.json, metrics.json and a README.',
    '  Hashing models: model.onnx (features -> probabilities), representation.json (how texts become',
    '    features), label_map.json, metrics.json and a README.',
    '',
    '  --out DIR          the folder to write (new or empty)',
    '  --model VERSION    export this model version instead of the latest',
    `  --precision P      RoBERTa: ${EXPORT_PRECISIONS.join(' or ')} (default: the precision the model was trained with;`,
    '                     int8 quantizes the encoder\'s MatMuls dynamically: about 4x smaller, faster on CPUs)',
    '  --model-path DIR   RoBERTa: the base encoder folder, when it is no longer where the model was trained',
    '                     (Hub models are read from $SECREVIEW_CACHE or ~/.cache/secreview/models;',
    '                     $SECREVIEW_MODEL_PATH is used when the stored folder is gone and no --model-path is given)',
  ].join('\n'),
  options: { out: { type: 'string' }, model: { type: 'string' }, precision: { type: 'string' }, 'model-path': { type: 'string' } },
  async run(args, io) {
    const out = optString(args, 'out');
    if (!out) throw new CliError('give the folder to write with --out DIR');
    const precision = optString(args, 'precision');
    if (precision !== undefined && !(EXPORT_PRECISIONS as readonly string[]).includes(precision)) {
      throw new CliError(`--precision must be one of ${EXPORT_PRECISIONS.join(', ')}, got "${precision}"${precision === 'fp16' ? ' (an exported model runs anywhere; fp16 graphs need a GPU provider)' : ''}`);
    }
    const outDir = outputFolder(io, out, { empty: true });
    const modelPath = optString(args, 'model-path');
    const cacheDir = defaultModelCacheDir(io.env);
    return withWorkspace(io, 'export-model', async (ws) => {
      const version = optString(args, 'model');
      if (version !== undefined && !ws.db.models().some((m) => m.version === version)) {
        throw new CliError(`no model version "${version}"; versions: ${ws.db.models().map((m) => m.version).join(', ') || 'none'}`);
      }
      const r = await exportModel(ws, outDir, {
        version, precision,
        roberta: (dir, p) => buildRobertaExport(dir, {
          precision: p, cacheDir,
          ...(modelPath ? { modelPath: path.resolve(io.cwd, modelPath) } : {}),
          // The setting's folder (the extension passes it here) stands in when the stored one has moved.
          ...(io.env.SECREVIEW_MODEL_PATH ? { fallbackModelPath: path.resolve(io.cwd, io.env.SECREVIEW_MODEL_PATH) } : {}),
        }),
      });
      if (io.json) printJson(io, r);
      else io.out(`Exported model ${r.version} (${r.representation}${r.precision ? `, ${r.precision}` : ''}) to ${r.dir}: ${r.files.join(', ')}`);
      return 0;
    }, { readOnly: true });
  },
};
