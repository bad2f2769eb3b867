// The diverse strategy in the product: `next` and `train` propose batches that do not spend their
// slots on near-identical reviews, compared by their text, on a workspace with a trained model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import type { Workspace } from '../../../src/store/workspace';
import { paperWorkspace, needsPaperData } from './helpers';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out, err };
}

/**
 * A templated remark: 46 reviews that say the same security-relevant thing about a different
 * parameter (distinct bodies, not exact duplicates), the first 6 labeled `yes`, so that the model
 * ranks the other 40 on top of the pool.
 */
const PLANTED_FIRST_ID = 9_000_000_001;
const PLANTED = Array.from({ length: 46 }, (_, i) => ({
  url: `https://github.com/planted/repo/pull/${i + 1}#discussion_r${PLANTED_FIRST_ID + i}`, repo: 'planted/repo', pull_number: i + 1,
  review_comment_id: PLANTED_FIRST_ID + i,
  body: `Security vulnerability: the param${i} parameter is concatenated into the SQL query, which allows SQL injection by an attacker. Please escape it or use a prepared statement.`,
}));
const isPlanted = (reviewId: string) => Number(reviewId) >= PLANTED_FIRST_ID;

type Batch = { batch: string; modelVersion: string; strategy: string; size: number; items: { reviewId: string; strategy: string; score: number }[] };

/** Imports the planted near-copies into the workspace, labels the first six yes, and closes it. */
async function plant(ws: Workspace, folder: string): Promise<void> {
  const planted = path.join(folder, 'planted.jsonl');
  writeFileSync(planted, PLANTED.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await ws.importFiles([planted]);
  await ws.db.setLabels(PLANTED.slice(0, 6).map((r) => ({ reviewId: String(r.review_comment_id), label: 'yes' as const, source: 'test' })));
  await ws.close();
}

test('secreview next --strategy diverse: fewer near-identical reviews than rare from the same model, recorded as diverse', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(500);
  const copies: string[] = [];
  const copy = () => {
    const to = mkdtempSync(path.join(os.tmpdir(), 'secreview-diverse-'));
    cpSync(path.join(folder, '.secreview'), path.join(to, '.secreview'), { recursive: true });
    copies.push(to);
    return to;
  };
  try {
    await plant(ws, folder);
    const trained = await cli(folder, 'train', '--size', '0', '--dim', '1024', '--seed', '2');
    assert.equal(trained.code, 0, trained.err.join('\n'));

    // The same model, size and seed in identical copies of the workspace: only the strategy differs.
    const propose = async (...args: string[]) => {
      const r = await cli(copy(), 'next', '--json', '--size', '20', '--seed', '7', ...args);
      assert.equal(r.code, 0, r.err.join('\n'));
      return JSON.parse(r.out.join('\n')) as Batch;
    };
    const rare = await propose('--strategy', 'rare');
    const diverse = await propose('--strategy', 'diverse');
    const plantedIn = (b: Batch) => b.items.filter((i) => isPlanted(i.reviewId)).length;
    assert.equal(plantedIn(rare), 20, 'the model ranks the planted reviews on top: rare takes nothing else');
    assert.ok(plantedIn(diverse) >= 1 && plantedIn(diverse) <= plantedIn(rare) / 3,
      `diverse takes ${plantedIn(diverse)} planted reviews, rare ${plantedIn(rare)}`);
    assert.equal(diverse.size, 20);
    assert.equal(diverse.strategy, 'diverse');
    assert.deepEqual(new Set(diverse.items.map((i) => i.strategy)), new Set(['diverse']));
    assert.equal(diverse.modelVersion, rare.modelVersion, 'the batch records the model whose scores ranked it');
    assert.equal(diverse.modelVersion, 'm0001');
    assert.ok(diverse.items.every((i) => i.score > 0 && i.score <= 1), 'each item records its p(yes)');

    // A weight of 0 is rare-label's order; a larger weight takes fewer near-copies still.
    const zero = await propose('--strategy', 'diverse', '--diversity-weight', '0');
    assert.deepEqual(zero.items.map((i) => i.reviewId), rare.items.map((i) => i.reviewId));
    const strong = await propose('--strategy', 'diverse', '--diversity-weight', '3');
    assert.ok(plantedIn(strong) <= plantedIn(diverse), `weight 3 takes ${plantedIn(strong)}, weight 0.5 ${plantedIn(diverse)}`);

    const mixed = await propose('--strategy', 'rare:0.5,diverse:0.5');
    assert.equal(mixed.strategy, 'rare:50%,diverse:50%');
    assert.deepEqual(['rare', 'diverse'].map((s) => mixed.items.filter((i) => i.strategy === s).length), [10, 10]);
    assert.equal(new Set(mixed.items.map((i) => i.reviewId)).size, 20);
    assert.ok(mixed.items.filter((i) => i.strategy === 'diverse' && isPlanted(i.reviewId)).length <= 3,
      'the diverse half does not repeat what the rare half took');

    // Bad options: a clear error, exit 2, nothing recorded.
    for (const [args, message] of [
      [['--strategy', 'diverse', '--diversity-weight', '-1'], /--diversity-weight must be between 0 and 100, got -1/],
      [['--strategy', 'diverse', '--diversity-weight', 'much'], /--diversity-weight must be a number, got "much"/],
      [['--strategy', 'diverse', '--diversity-candidates', '0'], /--diversity-candidates must be between 1 and 100, got 0/],
      [['--strategy', 'rare', '--diversity-weight', '1'], /--diversity-weight applies to the strategy diverse, which the mixture does not include/],
    ] as const) {
      const r = await cli(folder, 'next', ...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.err.join('\n')}`);
      assert.match(r.err.join('\n'), message);
    }
    const stats = await cli(folder, 'next', '--json', '--strategy', 'random', '--size', '1');
    assert.equal((JSON.parse(stats.out.join('\n')) as Batch).batch, 'b0002', 'the refused requests recorded no batch');
  } finally {
    cleanup();
    for (const c of copies) rmSync(c, { recursive: true, force: true });
  }
});

test('secreview train --strategy rare:0.5,diverse:0.5 proposes with the diverse weight given (Retrain\'s path)', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(500);
  try {
    await plant(ws, folder);
    const bad = await cli(folder, 'train', '--strategy', 'diverse', '--diversity-weight', '101');
    assert.equal(bad.code, 2);
    assert.match(bad.err.join('\n'), /--diversity-weight must be between 0 and 100, got 101/);
    const trained = await cli(folder, 'train', '--json', '--size', '20', '--dim', '1024', '--seed', '2', '--strategy', 'rare:0.5,diverse:0.5', '--diversity-weight', '1');
    assert.equal(trained.code, 0, trained.err.join('\n'));
    const { batch } = JSON.parse(trained.out.join('\n')) as { batch: Batch & { id: string } };
    assert.equal(batch.strategy, 'rare:50%,diverse:50%');
    const diverse = batch.items.filter((i) => i.strategy === 'diverse');
    assert.equal(diverse.length, 10);
    assert.ok(batch.items.filter((i) => i.strategy === 'rare' && isPlanted(i.reviewId)).length >= 8, 'rare fills its half with the planted reviews');
    assert.ok(diverse.filter((i) => isPlanted(i.reviewId)).length <= 3, `diverse takes ${diverse.filter((i) => isPlanted(i.reviewId)).length} more of them`);
  } finally {
    cleanup();
  }
});
