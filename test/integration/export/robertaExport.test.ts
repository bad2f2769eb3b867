/**
 * `secreview export-model` on RoBERTa models: one graph from token ids to probabilities, run with
 * the project's onnxruntime backend on texts tokenized from the exported tokenizer.json, agrees
 * with `Predictor` (encoder + head.onnx) on the model folder.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { onnx } from 'onnx-proto';
import { main } from '../../../src/cli/main';
import { exportFolderFor } from '../../../src/store/exportModel';
import { Backend, Tensor } from '../../../python-free-train/backend';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { cacheFolder } from '../../../python-free-train/roberta/hub';
import { RobertaTokenizer } from '../../../python-free-train/roberta/tokenizer';
import { Predictor } from '../../../python-free-train/trainer/predictor';
import { paperWorkspace, needsPaperData } from '../trainer/helpers';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out, err };
}

interface LabelMap {
  id2label: Record<string, string>;
  inputs: { name: string; type: string; shape: (string | number)[] }[];
  outputs: { name: string; type: string; shape: (string | number)[] }[];
  max_tokens: number;
  precision: string;
  tokenization: { text_tokens: number; bos: { token: string; id: number }; eos: { token: string; id: number }; pad: { token: string; id: number } };
  head: { file: string; input: { name: string; shape: (string | number)[] } };
}

/** Runs DIR/model.onnx on `texts` exactly as the export's label_map.json and README say. */
async function runExport(dir: string, texts: string[]): Promise<{ probs: Float32Array; logits: Float32Array; labelMap: LabelMap }> {
  const labelMap = JSON.parse(readFileSync(path.join(dir, 'label_map.json'), 'utf8')) as LabelMap;
  const tokenizer = await RobertaTokenizer.fromFile(path.join(dir, 'tokenizer.json'), { maxTokens: labelMap.max_tokens, configJson: path.join(dir, 'tokenizer_config.json') });
  assert.deepEqual(tokenizer.special, { cls: labelMap.tokenization.bos.id, sep: labelMap.tokenization.eos.id, pad: labelMap.tokenization.pad.id });
  const batch = tokenizer.encodeBatch(texts); // one batch, padded to its longest text
  const backend = await Backend.create({ device: 'cpu' });
  const session = await backend.session(new Uint8Array(readFileSync(path.join(dir, 'model.onnx'))), 'exported roberta');
  try {
    const dims = [batch.batch, batch.seqLen];
    const out = await session.run({ input_ids: new Tensor('int64', dims, batch.inputIds), attention_mask: new Tensor('int64', dims, batch.attentionMask) }, ['probs', 'logits']);
    return { probs: out.probs!.float32, logits: out.logits!.float32, labelMap };
  } finally {
    await session.release();
  }
}

