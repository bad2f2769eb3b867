import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { MODEL_LABELS } from '../../../src/core/labels';
import { optimisticScore } from '../../../src/core/selection';
import { Workspace } from '../../../src/store/workspace';
import { MEMBER_SCORES_FILE, findModel, memberFiles, readMemberScores, readScores } from '../../../src/store/layout';
import { paperWorkspace, needsPaperData } from './helpers';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out, err };
}

type Item = { reviewId: string; strategy: string; score: number };
type Report = { model: { version: string; ensemble?: { members: number; resampling: string; fittedRows: number }; trainSize: number; testSize: number; scoredRows: number }; batch: { strategy: string; items: Item[] } };

test('an ensemble strategy trains bootstrap members beside the model, scores the pool with each, and ranks by their mean', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(400);
  await ws.close();
  try {
    const trained = await cli(folder, 'train', '--json', '--strategy', 'ensemble', '--size', '30', '--seed', '4', '--dim', '1024');
    assert.equal(trained.code, 0, trained.err.join('\n'));
    const report = JSON.parse(trained.out.join('\n')) as Report;
    const { version, ensemble } = report.model;
    assert.equal(ensemble?.members, 5, 'five members by default for an ensemble strategy');
    assert.equal(ensemble.fittedRows, report.model.trainSize + report.model.testSize, 'resamples of every label, as the refit head');
    assert.match(ensemble.resampling, /bootstrap resamples/);
    const dir = path.join(folder, '.secreview', 'models', version);
    for (let m = 0; m < 5; m++) {
      assert.ok(existsSync(path.join(dir, memberFiles(m).head)) && existsSync(path.join(dir, memberFiles(m).inference)), `member ${m + 1}'s head and graph are saved`);
    }
    const rows = report.model.scoredRows;
    assert.equal(statSync(path.join(dir, MEMBER_SCORES_FILE)).size, 5 * rows * 4);
    const model = findModel(path.join(folder, '.secreview'), version)!;
    const members = readMemberScores(model.dir, model.manifest)!;
    const main = readScores(path.join(folder, '.secreview'), version)!;
    const yes = MODEL_LABELS.indexOf('yes');

    // Members differ from each other (bootstrap resamples), and each is a sensible ranking close to the model's.
    let spread = 0;
    for (let r = 0; r < rows; r++) spread += Math.abs(members[0]![r]! - members[1]![r]!);
    assert.ok(spread / rows > 1e-3, `members 1 and 2 differ (mean |difference| ${spread / rows})`);
    for (const m of members) {
      let agree = 0;
      for (let r = 0; r < rows; r++) agree += Math.abs(m[r]! - main.probs[r * MODEL_LABELS.length + yes]!);
      assert.ok(agree / rows < 0.15, `a member stays near the model (mean |difference| ${agree / rows})`);
    }

    // The batch ranks by the members' mean p(yes), best first, and holds nothing labeled.
    const reopened = await Workspace.open(folder, { readOnly: true });
    try {
      const mean = (row: number) => optimisticScore(members.map((m) => m[row]!), 0);
      const items = report.batch.items;
      assert.equal(report.batch.strategy, 'ensemble');
      assert.equal(items.length, 30);
      items.forEach((it) => {
        assert.equal(it.strategy, 'ensemble');
        assert.ok(Math.abs(it.score - mean(reopened.pool.rowOf(it.reviewId)!)) < 1e-6, 'an item\'s score is the members\' mean p(yes)');
      });
      for (let k = 1; k < items.length; k++) assert.ok(items[k - 1]!.score >= items[k]!.score);
      const labeled = new Set([...reopened.db.current().keys()]);
      assert.ok(items.every((it) => !labeled.has(it.reviewId)));
      // No unlabeled, unproposed row has a mean above the batch's lowest (up to duplicate bodies, which the batch skips).
      const picked = new Set(items.map((it) => it.reviewId));
      const bodies = new Set([...labeled, ...picked].map((id) => reopened.pool.get(reopened.pool.rowOf(id)!).body));
      const lowest = items.at(-1)!.score;
      for (let r = 0; r < rows; r++) {
        const id = reopened.pool.idOf(r);
        if (labeled.has(id) || picked.has(id) || bodies.has(reopened.pool.get(r).body)) continue;
        assert.ok(mean(r) <= lowest + 1e-6, `row ${r} (mean ${mean(r)}) outranks the batch's lowest (${lowest}) but was left out`);
      }
    } finally {
      await reopened.close();
    }

    // next with UCB and Thompson slots reads the members from the model folder.
    const ucb = await cli(folder, 'next', '--json', '--strategy', 'ucb', '--size', '10');
    assert.equal(ucb.code, 0, ucb.err.join('\n'));
    const ucbItems = (JSON.parse(ucb.out.join('\n')) as { items: Item[] }).items;
    const again = await Workspace.open(folder, { readOnly: true });
    try {
      for (const it of ucbItems) {
        const row = again.pool.rowOf(it.reviewId)!;
        assert.ok(Math.abs(it.score - optimisticScore(members.map((m) => m[row]!), 1)) < 1e-6, 'ucb: mean plus one standard deviation');
      }
    } finally {
      await again.close();
    }
    const thompson = await cli(folder, 'next', '--json', '--strategy', 'thompson', '--size', '10');
    assert.equal(thompson.code, 0, thompson.err.join('\n'));
    const th = JSON.parse(thompson.out.join('\n')) as { strategy: string; items: Item[] };
    assert.equal(th.items.length, 10);
    assert.equal(new Set(th.items.map((i) => i.reviewId)).size, 10);
    assert.ok(th.items.every((i) => i.strategy === 'thompson'));

    // predict reports each member's p(yes), their mean and spread.
    const input = path.join(folder, 'new.jsonl');
    writeFileSync(input, JSON.stringify({ id: 1, body: 'This allows SQL injection through the name parameter; please escape it.', html_url: 'https://github.com/o/r/pull/1#discussion_r1', diff_hunk: '@@' }) + '\n');
    const predicted = await cli(folder, 'predict', 'new.jsonl');
    assert.equal(predicted.code, 0, predicted.err.join('\n'));
    const line = JSON.parse(predicted.out[0]!) as { ensemble: { yes: number; sd: number; members: number[] } };
    assert.equal(line.ensemble.members.length, 5);
    assert.ok(Math.abs(line.ensemble.yes - line.ensemble.members.reduce((a, b) => a + b, 0) / 5) < 1e-5);
    assert.ok(line.ensemble.sd > 0);

    // The export carries the members' graphs and says how to combine them.
    const out = mkdtempSync(path.join(os.tmpdir(), 'secreview-ensemble-export-'));
    try {
      const exported = await cli(folder, 'export-model', '--out', path.join(out, 'm'));
      assert.equal(exported.code, 0, exported.err.join('\n'));
      const map = JSON.parse(readFileSync(path.join(out, 'm', 'label_map.json'), 'utf8')) as { ensemble: { files: string[] } };
      assert.equal(map.ensemble.files.length, 5);
      for (const f of map.ensemble.files) assert.ok(existsSync(path.join(out, 'm', f)), f);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  } finally {
    cleanup();
  }
});

