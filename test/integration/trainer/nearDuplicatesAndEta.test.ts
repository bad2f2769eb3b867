/**
 * Training with near-duplicates excluded, and the time and ETA statistics against the model's real
 * scores: the trainer (a real process) proposes no copy of a labeled review, and `secreview stats
 * --json` reports the open batch's expected positives as the sum of p(yes) over its unlabeled items.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { MODEL_LABELS } from '../../../src/core/labels';
import { readScores } from '../../../src/store/layout';
import { Workspace } from '../../../src/store/workspace';
import { paperWorkspace, needsPaperData } from './helpers';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out, err };
}

test('train --exclude-near-duplicates proposes no copy of a labeled review; stats sums p(yes) over the open batch', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(300);
  try {
    // Copies of a labeled `yes` review, its numbers changed: the kind of review the rare strategy would pick.
    const labeledYes = [...ws.db.current()].find(([, c]) => c.label === 'yes')![0];
    const body = ws.pool.get(ws.pool.rowOf(labeledYes)!).body;
    const copies = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: 9_000_000 + i, body: `${body} (seen again in build ${1000 + i})`, html_url: `https://github.com/c/c/pull/${i + 1}#discussion_r${9_000_000 + i}` }));
    writeFileSync(path.join(folder, 'copies.jsonl'), copies.join('\n') + '\n');
    await ws.importFiles([path.join(folder, 'copies.jsonl')]);
    const labeledAt = new Date(Date.now() - 60_000).getTime();
    // A few typed labels 8 s apart by this annotator, for the pace.
    const unlabeled = Array.from({ length: 6 }, (_, i) => ws.pool.idOf(400 + i));
    await ws.db.setLabels(unlabeled.map((reviewId, i) => ({ reviewId, label: 'no' as const, at: new Date(labeledAt + i * 8000).toISOString() })));
    await ws.close();

    const trained = await cli(folder, 'train', '--json', '--epochs', '3', '--size', '40', '--seed', '5', '--dim', '1024', '--strategy', 'rare', '--exclude-near-duplicates');
    assert.equal(trained.code, 0, trained.err.join('\n'));
    const reader = await Workspace.open(folder, { readOnly: true });
    try {
      const groups = await reader.nearDuplicates.groups();
      const root = groups.rootOf(reader.pool.rowOf(labeledYes)!);
      assert.ok(groups.sizeOf(reader.pool.rowOf(labeledYes)!) >= 31, 'the copies are near-duplicates of the labeled review');
      const batch = reader.db.batches().at(-1)!;
      assert.equal(batch.items.length, 40);
      for (const it of batch.items) assert.notEqual(groups.rootOf(reader.pool.rowOf(it.reviewId)!), root, `${it.reviewId} is a copy of a labeled review`);

      const stats = await cli(folder, 'stats', '--json', '--target-positives', '500');
      assert.equal(stats.code, 0, stats.err.join('\n'));
      const s = JSON.parse(stats.out.join('\n')) as { time: { openBatch: { batchId: string; expectedRemaining: number; labeled: number; size: number }; eta: { target: number; ratePerLabel: number; rateSource: string }; pace: { annotators: { annotator: string; medianSeconds?: number }[] } }; nearDuplicates: { groups: number; labeledGroups: number } };
      const scores = readScores(reader.dir, reader.db.latestModel()!.version)!;
      const col = MODEL_LABELS.indexOf('yes');
      const sum = batch.items.reduce((acc, it) => acc + scores.probs[reader.pool.rowOf(it.reviewId)! * MODEL_LABELS.length + col]!, 0);
      assert.equal(s.time.openBatch.batchId, batch.id);
      assert.equal(s.time.openBatch.labeled, 0);
      assert.ok(Math.abs(s.time.openBatch.expectedRemaining - sum) < 1e-3, `${s.time.openBatch.expectedRemaining} vs ${sum}`);
      assert.equal(s.time.eta.target, 500);
      assert.equal(s.time.eta.rateSource, 'model');
      assert.ok(Math.abs(s.time.eta.ratePerLabel - sum / 40) < 1e-4);
      const me = s.time.pace.annotators.find((a) => a.medianSeconds !== undefined)!;
      assert.equal(me.medianSeconds, 8);
      assert.ok(s.nearDuplicates.groups >= 1 && s.nearDuplicates.labeledGroups >= 1);
    } finally {
      await reader.close();
    }
  } finally {
    cleanup();
  }
});
