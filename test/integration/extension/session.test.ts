/**
 * The labeling session behind the panel, on a real workspace in a temp folder: order of candidates,
 * skip, notes, undo across sessions, progress, and the rendered view of untrusted text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { LabelingSession } from '../../../src/extension/session';

async function workspaceWith(n: number): Promise<{ ws: Workspace; dir: string; ids: string[] }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-session-'));
  const file = path.join(dir, 'reviews.jsonl');
  const rows = Array.from({ length: n }, (_, i) => JSON.stringify({
    id: 500 + i, body: i === 1 ? 'a security <script>x()</script> issue \u202E' : `a security note number ${i}`,
    html_url: `https://github.com/o/r/pull/${i + 1}#discussion_r${500 + i}`, path: 'src/a.py', user: { login: 'dev' },
    diff_hunk: '@@ -1,2 +1,2 @@\n x = 1\n-eval(y)\n+safe(y)', line: 2, original_line: 2,
  }));
  writeFileSync(file, rows.join('\n') + '\n');
  const ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  const ids = rows.map((_, i) => String(500 + i));
  await ws.db.addBatch({ modelVersion: null, strategy: 'manual', items: ids.map((reviewId) => ({ reviewId, strategy: 'random' as const, score: 0.5 })) });
  return { ws, dir, ids };
}

test('candidates come in batch order; skip moves on and skipped ones come back last', async () => {
  const { ws, dir, ids } = await workspaceWith(3);
  try {
    const s = new LabelingSession(ws);
    assert.equal(s.advance(), ids[0]);
    s.skip(ids[0]!);
    assert.equal(s.advance(), ids[1]);
    await s.label(ids[1]!, 'no');
    assert.equal(s.advance(), ids[2]);
    await s.label(ids[2]!, 'yes');
    assert.equal(s.advance(), ids[0], 'only the skipped one is left');
    const p = s.progress();
    assert.deepEqual([p.done, p.total, p.counts.yes, p.counts.no, p.sessionLabeled, p.sessionPositive], [2, 3, 1, 1, 2, 1]);
    assert.equal(p.sessionIdentificationRate, 0.5);
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a note typed before the label is saved with it; a note on a labeled review is a new event', async () => {
  const { ws, dir, ids } = await workspaceWith(2);
  try {
    const s = new LabelingSession(ws);
    assert.equal(await s.setNote(ids[0]!, 'check the query'), 'pending');
    assert.equal(ws.db.labelOf(ids[0]!), undefined, 'nothing written without a label');
    await s.label(ids[0]!, 'yes');
    assert.equal(ws.db.labelOf(ids[0]!)?.note, 'check the query');
    const events = ws.db.events().length;
    assert.equal(await s.setNote(ids[0]!, 'confirmed'), 'saved');
    assert.equal(ws.db.events().length, events + 1);
    assert.deepEqual([ws.db.labelOf(ids[0]!)?.label, ws.db.labelOf(ids[0]!)?.note], ['yes', 'confirmed']);
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('undo goes back across sessions and shows the review it reverted', async () => {
  const { ws, dir, ids } = await workspaceWith(3);
  const folder = dir;
  try {
    const first = new LabelingSession(ws);
    await first.label(ids[0]!, 'no');
    await first.label(ids[1]!, 'unclear');
    await ws.close();
    const reopened = await Workspace.open(folder);
    try {
      const second = new LabelingSession(reopened);
      assert.equal(await second.undo(), ids[1]);
      assert.equal(second.currentId, ids[1]);
      assert.equal(await second.undo(), ids[0]);
      assert.equal(await second.undo(), undefined, 'history exhausted');
      assert.equal(reopened.db.current().size, 0);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the view renders untrusted text inert, with provenance, and follows label changes', async () => {
  const { ws, dir, ids } = await workspaceWith(2);
  try {
    const s = new LabelingSession(ws);
    const v = s.view(ids[1]!, 'next')!;
    assert.doesNotMatch(v.bodyHtml, /<script/);
    assert.match(v.bodyHtml, /U\+202E/);
    assert.deepEqual([v.index, v.batchSize, v.strategy, v.meta.repo, v.meta.lineLabel], [2, 2, 'random', 'o/r', 'L2']);
    assert.match(v.diffHtml ?? '', /diff-commented/);
    assert.equal(v.currentLabel, undefined);
    await s.label(ids[1]!, 'yes');
    assert.equal(s.view(ids[1]!, 'open')!.currentLabel, 'yes', 'the cached view is refreshed after a label');
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
