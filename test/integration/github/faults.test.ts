// The crawler's fault matrix against the loopback GitHub: persistent 5xx, a GitHub that cannot be
// reached, stalled connections, HTML with 200, a token revoked mid-crawl, 403 and 451 without
// rate-limit headers, renamed repositories, Retry-After as an HTTP date, GraphQL partial data, and
// a password in the API URL. Each ends with exactly the expected reviews, or with an honest
// "not done" that the next run finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Review } from '../../../src/core/review';
import { main } from '../../../src/cli/main';
import { GitHubClient, GitHubError, type ClientEvent, type GitHubClientOptions } from '../../../src/github/client';
import { runCrawl, type CrawlEvent } from '../../../src/github/crawler';
import { readCheckpoint } from '../../../src/github/checkpoint';
import type { CrawlSpec } from '../../../src/github/spec';
import { expectedReviews, FakeGitHub, makeRepo, type FakeRepo } from '../../fixtures/github/fakeGitHub';

const TOKEN = 'ghp_FAULTtoken0123456789abcdefghijklmnop';
const SIZES = { pulls: 5, threads: 25, comments: 10 };

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'secreview-faults-'));
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

/** Every expected review exactly once, nothing else (no duplicates, no gaps). */
function assertExactly(file: string, expected: Review[]): void {
  const got = readJsonl<Review>(file);
  const ids = got.map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length, 'no review stored twice');
  const byId = new Map(got.map((r) => [r.id, r]));
  assert.equal(got.length, expected.length, 'as many reviews as expected');
  for (const e of expected) assert.deepEqual(byId.get(e.id), e, `review ${e.id} of ${e.repo}#${e.pull}`);
}

function client(gh: FakeGitHub, extra: Partial<GitHubClientOptions> = {}): GitHubClient {
  return new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 5, retries: 1, ...extra });
}

/** Rejects when `promise` takes longer than `ms`: a crawl that hangs must fail the test, not stall the suite. */
function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms); });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

test('persistent 500/503/504: a failing repository keeps what it stored, is not done, and the next run fetches exactly the rest', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 12 }, 51);
  const b = makeRepo({ name: 'acme/b', pulls: 14 }, 52);
  const c = makeRepo({ name: 'acme/c', pulls: 6 }, 53);
  const gh = new FakeGitHub([a, b, c], { token: TOKEN });
  // b: its first GraphQL page comes, then GraphQL answers 503 and REST 500 for good; c: 504 for everything.
  gh.faults = [
    { kind: 'server-error', status: 503, times: 1e6, when: (r) => r.repo === 'acme/b' && r.op === 'RepoPulls' && r.variables.after !== null },
    { kind: 'server-error', status: 500, times: 1e6, when: (r) => r.repo === 'acme/b' && r.op === 'REST' },
    { kind: 'server-error', status: 504, times: 1e6, when: (r) => r.repo === 'acme/c' },
  ];
  await gh.start();
  const dir = tempDir();
  try {
    const spec: CrawlSpec = { repos: ['acme/a', 'acme/b', 'acme/c'], pageSizes: SIZES };
    const first = await runCrawl({ dir, spec, client: client(gh), restPerPage: 10 });
    assert.equal(first.complete, false, 'a crawl with failed repositories is not complete');
    assert.equal(first.cancelled, false);
    assert.deepEqual(first.failed.map((r) => [r.repo, r.status]), [['acme/b', 'failed'], ['acme/c', 'failed']]);
    assert.match(first.failed[0]!.error!, /500/);
    assert.match(first.failed[1]!.error!, /504/);
    assert.deepEqual(readJsonl<{ repo: string; status: string }>(first.files.results).map((r) => [r.repo, r.status]), [['acme/a', 'done']], 'only a is done');
    const storedOfB = readJsonl<Review>(first.files.reviews).filter((r) => r.repo === 'acme/b').length;
    assert.equal(storedOfB, expectedReviews(b, (n) => n <= 5).length, 'b keeps its first page');
    const cp = await readCheckpoint(first.files.checkpoint);
    assert.equal(cp?.complete, false);

    // GitHub recovers: the next run tries b and c again, from where they stopped.
    gh.faults = [];
    const second = await runCrawl({ dir, spec, client: client(gh), restPerPage: 10 });
    assert.equal(second.complete, true);
    assert.deepEqual(second.failed, []);
    assert.deepEqual(second.repos.map((r) => [r.repo, r.status]), [['acme/a', 'done'], ['acme/b', 'done'], ['acme/c', 'done']]);
    assertExactly(second.files.reviews, [...expectedReviews(a), ...expectedReviews(b), ...expectedReviews(c)]);
    const pulls = readJsonl<{ repo: string; number: number }>(second.files.pulls).map((p) => `${p.repo}#${p.number}`);
    assert.equal(new Set(pulls).size, pulls.length, 'no pull request stored twice');
    assert.equal(pulls.length, 12 + 14 + 6);

    // A third run has nothing left to do.
    const requests = gh.requests.length;
    assert.equal((await runCrawl({ dir, spec, client: client(gh) })).complete, true);
    assert.equal(gh.requests.length, requests);
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function cliInProcess(cwd: string, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, {
    cwd, env: { ...process.env, GITHUB_TOKEN: TOKEN },
    out: (t) => { stdout += t + '\n'; }, err: (t) => { stderr += t + '\n'; }, progress: (t) => { stderr += t + '\n'; },
  });
  return { status, stdout, stderr };
}