test('ensemble strategies need members: a model without them is refused with what to do, and too small an ensemble is refused before training', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(200);
  await ws.close();
  try {
    const plain = await cli(folder, 'train', '--strategy', 'rare', '--size', '0', '--dim', '512');
    assert.equal(plain.code, 0, plain.err.join('\n'));
    const next = await cli(folder, 'next', '--strategy', 'rare:0.5,ucb:0.5');
    assert.equal(next.code, 3);
    assert.match(next.err.join('\n'), /ranks by an ensemble of models, and model m0001 was trained without one: retrain with that strategy/);
    const one = await cli(folder, 'train', '--strategy', 'ensemble', '--ensemble-size', '1', '--dim', '512');
    assert.equal(one.code, 2);
    assert.match(one.err.join('\n'), /needs at least 2 members; the ensemble size is 1/);
    const bad = await cli(folder, 'train', '--strategy', 'rare', '--ensemble-size', '99');
    assert.equal(bad.code, 2);
    assert.match(bad.err.join('\n'), /--ensemble-size/);
    // Members on request beside another strategy; a later next can then rank by them.
    const withMembers = await cli(folder, 'train', '--json', '--strategy', 'rare', '--ensemble-size', '3', '--size', '0', '--dim', '512');
    assert.equal(withMembers.code, 0, withMembers.err.join('\n'));
    assert.equal((JSON.parse(withMembers.out.join('\n')) as Report).model.ensemble?.members, 3);
    const later = await cli(folder, 'next', '--json', '--strategy', 'ensemble', '--size', '5');
    assert.equal(later.code, 0, later.err.join('\n'));
    assert.equal((JSON.parse(later.out.join('\n')) as { items: Item[] }).items.length, 5);

    // Damaged member scores are named, by next and by repair, never read as if whole.
    const version = (JSON.parse(withMembers.out.join('\n')) as Report).model.version;
    const file = path.join(folder, '.secreview', 'models', version, MEMBER_SCORES_FILE);
    writeFileSync(file, readFileSync(file).subarray(0, 100));
    const damaged = await cli(folder, 'next', '--strategy', 'ucb', '--size', '5');
    assert.notEqual(damaged.code, 0);
    assert.match(damaged.err.join('\n'), /member-scores\.bin has 100 bytes, expected 3 members x \d+ rows x 4; retrain to rebuild it/);
    const repaired = await cli(folder, 'repair');
    assert.match(repaired.out.join('\n'), new RegExp(`model ${version}.*member-scores\\.bin has 100 bytes`));
  } finally {
    cleanup();
  }
});

