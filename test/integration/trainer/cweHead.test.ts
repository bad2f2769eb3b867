import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { CWE_SCORES_FILE, modelDirOf } from '../../../src/store/layout';
import type { TrainOptions } from '../../../src/protocol/trainer';
import type { Label } from '../../../src/core/labels';
import { Backend } from '../../../python-free-train/backend';
import { runTrainJob } from '../../../python-free-train/trainer/job';
import { toModelRecord } from '../../../src/train/retrain';
import { LabelingSession } from '../../../src/extension/session';
import { repoRoot, tempDir } from '../../helpers/tmp';

const SECRET = /secret|password|credential|token|key/i;

test('the CWE-tag head learns each tag from the tagged yes labels only, rates the likeliest yes reviews, and skips tags with too few examples', async () => {
  const folder = tempDir('secreview-cwe-head-');
  const ws = await Workspace.init(folder, { annotator: 'test' });
  const intended = JSON.parse(readFileSync(path.join(repoRoot, 'demo', 'expected-labels.json'), 'utf8')) as Record<string, Label>;
  let ids: string[];
  try {
    await ws.importFiles([path.join(repoRoot, 'demo', 'reviews.jsonl')]);
    ids = Array.from({ length: ws.pool.size }, (_, r) => ws.pool.idOf(r)).filter((id) => intended[id]);
    // Every intended label; yes labels tagged by what they talk about (secrets and keys, or the rest), one also as SQL injection.
    let sql = false;
    await ws.db.setLabels(ids.map((id) => {
      const label = intended[id]!;
      if (label !== 'yes') return { reviewId: id, label };
      const body = ws.pool.get(ws.pool.rowOf(id)!).body;
      const cwe = SECRET.test(body) ? ['CWE-798'] : ['CWE-20'];
      if (!sql && !SECRET.test(body)) { cwe.push('CWE-89'); sql = true; }
      return { reviewId: id, label, cwe };
    }));
  } finally {
    await ws.close();
  }
  const options: TrainOptions = { representation: 'hashing', epochs: 30, seed: 3, strategy: 'rare:1', batchSize: 10, hashingDim: 2048, modelVersion: 'm0001', cweHead: true };
  const ctx = { progress: () => {}, signal: new AbortController().signal, backend: await Backend.create({ device: 'cpu' }) };
  const result = await runTrainJob(folder, options, ctx);
  const cwe = result.model.cwe!;
  const yes = ids!.filter((id) => intended[id] === 'yes').length;
  assert.equal(cwe.taggedReviews, yes, 'every tagged yes label, nothing else');
  assert.deepEqual(cwe.tags.map((t) => t.id), ['CWE-20', 'CWE-798']);
  assert.deepEqual(cwe.skipped, ['CWE-89'], 'one example is too few');
  const secret = cwe.tags.find((t) => t.id === 'CWE-798')!;
  assert.equal(secret.positives + secret.negatives, yes);
  const file = path.join(modelDirOf(Workspace.dirOf(folder), 'm0001'), CWE_SCORES_FILE);
  const scores = JSON.parse(readFileSync(file, 'utf8')) as { tags: string[]; reviews: { reviewId: string; probs: number[] }[] };
  assert.deepEqual(scores.tags, ['CWE-20', 'CWE-798']);
  assert.equal(scores.reviews.length, cwe.ratedRows);
  // The head tells the two kinds apart on the reviews it rates: those about secrets and keys score higher for CWE-798.
  const reopened = await Workspace.open(folder, { readOnly: true });
  try {
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const p798 = (want: boolean) => scores.reviews.filter((r) => intended[r.reviewId] === 'yes' && SECRET.test(reopened.pool.get(reopened.pool.rowOf(r.reviewId)!).body) === want).map((r) => r.probs[1]!);
    assert.ok(mean(p798(true)) > mean(p798(false)) + 0.2, `p(CWE-798): ${mean(p798(true)).toFixed(3)} about secrets vs ${mean(p798(false)).toFixed(3)} otherwise`);
  } finally {
    await reopened.close();
  }

  // The tag picker suggests the head's likeliest tags for a rated review, from the latest model.
  const rated = scores.reviews.find((r) => r.probs[1]! >= 0.5 && r.probs[1]! > r.probs[0]!)!;
  assert.ok(rated, 'a review the head rates CWE-798 likelier than CWE-20');
  const withModel = async (record: typeof result.model, check: (s: LabelingSession) => void) => {
    const w = await Workspace.open(folder);
    const warnings: string[] = [];
    try {
      await w.db.addModel(toModelRecord(record));
      check(new LabelingSession(w, (m) => warnings.push(m)));
    } finally {
      await w.close();
    }
    return warnings;
  };
  await withModel(result.model, (s) => {
    const suggested = s.cweSuggestions(rated.reviewId)!;
    assert.equal(suggested.model, 'm0001');
    assert.equal(suggested.tags[0]!.id, 'CWE-798', 'the likeliest tag first');
    assert.equal(suggested.tags[0]!.p, rated.probs[1]);
    const unrated = ids!.find((id) => !scores.reviews.some((r) => r.reviewId === id))!;
    assert.equal(s.cweSuggestions(unrated), undefined, 'a review the head did not rate gets no suggestion');
  });

  // Without the option: no head, no file, and the latest model suggests nothing.
  const plain = await runTrainJob(folder, { ...options, cweHead: undefined, modelVersion: 'm0002' }, ctx);
  assert.equal(plain.model.cwe, undefined);
  assert.ok(!existsSync(path.join(modelDirOf(Workspace.dirOf(folder), 'm0002'), CWE_SCORES_FILE)));
  await withModel(plain.model, (s) => assert.equal(s.cweSuggestions(rated.reviewId), undefined));

  // A damaged file: no suggestion, and the warning names the file and what is wrong (labeling goes on).
  const m3 = await runTrainJob(folder, { ...options, modelVersion: 'm0003' }, ctx);
  const m3File = path.join(modelDirOf(Workspace.dirOf(folder), 'm0003'), CWE_SCORES_FILE);
  writeFileSync(m3File, '{"tags": ["CWE-20"], "reviews": [{"reviewId": "x", "probs": [1.5]}]}');
  const warnings = await withModel(m3.model, (s) => assert.equal(s.cweSuggestions(rated.reviewId), undefined));
  assert.equal(warnings.length, 1);
  assert.ok(warnings[0]!.includes(m3File) && warnings[0]!.includes('review x does not rate each of the 1 tags with a probability'), warnings[0]);
});
