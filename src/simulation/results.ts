/**
 * Results on disk: one CSV per run (`runs/run-00001.csv`, one row per arm and iteration, with the
 * run's drawn parameters), from which everything else (summaries, aggregates, figures) is derived.
 * A run's file is complete or absent (written to a temp file and renamed), so a study resumes by
 * skipping the runs whose file exists.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parseCorrelation, type RunParameters, type SimulationConfig } from './config';
import type { IterationRecord, RunResult, RunSummary } from './run';
import { stoppingPoint } from './stopping';

export interface IterationRow extends IterationRecord, RunParameters {
  prevalence: number;
  /** Wall-clock seconds of the whole run. */
  seconds: number;
}

const COLUMNS = ['run', 'arm', 'predictability', 'epochs', 'correlation', 'increment', 'iterations', 'prevalence', 'iteration', 'labeled', 'positives', 'rate', 'loss', 'batchPositives', 'seconds'] as const;
type Column = (typeof COLUMNS)[number];

export function rowsOfRun(result: RunResult, seconds: number): IterationRow[] {
  return result.iterations.map((r) => ({ ...result.parameters, ...r, prevalence: result.prevalence, seconds }));
}

function cell(v: string | number): string {
  if (typeof v === 'number') return Number.isNaN(v) ? '' : String(v);
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function rowsToCsv(rows: readonly IterationRow[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) lines.push(COLUMNS.map((c) => cell(r[c])).join(','));
  return lines.join('\n') + '\n';
}

/** Splits one CSV line (quotes as written by `cell`). */
function splitCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (ch === '"') quoted = false; else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') { out.push(cur); cur = ''; } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function rowsFromCsv(text: string, source = 'csv'): IterationRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.length);
  if (!lines.length) return [];
  const header = splitCsvLine(lines[0]!);
  const index = new Map(header.map((h, i) => [h, i]));
  for (const c of COLUMNS) if (!index.has(c)) throw new Error(`${source}: missing column "${c}"`);
  return lines.slice(1).map((line, k) => {
    const cells = splitCsvLine(line);
    const get = (c: Column) => cells[index.get(c)!] ?? '';
    const num = (c: Column) => {
      const v = get(c);
      if (v === '') return NaN;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new Error(`${source}:${k + 2}: column "${c}" is not a number: "${v}"`);
      return n;
    };
    return {
      run: num('run'), arm: get('arm'), predictability: num('predictability'), epochs: num('epochs'),
      correlation: parseCorrelation(get('correlation')), increment: num('increment'), iterations: num('iterations'),
      prevalence: num('prevalence'), iteration: num('iteration'), labeled: num('labeled'), positives: num('positives'),
      rate: num('rate'), loss: num('loss'), batchPositives: num('batchPositives'), seconds: num('seconds'),
    };
  });
}

/** Per run and arm: the final state and where the stopping rule would have stopped. */
export function summarize(rows: readonly IterationRow[], config: Pick<SimulationConfig, 'stopYield' | 'stopPatience'>): RunSummary[] {
  const groups = new Map<string, IterationRow[]>();
  for (const r of rows) {
    const key = `${r.run}\u0000${r.arm}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const out: RunSummary[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.iteration - b.iteration);
    const last = g[g.length - 1]!;
    const stop = stoppingPoint(g, last.increment, config.stopYield, config.stopPatience);
    out.push({
      run: last.run, predictability: last.predictability, epochs: last.epochs, correlation: last.correlation,
      increment: last.increment, iterations: last.iterations, arm: last.arm, prevalence: last.prevalence,
      labeled: last.labeled, positives: last.positives, rate: last.rate, ...stop, seconds: last.seconds,
    });
  }
  return out.sort((a, b) => a.run - b.run || a.arm.localeCompare(b.arm));
}

const SUMMARY_COLUMNS = ['run', 'arm', 'predictability', 'epochs', 'correlation', 'increment', 'iterations', 'prevalence', 'labeled', 'positives', 'rate', 'stopIteration', 'labeledAtStop', 'positivesAtStop', 'seconds'] as const;

export function summariesToCsv(rows: readonly RunSummary[]): string {
  return [SUMMARY_COLUMNS.join(','), ...rows.map((r) => SUMMARY_COLUMNS.map((c) => cell(r[c])).join(','))].join('\n') + '\n';
}

/** The folder layout of a study. */
export class StudyFolder {
  constructor(readonly dir: string) {}

  get runsDir(): string { return path.join(this.dir, 'runs'); }
  runFile(run: number): string { return path.join(this.runsDir, `run-${String(run).padStart(5, '0')}.csv`); }

  /**
   * Creates the folder, or checks that an existing study used the same configuration (the number
   * of runs may differ: asking for more runs extends a study).
   */
  prepare(config: SimulationConfig): void {
    mkdirSync(this.runsDir, { recursive: true });
    const file = path.join(this.dir, 'config.json');
    const text = JSON.stringify(config, null, 2) + '\n';
    if (existsSync(file)) {
      const old = readFileSync(file, 'utf8');
      if (old !== text) {
        throw new Error(`simulation: ${this.dir} holds a study with a different configuration; use another --out folder or delete it (${file})`);
      }
      return;
    }
    writeAtomic(file, text);
  }

  hasRun(run: number): boolean { return existsSync(this.runFile(run)); }

  writeRun(run: number, rows: readonly IterationRow[]): void {
    writeAtomic(this.runFile(run), rowsToCsv(rows));
  }

  /** Every completed run's rows, in run order. */
  readRuns(): IterationRow[] {
    if (!existsSync(this.runsDir)) return [];
    const files = readdirSync(this.runsDir).filter((f) => /^run-\d+\.csv$/.test(f)).sort();
    return files.flatMap((f) => rowsFromCsv(readFileSync(path.join(this.runsDir, f), 'utf8'), f));
  }

  write(name: string, text: string): string {
    const file = path.join(this.dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeAtomic(file, text);
    return file;
  }
}

export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}
