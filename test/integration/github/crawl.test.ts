// The crawler against a loopback GitHub: exact results through faults, rate limits, cancellation,
// SIGKILL and restart, and no token in any file or log line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Review } from '../../../src/core/review';
import { GitHubClient, GitHubError, type ClientEvent } from '../../../src/github/client';
import { runCrawl, type CrawlEvent } from '../../../src/github/crawler';
import { readCheckpoint } from '../../../src/github/checkpoint';
import type { CrawlSpec } from '../../../src/github/spec';
import { expectedReviews, FakeGitHub, makeRepo, type FakeRepo } from '../../fixtures/github/fakeGitHub';

const TOKEN = 'ghp_TESTtoken0123456789abcdefghijklmnopq';
const repoRoot = path.resolve(__dirname, '../../..');

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'secreview-crawl-'));
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);
}

/** Every file under `dir` (recursively) with its text. */
function allFiles(dir: string): { file: string; text: string }[] {
  const out: { file: string; text: string }[] = [];
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, name.name);
    if (name.isDirectory()) out.push(...allFiles(p));
    else out.push({ file: p, text: readFileSync(p, 'utf8') });
  }
  return out;
}

function assertNoToken(texts: { file: string; text: string }[]): void {
  for (const { file, text } of texts) {
    assert.ok(!text.includes(TOKEN), `token found in ${file}`);
    assert.ok(!text.includes(TOKEN.slice(4)), `token body found in ${file}`);
  }
}

function byId(reviews: Review[]): Map<string, Review> {
  const map = new Map<string, Review>();
  for (const r of reviews) {
    assert.ok(!map.has(r.id), `duplicate review ${r.id}`);
    map.set(r.id, r);
  }
  return map;
}

function fixtureRepos(): { alpha: FakeRepo; empty: FakeRepo; gone: FakeRepo; legacy: FakeRepo; beta: FakeRepo; flaky: FakeRepo } {
  return {
    // 60 pull requests (3 pages of 25), one with 130 threads, one thread with 25 comments, one comment without a body.
    alpha: makeRepo({ name: 'acme/alpha', pulls: 60, threadsOf: { 3: 2, 7: 130, 8: 1 }, commentsOf: { '8:0': 25 }, nullBody: ['3:0:0'] }, 11),
    empty: makeRepo({ name: 'acme/empty', pulls: 0 }, 12),
    // Small pull requests only, so its first page needs no follow-up query.
    gone: makeRepo({ name: 'acme/gone', pulls: 30 }, 13),
    legacy: makeRepo({ name: 'acme/legacy', pulls: 12, threadsOf: { 2: 4, 5: 3 } }, 14),
    beta: makeRepo({ name: 'acme/beta', pulls: 5, threadsOf: { 1: 1 } }, 15),
    // GraphQL breaks for good after its first page: REST must bring the rest, and only the rest.
    flaky: makeRepo({ name: 'acme/flaky', pulls: 40 }, 16),
  };
}

const SPEC: CrawlSpec = { repos: ['acme/alpha', 'acme/empty', 'acme/gone', 'acme/legacy', 'acme/beta', 'acme/flaky'], pageSizes: { pulls: 25, threads: 25, comments: 10 } };

