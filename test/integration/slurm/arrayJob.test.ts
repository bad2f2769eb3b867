/**
 * The scale-out recipe of docs/scale-out.md, run as written on a real Slurm: the array script
 * (docs/scale-out/slurm-shards.sbatch) embeds and scores the demo pool with a tiny RoBERTa model in
 * 4 tasks, one task is cancelled mid-run and submitted again, one fails on a bad model path, and
 * `secreview merge-shards` (as a dependent job, as documented) puts the shards together: the cache
 * and scores.bin are byte for byte those of a single process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../../../src/cli/main';
import type { Label } from '../../../src/core/labels';
import { Workspace } from '../../../src/store/workspace';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { repoRoot, treeHashes } from '../trainer/helpers';
import { type Cluster, HOW_TO_RUN, findCluster, jobIdOf, outputOf, slurm, waitForJob, waitForTaskProcess } from './cluster';

const RECIPE = path.join(repoRoot, 'docs', 'scale-out', 'slurm-shards.sbatch');
const CLI = path.join(repoRoot, 'src', 'cli', 'main.ts');
const N = 4;

let cluster: Cluster | undefined;
let skipReason: string | undefined;
let tmp = '';

before(async () => {
  const found = await findCluster();
  if ('skip' in found) {
    if (process.env.CI === 'true') throw new Error(`CI must run the Slurm tests, but ${found.skip}: .ci/run starts a cluster with scripts/slurm-local.sh`);
    skipReason = `${found.skip}; to run these tests, ${HOW_TO_RUN}`;
    console.log(`# Slurm tests skipped: ${skipReason}`);
    return;
  }
  cluster = found;
  console.log(`# Slurm: ${cluster.origin}`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'secreview-slurm-test-'));
});

after(() => {
  cluster?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A workspace of the demo pool with the first 120 reviews labeled as the demo intends. */
async function demoWorkspace(folder: string): Promise<void> {
  const ws = await Workspace.init(folder, { owner: 'slurm test' });
  await ws.importFiles([path.join(repoRoot, 'demo', 'reviews.jsonl')]);
  const intended = JSON.parse(readFileSync(path.join(repoRoot, 'demo', 'expected-labels.json'), 'utf8')) as Record<string, Label>;
  await ws.db.setLabels(Object.entries(intended).slice(0, 120).map(([reviewId, label]) => ({ reviewId, label, source: 'test' })));
  await ws.close();
}

const scoresOf = (folder: string, version: string) => readFileSync(path.join(folder, '.secreview', 'models', version, 'scores.bin'));
const cacheOf = (folder: string) => treeHashes(path.join(folder, '.secreview', 'cache', 'embeddings'));

