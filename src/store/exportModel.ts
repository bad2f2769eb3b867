/**
 * Model export: a model version as a self-describing folder: the ONNX inference graph, the
 * representation's parameters (and tokenizer for RoBERTa), the label map, the training metrics and
 * a README that says how to feed it.
 *
 * - hashing: `model.onnx` is the head (features -> probabilities); the features are computed as
 *   `representation.json` describes.
 * - roberta: `model.onnx` is the whole classifier (token ids -> probabilities), built by an
 *   injected `RobertaGraphBuilder` (python-free-train), so this module builds no graphs; the head
 *   alone stays as `head.onnx` for users with cached `<s>` embeddings.
 *
 * The folder is written under a temporary name beside the target and renamed when complete.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { MODEL_LABELS } from '../core/labels';
import { NoModelError } from './batches';
import type { Workspace } from './workspace';
import { MODEL_FILES, memberFiles, modelDirOf } from './layout';
import type { ModelRecord } from './labelDb';

export interface ModelExport {
  version: string;
  dir: string;
  files: string[];
  representation: string;
  /** RoBERTa: the precision of the exported graph. */
  precision?: string;
}

export interface SpecialToken { token: string; id: number }

/** What the builder of a RoBERTa model's whole inference graph returns (see python-free-train/roberta/classifierExport.ts). */
export interface RobertaGraph {
  /** ONNX model bytes: input_ids, attention_mask (int64 [batch, seq]) -> probs, logits (float32 [batch, classes]). */
  model: Uint8Array;
  precision: string;
  trainedPrecision: string;
  maxTokens: number;
  hiddenSize: number;
  layers: number;
  classes: string[];
  special: { bos: SpecialToken; eos: SpecialToken; pad: SpecialToken };
  encoder: string;
  finetuned: boolean;
  /** Encoder files shipped beside the graph (tokenizer.json, config.json, ...). */
  files: { name: string; from: string }[];
}

/** Builds the graph of the model folder `modelDir`; `precision` undefined means the model's own. */
export type RobertaGraphBuilder = (modelDir: string, precision: string | undefined) => Promise<RobertaGraph>;

export interface ExportModelOptions {
  /** Model version (default: the latest). */
  version?: string;
  /** RoBERTa only: precision of the exported graph. */
  precision?: string;
  /** Needed to export RoBERTa models. */
  roberta?: RobertaGraphBuilder;
}

interface StoredRepresentation { id?: string; config?: { dim?: number } }

/** Where process `pid` writes an export to `outDir` until it is complete (then renamed into place). */
export function partialFolderFor(outDir: string, pid: number): string {
  return path.join(path.dirname(outDir), `.${path.basename(outDir)}.${pid}.partial`);
}