async function predictorProbs(modelDir: string, texts: string[]): Promise<Float32Array> {
  const predictor = await Predictor.load(modelDir);
  try {
    return await predictor.predict(texts);
  } finally {
    await predictor.release();
  }
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

function checkRows(probs: Float32Array, logits: Float32Array, rows: number): void {
  for (let r = 0; r < rows; r++) {
    const p = probs.subarray(r * 4, r * 4 + 4), z = logits.subarray(r * 4, r * 4 + 4);
    assert.ok(Math.abs(p.reduce((s, x) => s + x, 0) - 1) < 1e-5, `row ${r} sums to 1`);
    const m = Math.max(...z), e = Array.from(z, (x) => Math.exp(x - m)), s = e.reduce((a, b) => a + b, 0);
    e.forEach((x, c) => assert.ok(Math.abs(x / s - p[c]!) < 1e-5, `row ${r}: probs = softmax(logits)`));
  }
}

/** Pool texts of very different lengths (some far past max tokens) and new ones. */
function sampleTexts(bodies: string[]): string[] {
  const byLength = [...bodies].sort((a, b) => a.length - b.length);
  return [
    byLength[0]!, byLength[Math.floor(byLength.length / 2)]!, byLength.at(-1)!, bodies[3]!, bodies[17]!,
    'This allows SQL injection.', 'Nit: rename this variable.', 'x',
  ];
}

test('RoBERTa export (head only): one graph from token ids to the model\'s probabilities; int8; a moved or Hub encoder; bad precision', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(150);
  const bodies = Array.from({ length: ws.pool.size }, (_, row) => ws.pool.get(row).body);
  await ws.close();
  const root = mkdtempSync(path.join(os.tmpdir(), 'secreview-export-roberta-'));
  const encoderDir = path.join(root, 'tiny-roberta');
  const savedCache = process.env.SECREVIEW_CACHE;
  try {
    await writeTinyRoberta(encoderDir, { seed: 9, bpeTokens: 600, hidden: 16, layers: 2, heads: 2, intermediate: 32 });
    const trained = await cli(folder, 'train', '--representation', 'roberta', '--model', encoderDir, '--max-tokens', '24', '--epochs', '2', '--size', '5');
    assert.equal(trained.code, 0, trained.err.join('\n'));
    const modelDir = path.join(folder, '.secreview', 'models', 'm0001');

    const out = path.join(root, 'export-fp32');
    const r = await cli(folder, 'export-model', '--out', out, '--json');
    assert.equal(r.code, 0, r.err.join('\n'));
    const report = JSON.parse(r.out.join('\n')) as { version: string; files: string[]; representation: string; precision: string };
    assert.deepEqual({ ...report, files: [...report.files].sort() }, {
      version: 'm0001', dir: out, representation: 'roberta', precision: 'fp32',
      // The default strategy (auto: the ensemble, RoBERTa's head being a network) trains five heads over the same embeddings beside the model.
      files: ['README.md', 'config.json', ...[1, 2, 3, 4, 5].map((m) => `ensemble/member-${m}.onnx`), 'head.onnx', 'label_map.json', 'metrics.json', 'model.onnx', 'representation.json', 'tokenizer.json', 'tokenizer_config.json'],
    });
    assert.deepEqual(readFileSync(path.join(out, 'head.onnx')), readFileSync(path.join(modelDir, 'head.onnx')));
    assert.deepEqual(readFileSync(path.join(out, 'tokenizer.json')), readFileSync(path.join(encoderDir, 'tokenizer.json')));

    const texts = sampleTexts(bodies);
    const expected = await predictorProbs(modelDir, texts);
    const got = await runExport(out, texts);
    assert.ok(maxDiff(got.probs, expected) < 1e-4, `fp32 export vs predictor: ${maxDiff(got.probs, expected)}`);
    checkRows(got.probs, got.logits, texts.length);
    const lm = got.labelMap;
    assert.deepEqual(lm.id2label, { 0: 'yes', 1: 'no', 2: 'unclear', 3: 'language' });
    assert.deepEqual(lm.inputs, [{ name: 'input_ids', type: 'int64', shape: ['batch', 'seq'] }, { name: 'attention_mask', type: 'int64', shape: ['batch', 'seq'] }]);
    assert.deepEqual(lm.outputs.map((o) => [o.name, o.type, o.shape]), [['probs', 'float32', ['batch', 4]], ['logits', 'float32', ['batch', 4]]]);
    assert.equal(lm.max_tokens, 24);
    assert.equal(lm.tokenization.text_tokens, 22);
    assert.deepEqual([lm.tokenization.bos, lm.tokenization.eos, lm.tokenization.pad], [{ token: '<s>', id: 0 }, { token: '</s>', id: 2 }, { token: '<pad>', id: 1 }]);
    assert.deepEqual(lm.head.input, { name: 'x', type: 'float32', shape: ['batch', 16] });
    const readme = readFileSync(path.join(out, 'README.md'), 'utf8');
    assert.match(readme, /input_ids.*attention_mask/);
    assert.match(readme, /onnxruntime/);
    assert.match(readme, /secreview predict reviews\.jsonl --model m0001/);

    // int8: the encoder's MatMuls quantized dynamically; the probabilities stay close.
    const out8 = path.join(root, 'export-int8');
    const r8 = await cli(folder, 'export-model', '--out', out8, '--precision', 'int8');
    assert.equal(r8.code, 0, r8.err.join('\n'));
    assert.match(r8.out.join('\n'), /Exported model m0001 \(roberta, int8\)/);
    const got8 = await runExport(out8, texts);
    assert.equal(got8.labelMap.precision, 'int8');
    // Every weight matrix of the encoder is stored as int8 (at this tiny size the quantization nodes outweigh the bytes saved).
    const weights8 = onnx.ModelProto.decode(readFileSync(path.join(out8, 'model.onnx'))).graph!.initializer!;
    assert.ok(weights8.filter((t) => t.dataType === onnx.TensorProto.DataType.INT8).length >= 2 * 6);
    assert.deepEqual(weights8.filter((t) => /^layer\.\d+\..*\.weight$/.test(t.name!) && t.dims!.length === 2 && t.dataType === onnx.TensorProto.DataType.FLOAT).map((t) => t.name), []);
    const d8 = maxDiff(got8.probs, expected);
    assert.ok(d8 > 0 && d8 < 0.03, `int8 export vs fp32 predictor: ${d8} (tolerance 0.03)`);
    checkRows(got8.probs, got8.logits, texts.length);

    const bad = await cli(folder, 'export-model', '--out', path.join(root, 'bad'), '--precision', 'fp16');
    assert.equal(bad.code, 2);
    assert.match(bad.err.join('\n'), /--precision must be one of fp32, int8, got "fp16"/);
    assert.ok(!existsSync(path.join(root, 'bad')));

    // The base encoder moved: the error says how to point at it; --model-path does.
    const moved = path.join(root, 'moved-roberta');
    renameSync(encoderDir, moved);
    const gone = await cli(folder, 'export-model', '--out', path.join(root, 'gone'));
    assert.equal(gone.code, 1);
    assert.match(gone.err.join('\n'), /RoBERTa folder .* is gone: .*secreview\.model\.path.*--model-path/);
    assert.ok(!existsSync(path.join(root, 'gone')));
    const found = await cli(folder, 'export-model', '--out', path.join(root, 'found'), '--model-path', moved);
    assert.equal(found.code, 0, found.err.join('\n'));
    assert.deepEqual(readFileSync(path.join(root, 'found', 'model.onnx')), readFileSync(path.join(out, 'model.onnx')));

    // A model on a Hub encoder: read from the download cache ($SECREVIEW_CACHE), not the network.
    const cache = path.join(root, 'cache');
    const cached = cacheFolder(cache, 'owner/tiny-roberta', 'v1');
    mkdirSync(path.dirname(cached), { recursive: true });
    renameSync(moved, cached);
    writeFileSync(path.join(cached, '.secreview-download.json'), '{}\n');
    const stored = path.join(modelDir, 'representation.json');
    writeFileSync(stored, JSON.stringify({ ...JSON.parse(readFileSync(stored, 'utf8')) as object, model: 'owner/tiny-roberta@v1' }));
    process.env.SECREVIEW_CACHE = cache;
    const hub = await cli(folder, 'export-model', '--out', path.join(root, 'hub'));
    assert.equal(hub.code, 0, hub.err.join('\n'));
    assert.deepEqual(readFileSync(path.join(root, 'hub', 'model.onnx')), readFileSync(path.join(out, 'model.onnx')));
    assert.match(readFileSync(path.join(root, 'hub', 'README.md'), 'utf8'), /weights of `owner\/tiny-roberta@v1`/);
  } finally {
    if (savedCache === undefined) delete process.env.SECREVIEW_CACHE; else process.env.SECREVIEW_CACHE = savedCache;
    cleanup();
    rmSync(root, { recursive: true, force: true });
  }
});

