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
import { readPendingNotes } from '../../../src/store/pendingNotes';
import { parseQuery } from '../../../src/core/search';

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

/** Runs `fn` on a fresh workspace of `n` reviews in one batch, then closes and removes it. */
async function inWorkspace(n: number, fn: (w: { ws: Workspace; dir: string; ids: string[] }) => Promise<void>): Promise<void> {
  const w = await workspaceWith(n);
  try {
    await fn(w);
  } finally {
    await w.ws.close();
    rmSync(w.dir, { recursive: true, force: true });
  }
}

test('candidates come in batch order; skip moves on and skipped ones come back last', async () => {
  await inWorkspace(3, async ({ ws, ids }) => {
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
  });
});

test('the review sent ahead is the one a label leads to: after skips, relabels and out-of-order picks, until the batch is done', async () => {
  await inWorkspace(6, async ({ ws, ids }) => {
    const s = new LabelingSession(ws);
    s.advance();
    // A fixed walk through the cases: plain labels, a skip, a relabel of a labeled review picked out of
    // order, a review picked ahead of its turn, and the end where only skipped ones are left.
    const steps: ({ skip: true } | { open: string } | { label: 'yes' | 'no' })[] = [
      { label: 'no' }, { skip: true }, { label: 'yes' }, { open: ids[0]! }, { label: 'yes' }, { open: ids[5]! }, { label: 'no' },
      { label: 'no' }, { label: 'no' }, { label: 'no' },
    ];
    let checked = 0;
    for (const step of steps) {
      if ('skip' in step) { s.skip(s.currentId!); s.advance(); continue; }
      if ('open' in step) { assert.ok(s.open(step.open)); continue; }
      const shown = s.currentId!;
      const predicted = s.upcomingId();
      const view = s.upcomingView(true);
      assert.equal(view?.reviewId, predicted, 'the view is of the review predicted');
      await s.label(shown, step.label);
      assert.equal(s.advance(), predicted, `after labeling ${shown}: the review sent ahead is the one that follows`);
      checked++;
      if (!predicted) break;
    }
    // r0 no, skip r1, r2 yes, r0 again yes, r5 no, r3 no, r4 no, then r1 (the skipped one) no, leading nowhere.
    assert.equal(checked, 7, 'every label was checked, the last one leading nowhere');
    assert.equal(s.currentId, undefined, 'the batch is done');
    assert.equal(s.upcomingId(), undefined);
    assert.equal(s.upcomingView(true), undefined);
  });
});

test('nothing is sent ahead outside batch labeling, and a view not rendered yet is not rendered for it unless asked', async () => {
  await inWorkspace(3, async ({ ws, ids }) => {
    const s = new LabelingSession(ws);
    s.advance();
    assert.equal(s.upcomingView(false), undefined, 'not rendered yet: nothing without rendering');
    const rendered = s.upcomingView(true)!;
    assert.equal(rendered.reviewId, ids[1]);
    assert.equal(s.upcomingView(false)?.version, rendered.version, 'then it comes from the cache, the same rendering');
    s.invalidateViews();
    assert.notEqual(s.upcomingView(true)?.version, rendered.version, 'a new rendering has a new version');
    s.setSearch({ query: parseQuery('security'), ids: [ids[2]!], matched: 1 });
    assert.ok(s.startSearch(ids[2]!));
    assert.equal(s.upcomingId(), undefined, 'search mode: the host answers each key');
  });
});

test('a note typed before the label is saved with it; a note on a labeled review is a new event', async () => {
  await inWorkspace(2, async ({ ws, ids }) => {
    const s = new LabelingSession(ws);
    assert.equal(await s.setNote(ids[0]!, 'check the query'), 'pending');
    assert.equal(ws.db.labelOf(ids[0]!), undefined, 'nothing written without a label');
    await s.label(ids[0]!, 'yes');
    assert.equal(ws.db.labelOf(ids[0]!)?.note, 'check the query');
    const events = ws.db.events().length;
    assert.equal(await s.setNote(ids[0]!, 'confirmed'), 'saved');
    assert.equal(ws.db.events().length, events + 1);
    assert.deepEqual([ws.db.labelOf(ids[0]!)?.label, ws.db.labelOf(ids[0]!)?.note], ['yes', 'confirmed']);
  });
});

