import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { DEFAULT_HASHING_DIM } from '../../../src/core/defaults';
import { Workspace } from '../../../src/store/workspace';
import { readScores } from '../../../src/store/layout';
import { Backend, Tensor } from '../../../python-free-train/backend';
import { loadRepresentation } from '../../../python-free-train/features/registry';
import type { RepresentationParams } from '../../../python-free-train/features/representation';
import { tempDir } from '../../helpers/tmp';
import { needsPaperData, paperLabelsFile } from '../../helpers/paperData';
import { CliProcessError, runCliJson } from '../../../src/train/cliProcess';

const quiet = { out: () => {}, err: () => {}, progress: () => {} };

test('an exported model reproduces the pool scores; the dataset exports as a Hugging Face folder', { skip: needsPaperData }, async () => {
  const dir = tempDir();
  assert.equal(await main(['init', '-C', dir], quiet), 0);
  assert.equal(await main(['import', paperLabelsFile, '--label-field', 'tag_post_qa', '-C', dir], quiet), 0);
  assert.equal(await main(['train', '--epochs', '3', '--size', '10', '--strategy', 'ensemble', '-C', dir], quiet), 0);
  const out = path.join(dir, 'exported');
  const printed: string[] = [];
  assert.equal(await main(['export-model', '--out', out, '--json', '-C', dir], { ...quiet, out: (t) => printed.push(t) }), 0);
  // Hashing exports as before: the head as model.onnx, fed the features representation.json describes;
  // trained with an ensemble strategy, its members' graphs beside it.
  const members = [1, 2, 3, 4, 5].map((m) => `ensemble/member-${m}.onnx`);
  assert.deepEqual(JSON.parse(printed.join('\n')), {
    version: 'm0001', dir: out, representation: 'hashing',
    files: ['model.onnx', 'representation.json', 'label_map.json', ...members, 'metrics.json', 'README.md'],
  });
  assert.deepEqual(readdirSync(out).sort(), ['README.md', 'ensemble', 'label_map.json', 'metrics.json', 'model.onnx', 'representation.json']);
  assert.deepEqual(readFileSync(path.join(out, 'model.onnx')), readFileSync(path.join(dir, '.secreview', 'models', 'm0001', 'head.onnx')));
  const { ensemble, ...labelMap } = JSON.parse(readFileSync(path.join(out, 'label_map.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual((ensemble as { files: string[] }).files, members, 'the label map names the members\' graphs');
  assert.deepEqual(labelMap, {
    id2label: { 0: 'yes', 1: 'no', 2: 'unclear', 3: 'language' },
    label2id: { yes: 0, no: 1, unclear: 2, language: 3 },
    target: 'yes',
    input: { name: 'x', type: 'float32', shape: ['batch', DEFAULT_HASHING_DIM] },
    output: { name: 'probs', type: 'float32', shape: ['batch', 4] },
  });
  assert.match(readFileSync(path.join(out, 'README.md'), 'utf8'), /Input `x`: float32 \[batch, features\]/);
  const precisionErr: string[] = [];
  assert.equal(await main(['export-model', '--out', path.join(dir, 'int8'), '--precision', 'int8', '-C', dir], { ...quiet, err: (t) => precisionErr.push(t) }), 1);
  assert.match(precisionErr.join(''), /model m0001 uses the hashing representation: a precision applies to RoBERTa models only/);
  assert.ok(!existsSync(path.join(dir, 'int8')));

  // Featurize a few pool rows with the exported representation and run the exported graph.
  const ws = await Workspace.open(dir, { readOnly: true });
  try {
    const scores = readScores(ws.dir, ws.db.latestModel()!.version)!;
    const rep = await loadRepresentation(JSON.parse(readFileSync(path.join(out, 'representation.json'), 'utf8')) as RepresentationParams);
    const rows = [0, 1, 17, 500, 958];
    const x = await rep.featurize(rows.map((r) => ws.pool.get(r).body));
    const backend = await Backend.create({ device: 'cpu' });
    const session = await backend.session(new Uint8Array(readFileSync(path.join(out, 'model.onnx'))), 'exported head');
    const res = await session.run({ x: new Tensor('float32', [rows.length, rep.dim], x) }, ['probs']);
    const probs = res.probs!.data as Float32Array;
    rows.forEach((row, i) => {
      for (let c = 0; c < 4; c++) assert.ok(Math.abs(probs[i * 4 + c]! - scores.probs[row * 4 + c]!) < 1e-5, `row ${row} class ${c}`);
    });
    await session.release();
  } finally {
    await ws.close();
  }

  const hf = path.join(dir, 'hf');
  assert.equal(await main(['export', '--format', 'hf', '--out', hf, '-C', dir], quiet), 0);
  const card = readFileSync(path.join(hf, 'README.md'), 'utf8');
  assert.match(card, /^---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n    path: data\/labeled\.jsonl\n/);
  const rowsOut = readFileSync(path.join(hf, 'data', 'labeled.jsonl'), 'utf8').trim().split('\n');
  assert.equal(rowsOut.length, 959);
  const err: string[] = [];
  assert.equal(await main(['export', '--format', 'hf', '--out', hf, '-C', dir], { ...quiet, err: (t) => err.push(t) }), 2);
  assert.match(err.join(''), /not empty/);
  assert.equal(await main(['export-model', '--out', path.join(dir, 'x'), '--model', 'm0099', '-C', dir], { ...quiet, err: (t) => err.push(t) }), 2);
  assert.match(err.join(''), /no model version "m0099"; versions: m0001/);
});

test('export-model in a CLI child process (how the extension runs it): the report, the CLI\'s own error, and a cancel that leaves nothing behind', { skip: needsPaperData }, async () => {
  const dir = tempDir();
  assert.equal(await main(['init', '-C', dir], quiet), 0);
  assert.equal(await main(['import', paperLabelsFile, '--label-field', 'tag_post_qa', '-C', dir], quiet), 0);
  await assert.rejects(runCliJson(['-C', dir, 'export-model', '--out', path.join(dir, 'none')]),
    (e: Error) => e instanceof CliProcessError && /^no trained model yet: run "secreview train" first$/.test(e.message) && e.code === 3);
  assert.equal(await main(['train', '--epochs', '2', '--size', '0', '-C', dir], quiet), 0);
  // While this process holds the workspace (as the extension window does), the child reads it.
  const held = await Workspace.open(dir);
  try {
    assert.equal(held.readOnly, false);
    const out = path.join(dir, 'exported');
    const report = await runCliJson<{ version: string; dir: string; files: string[] }>(['-C', dir, 'export-model', '--out', out]);
    assert.deepEqual([report.version, report.dir], ['m0001', out]);
    assert.ok(report.files.every((f) => existsSync(path.join(out, f))));

    const controller = new AbortController();
    let pid: number | undefined;
    const cancelled = runCliJson(['-C', dir, 'export-model', '--out', path.join(dir, 'cancelled')], { signal: controller.signal, onStart: (p) => { pid = p; } });
    controller.abort();
    await assert.rejects(cancelled, /cancelled/);
    assert.ok(pid !== undefined && !existsSync(path.join(dir, 'cancelled')));
  } finally {
    await held.close();
  }
});
