import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_PAGE_SIZES, DEFAULT_SAMPLE, parseDateRange, runIdOf, specProblems, type CrawlSpec } from '../../../src/github/spec';

test('the default sample is the paper\'s: Java, at least 100 stars and 10 pull requests', () => {
  assert.deepEqual(DEFAULT_SAMPLE.languages, ['Java']);
  assert.equal(DEFAULT_SAMPLE.minStars, 100);
  assert.equal(DEFAULT_SAMPLE.minPulls, 10);
});

test('parseDateRange accepts open ends and rejects other text', () => {
  assert.deepEqual(parseDateRange('2010-01-01..2020-12-31'), { from: '2010-01-01', to: '2020-12-31' });
  assert.deepEqual(parseDateRange('2010-01-01..'), { from: '2010-01-01', to: undefined });
  assert.deepEqual(parseDateRange('..2020-12-31'), { from: undefined, to: '2020-12-31' });
  assert.throws(() => parseDateRange('2010'), /must look like/);
});

test('specProblems names what to fix', () => {
  const pageSizes = DEFAULT_PAGE_SIZES;
  assert.deepEqual(specProblems({ repos: ['a/b'], pageSizes }), []);
  assert.match(specProblems({ repos: ['not a repo'], pageSizes }).join(), /not a repository name/);
  assert.match(specProblems({ repos: [], pageSizes }).join(), /empty/);
  assert.match(specProblems({ sample: { ...DEFAULT_SAMPLE, created: { from: '2020-01-01', to: '2010-01-01' } }, pageSizes }).join(), /is empty/);
  assert.match(specProblems({ sample: { ...DEFAULT_SAMPLE, created: { from: '2020-13-45' } }, pageSizes }).join(), /YYYY-MM-DD/);
  assert.match(specProblems({ repos: ['a/b'], pageSizes: { ...pageSizes, pulls: 101 } }).join(), /1\.\.100/);
});

test('the run id depends on what is crawled, not on page sizes, so a resumed run may page differently', () => {
  const a: CrawlSpec = { repos: ['a/b', 'c/d'], pageSizes: DEFAULT_PAGE_SIZES };
  assert.equal(runIdOf(a), runIdOf({ ...a, pageSizes: { pulls: 5, threads: 5, comments: 5 } }));
  assert.notEqual(runIdOf(a), runIdOf({ ...a, repos: ['a/b'] }));
  const s: CrawlSpec = { sample: DEFAULT_SAMPLE, pageSizes: DEFAULT_PAGE_SIZES };
  assert.notEqual(runIdOf(s), runIdOf({ ...s, sample: { ...DEFAULT_SAMPLE, seed: 2 } }));
  assert.match(runIdOf(s), /^sample-[0-9a-f]{12}$/);
});