test('crawl yields exactly the expected reviews through rate limits, server errors, dropped connections and malformed bodies', async () => {
  const repos = fixtureRepos();
  const gh = new FakeGitHub(Object.values(repos), { token: TOKEN });
  gh.goneAfter.set('acme/gone', 1);
  gh.graphqlBroken.add('acme/legacy');
  gh.faults = [
    { kind: 'secondary-403', times: 1, when: (r) => r.op === 'RepoPulls' && r.repo === 'acme/alpha' && r.variables.after === null },
    { kind: 'secondary-429', times: 1, when: (r) => r.op === 'PullThreads' },
    { kind: 'server-502', times: 1, when: (r) => r.op === 'ThreadComments' },
    { kind: 'malformed-json', times: 1, when: (r) => r.op === 'RepoPulls' && r.repo === 'acme/alpha' && r.variables.after !== null },
    { kind: 'drop', times: 1, when: (r) => r.op === 'RepoPulls' && r.repo === 'acme/beta' },
    { kind: 'server-502', times: 1, when: (r) => r.op === 'REST' && r.path.endsWith('/pulls/comments') },
    { kind: 'graphql-error', times: 100, when: (r) => r.repo === 'acme/flaky' && r.op === 'RepoPulls' && r.variables.after !== null },
  ];
  await gh.start();
  const dir = tempDir();
  const clientEvents: ClientEvent[] = [];
  const logs: string[] = [];
  try {
    // One "second" of waiting lasts 250 ms here; the next test checks real seconds.
    const client = new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 250, onEvent: (e) => clientEvents.push(e) });
    const started = Date.now();
    const summary = await runCrawl({ dir, spec: SPEC, client, restPerPage: 10, onEvent: (e: CrawlEvent) => { if (e.kind === 'log') logs.push(e.message); } });
    const elapsed = Date.now() - started;

    assert.equal(summary.complete, true);
    const got = byId(readJsonl<Review>(summary.files.reviews));
    const expected = [
      ...expectedReviews(repos.alpha),
      ...expectedReviews(repos.gone, (n) => n <= 25),
      ...expectedReviews(repos.legacy),
      ...expectedReviews(repos.beta),
      ...expectedReviews(repos.flaky),
    ];
    assert.equal(got.size, expected.length);
    for (const e of expected) assert.deepEqual(got.get(e.id), e, `review ${e.id} of ${e.repo}#${e.pull}`);
    assert.equal(summary.reviews, expected.length);

    const status = Object.fromEntries(summary.repos.map((r) => [r.repo, `${r.status}/${r.via}`]));
    assert.deepEqual(status, { 'acme/alpha': 'done/graphql', 'acme/empty': 'empty/graphql', 'acme/gone': 'gone/graphql', 'acme/legacy': 'done/rest', 'acme/beta': 'done/graphql', 'acme/flaky': 'done/rest' });
    assert.equal(summary.skipped, 1, 'the comment without a body is reported and skipped');
    // 130 threads: 25 in the page, then 100 and 5 (plus one retry after the 429); 25 comments: 10, then 15 (plus one retry after the 502).
    assert.equal(gh.count('PullThreads'), 3);
    assert.equal(gh.count('ThreadComments'), 2);

    const pulls = readJsonl<{ repo: string; number: number; state: string; author: string }>(summary.files.pulls);
    assert.equal(pulls.filter((p) => p.repo === 'acme/alpha').length, 60);
    assert.equal(pulls.filter((p) => p.repo === 'acme/legacy').length, 12);
    assert.deepEqual(pulls.filter((p) => p.repo === 'acme/flaky').map((p) => p.number), Array.from({ length: 40 }, (_, i) => i + 1), 'GraphQL pulls kept, REST adds only the others');
    assert.deepEqual(pulls.find((p) => p.repo === 'acme/alpha' && p.number === 3), { repo: 'acme/alpha', number: 3, title: 'Change 3 of acme/alpha', author: 'author3', state: 'OPEN', reviewComments: expectedReviews(repos.alpha, (n) => n === 3).length });

    assert.deepEqual([...new Set(gh.faultsServed)].sort(), ['drop', 'graphql-error', 'malformed-json', 'secondary-403', 'secondary-429', 'server-502']);
    const waits = clientEvents.filter((e) => e.kind === 'wait');
    assert.equal(waits.filter((e) => e.reason === 'secondary-rate-limit' && e.ms === 250).length, 2, 'both secondary limits (403 and 429) waited retry-after');
    assert.ok(waits.some((e) => e.reason === 'malformed-response'));
    assert.ok(elapsed >= 500, `retry-after waits were honoured (took ${elapsed} ms)`);
    assert.ok(logs.some((l) => /secondary-rate-limit: waiting 0\.3 s/.test(l)), 'the wait is logged');
    assert.ok(logs.some((l) => /acme\/legacy: GraphQL failed/.test(l)));

    const log = readFileSync(summary.files.log, 'utf8');
    assert.match(log, /Bad gateway|server error 502/);
    assertNoToken([...allFiles(dir), { file: 'progress log', text: logs.join('\n') }, { file: 'client events', text: JSON.stringify(clientEvents) }]);
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('retry-after is honoured in real seconds', async () => {
  const beta = makeRepo({ name: 'acme/beta', pulls: 3, threadsOf: { 1: 1 } }, 15);
  const gh = new FakeGitHub([beta], { token: TOKEN });
  gh.faults = [{ kind: 'secondary-403', times: 1, when: (r) => r.op === 'RepoPulls' }];
  await gh.start();
  const dir = tempDir();
  try {
    const client = new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0 });
    const summary = await runCrawl({ dir, spec: { repos: ['acme/beta'], pageSizes: { pulls: 25, threads: 25, comments: 10 } }, client });
    assert.equal(summary.reviews, expectedReviews(beta).length);
    assert.ok(summary.elapsedMs >= 1000, `waited retry-after: 1 (took ${summary.elapsedMs} ms)`);
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('long rate-limit waits are shown, honoured, and cancellable at once', async () => {
  const beta = makeRepo({ name: 'acme/beta', pulls: 3, threadsOf: { 1: 1 } }, 15);
  const gh = new FakeGitHub([beta], { token: TOKEN });
  gh.faults = [{ kind: 'secondary-429', times: 1, retryAfterSeconds: 30, when: (r) => r.op === 'RepoPulls' }];
  await gh.start();
  const dir = tempDir();
  try {
    const waits: ClientEvent[] = [];
    // 30 "seconds" of 20 ms: longer than the plugin's short waits, so the client's own abortable wait takes it.
    const client = new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 20, onEvent: (e) => { if (e.kind === 'wait') waits.push(e); } });
    const summary = await runCrawl({ dir, spec: { repos: ['acme/beta'], pageSizes: { pulls: 25, threads: 25, comments: 10 } }, client });
    assert.equal(summary.reviews, expectedReviews(beta).length);
    assert.deepEqual(waits.map((w) => w.kind === 'wait' && [w.reason, w.ms]), [['secondary-rate-limit', 600]]);

    // An hour-long wait, cancelled after 300 ms: the crawl stops at once.
    gh.faults = [{ kind: 'secondary-403', times: 1, retryAfterSeconds: 3600, when: (r) => r.op === 'RepoPulls' }];
    const controller = new AbortController();
    const slow = new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, signal: controller.signal, onEvent: (e) => { if (e.kind === 'wait') setTimeout(() => controller.abort(), 300); } });
    const started = Date.now();
    const cancelled = await runCrawl({ dir: tempDir(), spec: { repos: ['acme/beta'], pageSizes: { pulls: 25, threads: 25, comments: 10 } }, client: slow, signal: controller.signal });
    assert.equal(cancelled.cancelled, true);
    assert.ok(Date.now() - started < 3000, `cancelled within ${Date.now() - started} ms`);
    rmSync(cancelled.files.dir, { recursive: true, force: true });
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an exhausted primary budget is waited out until its reset, never spent into a 403', async () => {
  const alpha = makeRepo({ name: 'acme/alpha', pulls: 20 }, 21);
  const gh = new FakeGitHub([alpha], { token: TOKEN, rateLimit: 5, rateWindowMs: 1000 });
  gh.faults = [{ kind: 'graphql-rate-limited', times: 1, when: (r) => r.op === 'RepoPulls' && r.variables.after === null }];
  await gh.start();
  const dir = tempDir();
  const waits: ClientEvent[] = [];
  try {
    const client = new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 50, onEvent: (e) => { if (e.kind === 'wait') waits.push(e); } });
    const summary = await runCrawl({ dir, spec: { repos: ['acme/alpha'], pageSizes: { pulls: 3, threads: 25, comments: 10 } }, client });
    assert.equal(summary.complete, true);
    assert.equal(byId(readJsonl<Review>(summary.files.reviews)).size, expectedReviews(alpha).length);
    assert.equal(gh.primaryLimitHits, 0);
    assert.deepEqual(gh.faultsServed, ['graphql-rate-limited'], 'a GraphQL RATE_LIMITED answer is waited out and retried');
    assert.ok(waits.some((e) => e.kind === 'wait' && e.reason === 'primary-rate-limit'), 'waited for the reset');
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a bad token stops the crawl with a message that does not contain it', async () => {
  const gh = new FakeGitHub([makeRepo({ name: 'acme/beta', pulls: 2 })], { token: 'ghp_theRightOne000000000000000000000' });
  await gh.start();
  const dir = tempDir();
  try {
    const client = new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 20 });
    await assert.rejects(runCrawl({ dir, spec: { repos: ['acme/beta'], pageSizes: { pulls: 25, threads: 25, comments: 10 } }, client }), (e: unknown) => {
      assert.ok(e instanceof GitHubError && e.kind === 'unauthorized');
      assert.ok(!e.message.includes(TOKEN));
      return true;
    });
    assertNoToken(allFiles(dir));
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cancelling through the AbortSignal stops after a stored page, and the next run completes the same file', async () => {
  const repos = fixtureRepos();
  const spec: CrawlSpec = { repos: ['acme/alpha', 'acme/beta'], pageSizes: { pulls: 4, threads: 5, comments: 3 } };
  const gh = new FakeGitHub([repos.alpha, repos.beta], { token: TOKEN, latencyMs: 2 });
  await gh.start();
  const reference = tempDir();
  const resumed = tempDir();
  try {
    const ref = await runCrawl({ dir: reference, spec, client: new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 20 }) });
    assert.equal(ref.complete, true);
    const controller = new AbortController();
    let pages = 0;
    const first = await runCrawl({
      dir: resumed, spec, signal: controller.signal,
      client: new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 20, signal: controller.signal }),
      onEvent: (e) => { if (e.kind === 'progress' && e.progress.reviews > 0 && ++pages === 4) controller.abort(); },
    });
    assert.equal(first.cancelled, true);
    assert.equal(first.complete, false);
    const cp = await readCheckpoint(first.files.checkpoint);
    assert.ok(cp && cp.totals.reviews > 0 && cp.totals.reviews < ref.reviews);
    // A crash between appending a page and moving the checkpoint leaves lines (maybe half of one)
    // past the checkpoint: the next run must cut them away, not keep or duplicate them.
    appendFileSync(first.files.reviews, readFileSync(ref.files.reviews, 'utf8').split('\n').slice(0, 3).join('\n') + '\n{"id":"4000000001","body":"half a li');
    appendFileSync(first.files.pulls, '{"repo":"acme/alpha","number":99');
    const second = await runCrawl({ dir: resumed, spec, client: new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 20 }) });
    assert.equal(second.resumed, true);
    assert.equal(second.complete, true);
    assert.equal(readFileSync(second.files.reviews, 'utf8'), readFileSync(ref.files.reviews, 'utf8'));
    assert.equal(readFileSync(second.files.pulls, 'utf8'), readFileSync(ref.files.pulls, 'utf8'));
  } finally {
    await gh.close();
    rmSync(reference, { recursive: true, force: true });
    rmSync(resumed, { recursive: true, force: true });
  }
});

