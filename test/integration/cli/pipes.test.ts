// A reader that stops early (`| head`) must never cost the work: `secreview train 2>&1 | head -n 1`
// still trains and records the model and batch; `secreview export | head -n 1` ends at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { needsPaperData, paperWorkspace, repoRoot } from '../trainer/helpers';

const TSX = pathToFileURL(require.resolve('tsx')).href;
const CLI = `"${process.execPath}" --import ${TSX} "${path.join(repoRoot, 'src/cli/main.ts')}"`;

/** Runs `secreview ARGS` with its output piped into `head -n 1`; returns what head printed and the CLI's exit status. */
function pipedIntoHead(folder: string, args: string, redirect: string): { head: string; status: number } {
  const statusFile = path.join(folder, 'cli-status');
  // From the repository root, where the trainer's TypeScript entry finds tsx.
  const r = spawnSync('bash', ['-c', `${CLI} -C "${folder}" ${args} ${redirect} | head -n 1; echo "\${PIPESTATUS[0]}" > "${statusFile}"`], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000 });
  assert.equal(r.status, 0, r.stderr);
  return { head: r.stdout, status: Number(readFileSync(statusFile, 'utf8').trim()) };
}

test('secreview train 2>&1 | head: the closed pipe does not stop training; the model and the batch are recorded', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(400);
  await ws.close();
  try {
    const run = pipedIntoHead(folder, 'train --epochs 3 --dim 1024 --size 20', '2>&1');
    assert.match(run.head, /^trainer started|^loading|^featurizing/, 'head saw the first progress line');
    assert.equal(run.status, 0, 'the CLI finished its work and exited 0');
    const labels = JSON.parse(readFileSync(path.join(folder, '.secreview', 'labels.json'), 'utf8')) as { models: { version: string }[]; batches: { modelVersion: string | null; items: unknown[] }[] };
    assert.deepEqual(labels.models.map((m) => m.version), ['m0001']);
    assert.equal(labels.batches.at(-1)!.modelVersion, 'm0001');
    assert.equal(labels.batches.at(-1)!.items.length, 20);

    const exported = pipedIntoHead(folder, 'export --format jsonl', '');
    assert.equal(exported.status, 0);
    assert.equal(typeof (JSON.parse(exported.head) as { id: string }).id, 'string', 'the first exported row');
  } finally {
    cleanup();
  }
});