/** A paper workspace with a model m0001 trained on a tiny random RoBERTa with `trainArgs`, exported to `out`. */
async function trainedAndExported(reviews: number, tiny: { seed: number; layers: number }, trainArgs: string[]) {
  const { ws, folder, cleanup } = await paperWorkspace(reviews);
  const bodies = Array.from({ length: ws.pool.size }, (_, row) => ws.pool.get(row).body);
  await ws.close();
  const root = mkdtempSync(path.join(os.tmpdir(), 'secreview-export-roberta-'));
  const encoderDir = path.join(root, 'tiny-roberta');
  const out = path.join(root, 'export');
  const done = () => { cleanup(); rmSync(root, { recursive: true, force: true }); };
  try {
    await writeTinyRoberta(encoderDir, { seed: tiny.seed, bpeTokens: 600, hidden: 16, layers: tiny.layers, heads: 2, intermediate: 32 });
    const trained = await cli(folder, 'train', '--representation', 'roberta', '--model', encoderDir, '--max-tokens', '24', '--epochs', '1', '--size', '5', ...trainArgs);
    assert.equal(trained.code, 0, trained.err.join('\n'));
    const exported = await cli(folder, 'export-model', '--out', out);
    assert.equal(exported.code, 0, exported.err.join('\n'));
    return { folder, bodies, out, modelDir: path.join(folder, '.secreview', 'models', 'm0001'), exported, done };
  } catch (e) {
    done();
    throw e;
  }
}

