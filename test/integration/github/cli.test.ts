// `secreview crawl` as a user runs it: a real process, GITHUB_TOKEN from the environment, a loopback GitHub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, watch } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { main } from '../../../src/cli/main';
import { FakeGitHub, expectedReviews, makeRepo } from '../../fixtures/github/fakeGitHub';

const TOKEN = 'ghp_CLItoken0123456789abcdefghijklmnopqrs';
const repoRoot = path.resolve(__dirname, '../../..');
// The CLI runs in a temporary folder, so tsx is named by its location rather than resolved from there.
const TSX = pathToFileURL(require.resolve('tsx')).href;

function cli(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  // Async spawn: the loopback server lives in this process and must keep answering.
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, path.join(repoRoot, 'src/cli/main.ts'), ...args], { cwd, env: { ...process.env, GITHUB_TOKEN: TOKEN, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The CLI in this process (fast), with its own output buffers and environment. */
async function cliInProcess(cwd: string, args: string[], env: Record<string, string> = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await main(args, {
    cwd, env: { ...process.env, GITHUB_TOKEN: TOKEN, ...env },
    out: (t) => { stdout += t + '\n'; }, err: (t) => { stderr += t + '\n'; }, progress: (t) => { stderr += t + '\n'; },
  });
  return { status, stdout, stderr };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

test('secreview crawl fetches listed repositories, imports them into the pool, and resumes as a no-op', async () => {
  const alpha = makeRepo({ name: 'acme/alpha', pulls: 30, threadsOf: { 2: 30 } }, 31);
  const beta = makeRepo({ name: 'acme/beta', pulls: 4 }, 32);
  const gh = new FakeGitHub([alpha, beta], { token: TOKEN });
  await gh.start();
  const folder = mkdtempSync(path.join(os.tmpdir(), 'secreview-cli-crawl-'));
  try {
    const init = await cliInProcess(folder, ['init']);
    assert.equal(init.status, 0, init.stderr);
    const run = await cli(folder, ['crawl', '--repos', 'acme/alpha,acme/beta', '--api-url', gh.url, '--min-interval-ms', '0', '--json']);
    assert.equal(run.status, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { complete: boolean; reviews: number; reviewsFile: string; imported: { imported: number; pool: number } };
    const expected = expectedReviews(alpha).length + expectedReviews(beta).length;
    assert.equal(out.complete, true);
    assert.equal(out.reviews, expected);
    assert.equal(out.imported.imported, expected);
    assert.equal(out.imported.pool, expected);
    assert.ok(out.reviewsFile.startsWith(path.join(folder, '.secreview', 'crawl')));

    const again = await cliInProcess(folder, ['crawl', '--repos', 'acme/alpha,acme/beta', '--api-url', gh.url, '--min-interval-ms', '0']);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /Crawl complete: \d+ reviews/);
    assert.match(again.stdout, /Imported 0 new reviews/);

    for (const f of filesUnder(path.join(folder, '.secreview'))) assert.ok(!readFileSync(f).includes(TOKEN), `token in ${f}`);
    assert.ok(!(run.stdout + run.stderr + again.stdout + again.stderr).includes(TOKEN));
  } finally {
    await gh.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

test('secreview crawl --dry-run samples with the paper filters and estimates requests and time without crawling', async () => {
  // 200 sampling-only repositories over 2012-2019; a third fail the pull-request filter, some the star filter.
  const repos = Array.from({ length: 200 }, (_, i) => ({
    ...makeRepo({ name: `org${i}/proj${i}`, pulls: 0, stars: i % 7 === 0 ? 50 : 100 + i * 13, createdAt: new Date(Date.UTC(2012, 0, 1) + i * 14 * 86_400_000).toISOString() }),
    pullCount: i % 3 === 0 ? 4 : 20 + i,
    language: i % 5 === 0 ? 'Kotlin' : 'Java',
  }));
  const gh = new FakeGitHub(repos, { token: TOKEN });
  await gh.start();
  const folder = mkdtempSync(path.join(os.tmpdir(), 'secreview-cli-dry-'));
  try {
    const args = ['crawl', '--dry-run', '--count', '8', '--seed', '3', '--created', '2012-01-01..2019-12-31', '--api-url', gh.url, '--min-interval-ms', '0', '--json'];
    const first = await cliInProcess(folder, args);
    assert.equal(first.status, 0, first.stderr);
    const a = JSON.parse(first.stdout) as { repos: string[]; estimate: { requests: number; estimatedHours: number; pulls: number } };
    assert.equal(a.repos.length, 8);
    for (const name of a.repos) {
      const r = repos.find((x) => x.nameWithOwner === name)!;
      assert.ok(r.stars >= 100 && r.pullCount >= 10 && r.language === 'Java', `${name} passes the filters`);
    }
    assert.equal(a.estimate.pulls, a.repos.reduce((s, n) => s + repos.find((x) => x.nameWithOwner === n)!.pullCount, 0));
    assert.ok(a.estimate.requests >= 8 && a.estimate.estimatedHours > 0);
    assert.equal(gh.count('RepoPulls'), 0, 'a dry run fetches no reviews');
    assert.ok(!existsSync(path.join(folder, '.secreview')), 'a dry run writes nothing');

    const second = await cliInProcess(folder, args);
    assert.deepEqual((JSON.parse(second.stdout) as { repos: string[] }).repos, a.repos, 'same seed, same sample');
    const other = await cliInProcess(folder, [...args.slice(0, 5), '4', ...args.slice(6)]);
    assert.notDeepEqual((JSON.parse(other.stdout) as { repos: string[] }).repos, a.repos, 'another seed, another sample');
  } finally {
    await gh.close();
    rmSync(folder, { recursive: true, force: true });
  }
});

test('secreview crawl without a token says how to get one', async () => {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'secreview-cli-notoken-'));
  try {
    const run = await cliInProcess(folder, ['crawl', '--repos', 'acme/alpha'], { GITHUB_TOKEN: '', GH_TOKEN: '' });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /GITHUB_TOKEN is not set/);
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
});

test('secreview crawl killed during its final import into the pool: the next run imports the rest, with no duplicates and no gaps', async () => {
  // 10,000 reviews, so the import writes rows before it commits (the kill lands in between).
  const threadsOf: Record<number, number> = {};
  const commentsOf: Record<string, number> = {};
  for (let n = 1; n <= 100; n++) {
    threadsOf[n] = 10;
    for (let t = 0; t < 10; t++) commentsOf[`${n}:${t}`] = 10;
  }
  const big = makeRepo({ name: 'acme/big', pulls: 100, threadsOf, commentsOf }, 71);
  const gh = new FakeGitHub([big], { token: TOKEN });
  await gh.start();
  const folder = mkdtempSync(path.join(os.tmpdir(), 'secreview-cli-kill-import-'));
  const clean = mkdtempSync(path.join(os.tmpdir(), 'secreview-cli-clean-import-'));
  try {
    assert.equal((await cliInProcess(folder, ['init'])).status, 0);
    const args = ['crawl', '--repos', 'acme/big', '--api-url', gh.url, '--min-interval-ms', '0', '--pulls-per-page', '50', '--threads-per-page', '10', '--comments-per-page', '10'];
    const poolFile = path.join(folder, '.secreview', 'pool', 'reviews.jsonl');
    const child = spawn(process.execPath, ['--import', TSX, path.join(repoRoot, 'src/cli/main.ts'), ...args], { cwd: folder, env: { ...process.env, GITHUB_TOKEN: TOKEN }, stdio: 'ignore' });
    // The pool file changes for the first time when the import writes its first rows: kill then.
    const watcher = watch(path.dirname(poolFile), () => {
      if (existsSync(poolFile) && statSync(poolFile).size > 0) child.kill('SIGKILL');
    });
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    watcher.close();
    assert.equal(ended.signal, 'SIGKILL', 'killed during the import');
    const meta = JSON.parse(readFileSync(path.join(folder, '.secreview', 'pool', 'meta.json'), 'utf8')) as { rows: number };
    const expected = expectedReviews(big).length;
    assert.ok(meta.rows < expected, `the import was cut short (${meta.rows} of ${expected} rows committed)`);

    const again = await cli(folder, ['--json', ...args]);
    assert.equal(again.status, 0, again.stderr);
    const report = JSON.parse(again.stdout) as { complete: boolean; imported: { imported: number; pool: number } };
    assert.equal(report.imported.pool, expected);
    assert.equal(report.imported.imported, expected - meta.rows);

    // The pool is the one a clean import of the crawl's file gives, byte for byte.
    assert.equal((await cliInProcess(clean, ['init'])).status, 0);
    const crawled = path.join(folder, '.secreview', 'crawl', readdirSync(path.join(folder, '.secreview', 'crawl'))[0]!, 'reviews.jsonl');
    assert.equal((await cliInProcess(clean, ['import', crawled])).status, 0);
    assert.ok(readFileSync(poolFile).equals(readFileSync(path.join(clean, '.secreview', 'pool', 'reviews.jsonl'))), 'same pool rows in the same order');
    assert.ok(readFileSync(path.join(folder, '.secreview', 'pool', 'index.bin')).equals(readFileSync(path.join(clean, '.secreview', 'pool', 'index.bin'))), 'same index');
  } finally {
    await gh.close();
    rmSync(folder, { recursive: true, force: true });
    rmSync(clean, { recursive: true, force: true });
  }
});
