/**
 * Model export: a model version as a self-describing folder: the ONNX inference graph
 * (features -> probabilities), the representation's parameters (and tokenizer for RoBERTa), the
 * label map, the training metrics and a README that says how to feed it.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MODEL_LABELS } from '../core/labels';
import type { Workspace } from './workspace';
import { modelDir } from './scores';

export interface ModelExport { version: string; dir: string; files: string[] }

export function exportModel(ws: Workspace, outDir: string, version?: string): ModelExport {
  const record = version ? ws.db.models().find((m) => m.version === version) : ws.db.latestModel();
  if (!record) throw new Error(version ? `no model version "${version}"; versions: ${ws.db.models().map((m) => m.version).join(', ') || 'none'}` : 'no trained model yet: run "secreview train" first');
  const src = modelDir(ws.dir, record.version);
  const onnx = path.join(src, 'head.onnx');
  if (!existsSync(onnx)) throw new Error(`model ${record.version} has no inference graph (${onnx} is missing)`);
  if (existsSync(outDir) && readdirSync(outDir).length) throw new Error(`${outDir} exists and is not empty; choose a new folder`);
  mkdirSync(outDir, { recursive: true });
  const files: string[] = [];
  const put = (name: string, data: string) => { writeFileSync(path.join(outDir, name), data); files.push(name); };
  copyFileSync(onnx, path.join(outDir, 'model.onnx'));
  files.push('model.onnx');
  for (const extra of ['representation.json', 'tokenizer.json', 'config.json']) {
    if (existsSync(path.join(src, extra))) { copyFileSync(path.join(src, extra), path.join(outDir, extra)); files.push(extra); }
  }
  const representation = existsSync(path.join(src, 'representation.json'))
    ? (JSON.parse(readFileSync(path.join(src, 'representation.json'), 'utf8')) as { id?: string; config?: { dim?: number } })
    : {};
  put('label_map.json', JSON.stringify({
    id2label: Object.fromEntries(MODEL_LABELS.map((l, i) => [i, l])),
    label2id: Object.fromEntries(MODEL_LABELS.map((l, i) => [l, i])),
    target: 'yes',
    input: { name: 'x', type: 'float32', shape: ['batch', representation.config?.dim ?? 'features'] },
    output: { name: 'probs', type: 'float32', shape: ['batch', MODEL_LABELS.length] },
  }, null, 2) + '\n');
  put('metrics.json', JSON.stringify(record, null, 2) + '\n');
  put('README.md', [
    `# Security Review Labeler model ${record.version}`,
    '',
    `Trained ${record.createdAt} on the labels of a Security Review Labeler workspace; representation \`${record.representation}\`; kept epoch ${record.selectedEpoch}.`,
    '',
    `- \`model.onnx\`: ONNX (opset 17) inference graph. Input \`x\`: float32 [batch, features]; output \`probs\`: float32 [batch, ${MODEL_LABELS.length}], softmax over ${MODEL_LABELS.map((l) => `\`${l}\``).join(', ')} (see \`label_map.json\`).`,
    '- `representation.json`: how texts become features. For `hashing`: word and character n-grams hashed (MurmurHash3) into `config.dim` signed buckets with sublinear tf and the stored idf (base64 float32), L2-normalized, as implemented by the project\'s hashing representation; for `roberta`: the encoder and its `tokenizer.json`.',
    '- `metrics.json`: per-epoch train and test loss, precision@k and ROC-AUC of `yes` on the held-out 30%.',
    '',
    'Score new reviews with the CLI: `secreview predict reviews.jsonl --model ' + record.version + '`.',
    '',
  ].join('\n'));
  return { version: record.version, dir: outDir, files };
}