export async function exportModel(ws: Workspace, outDir: string, options: ExportModelOptions = {}): Promise<ModelExport> {
  const { version } = options;
  const record = version ? ws.db.models().find((m) => m.version === version) : ws.db.latestModel();
  if (!record) throw version ? new Error(`no model version "${version}"; versions: ${ws.db.models().map((m) => m.version).join(', ') || 'none'}`) : new NoModelError('no trained model yet: run "secreview train" first');
  const src = modelDirOf(ws.dir, record.version);
  const onnx = path.join(src, MODEL_FILES.inference);
  if (!existsSync(onnx)) throw new Error(`model ${record.version} has no inference graph (${onnx} is missing)`);
  if (!isEmptyOrMissing(outDir)) throw new Error(`${outDir} exists and is not empty; choose a new folder`);
  const representation: StoredRepresentation = existsSync(path.join(src, MODEL_FILES.representation))
    ? (JSON.parse(readFileSync(path.join(src, MODEL_FILES.representation), 'utf8')) as StoredRepresentation)
    : {};
  const kind = representation.id ?? record.representation;
  // The label map is written from MODEL_LABELS: a model with other classes must not get it.
  const sameClasses = (classes: readonly string[] | undefined) => !classes || classes.join() === MODEL_LABELS.join();
  // Trainer records carry their classes (older ones may not).
  const recorded = (record as { classes?: readonly string[] }).classes;
  if (!sameClasses(recorded)) throw new Error(`model ${record.version} has classes ${recorded!.join(', ')}, not ${MODEL_LABELS.join(', ')}; this version cannot export it`);
  let roberta: RobertaGraph | undefined;
  if (kind === 'roberta') {
    if (!options.roberta) throw new Error(`model ${record.version} is a RoBERTa model; this caller cannot build its inference graph`);
    roberta = await options.roberta(src, options.precision);
    if (!sameClasses(roberta.classes)) throw new Error(`model ${record.version}: the exported graph has classes ${roberta.classes.join(', ')}, not ${MODEL_LABELS.join(', ')}`);
  } else if (options.precision !== undefined) {
    throw new Error(`model ${record.version} uses the ${kind} representation: a precision applies to RoBERTa models only`);
  }

  const tmp = partialFolderFor(outDir, process.pid);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const files: string[] = [];
  const members = ensembleMembersOf(record);
  const ensemble = members ? { ensemble: ensembleLabelMap(members, roberta) } : {};
  const put = (name: string, data: string | Uint8Array) => { writeFileSync(path.join(tmp, name), data); files.push(name); };
  const copy = (from: string, name: string) => { copyFileSync(from, path.join(tmp, name)); files.push(name); };
  try {
    if (roberta) {
      put('model.onnx', roberta.model);
      copy(onnx, 'head.onnx');
      for (const f of roberta.files) copy(f.from, f.name);
      copy(path.join(src, MODEL_FILES.representation), 'representation.json');
      put('label_map.json', JSON.stringify({ ...robertaLabelMap(roberta), ...ensemble }, null, 2) + '\n');
    } else {
      copy(onnx, 'model.onnx');
      for (const extra of ['representation.json', 'tokenizer.json', 'config.json']) {
        if (existsSync(path.join(src, extra))) copy(path.join(src, extra), extra);
      }
      put('label_map.json', JSON.stringify({
        ...labelIds(),
        input: { name: 'x', type: 'float32', shape: ['batch', representation.config?.dim ?? 'features'] },
        output: { name: 'probs', type: 'float32', shape: ['batch', MODEL_LABELS.length] },
        ...ensemble,
      }, null, 2) + '\n');
    }
    if (members) {
      mkdirSync(path.join(tmp, ENSEMBLE_DIR));
      for (let m = 0; m < members; m++) {
        const from = path.join(src, memberFiles(m).inference);
        if (!existsSync(from)) throw new Error(`model ${record.version}: ensemble member ${m + 1}'s graph (${from}) is missing; retrain to rebuild it`);
        copy(from, `${ENSEMBLE_DIR}/${memberFiles(m).inference}`);
      }
    }
    put('metrics.json', JSON.stringify(record, null, 2) + '\n');
    const intro = [
      `# Security Review Labeler model ${record.version}`,
      '',
      `Trained ${record.createdAt} on the labels of a Security Review Labeler workspace; representation \`${record.representation}\`; ${keptWeights(record)}.`,
      '',
    ];
    put('README.md', [...intro, ...(roberta ? robertaReadme(roberta, record.version) : hashingReadme(record.version)), ...(members ? ensembleReadme(members, roberta) : [])].join('\n'));
    if (existsSync(outDir)) rmdirSync(outDir);
    renameSync(tmp, outDir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return { version: record.version, dir: outDir, files, representation: kind ?? 'unknown', ...(roberta ? { precision: roberta.precision } : {}) };
}

/**
 * Where an export goes when the user picks `chosen` in a folder dialog: the folder itself when it
 * is empty (or new), else a new subfolder named after the model version.
 */
export function exportFolderFor(chosen: string, version: string): string {
  return isEmptyOrMissing(chosen) ? chosen : path.join(chosen, `secreview-model-${version}`);
}

function isEmptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** Subfolder of an export that holds the ensemble members' graphs. */
const ENSEMBLE_DIR = 'ensemble';

/** Members of the model's ensemble, from its record (0 without one). */
function ensembleMembersOf(record: ModelRecord): number {
  const e = record.ensemble as { members?: unknown } | undefined;
  return typeof e?.members === 'number' && Number.isInteger(e.members) && e.members > 0 ? e.members : 0;
}

function ensembleLabelMap(members: number, roberta: RobertaGraph | undefined) {
  return {
    files: Array.from({ length: members }, (_, m) => `${ENSEMBLE_DIR}/${memberFiles(m).inference}`),
    input: { name: 'x', type: 'float32', shape: ['batch', roberta ? roberta.hiddenSize : 'features'], features: roberta ? `the ${roberta.special.bos.token} embedding of the base encoder's last layer` : 'as for model.onnx' },
    output: { name: 'probs', type: 'float32', shape: ['batch', MODEL_LABELS.length] },
    combine: 'the ensemble strategy ranks by the mean p(yes) over the members; ucb adds their standard deviation',
  };
}

function ensembleReadme(members: number, roberta: RobertaGraph | undefined): string[] {
  return [
    '## Ensemble',
    '',
    `\`${ENSEMBLE_DIR}/member-1.onnx\` ... \`member-${members}.onnx\`: the ${members} heads trained beside the model, each on a bootstrap resample of the labels (see \`metrics.json\`, \`ensemble\`). Same input as ${roberta ? '`head.onnx` (the base encoder\'s embeddings)' : '`model.onnx`'}, same output; the mean of their p(yes) is what the ensemble strategy ranks by, and their spread is the model's uncertainty.`,
    '',
  ];
}

function labelIds() {
  return {
    id2label: Object.fromEntries(MODEL_LABELS.map((l, i) => [i, l])),
    label2id: Object.fromEntries(MODEL_LABELS.map((l, i) => [l, i])),
    target: 'yes',
  };
}

function robertaLabelMap(r: RobertaGraph) {
  const C = MODEL_LABELS.length;
  return {
    ...labelIds(),
    inputs: [
      { name: 'input_ids', type: 'int64', shape: ['batch', 'seq'] },
      { name: 'attention_mask', type: 'int64', shape: ['batch', 'seq'] },
    ],
    outputs: [
      { name: 'probs', type: 'float32', shape: ['batch', C], description: 'softmax of the logits, classes in id2label order' },
      { name: 'logits', type: 'float32', shape: ['batch', C] },
    ],
    max_tokens: r.maxTokens,
    precision: r.precision,
    tokenization: {
      tokenizer: 'tokenizer.json',
      sequence: `${r.special.bos.token} + the first ${r.maxTokens - 2} tokens of the text (tokenized without adding special tokens) + ${r.special.eos.token}`,
      add_special_tokens: false,
      special_tokens_in_text: 'matched as special tokens (Hugging Face\'s default): a review that writes <pad> or <mask> gets their ids, with attention mask 1',
      text_tokens: r.maxTokens - 2,
      bos: r.special.bos,
      eos: r.special.eos,
      pad: r.special.pad,
      padding: 'to the longest sequence in the batch with the pad id; attention_mask is 1 for tokens, 0 for padding',
    },
    head: {
      file: 'head.onnx',
      features: `the ${r.special.bos.token} embedding of the encoder's last layer`,
      input: { name: 'x', type: 'float32', shape: ['batch', r.hiddenSize] },
      output: { name: 'probs', type: 'float32', shape: ['batch', C] },
    },
  };
}

/** How the exported weights were chosen, from the model's record (`headFit`, absent in older models). */
function keptWeights(record: ModelRecord): string {
  const fit = record.headFit as { fit?: unknown; selection?: unknown } | undefined;
  return fit?.fit === 'l2' && typeof fit.selection === 'string' ? `linear head, ${fit.selection}` : `kept epoch ${record.selectedEpoch}`;
}

function hashingReadme(version: string): string[] {
  return [
    `- \`model.onnx\`: ONNX (opset 17) inference graph. Input \`x\`: float32 [batch, features]; output \`probs\`: float32 [batch, ${MODEL_LABELS.length}], softmax over ${MODEL_LABELS.map((l) => `\`${l}\``).join(', ')} (see \`label_map.json\`).`,
    '- `representation.json`: how texts become features. For `hashing`: word and character n-grams hashed (MurmurHash3) into `config.dim` signed buckets with sublinear tf and the stored idf (base64 float32), L2-normalized, as implemented by the project\'s hashing representation; for `roberta`: the encoder and its `tokenizer.json`.',
    '- `metrics.json`: train and test loss, precision@k and ROC-AUC of `yes` on the held-out 30%, per epoch or, for the linear head, per candidate L2 strength.',
    '',
    'Score new reviews with the CLI: `secreview predict reviews.jsonl --model ' + version + '`.',
    '',
  ];
}

function robertaReadme(r: RobertaGraph, version: string): string[] {
  const C = MODEL_LABELS.length;
  const labels = MODEL_LABELS.map((l) => `\`${l}\``).join(', ');
  const { bos, eos, pad } = r.special;
  return [
    `The whole classifier is one ONNX (opset 17) graph: the RoBERTa encoder (${r.layers} layers, hidden size ${r.hiddenSize}, ${r.finetuned ? 'with its fine-tuned top layers' : `weights of \`${r.encoder}\``}) with the trained classification head (\`${bos.token}\` -> dense -> tanh -> out_proj) and a softmax. Precision: ${r.precision}${r.precision === 'int8' ? ' (dynamic int8 MatMuls in the encoder; the head stays float32)' : ''}.`,
    '',
    '## Files',
    '',
    `- \`model.onnx\`: inputs \`input_ids\` and \`attention_mask\`, int64 [batch, seq]; outputs \`probs\`, float32 [batch, ${C}], softmax over ${labels}, and \`logits\` (before the softmax).`,
    '- `tokenizer.json`: the byte-level BPE tokenizer (Hugging Face `tokenizers` format); `config.json`: the encoder\'s configuration.',
    `- \`head.onnx\`: the head alone, input \`x\` float32 [batch, ${r.hiddenSize}] (the \`${bos.token}\` embedding of the encoder's last layer), output \`probs\`: for scoring embeddings you already have.`,
    '- `label_map.json`: labels, input and output names, types and shapes, and the tokenization below.',
    '- `representation.json`: where the encoder came from, its truncation length and precision when trained; `metrics.json`: per-epoch train and test loss, precision@k and ROC-AUC of `yes` on the held-out 30%.',
    '',
    '## Tokenization',
    '',
    `Each text is \`${bos.token}\` (id ${bos.id}), the first ${r.maxTokens - 2} tokens of the text as \`tokenizer.json\` splits it without adding special tokens, then \`${eos.token}\` (id ${eos.id}): at most ${r.maxTokens} tokens. Special tokens written in a text (\`<s>\`, \`</s>\`, \`<pad>\`, \`<mask>\`, \`<unk>\`) are matched as those tokens, as Hugging Face's tokenizers do by default (keep it so: Python's \`Tokenizer.encode\` does the same unless \`encode_special_tokens\` is set), and count as text (attention mask 1). A batch is padded to its longest sequence with \`${pad.token}\` (id ${pad.id}); \`attention_mask\` is 1 for tokens and 0 for padding.`,
    '',
    '## Running it',
    '',
    'With onnxruntime in any language. In Python (`pip install onnxruntime tokenizers numpy`):',
    '',
    '```python',
    'import json, numpy as np, onnxruntime as ort',
    'from tokenizers import Tokenizer',
    '',
    'meta = json.load(open("label_map.json"))',
    't = meta["tokenization"]',
    'tok = Tokenizer.from_file("tokenizer.json")',
    'tok.no_truncation(); tok.no_padding()',
    'texts = ["This allows SQL injection.", "Nit: rename this variable."]',
    'rows = [[t["bos"]["id"]] + tok.encode(x, add_special_tokens=False).ids[:t["text_tokens"]] + [t["eos"]["id"]] for x in texts]',
    'seq = max(len(r) for r in rows)',
    'ids = np.full((len(rows), seq), t["pad"]["id"], dtype=np.int64)',
    'mask = np.zeros((len(rows), seq), dtype=np.int64)',
    'for i, r in enumerate(rows):',
    '    ids[i, :len(r)] = r',
    '    mask[i, :len(r)] = 1',
    'probs = ort.InferenceSession("model.onnx").run(["probs"], {"input_ids": ids, "attention_mask": mask})[0]',
    'for x, p in zip(texts, probs):',
    '    print(x, {meta["id2label"][str(k)]: float(v) for k, v in enumerate(p)})',
    '```',
    '',
    'In JavaScript the same steps run with `onnxruntime-node` (or `onnxruntime-web`) and `@huggingface/tokenizers`.',
    '',
    `Or score new reviews with the CLI in the workspace the model was trained in: \`secreview predict reviews.jsonl --model ${version}\`.`,
    '',
  ];
}
