/**
 * Runs a study: many independent runs spread over worker threads (one onnxruntime thread each,
 * one worker at least, so the caller's thread never loads onnxruntime),
 * each reproducible from the study seed and its run number, resumable (runs already in the output
 * folder are skipped), then aggregated into CSVs, a summary and SVG figures.
 */
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker, workerScript as findWorkerScript } from '../../python-free-train/workerThread';
import { aggregateSeries } from './aggregate';
import { DEFAULT_CONFIG, validateConfig, type SimulationConfig } from './config';
import type { EngineChoice } from './engines';
import { armName, studyFigures, summarizeArms, summaryMarkdown, type ArmSummary } from './figures';
import { pairedMarkdown, pairedStudy, type PairedStudy } from './paired';
import { StudyFolder, rowsToCsv, summariesToCsv, summarize, type IterationRow } from './results';
import type { PhaseSeconds } from './run';
import type { FromWorker, ToWorker } from './workerProtocol';

export interface StudyProgress {
  /** Runs finished in this session plus runs found on disk. */
  done: number;
  total: number;
  skipped: number;
  message: string;
}

export interface StudyOptions {
  config: Partial<SimulationConfig>;
  runs: number;
  /** Output folder; without it results stay in memory (nothing is resumable). */
  out?: string;
  /** Worker threads. Default: the machine's parallelism, at most `runs`. */
  workers?: number;
  engine?: EngineChoice;
  signal?: AbortSignal;
  onProgress?: (p: StudyProgress) => void;
}

export interface StudyResult {
  config: SimulationConfig;
  rows: IterationRow[];
  arms: ArmSummary[];
  /** Every arm against rare-label, run by run (when rare-label is an arm). */
  paired?: PairedStudy;
  /** Runs found complete on disk and not recomputed. */
  skipped: number;
  completed: number;
  engine: string;
  /** Summed wall-clock seconds per phase over the runs computed now. */
  phases: PhaseSeconds;
  /** Files written (absolute paths), figures included. */
  files: string[];
  /** SVG text per figure file name. */
  figures: { file: string; title: string; svg: string }[];
}

/** Where the worker script is: the bundle's `simulation-worker.js`, or `worker.ts` when running from source. */
export function workerScript(): string | undefined {
  // From source this module is runner.ts beside worker.ts; bundled, it sits in dist/ beside the worker bundle.
  return findWorkerScript(__dirname, __filename, 'simulation-worker.js', 'worker.ts');
}

export async function runStudy(options: StudyOptions): Promise<StudyResult> {
  const config: SimulationConfig = { ...DEFAULT_CONFIG, ...options.config };
  validateConfig(config);
  if (!Number.isInteger(options.runs) || options.runs < 1) throw new Error(`runs must be a whole number >= 1, got ${options.runs}`);
  const folder = options.out ? new StudyFolder(path.resolve(options.out)) : undefined;
  folder?.prepare(config);
  const pending: number[] = [];
  for (let run = 0; run < options.runs; run++) if (!folder?.hasRun(run)) pending.push(run);
  const skipped = options.runs - pending.length;
  const memoryRows: IterationRow[] = [];
  const phases: PhaseSeconds = { generate: 0, fit: 0, score: 0, select: 0 };
  let engineKind: StudyResult['engine'] = 'none';
  let done = skipped;
  const report = (message: string) => options.onProgress?.({ done, total: options.runs, skipped, message });
  const finish = (run: number, rows: IterationRow[], p: PhaseSeconds, kind: string) => {
    if (folder) folder.writeRun(run, rows);
    else memoryRows.push(...rows);
    for (const k of Object.keys(phases) as (keyof PhaseSeconds)[]) phases[k] += p[k];
    engineKind = kind;
    done++;
    report(`run ${run + 1} done (${rows[0]?.seconds.toFixed(1) ?? '?'} s)`);
  };
  report(skipped ? `${skipped} runs already in ${options.out}` : 'starting');

  const choice = options.engine ?? 'auto';
  // Runs always go to worker threads, one at least: the numeric engine (onnxruntime) then never
  // loads in the calling thread, which in VS Code is the extension host.
  const script = workerScript();
  if (pending.length && !script) throw new Error('simulation: cannot find the worker script (dist/simulation-worker.js); rebuild with "npm run build"');
  const workers = Math.max(1, Math.min(options.workers ?? availableParallelism(), pending.length));
  if (pending.length) await runInWorkers(script!, workers, pending, config, choice, options.signal, finish, report);

  const rows = folder ? folder.readRuns() : memoryRows.sort((a, b) => a.run - b.run);
  const arms = summarizeArms(rows, config);
  const paired = pairedStudy(rows, 'rare');
  const figures = studyFigures(rows);
  const files: string[] = [];
  if (folder) {
    files.push(folder.write('iterations.csv', rowsToCsv(rows)));
    files.push(folder.write('summary.csv', summariesToCsv(summarize(rows, config))));
    files.push(folder.write('aggregate.csv', aggregateCsv(rows)));
    files.push(folder.write('summary.md', summaryMarkdown(arms) + (paired ? `\n${pairedMarkdown(paired, armName)}` : '')));
    files.push(folder.write('result.json', JSON.stringify({ config, runs: options.runs, arms, paired }, null, 2) + '\n'));
    for (const f of figures) files.push(folder.write(path.join('figures', f.file), f.svg));
  }
  return { config, rows, arms, paired, skipped, completed: pending.length, engine: engineKind, phases, files, figures };
}

