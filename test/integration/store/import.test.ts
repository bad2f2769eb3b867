import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, openSync, closeSync, statSync, writeFileSync, readFileSync, ftruncateSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { INDEX_RECORD_BYTES } from '../../../src/store/pool';
import { tempDir } from '../../helpers/tmp';
import { needsPaperData, paperLabelsFile } from '../../helpers/paperData';
import { writeGeneratedReviews } from '../../helpers/generate';
import { mulberry32 } from '../../../src/core/hash';

test('imports the paper\'s labeled reviews with their labels as iteration 0', { skip: needsPaperData }, async () => {
  const dir = tempDir();
  const ws = await Workspace.init(dir);
  try {
    const report = await ws.importFiles([paperLabelsFile], { labelField: 'tag_post_qa' });
    assert.equal(report.imported, 959);
    assert.equal(report.errors, 0);
    assert.equal(report.labelSummary?.added, 959);
    const counts: Record<string, number> = {};
    for (const c of ws.db.current().values()) {
      counts[c.label] = (counts[c.label] ?? 0) + 1;
      assert.equal(c.iteration, 0);
      assert.equal(c.source, 'import:paper-labels-it1-5.jsonl');
    }
    // The file's own tally of tag_post_qa.
    const expected: Record<string, number> = {};
    for (const line of readFileSync(paperLabelsFile, 'utf8').trim().split('\n')) {
      const tag = (JSON.parse(line) as { tag_post_qa: string }).tag_post_qa;
      expected[tag] = (expected[tag] ?? 0) + 1;
    }
    assert.deepEqual(counts, expected);
    const row = ws.pool.rowOf('837450308')!;
    assert.equal(ws.pool.get(row).repo, 'apereo/cas');
    // Re-importing the same file adds nothing: no rows, no label events.
    const events = ws.db.events().length;
    const again = await ws.importFiles([paperLabelsFile], { labelField: 'tag_post_qa' });
    assert.equal(again.imported, 0);
    assert.equal(again.duplicates, 959);
    assert.equal(ws.db.events().length, events);
    assert.equal(ws.pool.size, 959);
  } finally {
    await ws.close();
  }
});

test('a 200k-row generated pool: streaming import, O(1) random access, dedupe, reopen', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'gen.jsonl');
  await writeGeneratedReviews(file, 200_000);
  let ws = await Workspace.init(dir);
  try {
    const r = await ws.importFiles([file]);
    assert.equal(r.imported, 200_000);
    assert.equal(r.errors, 0);
  } finally {
    await ws.close();
  }
  ws = await Workspace.open(dir);
  try {
    assert.equal(ws.pool.size, 200_000);
    const rng = mulberry32(3);
    for (let k = 0; k < 2000; k++) {
      const row = Math.floor(rng() * 200_000);
      const review = ws.pool.get(row);
      assert.equal(review.id, String(1_000_000_000 + row));
      assert.equal(ws.pool.rowOf(review.id), row);
    }
    assert.equal(ws.pool.rowOf('123'), undefined);
    // Overlapping second file: only the new half is added.
    const more = path.join(dir, 'more.jsonl');
    await writeGeneratedReviews(more, 20_000, { start: 190_000 });
    const r2 = await ws.importFiles([more]);
    assert.equal(r2.imported, 10_000);
    assert.equal(r2.duplicates, 10_000);
    assert.equal(ws.pool.get(209_999).id, String(1_000_000_000 + 209_999));
    let n = 0;
    for await (const { row, review } of ws.pool.scan(199_990, 200_010)) {
      assert.equal(review.id, String(1_000_000_000 + row));
      n++;
    }
    assert.equal(n, 20);
  } finally {
    await ws.close();
  }
});

