/**
 * A package without onnxruntime (the macOS-on-Intel and Alpine targets, or a package installed on
 * the wrong platform): the bundled CLI still imports and labels, and training says why it cannot
 * run and what to do, before it starts any process. The CLI is bundled as for a package and run
 * from a folder where no onnxruntime-node can be found.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { repoRoot, tempDir } from '../../helpers/tmp';

test('without onnxruntime the CLI imports and labels, and train explains itself instead of crashing', () => {
  const dir = tempDir('secreview-noruntime-');
  const cli = path.join(dir, 'dist', 'cli.js');
  esbuild.buildSync({
    entryPoints: [path.join(repoRoot, 'src', 'cli', 'main.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    external: ['onnxruntime-node'], logLevel: 'warning', define: { 'import.meta.url': 'importMetaUrl' }, inject: [path.join(repoRoot, 'scripts', 'import-meta-url.js')],
  });
  const ws = path.join(dir, 'ws');
  const run = (...args: string[]) => spawnSync(process.execPath, [cli, '-C', ws, ...args], { encoding: 'utf8', env: { ...process.env, SECREVIEW_TRAINER: '' } });
  for (const args of [['init'], ['import', path.join(repoRoot, 'demo', 'reviews.jsonl')], ['bootstrap', '--size', '6']]) {
    const r = run(...args);
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  const labels = () => JSON.parse(readFileSync(path.join(ws, '.secreview', 'labels.json'), 'utf8')) as { batches: { items: { reviewId: string }[] }[]; models: unknown[] };
  assert.equal(labels().batches.length, 1);
  labels().batches[0]!.items.slice(0, 4).forEach((it, i) => assert.equal(run('label', it.reviewId, i % 2 ? 'yes' : 'no').status, 0));

  const r = run('train', '--size', '5');
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stderr, /training cannot run: this installation has no onnxruntime library for/);
  assert.match(r.stderr, /secreview train/);
  assert.doesNotMatch(r.stderr, /Cannot find module|at Object\.<anonymous>|require stack/i, 'no stack trace');
  assert.equal(labels().batches.length, 1, 'no batch recorded');
  assert.equal(labels().models.length, 0, 'no model recorded');
});
