import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BANDS, BandTable, NearDuplicateGroups, SHINGLE, SIGNATURE_SIZE, THRESHOLD, UnionFind, candidateProbability, minhashSignature,
  nearDuplicate, normalizeForShingles, similarity,
} from '../../../src/core/nearDuplicates';
import { nearDuplicateCorpus } from '../../helpers/generate';

const sign = (body: string) => {
  const s = new Uint8Array(SIGNATURE_SIZE);
  return minhashSignature(body, s) ? s : undefined;
};
const sim = (a: string, b: string) => similarity(sign(a)!, 0, sign(b)!, 0);

function shingles(body: string): Set<string> {
  const t = normalizeForShingles(body);
  const s = new Set<string>();
  if (t.length < SHINGLE) s.add(t); else for (let i = 0; i + SHINGLE <= t.length; i++) s.add(t.slice(i, i + SHINGLE));
  return s;
}
function jaccard(a: string, b: string): number {
  const x = shingles(a), y = shingles(b);
  let n = 0;
  for (const s of x) if (y.has(s)) n++;
  return n / (x.size + y.size - n);
}

test('normalization: case, digit runs, punctuation and layout do not matter; words do', () => {
  assert.equal(normalizeForShingles('  Fix the NPE in line 42,\n\tplease!! '), 'fix the npe in line 0 please');
  assert.equal(normalizeForShingles('Ünïcödé Straße'), 'ünïcödé straße');
  assert.equal(normalizeForShingles('a\u00a0b\u200bc'), 'a b c');
  assert.equal(normalizeForShingles('!!!'), '');
});

test('signatures: equal for bodies that normalize alike, none for bodies without letters', () => {
  assert.deepEqual(sign('Please add a null check here (line 12).'), sign('please add a NULL check here, line 9000'));
  assert.equal(sim('Please add a null check here (line 12).', 'please add a NULL check here, line 9000'), 1);
  for (const noText of ['', '   ', '+1', '#386', '!!!', '(42)']) assert.equal(sign(noText), undefined, JSON.stringify(noText));
  // A body shorter than one shingle is one shingle: equal short bodies are near-duplicates.
  assert.equal(sim('LGTM', 'lgtm!'), 1);
  assert.ok(sim('LGTM', 'Done') < 0.1);
});

test('the estimated similarity follows the Jaccard similarity of the shingles', () => {
  const corpus = nearDuplicateCorpus(4000, { familyShare: 0.5, familySize: 6 });
  const byFamily = new Map<number, number[]>();
  for (let i = 0; i < 4000; i++) {
    const f = corpus.familyOf(i);
    if (f >= 0) byFamily.set(f, [...(byFamily.get(f) ?? []), i]);
  }
  let n = 0, sumError = 0, worst = 0;
  for (const members of byFamily.values()) {
    for (let k = 1; k < members.length; k++) {
      const a = corpus.body(members[0]!), b = corpus.body(members[k]!);
      const err = sim(a, b) - jaccard(a, b);
      sumError += err; worst = Math.max(worst, Math.abs(err)); n++;
    }
  }
  assert.ok(n > 500, `${n} pairs`);
  assert.ok(Math.abs(sumError / n) < 0.02, `mean error ${sumError / n}`);
  assert.ok(worst < 0.2, `largest error ${worst}`);
});

test('nearDuplicate agrees with the estimate at the threshold', () => {
  const a = sign('The token is logged in plain text here; please mask it before logging the request headers.')!;
  const b = sign('The token is logged in plain text here; please mask it before logging the response headers.')!;
  const c = sign('Why not use the builder here instead of the constructor with seven arguments?')!;
  assert.equal(nearDuplicate(a, 0, b, 0), similarity(a, 0, b, 0) >= THRESHOLD);
  assert.equal(nearDuplicate(a, 0, b, 0), true);
  assert.equal(nearDuplicate(a, 0, c, 0), false);
  assert.equal(nearDuplicate(a, 0, a, 0), true);
});

test('LSH: pairs at the threshold almost always become candidates, dissimilar ones rarely', () => {
  assert.ok(candidateProbability(THRESHOLD) > 0.99);
  assert.ok(candidateProbability(0.3) < 0.02);
  assert.equal(BANDS * 6, SIGNATURE_SIZE);
});

test('BandTable returns the first row that had a band value', () => {
  const t = new BandTable(10);
  const s = new Uint8Array(SIGNATURE_SIZE * 3);
  minhashSignature('same text here', s, 0);
  minhashSignature('same text here', s, SIGNATURE_SIZE);
  minhashSignature('something else entirely', s, 2 * SIGNATURE_SIZE);
  assert.equal(t.firstOrInsert(s, 0, 3, 0), -1);
  assert.equal(t.firstOrInsert(s, SIGNATURE_SIZE, 3, 1), 0);
  assert.equal(t.firstOrInsert(s, 2 * SIGNATURE_SIZE, 3, 2), -1);
  t.clear();
  assert.equal(t.firstOrInsert(s, SIGNATURE_SIZE, 3, 1), -1);
});

test('groups: roots are the smallest row, members in pool order, counts in the summary', () => {
  const uf = new UnionFind(7);
  uf.union(5, 2);
  uf.union(2, 6);
  uf.union(3, 4);
  const g = new NearDuplicateGroups(uf.roots(), 1);
  assert.deepEqual([...g.roots], [0, 1, 2, 3, 3, 2, 2]);
  assert.deepEqual(g.members(6), [2, 5, 6]);
  assert.deepEqual(g.members(4), [3, 4]);
  assert.deepEqual(g.members(0), [0]);
  assert.equal(g.sizeOf(5), 3);
  assert.equal(g.sizeOf(99), 1, 'a row the groups do not cover (imported since) stands alone');
  assert.deepEqual(g.summary, { groups: 2, reviewsInGroups: 5, redundant: 3, largest: 3, unsigned: 1 });
});