/** Means and 90% intervals per arm and labeled count, for identification rate and loss. */
function aggregateCsv(rows: readonly IterationRow[]): string {
  const lines = ['arm,labeled,runs,rate_mean,rate_lo,rate_hi,loss_mean,loss_lo,loss_hi'];
  const rate = aggregateSeries(rows, (r) => r.arm, (r) => r.labeled, (r) => r.rate, 0.9, undefined, 'bootstrap');
  const loss = aggregateSeries(rows, (r) => r.arm, (r) => r.labeled, (r) => r.loss);
  const f = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '' : String(+v.toPrecision(6)));
  for (const s of rate) {
    const l = loss.find((x) => x.name === s.name);
    for (const p of s.points) {
      const lp = l?.points.find((q) => q.x === p.x);
      lines.push([s.name.includes(',') ? `"${s.name}"` : s.name, p.x, p.n, f(p.mean), f(p.lo), f(p.hi), f(lp?.mean), f(lp?.lo), f(lp?.hi)].join(','));
    }
  }
  return lines.join('\n') + '\n';
}

async function runInWorkers(script: string, count: number, pending: number[], config: SimulationConfig, choice: EngineChoice,
  signal: AbortSignal | undefined, finish: (run: number, rows: IterationRow[], p: PhaseSeconds, kind: string) => void,
  report: (message: string) => void): Promise<void> {
  const queue = pending.slice();
  let requestId = 0;
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let active = 0;
      let failed = false;
      const fail = (err: Error) => {
        if (failed) return;
        failed = true;
        reject(err);
      };
      const onAbort = () => fail(signal?.reason instanceof Error ? signal.reason : new Error('simulation cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
      const next = (w: Worker) => {
        if (failed) return;
        const run = queue.shift();
        if (run === undefined) {
          if (--active === 0) {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          }
          return;
        }
        const msg: ToWorker = { type: 'run', requestId: ++requestId, config, run, engine: choice, threads: 1 };
        w.postMessage(msg);
      };
      for (let i = 0; i < count; i++) {
        const w = startWorker(script);
        pool.push(w);
        active++;
        w.on('message', (m: FromWorker) => {
          if (m.type === 'progress') report(`run ${m.run + 1}: iteration ${m.iteration} of ${m.of}`);
          else if (m.type === 'done') {
            try {
              finish(m.run, m.rows, m.phases, m.engine);
            } catch (err) {
              fail(err as Error);
              return;
            }
            next(w);
          } else fail(new Error(`simulation run ${m.run + 1} failed: ${m.message}`));
        });
        w.on('error', (err) => fail(err));
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`simulation worker exited with code ${code}`));
        });
        next(w);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}
