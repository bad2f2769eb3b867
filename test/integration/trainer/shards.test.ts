import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../../../src/cli/main';
import { DEVICE_CHOICES } from '../../../python-free-train/backend';
import { textKey } from '../../../python-free-train/features/cache';
import { Fp16EmbeddingCache } from '../../../python-free-train/roberta/embeddingCache';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { MEMBER_SCORES_FILE, workspacePaths } from '../../../src/store/layout';
import { parseShard, shardRange } from '../../../python-free-train/trainer/shards';
import { Workspace } from '../../../src/store/workspace';
import { paperWorkspace, repoRoot, needsPaperData, paperLabelsFile } from './helpers';

const TSX = pathToFileURL(require.resolve('tsx')).href;

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out, err };
}

/** The CLI as a separate process, as a batch engine runs each shard. */
function cliProcess(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, path.join(repoRoot, 'src/cli/main.ts'), ...args],
      { cwd, env: { ...process.env, SECREVIEW_THREADS: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

test('shard specs: I/N, auto/N from the batch engine\'s index, contiguous ranges that tile the pool', () => {
  assert.deepEqual(parseShard('2/5'), { index: 2, count: 5 });
  assert.deepEqual(parseShard('auto/4', { JOB_COMPLETION_INDEX: '3' }), { index: 3, count: 4 });
  assert.deepEqual(parseShard('env/4', { SLURM_ARRAY_TASK_ID: '1' }), { index: 1, count: 4 });
  assert.throws(() => parseShard('auto/4', {}), /JOB_COMPLETION_INDEX.*--shard I\/4/);
  assert.throws(() => parseShard('4/4'), /not below the shard count 4/);
  assert.throws(() => parseShard('1-4'), /I\/N/);
  for (const [rows, n] of [[959, 3], [10, 4], [2, 5], [0, 2]] as const) {
    let next = 0;
    for (let i = 0; i < n; i++) {
      const r = shardRange(rows, { index: i, count: n });
      assert.equal(r.from, next);
      next = r.to;
    }
    assert.equal(next, rows);
  }
});

test('3 embed shards and 3 score shards as separate processes, merged, equal a single-process run', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(200);
  const poolSize = ws.pool.size;
  const bodies = Array.from({ length: poolSize }, (_, row) => ws.pool.get(row).body);
  await ws.close();
  const modelDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-tiny-roberta-'));
  try {
    await writeTinyRoberta(modelDir, { seed: 9, bpeTokens: 600, hidden: 16, layers: 1, heads: 2, intermediate: 32 });
    const encoder = ['--model', modelDir, '--max-tokens', '32'];

    // Embeddings: 3 processes at once (one takes its index from the environment, as in a Kubernetes Indexed Job).
    const embeds = await Promise.all([0, 1, 2].map((i) => i === 2
      ? cliProcess(folder, ['embed', '--shard', 'auto/3', ...encoder], { JOB_COMPLETION_INDEX: '2' })
      : cliProcess(folder, ['embed', '--shard', `${i}/3`, ...encoder])));
    for (const r of embeds) assert.equal(r.code, 0, r.stderr);
    const merged = await cli(folder, 'merge-shards', '--json');
    assert.equal(merged.code, 0, merged.err.join('\n'));
    const report = JSON.parse(merged.out.join('\n')) as { merged: { kind: string; rows: number; added: number; fingerprint: string }[] };
    assert.equal(report.merged.length, 1);
    assert.equal(report.merged[0]!.rows, poolSize);
    assert.equal(report.merged[0]!.added, new Set(bodies).size, 'every distinct body once');
    assert.deepEqual(readdirSync(path.join(folder, '.secreview', 'shards')), [], 'merged shards are removed');

    // Training afterwards embeds nothing: the sharded cache holds every pool text.
    const trained = await cli(folder, 'train', '--json', '--representation', 'roberta', ...encoder, '--epochs', '2', '--size', '0', '--ensemble-size', '2');
    assert.equal(trained.code, 0, trained.err.join('\n'));
    const model = (JSON.parse(trained.out.join('\n')) as { model: { version: string; embedding: { cached: number; computed: number }; representationFingerprint: string; ensemble?: { members: number } } }).model;
    assert.equal(model.embedding.computed, 0);
    assert.equal(model.ensemble?.members, 2, 'two members beside the head (hidden layer: seeds and resamples of the training split)');
    assert.equal(model.representationFingerprint, report.merged[0]!.fingerprint);

    // The same vectors as one process embedding the whole pool.
    const single = mkdtempSync(path.join(os.tmpdir(), 'secreview-single-'));
    try {
      const ws2 = await Workspace.init(single, { owner: 'shard test' });
      await ws2.importFiles([paperLabelsFile]);
      await ws2.close();
      const one = await cli(single, 'embed', '--shard', '0/1', ...encoder);
      assert.equal(one.code, 0, one.err.join('\n'));
      assert.equal((await cli(single, 'merge-shards')).code, 0);
      const keys = bodies.map(textKey);
      const fp = model.representationFingerprint;
      const a = await (await Fp16EmbeddingCache.open(workspacePaths.embeddingCache(path.join(folder, '.secreview')), fp, 16)).getMany(keys);
      const b = await (await Fp16EmbeddingCache.open(workspacePaths.embeddingCache(path.join(single, '.secreview')), fp, 16)).getMany(keys);
      assert.equal(a.size, new Set(keys).size);
      assert.equal(b.size, a.size);
      let maxDiff = 0;
      for (const [k, v] of a) v.forEach((x, j) => { maxDiff = Math.max(maxDiff, Math.abs(x - b.get(k)![j]!)); });
      assert.ok(maxDiff < 2e-3, `sharded and single-process embeddings differ by ${maxDiff}`);
    } finally {
      rmSync(single, { recursive: true, force: true });
    }

    // Scores: 3 processes, merged into the model's scores.bin; equal to the trainer's own scores.
    const scoresFile = path.join(folder, '.secreview', 'models', model.version, 'scores.bin');
    const membersFile = path.join(folder, '.secreview', 'models', model.version, MEMBER_SCORES_FILE);
    const trainerScores = new Float32Array(new Uint8Array(readFileSync(scoresFile)).buffer);
    const trainerMembers = new Float32Array(new Uint8Array(readFileSync(membersFile)).buffer);
    assert.equal(trainerMembers.length, 2 * poolSize);
    const scores = await Promise.all([0, 1, 2].map((i) => cliProcess(folder, ['score', '--shard', `${i}/3`])));
    for (const r of scores) assert.equal(r.code, 0, r.stderr);
    const mergedScores = await cli(folder, 'merge-shards');
    assert.equal(mergedScores.code, 0, mergedScores.err.join('\n'));
    const sharded = new Float32Array(new Uint8Array(readFileSync(scoresFile)).buffer);
    assert.equal(sharded.length, poolSize * 4);
    let maxDiff = 0;
    sharded.forEach((x, i) => { maxDiff = Math.max(maxDiff, Math.abs(x - trainerScores[i]!)); });
    assert.ok(maxDiff < 1e-5, `sharded scores differ from the trainer's by ${maxDiff}`);
    // With the ensemble members' p(yes), member after member.
    const shardedMembers = new Float32Array(new Uint8Array(readFileSync(membersFile)).buffer);
    assert.equal(shardedMembers.length, 2 * poolSize);
    let memberDiff = 0;
    shardedMembers.forEach((x, i) => { memberDiff = Math.max(memberDiff, Math.abs(x - trainerMembers[i]!)); });
    assert.ok(memberDiff < 1e-5, `sharded member scores differ from the trainer's by ${memberDiff}`);
    assert.ok(trainerMembers.some((x, i) => i < poolSize && Math.abs(x - trainerMembers[i + poolSize]!) > 1e-4), 'the two members score differently');

    // An incomplete run is refused and names the missing shard; nothing is merged.
    assert.equal((await cli(folder, 'score', '--shard', '0/2')).code, 0);
    const incomplete = await cli(folder, 'merge-shards');
    assert.equal(incomplete.code, 2);
    assert.match(incomplete.err.join('\n'), /1 of 2 shards are missing \(1\)/);
    assert.ok(existsSync(path.join(folder, '.secreview', 'shards', `score-${model.version}-0-of-2.json`)));
    assert.deepEqual(new Float32Array(new Uint8Array(readFileSync(scoresFile)).buffer), sharded);
  } finally {
    cleanup();
    rmSync(modelDir, { recursive: true, force: true });
  }
});

test('embed and score take --device from the backend\'s list and say which devices there are', async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'secreview-device-'));
  try {
    for (const step of ['embed', 'score']) {
      const r = await cli(folder, step, '--shard', '0/2', '--device', 'tpu');
      assert.equal(r.code, 2);
      assert.match(r.err.join('\n'), new RegExp(`secreview ${step}: --device must be one of ${DEVICE_CHOICES.join(', ')}, got "tpu"`));
    }
    // A valid device gets past the check to the next problem: there is no workspace here.
    const cpu = await cli(folder, 'score', '--shard', '0/2', '--device', 'cpu');
    assert.equal(cpu.code, 3);
    assert.doesNotMatch(cpu.err.join('\n'), /--device/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});
