import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { L2_DEFAULTS } from '../../../python-free-train/trainer/regularized';
import { paperWorkspace, needsPaperData } from './helpers';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out, err };
}

test('secreview train then predict: records model and batch, scores a JSONL file with the latest model', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(500);
  await ws.close();
  try {
    const trained = await cli(folder, 'train', '--json', '--epochs', '3', '--size', '25', '--seed', '3', '--dim', '1024', '--strategy', 'rare');
    assert.equal(trained.code, 0, trained.err.join('\n'));
    const report = JSON.parse(trained.out.join('\n')) as { model: { version: string; epochs: { l2?: number }[]; headFit?: { fit: string }; provider: string }; batch: { size: number; strategy: string } };
    assert.equal(report.model.version, 'm0001');
    // The default linear head is fitted per L2 strength (--epochs applies to heads with hidden layers).
    assert.equal(report.model.headFit?.fit, 'l2');
    assert.deepEqual(report.model.epochs.map((e) => e.l2), [...L2_DEFAULTS.strengths]);
    assert.equal(report.batch.size, 25);
    assert.equal(report.batch.strategy, 'rare');
    const labels = JSON.parse(readFileSync(path.join(folder, '.secreview', 'labels.json'), 'utf8')) as { models: { version: string; provider: string }[]; batches: { modelVersion: string }[] };
    assert.deepEqual(labels.models.map((m) => [m.version, m.provider]), [['m0001', 'cpu']]);
    assert.equal(labels.batches.at(-1)!.modelVersion, 'm0001');

    // Inputs in several shapes, one bad line.
    const input = path.join(folder, 'new.jsonl');
    writeFileSync(input, [
      JSON.stringify({ id: 11, body: 'This allows SQL injection through the name parameter; please escape it.', html_url: 'https://github.com/o/r/pull/1#discussion_r11', diff_hunk: '@@' }),
      '{not json',
      JSON.stringify({ url: 'https://github.com/o/r/pull/2#discussion_r22', repo: 'o/r', pull_number: 2, review_comment_id: 22, body: 'nit: typo' }),
    ].join('\n') + '\n');
    const predicted = await cli(folder, 'predict', 'new.jsonl');
    assert.equal(predicted.code, 0, predicted.err.join('\n'));
    assert.equal(predicted.out.length, 2);
    const rows = predicted.out.map((l) => JSON.parse(l) as { id: string; probs: Record<string, number> });
    assert.deepEqual(rows.map((r) => r.id), ['11', '22']);
    for (const r of rows) {
      assert.deepEqual(Object.keys(r.probs), ['yes', 'no', 'unclear', 'language']);
      assert.ok(Math.abs(Object.values(r.probs).reduce((a, b) => a + b, 0) - 1) < 1e-4);
    }
    assert.ok(rows[0]!.probs.yes > rows[1]!.probs.yes, 'the injection comment scores higher for yes than a typo nit');
    assert.match(predicted.err.join('\n'), /new\.jsonl:2: invalid JSON/);

    const toFile = await cli(folder, 'predict', 'new.jsonl', '--out', 'scores.jsonl');
    assert.equal(toFile.code, 0);
    assert.deepEqual(readFileSync(path.join(folder, 'scores.jsonl'), 'utf8').trim().split('\n'), predicted.out);

    const bad = await cli(folder, 'train', '--representation', 'bert');
    assert.equal(bad.code, 2);
    assert.match(bad.err.join('\n'), /--representation must be one of hashing, roberta/);
  } finally {
    cleanup();
  }
});

test('secreview train refits the linear head on every label unless --no-refit; the metrics stay the split\'s', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(400);
  await ws.close();
  try {
    const args = ['train', '--json', '--epochs', '4', '--size', '20', '--seed', '5', '--dim', '1024', '--strategy', 'rare'];
    type Report = { model: { version: string; epochs: { testLoss: number }[]; selectedEpoch: number; trainSize: number; testSize: number; refitRows?: number }; batch: { items: { reviewId: string }[] } };
    const plain = await cli(folder, ...args, '--size', '0', '--no-refit');
    assert.equal(plain.code, 0, plain.err.join('\n'));
    const refit = await cli(folder, ...args, '--size', '0');
    assert.equal(refit.code, 0, refit.err.join('\n'));
    const a = JSON.parse(plain.out.join('\n')) as Report, b = JSON.parse(refit.out.join('\n')) as Report;
    assert.equal(a.model.refitRows, undefined);
    assert.equal(b.model.refitRows, b.model.trainSize + b.model.testSize);
    assert.deepEqual(b.model.epochs, a.model.epochs, 'the reported metrics are the split\'s, unchanged');
    assert.equal(b.model.selectedEpoch, a.model.selectedEpoch);
    const scores = (v: string) => readFileSync(path.join(folder, '.secreview', 'models', v, 'scores.bin'));
    assert.notDeepEqual(scores(b.model.version), scores(a.model.version), 'the refit head scores the pool differently');
    const forced = await cli(folder, ...args, '--size', '0', '--refit-all');
    assert.equal((JSON.parse(forced.out.join('\n')) as Report).model.refitRows, b.model.refitRows);
    const text = await cli(folder, 'train', '--epochs', '2', '--size', '0', '--dim', '1024');
    assert.equal(text.code, 0, text.err.join('\n'));
    assert.match(text.out.join('\n'), /L2 strength [\d.]+: .*, then refitted on all \d+ labeled reviews \(the figures are the split's\)/);
    const both = await cli(folder, 'train', '--refit-all', '--no-refit');
    assert.equal(both.code, 2);
    assert.match(both.err.join('\n'), /--refit-all or --no-refit, not both/);
  } finally {
    cleanup();
  }
});