test('the Slurm array recipe: 4 shards embedded and scored, a task cancelled and resubmitted, a failed task, merged equal to one process', async (t) => {
  if (!cluster) { t.skip(skipReason); return; }
  const c = cluster;
  const started = Date.now();
  const workspace = path.join(tmp, 'workspace'), single = path.join(tmp, 'single'), model = path.join(tmp, 'roberta'), logs = path.join(tmp, 'logs');
  await demoWorkspace(workspace);
  cpSync(workspace, single, { recursive: true });
  await writeTinyRoberta(model, { seed: 19, bpeTokens: 600, hidden: 16, layers: 1, heads: 2, intermediate: 32 });

  // `secreview` on the tasks' PATH: this checkout's CLI.
  const bin = path.join(tmp, 'bin');
  mkdirSync(bin);
  mkdirSync(logs);
  writeFileSync(path.join(bin, 'secreview'), `#!/bin/sh\nexec '${process.execPath}' --import '${pathToFileURL(require.resolve('tsx')).href}' '${CLI}' "$@"\n`, { mode: 0o755 });
  // sbatch passes the submitting environment on to the tasks: the recipe's settings travel in it.
  const env = { PATH: `${bin}:${process.env.PATH}`, WORKSPACE: workspace, MODEL: model, PRECISION: 'fp32', SHARDS: String(N) };
  const sbatch = (args: string[], extra: NodeJS.ProcessEnv = {}) => jobIdOf(slurm(c, 'sbatch', ['--parsable', '--cpus-per-task=1', '--mem=1G', ...args, RECIPE], { cwd: logs, env: { ...env, ...extra } }));

  // The single-process reference: all rows in one shard.
  assert.equal((await cli(single, 'embed', '--shard', '0/1', '--model', model, '--precision', 'fp32')).code, 0);
  assert.equal((await cli(single, 'merge-shards')).code, 0);

  // 1. The array, 4 tasks; task 2 is cancelled while it runs secreview.
  const embedJob = sbatch([`--array=0-${N - 1}`]);
  await waitForTaskProcess(embedJob, 2, CLI);
  slurm(c, 'scancel', [`${embedJob}_2`]);
  let tasks = await waitForJob(c, embedJob);
  assert.equal(tasks.get('2')?.state, 'CANCELLED', `task 2 was cancelled mid-run: ${outputOf(logs, embedJob, 2)}`);
  for (const i of ['0', '1', '3']) assert.equal(tasks.get(i)?.state, 'COMPLETED', `task ${i}: ${outputOf(logs, embedJob, i)}`);
  assert.match(outputOf(logs, embedJob, 2), /CANCELLED/);

  // A merge with task 2 missing is refused and names it; nothing reaches the cache.
  let refused = await cli(workspace, 'merge-shards');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /1 of 4 shards are missing \(2\)/);
  assert.deepEqual(Object.keys(cacheOf(workspace)).filter((f) => f.endsWith('.f16')), []);

  // 2. Task 2 again, with a bad model path: it fails, its output file says why, the merge still refuses.
  const badJob = sbatch(['--array=2'], { MODEL: path.join(tmp, 'no-such-model') });
  tasks = await waitForJob(c, badJob);
  assert.equal(tasks.get('2')?.state, 'FAILED');
  assert.match(outputOf(logs, badJob, 2), /secreview embed: .*no-such-model/);
  refused = await cli(workspace, 'merge-shards');
  assert.equal(refused.code, 2);
  assert.match(refused.err, /1 of 4 shards are missing \(2\)/);

  // 3. Task 2 resubmitted as documented, then the merge as a job that waits for it.
  const retryJob = sbatch(['--array=2']);
  const mergeJob = jobIdOf(slurm(c, 'sbatch', ['--parsable', `--dependency=afterok:${retryJob}`, '--mem=1G', `--output=${path.join(logs, 'merge-%j.out')}`,
    '--wrap', `secreview merge-shards -C ${workspace}`], { cwd: logs, env }));
  assert.equal((await waitForJob(c, retryJob)).get('2')?.state, 'COMPLETED', outputOf(logs, retryJob, 2));
  const merge = (await waitForJob(c, mergeJob)).get('');
  const mergeLog = readFileSync(path.join(logs, `merge-${mergeJob}.out`), 'utf8');
  assert.equal(merge?.state, 'COMPLETED', mergeLog);
  assert.match(mergeLog, /4 shards over 336 rows merged, \d+ vectors added/);
  const cache = cacheOf(workspace);
  assert.ok(Object.keys(cache).some((f) => f.endsWith('.f16')));
  assert.deepEqual(cache, cacheOf(single), 'the merged cache is byte for byte the single-process one');

  // 4. Train once (every embedding a cache hit), then score in 4 tasks submitted with bash, as the recipe offers.
  const trained = await cli(workspace, 'train', '--json', '--representation', 'roberta', '--model', model, '--precision', 'fp32', '--epochs', '2', '--size', '0');
  assert.equal(trained.code, 0, trained.err);
  const version = (JSON.parse(trained.out) as { model: { version: string; embedding: { computed: number } } }).model.version;
  const submitted = slurm(c, 'bash', [RECIPE, '--parsable', '--cpus-per-task=1', '--mem=1G'], { cwd: logs, env: { ...env, STEP: 'score', AT_ONCE: '2' } });
  const scoreJob = jobIdOf(submitted);
  tasks = await waitForJob(c, scoreJob);
  for (let i = 0; i < N; i++) assert.equal(tasks.get(String(i))?.state, 'COMPLETED', outputOf(logs, scoreJob, i));
  assert.equal(tasks.get('0')?.fields.ArrayTaskThrottle, '2');
  assert.equal((await cli(workspace, 'merge-shards')).code, 0);
  const sharded = scoresOf(workspace, version);
  assert.equal(sharded.byteLength, 336 * 4 * 4);
  assert.equal((await cli(workspace, 'score', '--shard', '0/1')).code, 0);
  assert.equal((await cli(workspace, 'merge-shards')).code, 0);
  assert.ok(sharded.equals(scoresOf(workspace, version)), 'scores.bin of 4 Slurm tasks is byte for byte that of one process');

  // 5. GPUs: with a GPU device the recipe asks Slurm for one GPU a task; a task without one refuses to start.
  const gpuJob = jobIdOf(slurm(c, 'bash', [RECIPE, '--parsable', '--cpus-per-task=1', '--mem=1G'], { cwd: logs, env: { ...env, SHARDS: '1', DEVICE: 'cuda' } }));
  const gpuTask = (await waitForJob(c, gpuJob)).get('0')!;
  assert.match(gpuTask.fields.TresPerNode ?? '', /gres:gpu:1/);
  const gpuLog = outputOf(logs, gpuJob, 0);
  assert.doesNotMatch(gpuLog, /gave this task no GPU/);
  // This machine has no CUDA: the task fails with the backend's reason (where it has one, it succeeds).
  if (gpuTask.state !== 'COMPLETED') assert.match(gpuLog, /secreview embed: --device cuda: backend: device "cuda" requested but/);
  const noGpuJob = sbatch(['--array=0'], { SHARDS: '1', DEVICE: 'cuda' });
  assert.equal((await waitForJob(c, noGpuJob)).get('0')?.state, 'FAILED');
  assert.match(outputOf(logs, noGpuJob, 0), /DEVICE=cuda but Slurm gave this task no GPU: submit with sbatch --gres=gpu:1/);

  console.log(`# Slurm recipe test: ${((Date.now() - started) / 1000).toFixed(1)} s`);
});
