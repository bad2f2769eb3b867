import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerSecret, scrubSecrets } from '../../../src/github/scrub';
import { GitHubClient, GitHubError, toGitHubError } from '../../../src/github/client';

test('scrubSecrets masks the given token, token-shaped strings and Authorization values', () => {
  const custom = 'my-enterprise-token-value';
  const text = `failed: authorization: token ${custom}; also ghp_abcdefghijklmnopqrstuvwxyz012345 and github_pat_11ABCDEFG0123456789_abcdefghijklmnop, Authorization: Bearer xyz.abc`;
  const out = scrubSecrets(text, custom);
  assert.ok(!out.includes(custom));
  assert.ok(!out.includes('ghp_abcdefghijklmnopqrstuvwxyz012345'));
  assert.ok(!out.includes('github_pat_11ABCDEFG'));
  assert.ok(!out.includes('xyz.abc'));
  assert.match(out, /^failed: authorization: \[REDACTED\]/);
  assert.equal(scrubSecrets('nothing secret here: 404 Not Found'), 'nothing secret here: 404 Not Found');
});

test('a registered secret is masked in every GitHubError message, whatever its shape', () => {
  registerSecret('s3cr3t-opaque-value');
  const e = toGitHubError(Object.assign(new Error('upstream said s3cr3t-opaque-value is bad'), { status: 502 }));
  assert.ok(e instanceof GitHubError);
  assert.equal(e.kind, 'server');
  assert.ok(!e.message.includes('s3cr3t-opaque-value'));
});

test('toGitHubError sorts failures into kinds the crawler decides on', () => {
  const kinds = [404, 401, 403, 429, 503].map((status) => toGitHubError(Object.assign(new Error('x'), { status })).kind);
  assert.deepEqual(kinds, ['not-found', 'unauthorized', 'other', 'rate-limited', 'server'], 'a 403 that is no rate limit is a refusal, not a wait');
  assert.equal(toGitHubError(Object.assign(new Error('fetch failed'), { status: 500 })).kind, 'network');
});

test('rate-limit refusals carry the wait GitHub asked for', () => {
  const secondary = (headers: Record<string, string>) => toGitHubError(Object.assign(new Error('You have exceeded a secondary rate limit.'), { status: 403, response: { headers } }), undefined, 1000);
  assert.equal(secondary({ 'retry-after': '30' }).retryAfterMs, 30_000);
  assert.equal(secondary({}).retryAfterMs, 60_000, 'no retry-after: a minute');
  const reset = Math.floor(Date.now() / 1000) + 120;
  const primary = toGitHubError(Object.assign(new Error('API rate limit exceeded'), { status: 403, response: { headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) } } }), undefined, 1000);
  assert.equal(primary.kind, 'rate-limited');
  assert.ok(primary.retryAfterMs! > 115_000 && primary.retryAfterMs! <= 122_000);
});

test('GraphQL is found beside the REST base URL on github.com and on GitHub Enterprise Server', () => {
  assert.equal(new GitHubClient({}).graphqlUrl, 'https://api.github.com/graphql');
  assert.equal(new GitHubClient({ apiUrl: 'https://ghe.example.com/api/v3/' }).graphqlUrl, 'https://ghe.example.com/api/graphql');
  assert.equal(new GitHubClient({ apiUrl: 'http://127.0.0.1:9999' }).graphqlUrl, 'http://127.0.0.1:9999/graphql');
});