test('bad lines are reported with file, line and reason; the rest imports', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'mixed.jsonl');
  const good = (id: number, body = 'fine') => JSON.stringify({ url: `https://github.com/a/b/pull/1#discussion_r${id}`, repo: 'a/b', number: 1, body });
  const invalidUtf8 = Buffer.concat([Buffer.from('{"url":"https://github.com/a/b/pull/1#discussion_r9","repo":"a/b","number":1,"body":"bad '), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]);
  writeFileSync(file, Buffer.concat([
    Buffer.from('\uFEFF' + good(1) + '\n'),          // 1: BOM is fine
    Buffer.from('{"url": "https://github.com/a/b/pull/1#discus\n'), // 2: malformed
    Buffer.from('\n'),                               // 3: blank, skipped silently
    Buffer.from('[1,2,3]\n'),                        // 4: not an object
    invalidUtf8,                                     // 5: invalid UTF-8
    Buffer.from(good(2, 'émoji ✓ 🚀') + '\r\n'),      // 6: CRLF and multi-byte
    Buffer.from('{"repo":"a/b","number":1}\n'),      // 7: no body
    Buffer.from(good(3) + '\n'),                     // 8
    Buffer.from(good(4).slice(0, 30)),               // 9: truncated last line
  ]));
  const ws = await Workspace.init(dir);
  try {
    const r = await ws.importFiles([file]);
    assert.equal(r.imported, 3);
    assert.deepEqual(r.problems.map((p) => [p.line, p.file]), [[2, file], [4, file], [5, file], [7, file], [9, file]]);
    assert.match(r.problems[0]!.reason, /invalid JSON/);
    assert.match(r.problems[1]!.reason, /expected a JSON object/);
    assert.match(r.problems[2]!.reason, /invalid UTF-8 at byte 90/);
    assert.match(r.problems[3]!.reason, /no url|not a review/);
    assert.match(r.problems[4]!.reason, /invalid JSON/);
    assert.equal(ws.pool.get(ws.pool.rowOf('2')!).body, 'émoji ✓ 🚀');
  } finally {
    await ws.close();
  }
});

test('empty files, gzip files, damaged gzip and unknown labels', async () => {
  const dir = tempDir();
  const empty = path.join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  const lines = Array.from({ length: 50 }, (_, i) => JSON.stringify({ url: `https://github.com/a/b/pull/2#discussion_r${100 + i}`, repo: 'a/b', number: 2, body: `b${i}`, tag: i === 7 ? 'maybe' : i % 2 ? 'yes' : 'no' })).join('\n') + '\n';
  const gz = path.join(dir, 'reviews.jsonl.gz');
  writeFileSync(gz, gzipSync(lines));
  const damaged = path.join(dir, 'damaged.gz');
  writeFileSync(damaged, gzipSync(lines.replace(/b(\d+)/g, 'c$1').replace(/r1(\d\d)/g, 'r2$1')).subarray(0, 200));
  const ws = await Workspace.init(dir);
  try {
    const r0 = await ws.importFiles([empty]);
    assert.equal(r0.imported, 0);
    assert.equal(r0.errors, 0);
    const r1 = await ws.importFiles([gz], { labelField: 'tag' });
    assert.equal(r1.imported, 50);
    assert.equal(r1.errors, 1);
    assert.match(r1.problems[0]!.reason, /unknown label "maybe" in field "tag"/);
    assert.equal(r1.problems[0]!.line, 8);
    assert.equal(r1.labelSummary?.added, 49);
    assert.equal(ws.db.labelOf('107'), undefined);
    await assert.rejects(ws.importFiles([damaged]), /damaged or truncated/);
    assert.equal(ws.pool.size >= 50, true, 'rows imported before the damage are kept');
    await assert.rejects(ws.importFiles([path.join(dir, 'missing.jsonl')]), /no such file/);
  } finally {
    await ws.close();
  }
});

test('an interrupted import\'s uncommitted tail is rolled back on the next open', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'a.jsonl');
  await writeGeneratedReviews(file, 100);
  let ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  await ws.close();
  const reviews = path.join(dir, '.secreview/pool/reviews.jsonl');
  const index = path.join(dir, '.secreview/pool/index.bin');
  const sizes = [statSync(reviews).size, statSync(index).size];
  appendFileSync(reviews, '{"id":"half a row');
  appendFileSync(index, Buffer.alloc(INDEX_RECORD_BYTES + 5, 7));
  ws = await Workspace.open(dir, { readOnly: true });
  assert.equal(ws.pool.size, 100, 'readers ignore the tail');
  await ws.close();
  ws = await Workspace.open(dir);
  try {
    assert.equal(ws.pool.size, 100);
    assert.deepEqual([statSync(reviews).size, statSync(index).size], sizes);
    const more = path.join(dir, 'b.jsonl');
    await writeGeneratedReviews(more, 10, { start: 100 });
    assert.equal((await ws.importFiles([more])).imported, 10);
    assert.equal(ws.pool.get(105).id, String(1_000_000_105));
  } finally {
    await ws.close();
  }
  // A pool shorter than its meta is reported, not silently used.
  const fd = openSync(reviews, 'r+');
  ftruncateSync(fd, 10);
  closeSync(fd);
  await assert.rejects(Workspace.open(dir), /shorter than its meta.json says/);
});
