/**
 * Near-duplicate benchmark: a pool of N generated reviews (default 1,000,000) of which 15% copy a
 * template with its numbers, an identifier and a file name changed (test/helpers/generate.ts), in a
 * child process: the import (which signs every body as it appends it), grouping the whole pool from
 * the signatures, signing a pool that has none (a pool imported before this version), and how the
 * groups found compare with the families planted, and Find Reviews... over the same pool (a words
 * query and a regular expression). Prints JSON.
 * Usage: npm run bench -- dedupe [--rows N]
 * Target: grouping 1M reviews in under 60 s on this 2-core machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nearDuplicateCorpus, writeNearDuplicateCorpus } from '../test/helpers/generate';

async function main(): Promise<void> {
  const i = process.argv.indexOf('--rows');
  const rows = i >= 0 ? Number(process.argv[i + 1]) : 1_000_000;
  if (!Number.isInteger(rows) || rows < 1000) throw new Error(`--rows must be a whole number of at least 1000, got "${process.argv[i + 1] ?? ''}"`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-bench-dedupe-'));
  try {
    const file = path.join(dir, 'reviews.jsonl');
    const g0 = Date.now();
    await writeNearDuplicateCorpus(file, nearDuplicateCorpus(rows), rows);
    const generateSeconds = (Date.now() - g0) / 1000;
    const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '_dedupe-worker.ts'), dir, file, String(rows)], { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'inherit'] });
    if (r.status !== 0) throw new Error('dedupe worker failed');
    const result = JSON.parse(r.stdout) as Record<string, unknown>;
    console.log(JSON.stringify({
      benchmark: 'dedupe', node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, loadAverage: os.loadavg().map((x) => +x.toFixed(1)),
      inputMB: Math.round(statSync(file).size / 1e6), generateSeconds, ...result,
      targets: { groupingSeconds1M: 60 },
    }, null, 2));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
