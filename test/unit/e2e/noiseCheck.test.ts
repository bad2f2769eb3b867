/**
 * The CI check on the README's commands: a line of their output that matches a known-noise pattern
 * (.ci/known-noise.txt) fails the run and is reported with its file and line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, tempDir } from '../../helpers/tmp';

const check = (...logs: string[]) => spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'check-output.mjs'), ...logs], { encoding: 'utf8' });

test('the noise lines of the first hour are caught, each with its place', () => {
  const dir = tempDir('secreview-noise-');
  const log = path.join(dir, 'demo.log');
  writeFileSync(log, [
    'npm warn Unknown project config "onnxruntime-node-install". This will stop working in the next major version of npm.',
    '> secreview import demo/reviews.jsonl',
    'reviews.jsonl: 70% read, 1 imported, 0 duplicates, 0 problems',
    'trainer started (pid 1, onnxruntime-node (CPU; CUDA provider failed to start: Failed to load shared library))',
    'working\rscanned 0 reviews\x1b[K',
    'trainer started (pid 2, onnxruntime-node (CPU; WebGPU not used: webgpu provider failed to start: Failed to get a WebGPU adapter: No supported adapters))',
  ].join('\n'));
  const r = check(log);
  assert.equal(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 6, r.stdout);
  assert.match(lines[0]!, /demo\.log:1: npm warn Unknown project config/);
  assert.match(lines[1]!, /demo\.log:3: reviews\.jsonl: 70% read, 1 imported/);
  assert.match(lines[2]!, /demo\.log:4: trainer started .*CUDA provider failed to start/);
  assert.match(lines[3]!, /demo\.log:6: scanned 0 reviews {3}\(matches \/scanned 0 reviews\/\)/, 'a status line rewritten on a terminal counts');
  assert.match(lines[4]!, /demo\.log:7: trainer started .*webgpu provider failed to start/);
  assert.match(lines[5]!, /^5 lines that read like a failure/);
});

test('healthy output passes', () => {
  const dir = tempDir('secreview-noise-');
  const log = path.join(dir, 'ok.log');
  writeFileSync(log, 'Imported 336 reviews (0 duplicates skipped, 0 problems) in 0.7 s; the pool has 336 reviews.\nreviews.jsonl: 40% read, 120000 imported, 0 duplicates, 0 problems\ntrainer started (pid 7, onnxruntime-node (CPU))\n');
  const r = check(log);
  assert.equal(r.status, 0, r.stdout);
  assert.match(r.stdout, /no known-noise lines in 1 log/);
});