test('auto, the default: the linear head trains no members and proposes by rare label; a model with members proposes by their mean, in train and in next', { skip: needsPaperData }, async () => {
  const { ws, folder, cleanup } = await paperWorkspace(200);
  await ws.close();
  const secreview = path.join(folder, '.secreview');
  const yes = MODEL_LABELS.indexOf('yes');
  try {
    const plain = await cli(folder, 'train', '--json', '--size', '10', '--seed', '4', '--dim', '512');
    assert.equal(plain.code, 0, plain.err.join('\n'));
    const first = JSON.parse(plain.out.join('\n')) as Report;
    assert.equal(first.model.ensemble, undefined, 'no members beside the hashing representation\'s linear head');
    assert.equal(first.batch.strategy, 'rare (auto)');
    const one = await cli(folder, 'train', '--ensemble-size', '1', '--size', '0', '--dim', '512');
    assert.equal(one.code, 2, 'one member is no ensemble to rank by');
    assert.match(one.err.join('\n'), /needs at least 2 members; the ensemble size is 1/);

    const withMembers = await cli(folder, 'train', '--json', '--strategy', 'auto:0.9,random:0.1', '--ensemble-size', '3', '--size', '10', '--seed', '4', '--dim', '512');
    assert.equal(withMembers.code, 0, withMembers.err.join('\n'));
    const second = JSON.parse(withMembers.out.join('\n')) as Report;
    assert.equal(second.model.ensemble?.members, 3);
    assert.equal(second.batch.strategy, 'ensemble:90%,random:10% (auto)');
    assert.deepEqual(second.batch.items.map((it) => it.strategy), [...Array(9).fill('ensemble'), 'random']);
    const next = await cli(folder, 'next', '--json', '--strategy', 'auto', '--size', '5');
    assert.equal(next.code, 0, next.err.join('\n'));
    const later = JSON.parse(next.out.join('\n')) as { strategy: string; items: Item[] };
    assert.equal(later.strategy, 'ensemble (auto)');

    // Each item's score is what it was ranked by: the model's p(yes) without members, the members' mean with them.
    const reopened = await Workspace.open(folder, { readOnly: true });
    try {
      const p = readScores(secreview, first.model.version)!.probs;
      for (const it of first.batch.items) {
        assert.equal(it.strategy, 'rare');
        assert.ok(Math.abs(it.score - p[reopened.pool.rowOf(it.reviewId)! * MODEL_LABELS.length + yes]!) < 1e-6, 'a rare item\'s score is the model\'s p(yes)');
      }
      const model = findModel(secreview, second.model.version)!;
      const members = readMemberScores(model.dir, model.manifest)!;
      const mean = (row: number) => optimisticScore(members.map((m) => m[row]!), 0);
      for (const it of [...second.batch.items.slice(0, 9), ...later.items]) {
        assert.equal(it.strategy, 'ensemble');
        assert.ok(Math.abs(it.score - mean(reopened.pool.rowOf(it.reviewId)!)) < 1e-6, 'an ensemble item\'s score is the members\' mean p(yes)');
      }
    } finally {
      await reopened.close();
    }
  } finally {
    cleanup();
  }
});
