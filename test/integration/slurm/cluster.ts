/**
 * A real Slurm cluster for the tests: the one `SLURM_CONF` names when it answers (CI starts one
 * with scripts/slurm-local.sh before the tests), else a single-node cluster of our own started with
 * that script (root, with the Debian packages installed), else none: the tests are skipped with
 * the way to run them, except in CI, where a missing Slurm is a failure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../trainer/helpers';

const SCRIPT = path.join(repoRoot, 'scripts', 'slurm-local.sh');
export const HOW_TO_RUN = 'install the Debian packages slurm-wlm and munge (as root: bash scripts/install-system-deps.sh), then run "node scripts/test.mjs integration integration/slurm/" as root: the tests start a single-node cluster of their own';

export interface Cluster {
  /** The environment for Slurm's client commands (SLURM_CONF). */
  env: NodeJS.ProcessEnv;
  /** Where it came from, for the test log. */
  origin: string;
  stop(): void;
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function nodeStates(env: NodeJS.ProcessEnv): string[] {
  const r = spawnSync('sinfo', ['-h', '-N', '-o', '%T'], { env, encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.split('\n').map((s) => s.trim()).filter(Boolean) : [];
}

/** Two consecutive free loopback ports (slurmctld's and slurmd's). */
async function freePortPair(): Promise<number> {
  const free = (port: number) => new Promise<boolean>((resolve) => {
    const s = net.createServer().once('error', () => resolve(false)).listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
  for (let tries = 0; tries < 50; tries++) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if (await free(port) && await free(port + 1)) return port;
  }
  throw new Error('no two free consecutive ports for slurmctld and slurmd');
}

/** A cluster to run jobs on, or the reason there is none. */
export async function findCluster(): Promise<Cluster | { skip: string }> {
  if (process.env.SLURM_CONF && nodeStates(process.env).some((s) => s === 'idle' || s === 'mixed')) {
    return { env: { ...process.env }, origin: `the cluster of ${process.env.SLURM_CONF}`, stop: () => {} };
  }
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch'].filter((c) => !onPath(c));
  if (missing.length) return { skip: `Slurm is not installed here (no ${missing.join(', ')})` };
  if (process.getuid?.() !== 0) return { skip: 'starting a Slurm cluster needs root' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-slurm-'));
  const env = { ...process.env, SLURM_LOCAL_DIR: dir, SLURM_LOCAL_PORT: String(await freePortPair()) };
  const started = spawnSync('bash', [SCRIPT, 'start'], { env, encoding: 'utf8' });
  if (started.status !== 0) throw new Error(`scripts/slurm-local.sh start failed:\n${started.stdout}${started.stderr}`);
  return {
    env: { ...process.env, SLURM_CONF: path.join(dir, 'slurm.conf') },
    origin: `a cluster of our own in ${dir}`,
    stop: () => {
      spawnSync('bash', [SCRIPT, 'stop'], { env, stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a Slurm client command; its stdout, or an error with its stderr. */
export function slurm(cluster: Cluster, cmd: string, args: string[], o: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  try {
    return execFileSync(cmd, args, { cwd: o.cwd, env: { ...cluster.env, ...o.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr || err.message}`);
  }
}

/** The job id `sbatch --parsable` printed. */
export function jobIdOf(sbatchOut: string): string {
  const m = /^(\d+)/.exec(sbatchOut.trim()) ?? /Submitted batch job (\d+)/.exec(sbatchOut);
  if (!m) throw new Error(`no job id in sbatch's output: ${sbatchOut}`);
  return m[1]!;
}

export interface TaskRecord { task: string; state: string; exitCode: string; fields: Record<string, string> }

/** Every task of job `id` as `scontrol show job` reports it (finished jobs stay for MinJobAge). */
export function tasksOf(cluster: Cluster, id: string): TaskRecord[] {
  const out = slurm(cluster, 'scontrol', ['show', 'job', '-o', id]);
  return out.split('\n').filter((l) => l.trim()).map((line) => {
    const fields: Record<string, string> = {};
    for (const m of line.matchAll(/(\w+)=(\S*)/g)) fields[m[1]!] ??= m[2]!;
    return { task: fields.ArrayTaskId ?? '', state: fields.JobState ?? '', exitCode: fields.ExitCode ?? '', fields };
  });
}

const DONE = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE']);

/** Waits until every task of job `id` has ended; returns their states by task index. */
export async function waitForJob(cluster: Cluster, id: string, timeoutMs = 180_000): Promise<Map<string, TaskRecord>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const tasks = tasksOf(cluster, id);
    if (tasks.length && tasks.every((t) => DONE.has(t.state))) return new Map(tasks.map((t) => [t.task, t]));
    if (Date.now() > deadline) throw new Error(`job ${id} not done after ${timeoutMs / 1000} s: ${tasks.map((t) => `${t.task}=${t.state}`).join(' ')}`);
    await sleep(250);
  }
}

/**
 * Waits until array task `id`_`task` runs `secreview` (a process of this machine whose environment
 * says it is that task and whose command line runs the CLI), so a cancel lands mid-run.
 */
export async function waitForTaskProcess(id: string, task: number, marker: string, timeoutMs = 120_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        if (!cmdline.includes(marker)) continue;
        const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        if (environ.includes(`SLURM_ARRAY_JOB_ID=${id}`) && environ.includes(`SLURM_ARRAY_TASK_ID=${task}`)) return Number(pid);
      } catch { /* the process ended while we looked: not ours */ }
    }
    await sleep(50);
  }
  throw new Error(`array task ${id}_${task} did not start secreview within ${timeoutMs / 1000} s`);
}

export function outputOf(dir: string, id: string, task: number | string): string {
  const file = path.join(dir, `secreview-shards-${id}_${task}.out`);
  return existsSync(file) ? readFileSync(file, 'utf8') : `(no output file ${file})`;
}
