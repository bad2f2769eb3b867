// Diff context: files at the base and head commits and the pull diff, fetched once and then served
// from the workspace cache (also with GitHub unreachable), with no token in the cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GitHubClient } from '../../../src/github/client';
import { DiffContext, githubCacheDir } from '../../../src/github/diffContext';
import { baseShaOf, FakeGitHub, headShaOf, makeRepo } from '../../fixtures/github/fakeGitHub';

const TOKEN = 'ghp_DIFFtoken0123456789abcdefghijklmnopq';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

test('files at the base and head commits, refs and pull diffs come from GitHub once, then from the cache', async () => {
  const repo = makeRepo({ name: 'acme/alpha', pulls: 3, threadsOf: { 1: 2, 2: 1, 3: 1 } }, 41);
  const filePath = 'src/main/java/dir with space/App0.java';
  repo.files = {
    [`${baseShaOf(1)}:${filePath}`]: 'class App { /* before */ }\n',
    [`${headShaOf(1)}:${filePath}`]: 'class App { /* after */ }\n',
  };
  const gh = new FakeGitHub([repo], { token: TOKEN });
  await gh.start();
  const workspaceDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-diff-'));
  const cache = githubCacheDir(workspaceDir);
  try {
    const context = new DiffContext(new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 20 }), cache);
    const refs = await context.refsFor('acme/alpha', 1, headShaOf(1));
    assert.deepEqual(refs, { before: baseShaOf(1), after: headShaOf(1) });
    assert.equal(await context.fetchFileAtCommit('acme/alpha', refs!.before, filePath), 'class App { /* before */ }\n');
    assert.equal(await context.fileAt('acme/alpha', refs!.after, filePath), 'class App { /* after */ }\n');
    assert.equal(await context.fetchFileAtCommit('acme/alpha', baseShaOf(1), 'src/Added.java'), undefined, 'a file absent at a commit');
    assert.match((await context.fetchPullDiff('acme/alpha', 2)) ?? '', /^diff --git a\/src\/main\/java\/App0\.java/);
    assert.equal(await context.fetchPullRefs('acme/alpha', 99), undefined);
    assert.equal(await context.fetchPullRefs('acme/alpha', 3).then((r) => r?.state), 'open');
    const requests = gh.requests.length;

    // Closed pulls and files are cached; GitHub is no longer needed for them.
    await gh.close();
    const offline = new DiffContext(new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 1, retries: 0 }), cache);
    assert.equal(await offline.fetchFileAtCommit('acme/alpha', baseShaOf(1), filePath), 'class App { /* before */ }\n');
    assert.equal(await offline.fetchFileAtCommit('acme/alpha', baseShaOf(1), 'src/Added.java'), undefined);
    assert.deepEqual(await offline.refsFor('acme/alpha', 1, headShaOf(1)), refs);
    assert.ok(await offline.fetchPullDiff('acme/alpha', 2));
    // An open pull request may still move: it is asked again (and fails here, offline).
    await assert.rejects(offline.fetchPullRefs('acme/alpha', 3));
    assert.equal(gh.requests.length, requests);

    await assert.rejects(offline.fetchFileAtCommit('../..', 'abc123', 'x'), /not a repository name/);
    await assert.rejects(offline.fetchFileAtCommit('acme/alpha', '../../../etc', 'x'), /not a commit id/);
    for (const f of filesUnder(workspaceDir)) {
      assert.ok(f.startsWith(path.join(cache, 'acme', 'alpha')), `cache file in place: ${f}`);
      assert.ok(!readFileSync(f, 'utf8').includes(TOKEN));
    }
  } finally {
    await gh.close();
    rmSync(workspaceDir, { recursive: true, force: true });
  }
});

