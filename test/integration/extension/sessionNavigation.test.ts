/**
 * The labeling session's near-duplicates, search mode and highlights, on a real workspace: the
 * group offer after a label, applying the label to the group (each an ordinary, undoable event),
 * the near-duplicates listed in the view, going through search results and back to the batch, and
 * M1, pattern and search highlights in hostile review text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseQuery } from '../../../src/core/search';
import { LabelingSession } from '../../../src/extension/session';
import { searchPool } from '../../../src/store/search';
import { Workspace } from '../../../src/store/workspace';
import { tempDir } from '../../helpers/tmp';

const line = (id: number, body: string) => JSON.stringify({ id, body, html_url: `https://github.com/o/r/pull/${id}#discussion_r${id}`, path: `src/f${id}.java` });
const BOT = (n: number) => `Coverage report: ${n}.5% of lines covered. Merging #${n * 7} will change coverage. See the full report on the dashboard.`;

async function session(): Promise<{ s: LabelingSession; ws: Workspace }> {
  const dir = tempDir('secreview-nav-');
  const file = path.join(dir, 'r.jsonl');
  writeFileSync(file, [
    line(1, BOT(81)), line(2, 'Rename this, <script>alert("insecure")</script> please.'), line(3, BOT(79)), line(4, BOT(12)),
    line(5, 'This token is insecure: it leaks to the log <img src=x onerror=alert(1)>.'), line(6, 'Another unrelated remark about naming.'),
  ].join('\n') + '\n');
  const ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  await ws.db.addBatch({ modelVersion: null, strategy: 'manual', items: ['1', '2', '5', '6'].map((reviewId) => ({ reviewId, strategy: 'random' as const, score: 0.5 })) });
  await ws.nearDuplicates.groups();
  const s = new LabelingSession(ws);
  s.selectBatch(ws.db.batches()[0]!.id);
  return { s, ws };
}

test('after a label, the panel offers its near-duplicates; applying labels each, undo takes one back', async () => {
  const { s, ws } = await session();
  try {
    assert.equal(s.currentId, '1');
    const view = s.view('1', 'next')!;
    assert.equal(view.nearDuplicates!.total, 2);
    assert.equal(view.nearDuplicates!.unlabeled, 2);
    assert.deepEqual(view.nearDuplicates!.members.map((m) => m.reviewId), ['3', '4']);
    assert.ok(view.nearDuplicates!.members.every((m) => m.similarity! >= 0.8));
    assert.equal(s.groupOffer(), undefined, 'nothing to offer before a label');

    await s.label('1', 'bot');
    s.advance();
    assert.deepEqual(s.groupOffer(), { reviewId: '1', label: 'bot', unlabeled: 2, shown: false });
    const before = ws.db.events().length;
    assert.deepEqual(await s.applyToNearDuplicates('1'), { label: 'bot', labeled: 2 });
    assert.equal(ws.db.labelOf('3')?.label, 'bot');
    assert.equal(ws.db.labelOf('4')?.label, 'bot');
    const added = ws.db.events().slice(before);
    assert.deepEqual(added.map((e) => [e.reviewId, e.kind, e.source]), [['3', 'set', 'near-duplicate:1'], ['4', 'set', 'near-duplicate:1']]);
    assert.equal(s.groupOffer(), undefined, 'nothing left to offer');
    assert.equal(s.view('1', 'open')!.nearDuplicates!.labels[0]!.count, 2, 'the list shows their labels');

    await s.undo();
    assert.equal(ws.db.labelOf('4'), undefined, 'undo takes back the last one');
    assert.equal(ws.db.labelOf('3')?.label, 'bot');
    await assert.rejects(s.applyToNearDuplicates('2'), /no label to apply/);
  } finally {
    await ws.close();
  }
});

test('search mode goes through the results, marks the words, and returns to the batch where it was', async () => {
  const { s, ws } = await session();
  try {
    assert.equal(s.currentId, '1');
    const query = parseQuery('coverage -"12.5"');
    const result = await searchPool(ws.pool, query);
    assert.deepEqual(result.ids, ['1', '3']);
    s.setSearch({ query, ids: result.ids, matched: result.matched });
    assert.ok(s.startSearch('3'));
    assert.equal(s.mode, 'search');
    const v = s.view('3', 'open')!;
    assert.match(v.bodyHtml, /<mark class="hl hl-search" title="search: coverage -&quot;12\.5&quot;">Coverage<\/mark>/);
    assert.deepEqual(s.progress().search, { query: 'coverage -"12.5"', results: 2, matched: 2, labeled: 0, position: 2 });
    await s.label('3', 'bot');
    assert.equal(s.advance(), '1', 'the next result without a label, from the start');
    s.stopSearch();
    assert.equal(s.mode, 'label');
    assert.equal(s.currentId, '1', 'back on the batch review labeling was on');
    assert.doesNotMatch(s.view('1', 'open')!.bodyHtml, /hl-search/, 'search words are marked in search mode only');
  } finally {
    await ws.close();
  }
});

test('M1 and the person\'s patterns are marked in hostile text, which stays text', async () => {
  const { s, ws } = await session();
  try {
    s.setPatterns([/\btoken\b/i]);
    const v = s.view('5', 'open')!;
    assert.match(v.bodyHtml, /<mark class="hl hl-pattern"[^>]*>token<\/mark>/);
    assert.match(v.bodyHtml, /<mark class="hl hl-m1"[^>]*>insecure<\/mark>/);
    assert.doesNotMatch(v.bodyHtml, /<img|<[^>]*onerror/);
    assert.match(v.bodyHtml, /&lt;img src=x onerror=alert\(1\)&gt;/, "shown as text");
    const hostile = s.view('2', 'open')!;
    assert.doesNotMatch(hostile.bodyHtml, /<script/);
    assert.match(hostile.bodyHtml, /&lt;script&gt;alert\(&quot;<mark class="hl hl-m1"[^>]*>insecure<\/mark>&quot;\)&lt;\/script&gt;|&lt;script&gt;alert\("<mark class="hl hl-m1"[^>]*>insecure<\/mark>"\)&lt;\/script&gt;/);
  } finally {
    await ws.close();
  }
});
