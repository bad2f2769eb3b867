/**
 * Near-duplicates on a real workspace: signatures written as an import appends rows (and with every
 * later import), groups computed from them, pools imported before signatures existed signed later,
 * stale records recognized, batches that leave out near-duplicates of labeled reviews when asked,
 * search results proposed as a batch, and group counts in the statistics.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RECORD_BYTES } from '../../../src/store/nearDuplicates';
import { proposeBootstrapBatch, proposeRowsAsBatch, planNextBatch } from '../../../src/store/batches';
import { workspaceStats } from '../../../src/store/stats';
import { Workspace } from '../../../src/store/workspace';
import { nearDuplicateCorpus, writeNearDuplicateCorpus } from '../../helpers/generate';
import { tempDir } from '../../helpers/tmp';

const line = (id: number, body: string, repo = 'o/r') => JSON.stringify({ id, body, html_url: `https://github.com/${repo}/pull/1#discussion_r${id}`, path: 'src/a.java' });

/** Reviews 1..6: a templated bot message three times (numbers differ), a repeated remark twice, a unique one. */
const SMALL = [
  line(1, 'Coverage report: 81.2% of lines covered (+0.3%). Merging #1204 will increase coverage. See the full report on the dashboard.'),
  line(2, 'Unrelated: please rename this variable to something more descriptive, it is hard to follow.'),
  line(3, 'Coverage report: 79.9% of lines covered (-1.1%). Merging #1310 will decrease coverage. See the full report on the dashboard.'),
  line(4, 'This concatenates user input into the SQL query; use a prepared statement to avoid injection.'),
  line(5, 'coverage report  55% of lines covered (+2%)! merging #77 will increase coverage. see the full report on the dashboard'),
  line(6, 'This concatenates user input into the SQL query, use a prepared statement to avoid an injection here.'),
];

async function smallWorkspace(): Promise<{ ws: Workspace; dir: string }> {
  const dir = tempDir('secreview-nd-');
  const file = path.join(dir, 'a.jsonl');
  writeFileSync(file, SMALL.join('\n') + '\n');
  const ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  return { ws, dir };
}

const groupOf = (ws: Workspace, id: string) => ws.nearDuplicates.current!.members(ws.pool.rowOf(id)!).map((r) => ws.pool.idOf(r));

test('an import signs every body; groups join templated copies and repeated remarks, and nothing else', async () => {
  const { ws } = await smallWorkspace();
  try {
    const file = ws.nearDuplicates.file;
    assert.ok(existsSync(file), 'the signature file is written by the import');
    assert.equal(statSync(file).size, 32 + 6 * RECORD_BYTES, 'one record per row');
    const groups = await ws.nearDuplicates.groups();
    assert.deepEqual(groupOf(ws, '1'), ['1', '3', '5']);
    assert.deepEqual(groupOf(ws, '4'), ['4', '6']);
    assert.deepEqual(groupOf(ws, '2'), ['2']);
    assert.deepEqual({ ...groups.summary }, { groups: 2, reviewsInGroups: 5, redundant: 3, largest: 3, unsigned: 0 });
    const sims = ws.nearDuplicates.similarities(0, [2, 1]);
    assert.ok(sims[0]! >= 0.8 && sims[1]! < 0.3, `similarities ${sims.join(', ')}`);
  } finally {
    await ws.close();
  }
});

test('incremental: a later import signs only its own rows, and new copies join the old groups', async () => {
  const { ws, dir } = await smallWorkspace();
  try {
    await ws.nearDuplicates.groups();
    const file = path.join(dir, 'b.jsonl');
    writeFileSync(file, [line(7, 'Coverage report: 12% of lines covered (+9.9%). Merging #9 will increase coverage. See the full report on the dashboard.'), line(8, 'A fresh remark about thread safety of this cache.')].join('\n') + '\n');
    await ws.importFiles([file]);
    assert.equal(ws.nearDuplicates.current, undefined, 'groups of the smaller pool are not served for the larger one');
    assert.equal(await ws.nearDuplicates.sign(), 0, 'the import signed its rows: nothing left to sign');
    await ws.nearDuplicates.groups();
    assert.deepEqual(groupOf(ws, '7'), ['1', '3', '5', '7']);
    assert.deepEqual(groupOf(ws, '8'), ['8']);
  } finally {
    await ws.close();
  }
});

