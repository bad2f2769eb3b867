import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { collectOpinions, type LanguageModelClient } from '../../../src/core/secondOpinion';
import { tempDir } from '../../helpers/tmp';
import { needsPaperData, paperLabelsFile } from '../../helpers/paperData';

test('second opinions are stored, disagreements queued, adjudication recorded with the original value', { skip: needsPaperData }, async () => {
  const dir = tempDir();
  let ws = await Workspace.init(dir);
  await ws.importFiles([paperLabelsFile]);
  const ids = [ws.pool.idOf(0), ws.pool.idOf(1), ws.pool.idOf(2)];
  for (const id of ids) await ws.db.setLabel({ reviewId: id, label: 'no' });
  // A test double that calls the first review a defect and agrees on the others.
  const client: LanguageModelClient = { name: 'test-model', async complete(p) { return p.user.includes(ws.pool.get(0).body.slice(0, 40)) ? 'LABEL: yes' : 'LABEL: no'; } };
  const items = ids.map((id) => ({ review: ws.pool.get(ws.pool.rowOf(id)!), label: ws.db.labelOf(id)!.label }));
  await collectOpinions(items, client, {
    samples: 3, signal: new AbortController().signal,
    onResult: async (r) => {
      await ws.db.addOpinion({ ...r.summary, reviewId: r.reviewId, model: r.model, at: new Date().toISOString(), samples: 3, humanLabel: r.humanLabel, humanSeq: ws.db.labelOf(r.reviewId)!.seq, disagreement: r.disagreement, failures: r.failures, votes: r.votes });
    },
  });
  assert.equal(ws.db.opinions().length, 3);
  assert.deepEqual(ws.db.adjudicationQueue().map((o) => o.reviewId), [ids[0]]);
  await ws.close();

  ws = await Workspace.open(dir);
  try {
    assert.equal(ws.db.opinions()[0]!.votes.length, 3, 'votes and reasoning persist');
    assert.deepEqual(ws.db.adjudicationQueue().map((o) => o.reviewId), [ids[0]]);
    const ev = await ws.db.adjudicate({ reviewId: ids[0]!, label: 'yes', note: 'the model was right' });
    assert.equal(ev.previous, 'no');
    assert.equal(ev.label, 'yes');
    assert.equal(ev.source, 'adjudication');
    assert.deepEqual(ws.db.adjudicationQueue(), []);
    assert.deepEqual(ws.db.history(ids[0]!).filter((e) => e.kind === 'set').map((e) => e.label), ['no', 'yes']);
  } finally {
    await ws.close();
  }
});

test('a schema-1 label file is migrated on open and keeps every event', { skip: needsPaperData }, async () => {
  const dir = tempDir();
  const ws = await Workspace.init(dir);
  await ws.importFiles([paperLabelsFile], { labelField: 'tag_post_qa' });
  await ws.close();
  const file = path.join(dir, '.secreview/labels.json');
  const v2 = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const v1: Record<string, unknown> = { ...v2, schema: 1 };
  delete v1.opinions;
  writeFileSync(file, JSON.stringify(v1));
  const again = await Workspace.open(dir);
  try {
    assert.equal(again.db.data.schema, 2);
    assert.deepEqual(again.db.opinions(), []);
    assert.equal(again.db.current().size, 959);
    await again.db.setLabel({ reviewId: again.pool.idOf(0), label: 'unclear' });
  } finally {
    await again.close();
  }
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { schema: number; events: unknown[]; opinions: unknown[] };
  assert.equal(saved.schema, 2);
  assert.equal(saved.events.length, 960);
  assert.deepEqual(saved.opinions, []);
});
