/**
 * Runs a `secreview` CLI command in a child process and reads its `--json` report. The extension
 * uses it for work that is heavy and synchronous, such as building a RoBERTa export (hundreds of
 * MB of graph), so that the extension host, and every extension in it, stays responsive. The
 * child opens the workspace read-only, which works while this window holds the lock.
 */
import { fork } from 'node:child_process';
import { findProgram } from './client';

export class CliProcessError extends Error {
  constructor(message: string, readonly code: number | null, readonly stderr: string) {
    super(message);
    this.name = 'CliProcessError';
  }
}

export interface CliRunOptions {
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  /** Called with the child's pid once it runs (e.g. to clean up after it when cancelled). */
  onStart?: (pid: number) => void;
}

/** `secreview <args> --json` in a child; resolves with the parsed report, rejects with the CLI's own error text. */
export function runCliJson<T>(args: readonly string[], o: CliRunOptions = {}): Promise<T> {
  const entry = findProgram('cli.js', 'src/cli/main.ts');
  if (!entry) return Promise.reject(new CliProcessError('cannot find the secreview CLI (dist/cli.js); rebuild with "npm run build"', null, ''));
  return new Promise<T>((resolve, reject) => {
    const child = fork(entry.modulePath, ['--json', ...args], { execArgv: entry.execArgv, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    if (child.pid !== undefined) o.onStart?.(child.pid);
    let stdout = '', stderr = '';
    child.stdout?.on('data', (c: Buffer) => { stdout += c.toString('utf8'); });
    child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString('utf8')).slice(-8000); });
    // SIGKILL: the CLI treats SIGTERM as a polite interrupt that commands may finish first.
    const onAbort = () => child.kill('SIGKILL');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => reject(new CliProcessError(`cannot start the secreview CLI: ${e.message}`, null, stderr)));
    child.on('exit', (code, signal) => {
      o.signal?.removeEventListener('abort', onAbort);
      if (o.signal?.aborted) { reject(new CliProcessError('cancelled', code, stderr)); return; }
      if (code !== 0) {
        // With --json the CLI's error is JSON on stdout; else it is its last `secreview <command>: ...` line.
        const reported = errorOf(stdout);
        if (reported !== undefined) { reject(new CliProcessError(reported, code, stderr)); return; }
        const lines = stderr.trim().split('\n');
        const reason = lines.filter((l) => /^secreview( [\w-]+)?: /.test(l)).at(-1) ?? lines.filter(Boolean).at(-1) ?? `exit ${code ?? signal}`;
        reject(new CliProcessError(reason.replace(/^secreview( [\w-]+)?: /, ''), code, stderr));
        return;
      }
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        reject(new CliProcessError(`the secreview CLI printed no JSON report: ${stdout.slice(0, 200)}`, code, stderr));
      }
    });
  });
}

function errorOf(stdout: string): string | undefined {
  try {
    const value = JSON.parse(stdout) as { error?: unknown };
    return typeof value.error === 'string' ? value.error : undefined;
  } catch {
    return undefined;
  }
}