test('a pool imported before signatures existed is signed when groups are asked for; read-only, its rows stay alone and counted', async () => {
  const { ws, dir } = await smallWorkspace();
  await ws.close();
  rmSync(path.join(dir, '.secreview', 'pool', 'near-duplicates.bin'));
  const reader = await Workspace.open(dir, { readOnly: true });
  try {
    const g = await reader.nearDuplicates.groups();
    assert.equal(g.summary.unsigned, 6);
    assert.equal(g.summary.groups, 0);
  } finally {
    await reader.close();
  }
  const writer = await Workspace.open(dir);
  try {
    const progress: string[] = [];
    const g = await writer.nearDuplicates.groups({ onProgress: (p) => progress.push(p.phase) });
    assert.equal(g.summary.unsigned, 0);
    assert.equal(g.summary.groups, 2);
    assert.ok(progress.includes('grouping'));
  } finally {
    await writer.close();
  }
});

test('records written for other rows (a pool rebuilt under an old signature file) are recognized as stale and signed again', async () => {
  const { ws, dir } = await smallWorkspace();
  await ws.close();
  // A second pool whose rows differ, given the first pool's signature file.
  const other = tempDir('secreview-nd-');
  const file = path.join(other, 'a.jsonl');
  writeFileSync(file, [...SMALL].reverse().join('\n') + '\n');
  const ws2 = await Workspace.init(other);
  await ws2.importFiles([file]);
  await ws2.close();
  const { copyFileSync } = await import('node:fs');
  copyFileSync(path.join(dir, '.secreview', 'pool', 'near-duplicates.bin'), path.join(other, '.secreview', 'pool', 'near-duplicates.bin'));
  const reopened = await Workspace.open(other);
  try {
    assert.equal(await reopened.nearDuplicates.sign(), 6, 'every row held another body in the old pool');
    await reopened.nearDuplicates.groups();
    assert.deepEqual(groupOf(reopened, '1'), ['5', '3', '1']);
  } finally {
    await reopened.close();
  }
});

test('batches: with near-duplicates excluded, copies of a labeled review stay out and each group comes once', async () => {
  const { ws } = await smallWorkspace();
  try {
    const nearDuplicates = await ws.nearDuplicates.groups();
    await ws.db.setLabel({ reviewId: '4', label: 'yes' });
    const all = planNextBatch(ws, { mixture: [{ strategy: 'random', share: 1 }], size: 10 }).picks.map((p) => ws.pool.idOf(p.row));
    assert.deepEqual([...all].sort(), ['1', '2', '3', '5', '6'], 'by default only the labeled review itself is out');
    const some = planNextBatch(ws, { mixture: [{ strategy: 'random', share: 1 }], size: 10, nearDuplicates }).picks.map((p) => ws.pool.idOf(p.row));
    assert.ok(!some.includes('6'), 'the copy of the labeled review is out');
    assert.equal(some.filter((id) => ['1', '3', '5'].includes(id)).length, 1, 'one of the coverage bot group');
    assert.ok(some.includes('2'));
    const boot = await proposeBootstrapBatch(ws, { size: 10, useM1: false, patterns: ['coverage|sql'], nearDuplicates });
    assert.equal(boot.batch!.items.length, 1, 'the bot group once; the SQL remark is a copy of a labeled one');
  } finally {
    await ws.close();
  }
});

test('search results as a batch: in the order found, without labeled, open-batch or (when asked) near-duplicate reviews', async () => {
  const { ws } = await smallWorkspace();
  try {
    await ws.db.setLabel({ reviewId: '1', label: 'bot' });
    const rows = ['6', '5', '3', '4', '2'].map((id) => ws.pool.rowOf(id)!);
    const plain = await proposeRowsAsBatch(ws, rows, { strategy: 'search: x', size: 3 });
    assert.deepEqual(plain.batch!.items.map((i) => i.reviewId), ['6', '5', '3']);
    assert.equal(plain.batch!.strategy, 'search: x');
    assert.equal(plain.left, 2);
    await ws.db.setLabel({ reviewId: '6', label: 'yes' });
    const next = await proposeRowsAsBatch(ws, rows, { strategy: 'search: x', nearDuplicates: await ws.nearDuplicates.groups() });
    assert.deepEqual(next.batch!.items.map((i) => i.reviewId), ['2'], '4 is a copy of the labeled 6; 5 and 3 are in an open batch');
    const without = await proposeRowsAsBatch(ws, rows, { strategy: 'search: x' });
    assert.deepEqual(without.batch!.items.map((i) => i.reviewId), ['4'], 'without the setting, the copy of a labeled review is proposed');
    assert.equal((await proposeRowsAsBatch(ws, rows, { strategy: 'search: x' })).batch, undefined, 'nothing left');
  } finally {
    await ws.close();
  }
});

