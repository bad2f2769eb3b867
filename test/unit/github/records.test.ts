import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionOf, graphqlCommentsToReviews, pullInfoOf, restCommentsToReviews } from '../../../src/github/records';

const graphqlComment = {
  fullDatabaseId: '3000000123', url: 'https://github.com/acme/app/pull/7#discussion_r3000000123', path: 'src/A.java',
  body: 'Is this input escaped?', diffHunk: '@@ -1,2 +1,3 @@\n a\n+b', createdAt: '2021-05-01T10:00:00Z',
  line: 12, startLine: null, originalLine: 11, originalStartLine: null,
  author: { login: 'rev' }, commit: { oid: 'c1' }, originalCommit: { oid: 'o1' },
};
const restComment = {
  id: 3000000123, html_url: 'https://github.com/acme/app/pull/7#discussion_r3000000123', path: 'src/A.java',
  body: 'Is this input escaped?', diff_hunk: '@@ -1,2 +1,3 @@\n a\n+b', created_at: '2021-05-01T10:00:00Z',
  line: 12, start_line: null, original_line: 11, original_start_line: null,
  user: { login: 'rev' }, commit_id: 'c1', original_commit_id: 'o1', pull_request_review_id: 9,
  pull_request_url: 'https://api.github.com/repos/acme/app/pulls/7',
};

test('a comment gives the same Review through GraphQL and through REST', () => {
  const pull = { repo: 'acme/app', number: 7, title: 'Fix login' };
  const viaGraphql = graphqlCommentsToReviews([graphqlComment], pull, 'acme/app#7');
  const viaRest = restCommentsToReviews([restComment], 'acme/app', new Map([[7, 'Fix login']]), 'page 1');
  assert.deepEqual(viaGraphql.problems, []);
  assert.deepEqual(viaRest.problems, []);
  assert.deepEqual(viaGraphql.reviews, viaRest.reviews);
  assert.deepEqual(viaGraphql.reviews[0], {
    id: '3000000123', url: graphqlComment.url, repo: 'acme/app', pull: 7, path: 'src/A.java', body: 'Is this input escaped?',
    diffHunk: graphqlComment.diffHunk, commit: 'c1', originalCommit: 'o1', line: 12, originalLine: 11,
    author: 'rev', createdAt: '2021-05-01T10:00:00Z', prTitle: 'Fix login',
  });
});

test('bad comments are reported with where and why, and the rest of the page is kept', () => {
  const pull = { repo: 'acme/app', number: 7 };
  const out = graphqlCommentsToReviews([graphqlComment, null, { ...graphqlComment, body: 42 }, { ...graphqlComment, fullDatabaseId: null, url: '' }], pull, 'acme/app#7');
  assert.equal(out.reviews.length, 1);
  assert.equal(out.problems.length, 3);
  assert.match(out.problems[1]!, /acme\/app#7: comment 2 skipped: field "body" must be a string/);
  assert.match(out.problems[2]!, /no comment id/);
});

test('pull info comes from GraphQL or REST shapes; connections are validated', () => {
  assert.deepEqual(pullInfoOf({ number: 3, title: 't', state: 'MERGED', author: { login: 'a' } }, 'x/y'), { repo: 'x/y', number: 3, title: 't', author: 'a', state: 'MERGED' });
  assert.deepEqual(pullInfoOf({ number: 3, title: 't', state: 'closed', user: { login: 'a' } }, 'x/y'), { repo: 'x/y', number: 3, title: 't', author: 'a', state: 'CLOSED' });
  assert.equal(pullInfoOf({ title: 'no number' }, 'x/y'), undefined);
  assert.equal(connectionOf({ nodes: [], pageInfo: { hasNextPage: true, endCursor: null } }), undefined, 'a next page without a cursor is malformed');
  assert.deepEqual(connectionOf({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } }), { nodes: [], hasNextPage: false, endCursor: null, totalCount: 0 });
});
