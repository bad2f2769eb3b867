/**
 * The fault harness's tools: the built CLI run as a real process, killed with SIGKILL at a chosen
 * moment; a seeded random source; the JSON line each harness prints with its figures.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { mulberry32 } from '../../src/core/hash';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const cliBundle = path.join(repoRoot, 'dist', 'cli.js');
export const trainerBundle = path.join(repoRoot, 'dist', 'trainer.js');

/** The bundles the harness runs, built by `npm run build` (scripts/test.mjs builds before this suite). */
export function assertBuilt(): void {
  for (const f of [cliBundle, trainerBundle]) if (!existsSync(f)) throw new Error(`${f} is missing: run "npm run build" first`);
}

/** Seeded from SECREVIEW_CHAOS_SEED (default 13), so a failing run can be replayed exactly. */
export function chaosSeed(): number {
  const text = process.env.SECREVIEW_CHAOS_SEED;
  return text === undefined || text === '' ? 13 : Number(text);
}

export function random(seed: number): () => number {
  return mulberry32(seed >>> 0);
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** SIGKILL reached the process while it ran. */
  killed: boolean;
}

export interface CliProcess {
  pid: number;
  done: Promise<CliRun>;
  kill(): void;
  /** Called with each stderr line as it comes (progress). */
  onStderrLine(fn: (line: string) => void): void;
}

/** Starts `secreview <args>` from the built bundle; `killAfterMs` sends SIGKILL after that long if it still runs. */
export function startCli(args: string[], options: { env?: NodeJS.ProcessEnv; killAfterMs?: number } = {}): CliProcess {
  const t0 = performance.now();
  const child = spawn(process.execPath, [cliBundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let stdout = '';
  let stderr = '';
  let pending = '';
  const listeners: ((line: string) => void)[] = [];
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    stderr += text;
    pending += text;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      for (const fn of listeners) fn(line);
    }
  });
  let killed = false;
  const kill = () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    killed = child.kill('SIGKILL');
  };
  const timer = options.killAfterMs === undefined ? undefined : setTimeout(kill, options.killAfterMs);
  const done = new Promise<CliRun>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - t0, killed: killed && signal === 'SIGKILL' });
    });
  });
  return { pid: child.pid!, done, kill, onStderrLine: (fn) => listeners.push(fn) };
}

/**
 * CPU seconds this process and its finished children have used (Linux, from /proc; undefined
 * elsewhere): a harness's cost independent of how loaded the machine is.
 */
export function cpuSeconds(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime, stime, cutime, cstime: fields 14-17, in ticks of 1/100 s.
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0) / 100;
  } catch {
    return undefined;
  }
}

/** Prints a harness's figures as one JSON line (`chaos <name> {...}`), for CI logs and the README. */
export function printFigures(name: string, figures: Record<string, unknown>): void {
  process.stdout.write(`chaos ${name} ${JSON.stringify(figures)}\n`);
}