test('a second crawl into the same run folder is refused while the first is running', async () => {
  const beta = makeRepo({ name: 'acme/beta', pulls: 5 }, 15);
  const gh = new FakeGitHub([beta], { token: TOKEN, latencyMs: 150 });
  await gh.start();
  const dir = tempDir();
  try {
    const spec: CrawlSpec = { repos: ['acme/beta'], pageSizes: { pulls: 1, threads: 25, comments: 10 } };
    const client = () => new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 20 });
    const first = runCrawl({ dir, spec, client: client() });
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(runCrawl({ dir, spec, client: client() }), /another crawl is writing/);
    assert.equal((await first).complete, true);
    assert.equal((await runCrawl({ dir, spec, client: client() })).complete, true, 'the lock is released when a crawl ends');
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Runs the crawl in a child process; kills it with SIGKILL once the server has seen `killAfter` requests from it. */
function runChild(dir: string, spec: CrawlSpec, gh: FakeGitHub, killAfter?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'test/integration/github/crawlChild.ts'), dir, JSON.stringify(spec)], {
      cwd: repoRoot,
      env: { ...process.env, GITHUB_TOKEN: TOKEN, GITHUB_API_URL: gh.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    let seen = 0;
    gh.onRequest = killAfter === undefined ? undefined : () => {
      if (++seen === killAfter) child.kill('SIGKILL');
    };
    child.on('error', reject);
    child.on('exit', (code, signal) => { gh.onRequest = undefined; resolve({ code, signal, output }); });
  });
}

