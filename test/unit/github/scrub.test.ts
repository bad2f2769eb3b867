import { test } from 'node:test';
import assert from 'node:assert/strict';
import { registerSecret, scrubSecrets } from '../../../src/github/scrub';
import { GitHubError, toGitHubError } from '../../../src/github/client';

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
  assert.deepEqual(kinds, ['not-found', 'unauthorized', 'rate-limited', 'rate-limited', 'server']);
  assert.equal(toGitHubError(Object.assign(new Error('fetch failed'), { status: 500 })).kind, 'network');
});
