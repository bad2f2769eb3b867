import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { proposeBootstrapBatch } from '../../../src/store/batches';
import { writeExport, exportRows } from '../../../src/store/export';
import type { LabelEvent } from '../../../src/store/labelDb';
import { tempDir, repoRoot } from '../../helpers/tmp';

const demo = path.join(repoRoot, 'demo', 'reviews.jsonl');

/** A review's history without the workspace-specific numbering (seq, and undoes as an offset). */
function portable(events: readonly LabelEvent[]): unknown[] {
  return events.map((e) => ({ ...e, seq: undefined, undoes: e.undoes === undefined ? undefined : events.findIndex((x) => x.seq === e.undoes) }));
}

test('export then import round-trips every label, note and revision exactly', async () => {
  const a = await Workspace.init(tempDir());
  const b = await Workspace.init(tempDir());
  try {
    await a.importFiles([demo]);
    const { batch } = await proposeBootstrapBatch(a, { size: 15 });
    const ids = batch!.items.map((i) => i.reviewId);
    const labels = ['yes', 'no', 'unclear', 'broken', 'bot', 'language'] as const;
    for (let i = 0; i < ids.length; i++) await a.db.setLabel({ reviewId: ids[i]!, label: labels[i % 6]!, batchId: batch!.id, note: i % 4 === 0 ? `note "${i}", with, commas\nand a newline` : undefined });
    await a.db.setLabel({ reviewId: ids[0]!, label: 'no', note: 'changed my mind' });
    await a.db.setLabel({ reviewId: ids[1]!, label: 'yes' });
    await a.db.undo(); // ids[1] back to 'no'
    await a.db.setLabel({ reviewId: ids[2]!, label: 'yes', annotator: 'second-annotator' });
    const out = path.join(a.folder, 'dataset.jsonl');
    const n = await writeExport(a, 'jsonl', out);
    assert.equal(n, ids.length);

    const report = await b.importFiles([out]);
    assert.equal(report.imported, ids.length);
    assert.equal(report.errors, 0);
    assert.equal(report.historySummary?.reviews, ids.length);
    for (const id of ids) {
      assert.deepEqual(b.db.labelOf(id) && { ...b.db.labelOf(id), seq: 0 }, { ...a.db.labelOf(id)!, seq: 0 }, `current label of ${id}`);
      assert.deepEqual(portable(b.db.history(id)), portable(a.db.history(id)), `history of ${id}`);
      assert.deepEqual(b.pool.get(b.pool.rowOf(id)!), a.pool.get(a.pool.rowOf(id)!), `review ${id}`);
    }
    // Exporting again from the copy gives the same rows (up to workspace-specific seq numbers).
    const again = [...exportRows(b)].map((r) => ({ ...r, history: portable(r.history), batchId: undefined, strategy: undefined, score: undefined, modelVersion: undefined }));
    const first = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { history: LabelEvent[] }).map((r) => ({ ...r, history: portable(r.history), batchId: undefined, strategy: undefined, score: undefined, modelVersion: undefined }));
    assert.deepEqual(JSON.parse(JSON.stringify(again)), JSON.parse(JSON.stringify(first)));
    // Importing the export again changes nothing.
    const events = b.db.events().length;
    await b.importFiles([out]);
    assert.equal(b.db.events().length, events);
  } finally {
    await a.close();
    await b.close();
  }
});

test('CSV export quotes bodies and neutralizes spreadsheet formulas', async () => {
  const ws = await Workspace.init(tempDir());
  try {
    await ws.importFiles([demo]);
    const id = ws.pool.idOf(0);
    await ws.db.setLabel({ reviewId: id, label: 'yes', note: '=HYPERLINK("http://x")' });
    const out = path.join(ws.folder, 'dataset.csv');
    assert.equal(await writeExport(ws, 'csv', out), 1);
    const text = readFileSync(out, 'utf8');
    const [header] = text.split('\r\n');
    assert.match(header!, /^id,url,repo,pull,path,line,author,createdAt,label,note,/);
    assert.ok(text.includes(`"'=HYPERLINK(""http://x"")"`), 'formula neutralized and quotes doubled');
  } finally {
    await ws.close();
  }
});