test('a crawl killed with SIGKILL mid-run resumes and ends with the same files, and no token anywhere', async () => {
  const repos = {
    ...fixtureRepos(),
    // Smaller than the fault test's, still with follow-up pages of threads and comments.
    alpha: makeRepo({ name: 'acme/alpha', pulls: 24, threadsOf: { 3: 12, 8: 1 }, commentsOf: { '8:0': 8 } }, 17),
    flaky: makeRepo({ name: 'acme/flaky', pulls: 24 }, 18),
  };
  const spec: CrawlSpec = { repos: ['acme/alpha', 'acme/empty', 'acme/legacy', 'acme/flaky', 'acme/beta'], pageSizes: { pulls: 4, threads: 5, comments: 3 } };
  const gh = new FakeGitHub([repos.alpha, repos.empty, repos.legacy, repos.flaky, repos.beta], { token: TOKEN, latencyMs: 4 });
  gh.graphqlBroken.add('acme/legacy');
  // flaky: two GraphQL pages, then REST for the rest of it.
  gh.faults = [{ kind: 'graphql-error', times: 1000, when: (r) => r.repo === 'acme/flaky' && r.op === 'RepoPulls' && r.variables.after === 'cHVsbHM6OA==' }];
  await gh.start();
  const reference = tempDir();
  const killed = tempDir();
  try {
    const ref = await runCrawl({ dir: reference, spec, restPerPage: 10, client: new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 50 }) });
    assert.equal(ref.complete, true);
    const requestsForAll = gh.requests.length;
    assert.ok(requestsForAll >= 24, `enough requests to kill in between (${requestsForAll})`);
    const outputs: string[] = [];
    // Kill a third of the way in (alpha's GraphQL pages), then two thirds (the REST fallbacks).
    for (const killAt of [Math.floor(requestsForAll / 3), Math.floor(requestsForAll / 3)]) {
      const run = await runChild(killed, spec, gh, killAt);
      outputs.push(run.output);
      assert.equal(run.signal, 'SIGKILL', `run killed after ${killAt} requests (output: ${run.output.slice(-300)})`);
    }
    const last = await runChild(killed, spec, gh);
    outputs.push(last.output);
    assert.equal(last.code, 0, last.output);
    assert.match(last.output, /"complete":true/);
    assert.match(outputs.join('\n'), /resuming run/);
    assert.equal(readFileSync(path.join(killed, 'reviews.jsonl'), 'utf8'), readFileSync(ref.files.reviews, 'utf8'));
    assert.equal(readFileSync(path.join(killed, 'pulls.jsonl'), 'utf8'), readFileSync(ref.files.pulls, 'utf8'));
    const flakyIds = readJsonl<Review>(path.join(killed, 'reviews.jsonl')).filter((r) => r.repo === 'acme/flaky').map((r) => r.id).sort();
    assert.deepEqual(flakyIds, expectedReviews(repos.flaky).map((r) => r.id).sort());
    byId(readJsonl<Review>(path.join(killed, 'reviews.jsonl')));
    assertNoToken([...allFiles(killed), ...outputs.map((text, i) => ({ file: `child output ${i}`, text }))]);
  } finally {
    await gh.close();
    rmSync(reference, { recursive: true, force: true });
    rmSync(killed, { recursive: true, force: true });
  }
});

