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
