import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeReview, parseReviewUrl, derivedId } from '../../../src/core/review';

const ok = (v: unknown) => {
  const r = normalizeReview(v);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r;
};

test('parses review URLs', () => {
  assert.deepEqual(parseReviewUrl('https://github.com/apereo/cas/pull/5436#discussion_r837450308'), { repo: 'apereo/cas', pull: 5436, commentId: '837450308' });
  assert.deepEqual(parseReviewUrl('https://github.com/a/b/pull/7/files#discussion_r12'), { repo: 'a/b', pull: 7, commentId: '12' });
  assert.equal(parseReviewUrl('https://github.com/a/b/issues/7'), undefined);
});

test('the paper\'s label file', () => {
  const r = ok({ url: 'https://github.com/apereo/cas/pull/5436#discussion_r837450308', repo: 'apereo/cas', pull_number: 5436, review_comment_id: 837450308, iteration: 5, body: 'b', tag_pre_qa: 'yes', tag_post_qa: 'yes' });
  assert.equal(r.shape, 'paper-labels');
  assert.equal(r.review.id, '837450308');
  assert.equal(r.review.pull, 5436);
  assert.equal(r.review.repo, 'apereo/cas');
  assert.equal(r.raw.tag_post_qa, 'yes');
});

test('the paper\'s flattened crawl', () => {
  const r = ok({ url: 'https://github.com/o/r/pull/3#discussion_r99', path: 'src/A.java', number: 3, repo: 'o/r', body: 'x', commit: 'c1', createdAt: '2021-01-01T00:00:00Z', originalCommit: 'c0', originalLine: 10, line: 12, startLine: null, originalStartLine: 8 });
  assert.equal(r.shape, 'paper-crawl');
  assert.deepEqual(r.review, { id: '99', url: 'https://github.com/o/r/pull/3#discussion_r99', repo: 'o/r', pull: 3, path: 'src/A.java', body: 'x', commit: 'c1', originalCommit: 'c0', line: 12, originalLine: 10, originalStartLine: 8, createdAt: '2021-01-01T00:00:00Z' });
});

test('GitHub REST pull-request review comments', () => {
  const r = ok({
    id: 123456, pull_request_review_id: 1, body: 'Use a prepared statement here.', diff_hunk: '@@ -1,2 +1,3 @@\n a\n+b', path: 'db/Q.java',
    html_url: 'https://github.com/org/app/pull/42#discussion_r123456', pull_request_url: 'https://api.github.com/repos/org/app/pulls/42',
    user: { login: 'alice' }, commit_id: 'abc', original_commit_id: 'def', line: 3, start_line: 2, original_line: 3, original_start_line: 2, created_at: '2022-02-02T00:00:00Z',
  });
  assert.equal(r.shape, 'github-rest');
  assert.equal(r.review.id, '123456');
  assert.equal(r.review.repo, 'org/app');
  assert.equal(r.review.pull, 42);
  assert.equal(r.review.author, 'alice');
  assert.equal(r.review.diffHunk, '@@ -1,2 +1,3 @@\n a\n+b');
  assert.equal(r.review.startLine, 2);
  assert.equal(r.review.originalCommit, 'def');
});

test('REST records without html_url take repo and pull from pull_request_url', () => {
  const r = ok({ id: 5, body: 'x', diff_hunk: '', path: 'p', pull_request_url: 'https://api.github.com/repos/o/n/pulls/9' });
  assert.equal(r.review.repo, 'o/n');
  assert.equal(r.review.pull, 9);
  assert.equal(r.review.url, 'https://github.com/o/n/pull/9#discussion_r5');
});

test('GitHub GraphQL review-thread comments', () => {
  const r = ok({
    id: 'PRRC_kwDOAbc', databaseId: 777, body: 'nit', diffHunk: '@@ -1 +1 @@', path: 'a.go', url: 'https://github.com/g/h/pull/5#discussion_r777',
    author: { login: 'bob' }, commit: { oid: 'c2' }, originalCommit: { oid: 'c1' }, line: 1, originalLine: 1, startLine: null, createdAt: '2023-01-01T00:00:00Z',
    pullRequest: { number: 5, title: 'Fix', repository: { nameWithOwner: 'g/h' } },
  });
  assert.equal(r.shape, 'github-graphql');
  assert.equal(r.review.id, '777');
  assert.equal(r.review.prTitle, 'Fix');
  assert.equal(r.review.commit, 'c2');
  assert.equal(r.review.author, 'bob');
});

test('the project\'s own records and exports round-trip', () => {
  const review = { id: '42', url: 'https://github.com/a/b/pull/1#discussion_r42', repo: 'a/b', pull: 1, path: 'x.ts', body: 'hello', author: 'c' };
  assert.deepEqual(ok(review).review, review);
  assert.equal(ok(review).shape, 'secreview');
  const exported = { ...review, label: 'yes', note: 'n', iteration: 2, history: [] };
  assert.deepEqual(ok(exported).review, review);
});

test('records without a GitHub id get a stable derived id', () => {
  const a = ok({ repo: 'a/b', number: 3, url: 'https://github.com/a/b/pull/3', body: 'same text', path: 'f' });
  const b = ok({ repo: 'a/b', number: 3, url: 'https://github.com/a/b/pull/3', body: 'same text', path: 'f' });
  assert.match(a.review.id, /^h[0-9a-f]{16}$/);
  assert.equal(a.review.id, b.review.id);
  assert.notEqual(a.review.id, derivedId({ repo: 'a/b', pull: 3, url: 'https://github.com/a/b/pull/3', body: 'other', path: 'f' }));
});

test('unusable records say why', () => {
  const bad = (v: unknown, re: RegExp) => {
    const r = normalizeReview(v);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.reason, re);
  };
  bad([1, 2], /expected a JSON object, got an array/);
  bad(null, /got null/);
  bad('text', /got a string/);
  bad({ foo: 1 }, /not a review comment/);
  bad({ url: 'https://github.com/a/b/pull/1#discussion_r1' }, /missing field "body"/);
  bad({ url: 'https://github.com/a/b/pull/1#discussion_r1', body: 5 }, /"body" must be a string, got a number/);
  bad({ url: 'https://github.com/a/b/pull/1#discussion_r1', body: null }, /"body" must be a string, got null$/);
  bad({ url: 'https://github.com/a/b/pull/1#discussion_r1', body: { text: 'x' } }, /"body" must be a string, got an object$/);
  bad({ url: 'https://example.com/x', body: 'x' }, /cannot tell the repository/);
  bad({ url: 'x', repo: 'a/b', body: 'x' }, /pull request number/);
  bad({ url: 'x', repo: 'not a repo', number: 1, body: 'x' }, /owner\/name/);
});