test('a sampled crawl freezes its sample: resuming never searches again, and the result matches the sample', async () => {
  const repos = Array.from({ length: 40 }, (_, i) => makeRepo({
    name: `org${i}/svc${i}`, pulls: i % 4 === 0 ? 5 : 12, stars: 100 + i * 10,
    createdAt: new Date(Date.UTC(2014, 0, 1) + i * 30 * 86_400_000).toISOString(),
  }, 200 + i));
  const gh = new FakeGitHub(repos, { token: TOKEN });
  await gh.start();
  const dir = tempDir();
  try {
    const spec: CrawlSpec = {
      sample: { count: 6, seed: 9, minStars: 100, minPulls: 10, languages: ['Java'], created: { from: '2014-01-01', to: '2017-12-31' }, includeForks: false, includeArchived: true },
      pageSizes: { pulls: 25, threads: 25, comments: 10 },
    };
    const controller = new AbortController();
    const first = await runCrawl({
      dir, spec, signal: controller.signal, client: new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, searchIntervalMs: 0, waitUnitMs: 20, signal: controller.signal }),
      onEvent: (e) => { if (e.kind === 'progress' && e.progress.reposDone === 2) controller.abort(); },
    });
    assert.equal(first.cancelled, true);
    const searches = gh.count('SearchRepos');
    assert.ok(searches > 0);
    const sample = JSON.parse(readFileSync(path.join(dir, 'sample.json'), 'utf8')) as { repos: { repo: string; pulls: number; stars: number }[] };
    assert.equal(sample.repos.length, 6);
    for (const r of sample.repos) assert.ok(r.pulls >= 10 && r.stars >= 100, `${r.repo} passes the filters`);

    const second = await runCrawl({ dir, spec, client: new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, searchIntervalMs: 0, waitUnitMs: 20 }) });
    assert.equal(second.complete, true);
    assert.equal(gh.count('SearchRepos'), searches, 'no new search on resume');
    assert.deepEqual(second.repos.map((r) => r.repo), sample.repos.map((r) => r.repo));
    const expected = sample.repos.flatMap((s) => expectedReviews(repos.find((r) => r.nameWithOwner === s.repo)!));
    assert.deepEqual(readJsonl<Review>(second.files.reviews), expected);
  } finally {
    await gh.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
