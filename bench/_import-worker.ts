/** Child process of bench/import.ts: imports one file into a fresh workspace and measures itself. */
import { Workspace } from '../src/store/workspace';
import { mulberry32 } from '../src/core/hash';

async function run(): Promise<void> {
  const [folder, file, readsText] = process.argv.slice(2);
  const ws = await Workspace.init(folder!);
  const t0 = process.hrtime.bigint();
  const report = await ws.importFiles([file!]);
  const importSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const importMaxRssMB = process.resourceUsage().maxRSS / 1024;
  const reads = Number(readsText);
  const rng = mulberry32(9);
  const t1 = process.hrtime.bigint();
  let check = 0;
  for (let i = 0; i < reads; i++) check += ws.pool.get(Math.floor(rng() * ws.pool.size)).body.length;
  const readSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  const t2 = process.hrtime.bigint();
  let found = 0;
  for (let i = 0; i < reads; i++) if (ws.pool.rowOf(String(1_000_000_000 + Math.floor(rng() * ws.pool.size))) !== undefined) found++;
  const lookupSeconds = Number(process.hrtime.bigint() - t2) / 1e9;
  await ws.close();
  process.stdout.write(JSON.stringify({
    rows: report.imported, importSeconds, rowsPerSecond: Math.round(report.imported / importSeconds), importPeakRssMB: Math.round(importMaxRssMB),
    randomReads: reads, randomReadsPerSecond: Math.round(reads / readSeconds), idLookupsPerSecond: Math.round(reads / lookupSeconds),
    check: check > 0 && found === reads,
  }) + '\n');
}
run().catch((e) => { process.stderr.write(String((e as Error).stack) + '\n'); process.exit(1); });
