/**
 * Starting worker threads from a bundle or from source: the simulation study and the trainer's
 * parallel featurizer both run code in worker threads, shipped as their own bundles in dist/.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * The worker script `bundle` beside the calling bundle (dist/), or its TypeScript `source` beside
 * the calling module when running from source; undefined when neither exists.
 */
export function workerScript(callerDir: string, callerFile: string, bundle: string, source: string): string | undefined {
  const file = path.join(callerDir, callerFile.endsWith('.ts') ? source : bundle);
  return existsSync(file) ? file : undefined;
}

/**
 * A worker on `script`. From source (a `.ts` file, during tests and development) the worker first
 * registers tsx's CommonJS hooks, which worker threads do not inherit from `--import tsx`.
 */
export function startWorker(script: string, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  if (!script.endsWith('.ts')) return new Worker(script, options);
  // Resolved at run time (a variable, so bundlers leave it alone): only source checkouts have tsx.
  const loader: string = 'tsx/cjs';
  const bootstrap = `require(${JSON.stringify(require.resolve(loader))}); require(${JSON.stringify(script)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