test('a note typed before the label survives closing the window, and leaves the drafts once labeled', async () => {
  const { ws, dir, ids } = await workspaceWith(3);
  try {
    const first = new LabelingSession(ws);
    assert.equal(await first.setNote(ids[0]!, 'check the token handling'), 'pending');
    assert.equal(await first.setNote(ids[1]!, 'labeled elsewhere later'), 'pending');
    assert.deepEqual(readPendingNotes(ws.dir).notes, new Map([[ids[0]!, 'check the token handling'], [ids[1]!, 'labeled elsewhere later']]));
    await ws.db.setLabel({ reviewId: ids[1]!, label: 'no' }); // e.g. the CLI, with its own note (none)
    await ws.close();
    const reopened = await Workspace.open(dir);
    try {
      const second = new LabelingSession(reopened);
      assert.equal(second.noteOf(ids[0]!), 'check the token handling', 'the draft is back');
      assert.equal(second.noteOf(ids[1]!), undefined, 'a review labeled meanwhile keeps its own note');
      await second.label(ids[0]!, 'yes');
      assert.equal(reopened.db.labelOf(ids[0]!)?.note, 'check the token handling');
      assert.deepEqual(readPendingNotes(reopened.dir).notes, new Map(), 'nothing is waiting any more');
    } finally {
      await reopened.close();
    }
  } finally {
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
  await inWorkspace(2, async ({ ws, ids }) => {
    const s = new LabelingSession(ws);
    const v = s.view(ids[1]!, 'next')!;
    assert.doesNotMatch(v.bodyHtml, /<script/);
    assert.match(v.bodyHtml, /U\+202E/);
    assert.deepEqual([v.index, v.batchSize, v.strategy, v.meta.repo, v.meta.lineLabel], [2, 2, 'random', 'o/r', 'L2']);
    assert.match(v.diffHtml ?? '', /diff-commented/);
    assert.equal(v.currentLabel, undefined);
    await s.label(ids[1]!, 'yes');
    assert.equal(s.view(ids[1]!, 'open')!.currentLabel, 'yes', 'the cached view is refreshed after a label');
  });
});

test('adjudication mode: the queue of disagreements in order, the opinion in the view, decisions keep the original, undo re-queues, an empty queue goes back to the batch', async () => {
  await inWorkspace(4, async ({ ws, ids }) => {
    const s = new LabelingSession(ws);
    assert.equal(s.startAdjudication(), false, 'nothing queued yet');
    assert.equal(s.mode, 'label');
    for (const [i, label] of [[0, 'no'], [1, 'no'], [2, 'yes']] as const) await s.label(ids[i]!, label);
    await s.setNote(ids[1]!, 'looked at the caller');
    const opinion = (reviewId: string, human: 'yes' | 'no', votes: ('yes' | 'no' | undefined)[]) => {
      const counts: Partial<Record<'yes' | 'no', number>> = {};
      for (const v of votes) if (v) counts[v] = (counts[v] ?? 0) + 1;
      const valid = votes.filter(Boolean).length;
      const majority = (counts.yes ?? 0) >= (counts.no ?? 0) ? 'yes' as const : 'no' as const;
      return ws.db.addOpinion({
        reviewId, model: 'test/double', at: '2026-01-02T03:04:05Z', samples: votes.length, humanLabel: human, humanSeq: ws.db.labelOf(reviewId)!.seq,
        counts, majority, agreement: (counts[majority] ?? 0) / valid, disagreement: majority !== human, failures: votes.length - valid,
        votes: votes.map((label, k) => ({ label, reasoning: label ? `${label} because ${k % 2 ? 'the token leaks' : 'input is unchecked'}` : 'no answer' })),
      });
    };
    await opinion(ids[0]!, 'no', ['yes', 'yes', 'yes', 'no', undefined]);
    await opinion(ids[1]!, 'no', ['yes', 'yes', 'no']);
    await opinion(ids[2]!, 'yes', ['yes', 'yes']); // agrees: not queued

    assert.equal(s.progress().disagreements, 2);
    assert.equal(s.startAdjudication(), true);
    assert.deepEqual([s.mode, s.currentId], ['adjudicate', ids[0]]);
    const v = s.view(ids[0]!, 'next')!;
    assert.deepEqual(v.secondOpinion && {
      human: v.secondOpinion.humanLabel, counts: v.secondOpinion.counts, majority: v.secondOpinion.majority, failures: v.secondOpinion.failures, reasons: v.secondOpinion.reasons,
    }, {
      human: 'no', counts: [{ label: 'yes', votes: 3 }, { label: 'no', votes: 1 }], majority: 'yes', failures: 1,
      // Two distinct reasonings of the majority, then one for the human label.
      reasons: [{ label: 'yes', text: 'yes because input is unchecked' }, { label: 'yes', text: 'yes because the token leaks' }, { label: 'no', text: 'no because the token leaks' }],
    });

    // A note written while adjudicating decides nothing: the review stays queued and on screen.
    assert.equal(await s.setNote(ids[0]!, 'asked the author'), 'saved');
    assert.equal(s.pendingOpinion(ids[0]!)?.reviewId, ids[0]);
    assert.equal(s.view(ids[0]!, 'open')!.secondOpinion?.humanLabel, 'no');
    assert.equal(s.progress().disagreements, 2);

    // Skip goes to the next disagreement; deciding it keeps its note and records the original.
    s.skip(ids[0]!);
    assert.equal(s.advance(), ids[1]);
    await s.label(ids[1]!, 'yes');
    const ev = ws.db.events().at(-1)!;
    assert.deepEqual([ev.reviewId, ev.label, ev.previous, ev.source, ev.note], [ids[1], 'yes', 'no', 'adjudication', 'looked at the caller']);
    assert.equal(s.advance(), ids[0], 'the skipped one is what is left');
    assert.deepEqual([s.progress().disagreements, s.progress().adjudicated], [1, 1]);

    // Undo puts the decision back in the queue and on screen.
    assert.equal(await s.undo(), ids[1]);
    assert.deepEqual([ws.db.labelOf(ids[1]!)?.label, s.currentId, s.progress().disagreements, s.progress().adjudicated], ['no', ids[1], 2, 0]);

    // Keeping the label is a decision too; once the queue is empty there is nothing left to show.
    await s.label(ids[1]!, 'no');
    await s.label(ids[0]!, 'no');
    assert.deepEqual([ws.db.events().at(-1)!.previous, ws.db.events().at(-1)!.source, ws.db.labelOf(ids[0]!)?.note], ['no', 'adjudication', 'asked the author']);
    assert.equal(s.advance(), undefined);
    assert.equal(s.progress().disagreements, 0);
    s.stopAdjudication();
    assert.deepEqual([s.mode, s.currentId], ['label', ids[3]], 'back to the review labeling was on');
    assert.equal(s.view(ids[3]!, 'next')!.secondOpinion, undefined);
    // A label key while labeling is a plain label, even on a review with an opinion.
    await s.label(ids[3]!, 'yes');
    assert.equal(ws.db.events().at(-1)!.source, undefined);
  });
});

test('adjudication: undo that reaches a plain label goes back to labeling; leaving returns to the batch and review labeling was on', async () => {
  await inWorkspace(5, async ({ ws, ids }) => {
    // A second, older batch that still has work; labeling happens there.
    const s = new LabelingSession(ws);
    await s.label(ids[0]!, 'no');
    await ws.db.addOpinion({
      reviewId: ids[0]!, model: 'test/double', at: '2026-01-02T03:04:05Z', samples: 2, humanLabel: 'no', humanSeq: ws.db.labelOf(ids[0]!)!.seq,
      counts: { yes: 2 }, majority: 'yes', agreement: 1, disagreement: true, failures: 0, votes: [{ label: 'yes', reasoning: 'leaks' }, { label: 'yes', reasoning: 'leaks' }],
    });
    await s.label(ids[1]!, 'yes');
    const newer = await ws.db.addBatch({ modelVersion: null, strategy: 'manual', items: [{ reviewId: ids[4]!, strategy: 'random', score: 0 }] });
    s.open(ids[2]!); // labeling the first batch, on review 2
    const labelingBatch = s.batchId;
    assert.notEqual(labelingBatch, newer.id);

    assert.equal(s.startAdjudication(), true);
    assert.equal(s.currentId, ids[0]);
    s.stopAdjudication();
    assert.deepEqual([s.mode, s.batchId, s.currentId], ['label', labelingBatch, ids[2]], 'back where labeling was, not the newest batch');

    // Undo while adjudicating reaches the plain label of review 1: shown as labeling, not under the banner.
    assert.equal(s.startAdjudication(), true);
    assert.equal(await s.undo(), ids[1]);
    assert.equal(s.mode, 'label');
    assert.equal(s.view(ids[1]!, 'undo')!.secondOpinion, undefined);
    assert.equal(s.progress().mode, 'label');
  });
});

test('a damaged scores.bin hides the predictions and says why, with the cause', async () => {
  await inWorkspace(2, async ({ ws, ids }) => {
    await ws.db.addModel({ version: 'm0001', createdAt: new Date().toISOString(), representation: 'hashing', epochs: [], selectedEpoch: 0 });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path.join(ws.dir, 'models', 'm0001'), { recursive: true });
    writeFileSync(path.join(ws.dir, 'models', 'm0001', 'scores.bin'), Buffer.alloc(13));
    const warnings: string[] = [];
    const s = new LabelingSession(ws, (m) => warnings.push(m));
    assert.equal(s.view(ids[0]!, 'next')!.prediction, undefined);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /model m0001.*scores\.bin has 13 bytes, not a whole number of rows/);
  });
});

test('damaged waiting notes are moved aside, never overwritten by the next note', async () => {
  await inWorkspace(2, async ({ ws, ids, dir }) => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const file = path.join(ws.dir, 'pending-notes.json');
    writeFileSync(file, '{"500": "the person\'s draft about the tok');
    const warnings: string[] = [];
    const s = new LabelingSession(ws, (m) => warnings.push(m));
    assert.equal(await s.setNote(ids[1]!, 'a new draft'), 'pending');
    const aside = readdirSync(ws.dir).filter((n) => n.startsWith('pending-notes.json.damaged-'));
    assert.equal(aside.length, 1, `kept aside in ${dir}`);
    assert.equal(readFileSync(path.join(ws.dir, aside[0]!), 'utf8'), '{"500": "the person\'s draft about the tok');
    assert.deepEqual(readPendingNotes(ws.dir).notes, new Map([[ids[1]!, 'a new draft']]));
    assert.match(warnings.join('\n'), /pending-notes\.json could not be read .*kept as .*pending-notes\.json\.damaged-/);
  });
});