test('hostile paths, repositories, commits and pull numbers never steer a request or reach the cache', async () => {
  const repo = makeRepo({ name: 'acme/alpha', pulls: 2, threadsOf: { 1: 1, 2: 1 } }, 42);
  const odd = 'docs/what?ref=main#top %2e%2e\\x.md';
  repo.files = { [`${headShaOf(1)}:${odd}`]: 'an odd but real file name\n' };
  const gh = new FakeGitHub([repo], { token: TOKEN });
  await gh.start();
  const workspaceDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-diff-hostile-'));
  const cache = githubCacheDir(workspaceDir);
  try {
    const context = new DiffContext(new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 1, retries: 0 }), cache);
    const sha = headShaOf(1);
    const hostilePaths = [
      '../../../../user/repos', 'src/../../../../user/repos', './src/App.java', 'src/./App.java', '/etc/passwd', 'src//App.java',
      'src/App.java/', '', '..', 'src/%2e%2e/x', 'nul\u0000byte.java',
    ];
    for (const p of hostilePaths) {
      // '%2e%2e' as a literal name is allowed (it is encoded, never decoded to "..") but absent here.
      if (p === 'src/%2e%2e/x') { assert.equal(await context.fileAt('acme/alpha', sha, p), undefined); continue; }
      await assert.rejects(context.fileAt('acme/alpha', sha, p), /not a file path in a repository/, `path ${JSON.stringify(p)}`);
    }
    const hostileRepos = ['acme/alpha/../../user', 'acme/..', '../acme', 'acme/alpha?per_page=1', 'acme/al pha', 'acme', 'https://evil.example/x', 'acme/alpha#x', '%2e%2e/alpha'];
    for (const r of hostileRepos) {
      await assert.rejects(context.fileAt(r, sha, 'src/App.java'), /not a repository name/, `repo ${r}`);
      await assert.rejects(context.refsFor(r, 1, sha), /not a repository name/, `repo ${r}`);
    }
    for (const s of ['../../../user/repos', 'main', 'HEAD~1', 'abc', `${sha}/../x`, 'g'.repeat(40), `${sha}?x=1`]) {
      await assert.rejects(context.fileAt('acme/alpha', s, 'src/App.java'), /not a commit id/, `commit ${s}`);
    }
    for (const n of [0, -1, 1.5, Number.NaN, Number('1e400')]) {
      await assert.rejects(context.refsFor('acme/alpha', n, sha), /not a pull request number/, `pull ${n}`);
    }
    assert.deepEqual(gh.requests.map((r) => r.path), ['/repos/acme/alpha/contents/src/%252e%252e/x'], 'only the literal-%2e%2e name was asked for, encoded');

    // A real file whose name has ?, #, %, spaces and a backslash is fetched by its own encoded path.
    assert.equal(await context.fileAt('acme/alpha', sha, odd), 'an odd but real file name\n');
    assert.equal(gh.requests.at(-1)!.path, `/repos/acme/alpha/contents/${odd.split('/').map(encodeURIComponent).join('/')}`);
    for (const req of gh.requests) assert.match(req.path, /^\/repos\/acme\/alpha\/contents\//, 'every request stays in the repository\'s contents');
    for (const f of filesUnder(workspaceDir)) assert.ok(f.startsWith(path.join(cache, 'acme', 'alpha', 'files')), `cache file in place: ${f}`);
  } finally {
    await gh.close();
    rmSync(workspaceDir, { recursive: true, force: true });
  }
});

test('pull refs that GitHub answers with are checked before they are used or cached', async () => {
  const repo = makeRepo({ name: 'acme/alpha', pulls: 1, threadsOf: { 1: 1 } }, 43);
  const gh = new FakeGitHub([repo], { token: TOKEN });
  gh.pullRefs.set(1, { base: '../../../../user/repos', head: headShaOf(1) });
  await gh.start();
  const workspaceDir = mkdtempSync(path.join(os.tmpdir(), 'secreview-diff-refs-'));
  try {
    const context = new DiffContext(new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 1, retries: 0 }), githubCacheDir(workspaceDir));
    await assert.rejects(context.refsFor('acme/alpha', 1, headShaOf(1)), /acme\/alpha#1: GitHub answered with a base commit that is not a commit id/);
    assert.deepEqual(filesUnder(workspaceDir), [], 'nothing cached');
  } finally {
    await gh.close();
    rmSync(workspaceDir, { recursive: true, force: true });
  }
});