test('statistics: group counts, labeled groups, unlabeled reviews in them, conflicting groups', async () => {
  const { ws } = await smallWorkspace();
  try {
    await ws.db.setLabel({ reviewId: '1', label: 'bot' });
    await ws.db.setLabel({ reviewId: '4', label: 'yes' });
    await ws.db.setLabel({ reviewId: '6', label: 'no' });
    const s = workspaceStats(ws, { nearDuplicates: await ws.nearDuplicates.groups() });
    assert.deepEqual(s.nearDuplicates, { groups: 2, reviewsInGroups: 5, redundant: 3, largest: 3, unsigned: 0, labeledGroups: 2, unlabeledInLabeledGroups: 2, conflictingGroups: 1 });
  } finally {
    await ws.close();
  }
});

test('a generated pool with planted templates: groups are nearly all planted copies', async () => {
  const dir = tempDir('secreview-nd-');
  const file = path.join(dir, 'g.jsonl');
  const rows = 4000;
  const corpus = nearDuplicateCorpus(rows, { seed: 3 });
  await writeNearDuplicateCorpus(file, corpus, rows);
  const ws = await Workspace.init(dir);
  try {
    await ws.importFiles([file]);
    const g = await ws.nearDuplicates.groups();
    let pairs = 0, samePlanted = 0;
    const seen = new Set<number>();
    for (let row = 0; row < rows; row++) {
      if (g.sizeOf(row) < 2 || seen.has(g.rootOf(row))) continue;
      seen.add(g.rootOf(row));
      const m = g.members(row);
      for (let a = 0; a < m.length; a++) for (let b = a + 1; b < m.length; b++) {
        pairs++;
        const f = corpus.familyOf(m[a]!);
        if (f >= 0 && f === corpus.familyOf(m[b]!)) samePlanted++;
      }
    }
    assert.ok(g.summary.groups > 20, `${g.summary.groups} groups`);
    assert.ok(samePlanted / pairs > 0.95, `pair precision ${samePlanted}/${pairs}`);
  } finally {
    await ws.close();
  }
});

test('a writer keeps the groups it computed; a reader takes them without grouping, until the pool or signatures change', async () => {
  const { ws, dir } = await smallWorkspace();
  const { existsSync: exists, writeFileSync: write } = await import('node:fs');
  const groupsFile = path.join(dir, '.secreview', 'pool', 'near-duplicate-groups.bin');
  try {
    await ws.nearDuplicates.groups();
    assert.ok(exists(groupsFile));
  } finally {
    await ws.close();
  }
  const phases = async (readOnly: boolean) => {
    const w = await Workspace.open(dir, { readOnly });
    try {
      const seen: string[] = [];
      const g = await w.nearDuplicates.groups({ onProgress: (p) => seen.push(p.phase) });
      return { seen, summary: { ...g.summary }, groupOf1: g.members(w.pool.rowOf('1')!).map((r) => w.pool.idOf(r)) };
    } finally {
      await w.close();
    }
  };
  const cached = await phases(true);
  assert.deepEqual(cached.seen, [], 'no grouping: the kept groups are used');
  assert.deepEqual(cached.groupOf1, ['1', '3', '5']);
  assert.equal(cached.summary.groups, 2);

  write(groupsFile, Buffer.alloc(100, 7));
  const damaged = await phases(true);
  assert.ok(damaged.seen.includes('grouping'), 'a damaged file is ignored and the groups computed');
  assert.deepEqual(damaged.groupOf1, ['1', '3', '5']);

  const writer = await Workspace.open(dir);
  try {
    await writer.nearDuplicates.groups();
    writeFileSync(path.join(dir, 'c.jsonl'), line(9, 'Coverage report: 1% of lines covered (+1%). Merging #1 will increase coverage. See the full report on the dashboard.') + '\n');
    await writer.importFiles([path.join(dir, 'c.jsonl')]);
  } finally {
    await writer.close();
  }
  const grown = await phases(true);
  assert.ok(grown.seen.includes('grouping'), 'groups of the smaller pool are not used');
  assert.deepEqual(grown.groupOf1, ['1', '3', '5', '9']);
});
