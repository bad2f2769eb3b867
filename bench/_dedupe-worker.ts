/** Child process of bench/dedupe.ts: imports, groups, re-signs and scores against the planted families. */
import { rmSync } from 'node:fs';
import { minhashSignature, normalizeForShingles, SHINGLE, SIGNATURE_SIZE, THRESHOLD } from '../src/core/nearDuplicates';
import { parseQuery } from '../src/core/search';
import { searchPool } from '../src/store/search';
import { Workspace } from '../src/store/workspace';
import { nearDuplicateCorpus } from '../test/helpers/generate';

const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;
const note = (m: string) => process.stderr.write(`[dedupe] ${m}\n`);

function shingles(body: string): Set<string> {
  const t = normalizeForShingles(body);
  const s = new Set<string>();
  if (t.length < SHINGLE) { if (t) s.add(t); } else for (let i = 0; i + SHINGLE <= t.length; i++) s.add(t.slice(i, i + SHINGLE));
  return s;
}
function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}
const pairs = (n: number) => (n * (n - 1)) / 2;

async function run(): Promise<void> {
  const [folder, file, rowsText] = process.argv.slice(2);
  const rows = Number(rowsText);
  const corpus = nearDuplicateCorpus(rows);
  const ws = await Workspace.init(folder!);
  note('importing');
  let t = process.hrtime.bigint();
  const report = await ws.importFiles([file!]);
  const importSeconds = seconds(t);
  const importPeakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

  note('grouping');
  t = process.hrtime.bigint();
  const groups = await ws.nearDuplicates.groups();
  const groupingSeconds = seconds(t);
  const groupingPeakRssMB = Math.round(process.resourceUsage().maxRSS / 1024);

  // Signing alone, in memory, on the first 100,000 bodies: the share of the import it costs.
  const sample = Array.from({ length: Math.min(rows, 100_000) }, (_, i) => corpus.body(i));
  const sig = new Uint8Array(SIGNATURE_SIZE);
  t = process.hrtime.bigint();
  for (const b of sample) minhashSignature(b, sig);
  const signMicrosecondsPerReview = (seconds(t) * 1e6) / sample.length;

  // Against the planted families: pairs put together, and planted pairs found.
  note('scoring');
  let grouped = 0, groupedSameFamily = 0;
  const seenRoots = new Set<number>();
  for (let row = 0; row < rows; row++) {
    if (groups.sizeOf(row) < 2 || seenRoots.has(groups.rootOf(row))) continue;
    seenRoots.add(groups.rootOf(row));
    const perFamily = new Map<number, number>();
    const members = groups.members(row);
    for (const m of members) { const f = corpus.familyOf(m); if (f >= 0) perFamily.set(f, (perFamily.get(f) ?? 0) + 1); }
    grouped += pairs(members.length);
    for (const n of perFamily.values()) groupedSameFamily += pairs(n);
  }
  const families = new Map<number, number[]>();
  for (let row = 0; row < rows; row++) {
    const f = corpus.familyOf(row);
    if (f < 0) continue;
    const list = families.get(f);
    if (list) list.push(row); else families.set(f, [row]);
  }
  let planted = 0, plantedFound = 0, similar = 0, similarFound = 0, checkedFamilies = 0;
  for (const members of families.values()) {
    planted += pairs(members.length);
    const sets = checkedFamilies < 3000 ? members.map((m) => shingles(corpus.body(m))) : undefined;
    if (sets) checkedFamilies++;
    for (let a = 0; a < members.length; a++) {
      for (let b = a + 1; b < members.length; b++) {
        const together = groups.rootOf(members[a]!) === groups.rootOf(members[b]!);
        if (together) plantedFound++;
        if (sets && jaccard(sets[a]!, sets[b]!) >= THRESHOLD) { similar++; if (together) similarFound++; }
      }
    }
  }

  // Find Reviews... over the same pool: words (a raw-line prefilter, then a parse of the lines that may match) and a regular expression (every line parsed).
  note('searching');
  t = process.hrtime.bigint();
  const words = await searchPool(ws.pool, parseQuery('"src/" java line'));
  const searchWordsSeconds = seconds(t);
  t = process.hrtime.bigint();
  const regex = await searchPool(ws.pool, parseQuery('/\\bline [0-9]{4}\\b/'));
  const searchRegexSeconds = seconds(t);

  note('signing a pool without signatures');
  rmSync(ws.nearDuplicates.file);
  t = process.hrtime.bigint();
  const signed = await ws.nearDuplicates.sign();
  const signExistingPoolSeconds = seconds(t);
  await ws.close();

  const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
  process.stdout.write(JSON.stringify({
    rows: report.imported,
    importSeconds: round(importSeconds, 1), importRowsPerSecond: Math.round(report.imported / importSeconds), importPeakRssMB,
    signMicrosecondsPerReview: round(signMicrosecondsPerReview, 2),
    signShareOfImport: round((signMicrosecondsPerReview * 1e-6 * rows) / importSeconds),
    groupingSeconds: round(groupingSeconds, 2), groupingPeakRssMB,
    importAndGroupingSeconds: round(importSeconds + groupingSeconds, 1),
    signExistingPoolSeconds: round(signExistingPoolSeconds, 1), signedRows: signed,
    search: { words: { seconds: round(searchWordsSeconds, 1), matched: words.matched }, regex: { seconds: round(searchRegexSeconds, 1), matched: regex.matched } },
    signExistingPoolAndGroupingSeconds: round(signExistingPoolSeconds + groupingSeconds, 1),
    groups: groups.summary,
    planted: { families: families.size, reviews: [...families.values()].reduce((s, m) => s + m.length, 0), pairs: planted },
    pairPrecision: round(grouped ? groupedSameFamily / grouped : 1),
    pairRecall: round(planted ? plantedFound / planted : 1),
    pairRecallAtThreshold: { threshold: THRESHOLD, familiesChecked: checkedFamilies, pairs: similar, recall: round(similar ? similarFound / similar : 1) },
  }) + '\n');
}
run().catch((e) => { process.stderr.write(String((e as Error).stack) + '\n'); process.exit(1); });
