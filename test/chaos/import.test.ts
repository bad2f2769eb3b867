/**
 * Fault harness for imports: `secreview import --label-field` SIGKILLed at random rows, again and
 * again, then run to the end; the pool (reviews.jsonl, index.bin, meta.json counts) must equal a
 * clean import's byte for byte, and the labels the same events.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';
import path from 'node:path';
import { mulberry32 } from '../../src/core/hash';
import { upgradeLabelData } from '../../src/store/labelDb';
import { Workspace } from '../../src/store/workspace';
import { generatedReview } from '../helpers/generate';
import { tempDir } from '../helpers/tmp';
import { assertBuilt, chaosSeed, printFigures, random, startCli } from './harness';

const ROWS = 110_000;
const TAGS = ['yes', 'no', 'unclear', 'language', 'bot', 'broken'];

/** Generated reviews, every 40th with a label in `tag` (and a few bad lines, reported and skipped). */
async function writeInput(file: string): Promise<void> {
  const rng = mulberry32(5);
  const out = createWriteStream(file);
  for (let i = 0; i < ROWS; i++) {
    const r = generatedReview(i, rng);
    if (i % 40 === 0) r.tag = TAGS[(i / 40) % TAGS.length];
    const line = i % 10_007 === 5 ? '{"broken": ' : JSON.stringify(r);
    if (!out.write(line + '\n')) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function freshWorkspace(): Promise<string> {
  const folder = tempDir('secreview-chaos-import-');
  await (await Workspace.init(folder)).close();
  return folder;
}

function poolFiles(folder: string): { reviews: Buffer; index: Buffer; rows: number; bytes: number; events: string[] } {
  const dir = path.join(folder, '.secreview');
  const meta = JSON.parse(readFileSync(path.join(dir, 'pool', 'meta.json'), 'utf8')) as { rows: number; bytes: number };
  const labels = path.join(dir, 'labels.json');
  const events = upgradeLabelData(JSON.parse(readFileSync(labels, 'utf8')), labels).events.map((e) => `${e.seq} ${e.kind} ${e.reviewId} ${e.label} ${e.source}`);
  return {
    reviews: readFileSync(path.join(dir, 'pool', 'reviews.jsonl')),
    index: readFileSync(path.join(dir, 'pool', 'index.bin')),
    rows: meta.rows, bytes: meta.bytes, events,
  };
}

test('imports SIGKILLed at random rows, then finished, equal a clean import byte for byte', async () => {
  assertBuilt();
  const seed = chaosSeed();
  const rng = random(seed + 1);
  const input = path.join(tempDir('secreview-chaos-input-'), 'reviews.jsonl');
  await writeInput(input);
  const args = (folder: string) => ['import', input, '--label-field', 'tag', '-C', folder];

  const clean = await freshWorkspace();
  const cleanRun = await startCli(args(clean)).done;
  assert.equal(cleanRun.code, 0, cleanRun.stderr);
  const expected = poolFiles(clean);
  assert.equal(expected.rows, ROWS - Math.ceil((ROWS - 5) / 10_007));

  const folder = await freshWorkspace();
  const killedAt: number[] = [];
  const readAtKill: number[] = [];
  let completedEarly = false;
  for (let attempt = 0; attempt < 8; attempt++) {
    const run = await startCli(args(folder), { killAfterMs: cleanRun.ms * (0.1 + 0.9 * rng()) }).done;
    if (!run.killed) {
      assert.equal(run.code, 0, run.stderr);
      completedEarly = true;
      break;
    }
    // Where it was (its last progress line: rows read of the file) and what survived: the rows of
    // the last commit (the next writer cuts the rest off).
    const progress = [...run.stderr.matchAll(/(\d+) imported, (\d+) duplicates, (\d+) problems/g)].at(-1);
    readAtKill.push(progress ? Number(progress[1]) + Number(progress[2]) + Number(progress[3]) : 0);
    killedAt.push(JSON.parse(readFileSync(path.join(folder, '.secreview', 'pool', 'meta.json'), 'utf8')).rows as number);
  }
  const last = await startCli(args(folder)).done;
  assert.equal(last.code, 0, last.stderr);
  const got = poolFiles(folder);
  printFigures('import', { seed, rows: ROWS, kills: killedAt.length, rowsReadAtEachKill: readAtKill, rowsCommittedAtEachKill: killedAt, finishedBeforeAKill: completedEarly, labels: got.events.length });
  assert.ok(killedAt.length >= 3, 'at least three imports were killed part-way');
  assert.deepEqual([got.rows, got.bytes], [expected.rows, expected.bytes]);
  assert.ok(got.reviews.equals(expected.reviews), 'reviews.jsonl equals the clean import byte for byte');
  assert.ok(got.index.equals(expected.index), 'index.bin equals the clean import byte for byte');
  assert.deepEqual(got.events, expected.events, 'the same label events, in the same order');
});