test('RoBERTa export after --finetune-layers 1: the tuned encoder and head in one graph agree with the model', { skip: needsPaperData }, async () => {
  const { bodies, out, modelDir, done } = await trainedAndExported(100, { seed: 10, layers: 2 },
    ['--finetune-layers', '1', '--finetune-epochs', '1', '--finetune-lr', '0.01', '--shortlist', '10']);
  try {
    assert.ok(existsSync(path.join(modelDir, 'encoder', 'model.safetensors')));
    const texts = sampleTexts(bodies);
    const expected = await predictorProbs(modelDir, texts);
    const got = await runExport(out, texts);
    assert.ok(maxDiff(got.probs, expected) < 1e-4, `fine-tuned export vs predictor: ${maxDiff(got.probs, expected)}`);
    checkRows(got.probs, got.logits, texts.length);
    assert.match(readFileSync(path.join(out, 'README.md'), 'utf8'), /fine-tuned top layers/);
    // The tuned encoder is not the base one: outside the re-scored shortlist, the pool's scores (the
    // head over base embeddings) differ from the model's, so an export built on the base would fail above.
    const rows = bodies.slice(0, 40);
    const tuned = await runExport(out, rows);
    const scores = new Float32Array(new Uint8Array(readFileSync(path.join(modelDir, 'scores.bin'))).buffer, 0, rows.length * 4);
    assert.ok(maxDiff(tuned.probs, scores) > 1e-3, `fine-tuning changed the scores (${maxDiff(tuned.probs, scores)})`);
  } finally {
    done();
  }
});

test('a model trained with --precision int8 exports int8 by default, and agrees with the model on the same batch', { skip: needsPaperData }, async () => {
  const { bodies, out, modelDir, exported, done } = await trainedAndExported(60, { seed: 11, layers: 1 }, ['--precision', 'int8']);
  try {
    assert.match(exported.out.join('\n'), /\(roberta, int8\)/);
    const texts = sampleTexts(bodies);
    const got = await runExport(out, texts);
    assert.equal(got.labelMap.precision, 'int8');
    // The predictor runs these 8 texts as one batch too, so even the dynamic activation scales match.
    const expected = await predictorProbs(modelDir, texts);
    assert.ok(maxDiff(got.probs, expected) < 1e-4, `int8 export vs int8 predictor: ${maxDiff(got.probs, expected)}`);
    checkRows(got.probs, got.logits, texts.length);
  } finally {
    done();
  }
});

test('exportFolderFor: an empty or new folder itself, else a new subfolder named after the version', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'secreview-export-target-'));
  try {
    assert.equal(exportFolderFor(root, 'm0003'), root);
    assert.equal(exportFolderFor(path.join(root, 'new'), 'm0003'), path.join(root, 'new'));
    assert.equal(exportFolderFor(path.dirname(root), 'm0003'), path.join(path.dirname(root), 'secreview-model-m0003'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
