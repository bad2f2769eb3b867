/**
 * Import benchmark: streams N generated reviews (default 1,000,000) into a fresh pool in a child
 * process and reports rows/s and that process's peak RSS, then random reads by row per second.
 * Usage: npm run bench -- import [--rows N] [--reads N]
 * Targets: >= 50k rows/s, peak RSS < 400 MB, >= 100k random reads/s.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { writeGeneratedReviews } from '../test/helpers/generate';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string' }, reads: { type: 'string' } } });
  const rows = Number(values.rows ?? 1_000_000);
  const reads = Number(values.reads ?? 200_000);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-bench-import-'));
  try {
    const file = path.join(dir, 'reviews.jsonl');
    const g0 = Date.now();
    await writeGeneratedReviews(file, rows);
    const generateSeconds = (Date.now() - g0) / 1000;
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '_import-worker.ts'), dir, file, String(reads)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status !== 0) throw new Error(`import worker failed: ${r.stderr}`);
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    console.log(JSON.stringify({
      benchmark: 'import', node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model,
      inputMB: Math.round(statSync(file).size / 1e6), generateSeconds, ...result,
      targets: { rowsPerSecond: 50_000, importPeakRssMB: 400, randomReadsPerSecond: 100_000 },
    }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
