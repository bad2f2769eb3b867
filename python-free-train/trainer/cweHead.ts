/**
 * The optional second head: CWE tags, multi-label, learned only where tags exist. One logistic
 * head per tag (one-vs-rest over the same features as the main head), each fitted on the `yes`
 * labels that carry CWE tags: a review with the tag is positive, a tagged review without it is
 * negative, so a missing tag on an untagged review is never read as "not this weakness". A tag is
 * learned once it has enough of both; the main head's train/test split is kept, so the test
 * metrics say how well tags are told apart on reviews the head did not see. The heads then rate
 * the pool's likeliest `yes` reviews (by the main head) for every learned tag.
 */
import { MODEL_LABELS } from '../../src/core/labels';
import { sortCwe } from '../../src/core/cwe';
import type { CweHeadRecord } from '../../src/protocol/trainer';
import { fitHead, targetMetrics } from './fit';
import type { Backend } from '../backend';

/** Positives and negatives a tag needs before a head is fitted for it. */
export const CWE_HEAD_MIN_EXAMPLES = 3;
/** Pool rows (the highest p(yes)) the tag heads rate. */
export const CWE_HEAD_ROWS = 1000;

export interface CweHeadInput {
  /** Features of the labeled reviews by split, as the main head saw them. */
  data: { xTrain: Float32Array; xTest: Float32Array };
  dim: number;
  /** Per labeled review (main-split order: train rows, then test rows), its CWE tags if any. */
  tagsTrain: readonly (readonly string[] | undefined)[];
  tagsTest: readonly (readonly string[] | undefined)[];
  /** Pool rows to rate and their features. */
  poolRows: Int32Array;
  poolFeatures: () => Promise<Float32Array>;
  options: { epochs: number; seed: number; learningRate: number; miniBatch: number; weightDecay: number; signal?: AbortSignal; backend?: Backend };
}

/** What `cwe.json` holds: the learned tags and, per rated pool row, the probability of each. */
export interface CweScores { tags: string[]; rows: number[]; probs: number[][] }

/** Pool rows ordered by the main head's p(yes), highest first (at most n). */
export function likeliestYes(probs: Float32Array, n: number): Int32Array {
  const classes = MODEL_LABELS.length;
  const yes = MODEL_LABELS.indexOf('yes');
  const rows = probs.length / classes;
  const order = Array.from({ length: rows }, (_, i) => i).sort((a, b) => probs[b * classes + yes]! - probs[a * classes + yes]! || a - b);
  return Int32Array.from(order.slice(0, n));
}

function tagged(x: Float32Array, dim: number, tags: readonly (readonly string[] | undefined)[]): { x: Float32Array; tags: (readonly string[])[] } {
  const keep = tags.map((t, i) => (t?.length ? i : -1)).filter((i) => i >= 0);
  const out = new Float32Array(keep.length * dim);
  keep.forEach((i, k) => out.set(x.subarray(i * dim, (i + 1) * dim), k * dim));
  return { x: out, tags: keep.map((i) => tags[i]!) };
}

/** Fits a head per tag with enough examples; undefined scores when no tag has. */
export async function fitCweHeads(input: CweHeadInput): Promise<{ record: CweHeadRecord; scores?: CweScores }> {
  const { dim } = input;
  const train = tagged(input.data.xTrain, dim, input.tagsTrain);
  const test = tagged(input.data.xTest, dim, input.tagsTest);
  const all = [...train.tags, ...test.tags];
  const counts = new Map<string, number>();
  for (const t of all) for (const id of t) counts.set(id, (counts.get(id) ?? 0) + 1);
  const learnable = sortCwe([...counts.keys()]).filter((id) => counts.get(id)! >= CWE_HEAD_MIN_EXAMPLES && all.length - counts.get(id)! >= CWE_HEAD_MIN_EXAMPLES);
  const skipped = sortCwe([...counts.keys()]).filter((id) => !learnable.includes(id));
  if (!learnable.length) {
    return { record: { taggedReviews: all.length, tags: [], skipped, reason: `no CWE tag has ${CWE_HEAD_MIN_EXAMPLES} tagged "yes" reviews with it and ${CWE_HEAD_MIN_EXAMPLES} without it yet` } };
  }
  const poolX = await input.poolFeatures();
  const n = input.poolRows.length;
  const probs: number[][] = Array.from({ length: n }, () => []);
  const tags: CweHeadRecord['tags'] = [];
  for (const id of learnable) {
    const yTrain = Int32Array.from(train.tags, (t) => (t.includes(id) ? 1 : 0));
    const yTest = Int32Array.from(test.tags, (t) => (t.includes(id) ? 1 : 0));
    const fit = await fitHead({ xTrain: train.x, yTrain, xTest: test.x, yTest }, dim, {
      ...input.options, hidden: [], classes: 2, targetClass: 1, classWeighting: 'balanced',
    });
    try {
      const kept = fit.epochs.find((e) => e.epoch === fit.selectedEpoch);
      let testAuc: number | null = null;
      if (yTest.length) testAuc = targetMetrics(await fit.model.predict(test.x, yTest.length), yTest, 2, 1).rocAuc;
      tags.push({ id, positives: counts.get(id)!, negatives: all.length - counts.get(id)!, testPositives: yTest.reduce((a, b) => a + b, 0), testAuc, testLoss: kept?.testLoss ?? null });
      const p = n ? await fit.model.predict(poolX, n) : new Float32Array(0);
      for (let r = 0; r < n; r++) probs[r]!.push(Math.round(p[r * 2 + 1]! * 1e4) / 1e4);
    } finally {
      await fit.model.release();
    }
  }
  return {
    record: { taggedReviews: all.length, tags, skipped, ratedRows: n },
    scores: { tags: learnable, rows: Array.from(input.poolRows), probs },
  };
}