test('secreview crawl where every repository fails exits 1 and says they are tried again; the next run imports them and exits 0', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 4 }, 54);
  const b = makeRepo({ name: 'acme/b', pulls: 3 }, 55);
  const gh = new FakeGitHub([a, b], { token: TOKEN });
  gh.faults = [{ kind: 'server-error', status: 502, times: 1e6, when: () => true }];
  await gh.start();
  const folder = tempDir();
  try {
    assert.equal((await cliInProcess(folder, ['init'])).status, 0);
    const args = ['crawl', '--repos', 'acme/a,acme/b', '--api-url', gh.url, '--min-interval-ms', '0', '--retries', '0'];
    const failed = await within(60_000, cliInProcess(folder, args), 'the failing crawl');
    assert.equal(failed.status, 1, failed.stderr);
    assert.match(failed.stdout, /Crawl finished with 2 of 2 repositories failed/);
    assert.match(failed.stdout, /acme\/a: failed \(.*502/);
    assert.match(failed.stdout, /Run the same command again to try the failed repositories again/);
    const json = await within(60_000, cliInProcess(folder, ['--json', ...args]), 'the failing crawl');
    assert.equal(json.status, 1);
    assert.deepEqual((JSON.parse(json.stdout) as { failed: { repo: string }[] }).failed.map((r) => r.repo), ['acme/a', 'acme/b']);

    gh.faults = [];
    const ok = await cliInProcess(folder, ['--json', ...args]);
    assert.equal(ok.status, 0, ok.stderr);
    const report = JSON.parse(ok.stdout) as { complete: boolean; imported: { imported: number; pool: number } };
    assert.equal(report.complete, true);
    assert.equal(report.imported.pool, expectedReviews(a).length + expectedReviews(b).length);
  } finally {
    await gh.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

test('a stalled connection (no answer, or a body that stops) is abandoned after the request timeout and retried', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 12, threadsOf: { 2: 30 } }, 56);
  const gh = new FakeGitHub([a], { token: TOKEN });
  gh.faults = [
    { kind: 'stall', times: 1, when: (r) => r.op === 'RepoPulls' && r.variables.after === null },
    { kind: 'stall-body', times: 1, when: (r) => r.op === 'RepoPulls' && r.variables.after !== null },
    { kind: 'stall', times: 1, when: (r) => r.op === 'PullThreads' },
  ];
  await gh.start();
  const dir = tempDir();
  const events: ClientEvent[] = [];
  try {
    const summary = await within(30_000, runCrawl({
      dir, spec: { repos: ['acme/a'], pageSizes: SIZES },
      client: client(gh, { requestTimeoutMs: 400, onEvent: (e) => events.push(e) }),
    }), 'the crawl over stalled connections');
    assert.equal(summary.complete, true);
    assertExactly(summary.files.reviews, expectedReviews(a));
    assert.deepEqual([...gh.faultsServed].sort(), ['stall', 'stall', 'stall-body']);
    assert.ok(events.some((e) => e.kind === 'fault' && /no answer from GitHub within 0\.4 s/.test(e.detail)), 'the timeout is reported');
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('connection refused stops the crawl at once without marking anything done; the next run resumes when GitHub is back', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 6 }, 57);
  const b = makeRepo({ name: 'acme/b', pulls: 4 }, 58);
  const gh = new FakeGitHub([a, b], { token: TOKEN });
  await gh.start();
  const port = Number(new URL(gh.url).port);
  const dir = tempDir();
  try {
    const spec: CrawlSpec = { repos: ['acme/a', 'acme/b'], pageSizes: SIZES };
    // a's first page comes, then GitHub goes away.
    gh.onRequest = (r) => { if (r.op === 'RepoPulls' && r.variables.after !== null) void gh.close(); };
    const started = Date.now();
    await assert.rejects(within(30_000, runCrawl({ dir, spec, client: client(gh) }), 'the crawl against a closed port'), (e: unknown) => {
      assert.ok(e instanceof GitHubError && e.kind === 'network', String(e));
      assert.match(e.message, /GitHub cannot be reached .*the crawl stopped at acme\/a: run it again to resume/);
      return true;
    });
    assert.ok(Date.now() - started < 20_000);
    const cp = await readCheckpoint(path.join(dir, 'checkpoint.json'));
    assert.equal(cp?.current?.repo, 'acme/a', 'stopped at a, which is neither done nor failed');
    assert.equal(cp?.next, 0);
    assert.deepEqual(cp?.failed ?? [], []);
    assert.deepEqual(readJsonl(path.join(dir, 'repos.jsonl')), []);

    gh.onRequest = undefined;
    await gh.start(port);
    const resumed = await runCrawl({ dir, spec, client: client(gh) });
    assert.equal(resumed.complete, true);
    assertExactly(resumed.files.reviews, [...expectedReviews(a), ...expectedReviews(b)]);
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('HTML with 200: retried while it passes; a repository that only ever answers HTML is not done and is tried again', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 11 }, 59);
  const portal = makeRepo({ name: 'acme/portal', pulls: 3 }, 60);
  const gh = new FakeGitHub([a, portal], { token: TOKEN });
  gh.faults = [
    { kind: 'html-200', times: 2, when: (r) => r.repo === 'acme/a' && r.op === 'RepoPulls' },
    { kind: 'html-200', times: 1e6, when: (r) => r.repo === 'acme/portal' },
  ];
  await gh.start();
  const dir = tempDir();
  try {
    const spec: CrawlSpec = { repos: ['acme/a', 'acme/portal'], pageSizes: SIZES };
    const first = await runCrawl({ dir, spec, client: client(gh) });
    assert.equal(first.complete, false);
    assert.deepEqual(first.failed.map((r) => r.repo), ['acme/portal']);
    assert.match(first.failed[0]!.error!, /not valid JSON/);
    gh.faults = [];
    const second = await runCrawl({ dir, spec, client: client(gh) });
    assert.equal(second.complete, true);
    assertExactly(second.files.reviews, [...expectedReviews(a), ...expectedReviews(portal)]);
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a token revoked mid-crawl (401) stops it with the position kept; with a good token again it ends with the reference files', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 15 }, 61);
  const b = makeRepo({ name: 'acme/b', pulls: 5 }, 62);
  const gh = new FakeGitHub([a, b], { token: TOKEN });
  await gh.start();
  const reference = tempDir();
  const dir = tempDir();
  try {
    const spec: CrawlSpec = { repos: ['acme/a', 'acme/b'], pageSizes: SIZES };
    const ref = await runCrawl({ dir: reference, spec, client: client(gh) });
    let seen = 0;
    gh.faults = [{ kind: 'unauthorized-401', times: 1e6, when: () => ++seen > 2 }];
    await assert.rejects(runCrawl({ dir, spec, client: client(gh) }), (e: unknown) => e instanceof GitHubError && e.kind === 'unauthorized' && !e.message.includes(TOKEN));
    assert.equal(gh.faultsServed.length, 1, 'a 401 is not retried');
    const cp = await readCheckpoint(path.join(dir, 'checkpoint.json'));
    assert.equal(cp?.complete, false);
    assert.ok(cp!.totals.reviews > 0);
    gh.faults = [];
    const second = await runCrawl({ dir, spec, client: client(gh) });
    assert.equal(second.complete, true);
    assert.equal(readFileSync(second.files.reviews, 'utf8'), readFileSync(ref.files.reviews, 'utf8'));
    assert.equal(readFileSync(second.files.pulls, 'utf8'), readFileSync(ref.files.pulls, 'utf8'));
  } finally {
    await gh.close();
    rmSync(reference, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  }
});

test('403 and 451 without rate-limit headers are refusals, not rate limits: no waiting, no retry loop; 451 is gone, 403 is tried again next run', async () => {
  const refused = makeRepo({ name: 'acme/refused', pulls: 3 }, 63);
  const blocked = makeRepo({ name: 'acme/blocked', pulls: 3 }, 64);
  const fine = makeRepo({ name: 'acme/fine', pulls: 4 }, 65);
  const gh = new FakeGitHub([refused, blocked, fine], { token: TOKEN });
  gh.faults = [
    { kind: 'forbidden-403', times: 1e6, when: (r) => r.repo === 'acme/refused' },
    { kind: 'blocked-451', times: 1e6, when: (r) => r.repo === 'acme/blocked' },
  ];
  await gh.start();
  const dir = tempDir();
  const waits: ClientEvent[] = [];
  try {
    const started = Date.now();
    // Real seconds: a refusal mistaken for a rate limit would wait a minute here.
    const summary = await within(20_000, runCrawl({
      dir, spec: { repos: ['acme/refused', 'acme/blocked', 'acme/fine'], pageSizes: SIZES },
      client: client(gh, { waitUnitMs: 1000, onEvent: (e) => { if (e.kind === 'wait') waits.push(e); } }),
    }), 'the crawl with refusals');
    assert.ok(Date.now() - started < 10_000);
    assert.deepEqual(waits, [], 'no rate-limit waits');
    assert.equal(gh.requests.filter((r) => r.repo === 'acme/refused').length, 2, 'one GraphQL and one REST request');
    assert.equal(gh.requests.filter((r) => r.repo === 'acme/blocked').length, 1);
    const status = Object.fromEntries(summary.repos.map((r) => [r.repo, r.status]));
    assert.deepEqual(status, { 'acme/blocked': 'gone', 'acme/fine': 'done', 'acme/refused': 'failed' });
    assert.match(summary.repos.find((r) => r.repo === 'acme/blocked')!.error!, /451/);
    assert.match(summary.failed[0]!.error!, /403.*Resource not accessible/);
    assertExactly(summary.files.reviews, expectedReviews(fine));
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a renamed repository (GraphQL resolves the old name, REST answers 301) is crawled whole under the name it was listed by', async () => {
  const moved = makeRepo({ name: 'acme/new-name', pulls: 8 }, 66);
  const movedRest = makeRepo({ name: 'acme/new-rest', pulls: 7 }, 67);
  const gh = new FakeGitHub([moved, movedRest], { token: TOKEN });
  gh.renamed.set('acme/old-name', 'acme/new-name');
  gh.renamed.set('acme/old-rest', 'acme/new-rest');
  gh.graphqlBroken.add('acme/new-rest');
  await gh.start();
  const dir = tempDir();
  const logs: string[] = [];
  try {
    const summary = await runCrawl({
      dir, spec: { repos: ['acme/old-name', 'acme/old-rest'], pageSizes: SIZES }, client: client(gh), restPerPage: 10,
      onEvent: (e: CrawlEvent) => { if (e.kind === 'log') logs.push(e.message); },
    });
    assert.equal(summary.complete, true);
    const listedAs = (repo: FakeRepo, name: string) => expectedReviews(repo).map((r) => ({ ...r, repo: name }));
    assertExactly(summary.files.reviews, [...listedAs(moved, 'acme/old-name'), ...listedAs(movedRest, 'acme/old-rest')]);
    assert.ok(logs.some((l) => /acme\/old-name was renamed to acme\/new-name/.test(l)), 'the rename is logged');
    assert.ok(gh.requests.some((r) => r.op === 'REST' && r.repo === 'acme/old-rest') && gh.requests.some((r) => r.op === 'REST' && r.repo === 'acme/new-rest'), 'REST followed the 301');
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Retry-After as an HTTP date is waited as the time until that date', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 3 }, 68);
  const gh = new FakeGitHub([a], { token: TOKEN });
  gh.faults = [{ kind: 'secondary-429-date', retryAfterSeconds: 2, times: 1, when: (r) => r.op === 'RepoPulls' }];
  await gh.start();
  const dir = tempDir();
  const waits: ClientEvent[] = [];
  try {
    const started = Date.now();
    const summary = await within(20_000, runCrawl({
      dir, spec: { repos: ['acme/a'], pageSizes: SIZES },
      client: client(gh, { waitUnitMs: 1000, onEvent: (e) => { if (e.kind === 'wait') waits.push(e); } }),
    }), 'the crawl that waits for a date');
    assert.equal(summary.complete, true);
    assertExactly(summary.files.reviews, expectedReviews(a));
    assert.deepEqual(waits.map((w) => w.kind === 'wait' && [w.reason, w.ms]), [['secondary-rate-limit', 2000]]);
    assert.ok(Date.now() - started >= 1500, 'the wait happened');
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('GraphQL partial data with errors loses nothing: the pull request left out is fetched too', async () => {
  const a = makeRepo({ name: 'acme/a', pulls: 13, threadsOf: { 7: 3 } }, 69);
  const gh = new FakeGitHub([a], { token: TOKEN });
  // The second page (pulls 6-10) comes with pull 7 missing and an error naming its path.
  gh.faults = [{ kind: 'graphql-partial', times: 1, when: (r) => r.op === 'RepoPulls' && r.variables.after !== null }];
  await gh.start();
  const dir = tempDir();
  try {
    const summary = await runCrawl({ dir, spec: { repos: ['acme/a'], pageSizes: SIZES }, client: client(gh), restPerPage: 10 });
    assert.equal(summary.complete, true);
    assert.deepEqual(gh.faultsServed, ['graphql-partial']);
    assert.ok(expectedReviews(a, (n) => n === 7).length > 0, 'the pull left out has reviews');
    assertExactly(summary.files.reviews, expectedReviews(a));
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--api-url with a user and password is refused at once: exit 2, and the password is nowhere (terminal, JSON, crawl.log)', async () => {
  const gh = new FakeGitHub([makeRepo({ name: 'acme/a', pulls: 2 }, 70)], { token: TOKEN });
  await gh.start();
  const folder = tempDir();
  const password = 'S3cretPASSw0rd';
  try {
    assert.equal((await cliInProcess(folder, ['init'])).status, 0);
    const withCredentials = gh.url.replace('http://', `http://crawler:${password}@`);
    for (const json of [false, true]) {
      const run = await within(20_000, cliInProcess(folder, [...(json ? ['--json'] : []), 'crawl', '--repos', 'acme/a', '--api-url', withCredentials, '--min-interval-ms', '0']), 'the crawl with a password in the URL');
      assert.equal(run.status, 2, run.stderr);
      assert.match(json ? (JSON.parse(run.stdout) as { error: string }).error : run.stderr, /must not contain a user name or password/);
      assert.ok(!(run.stdout + run.stderr).includes(password), 'no password in the output');
    }
    assert.equal(gh.requests.length, 0, 'no request was sent');
    for (const f of filesUnder(path.join(folder, '.secreview'))) assert.ok(!readFileSync(f, 'utf8').includes(password), `password in ${f}`);
  } finally {
    await gh.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

