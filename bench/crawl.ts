// Crawl throughput against the loopback GitHub: reviews/s and requests per 1000 reviews for the
// default page sizes and a small-page configuration, with no pacing (the crawler's own cost, not
// GitHub's), plus what the GraphQL point budget would allow on real GitHub.
// Usage: npm run bench -- crawl [--repos N] [--pulls N]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { GitHubClient } from '../src/github/client';
import { runCrawl } from '../src/github/crawler';
import { pointsPerPage } from '../src/github/estimate';
import { DEFAULT_PAGE_SIZES, type PageSizes } from '../src/github/spec';
import { FakeGitHub, makeRepo } from '../test/fixtures/github/fakeGitHub';

const { values } = parseArgs({ options: { repos: { type: 'string', default: '12' }, pulls: { type: 'string', default: '150' } } });
const repoCount = Number(values.repos);
const pullsPerRepo = Number(values.pulls);
const TOKEN = 'ghp_BENCHtoken0123456789abcdefghijklmnop';

async function measure(gh: FakeGitHub, names: string[], pageSizes: PageSizes): Promise<Record<string, number | string>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-bench-crawl-'));
  try {
    const requestsBefore = gh.requests.length;
    const client = new GitHubClient({ token: TOKEN, apiUrl: gh.url, minIntervalMs: 0, waitUnitMs: 10 });
    const started = process.hrtime.bigint();
    const summary = await runCrawl({ dir, spec: { repos: names, pageSizes }, client });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const requests = gh.requests.length - requestsBefore;
    const graphqlPages = gh.requests.slice(requestsBefore).filter((r) => r.op === 'RepoPulls').length;
    const followUps = requests - graphqlPages;
    const points = graphqlPages * pointsPerPage(pageSizes) + followUps * 2;
    return {
      pageSizes: `${pageSizes.pulls}x${pageSizes.threads}x${pageSizes.comments}`,
      reviews: summary.reviews,
      requests,
      seconds: Number(seconds.toFixed(2)),
      reviewsPerSecond: Math.round(summary.reviews / seconds),
      requestsPer1000Reviews: Number(((1000 * requests) / summary.reviews).toFixed(1)),
      graphqlPointsPer1000Reviews: Number(((1000 * points) / summary.reviews).toFixed(1)),
      // GitHub's budget is 5,000 points an hour for a user token.
      reviewsPerHourUnderRateLimit: Math.round((5000 * summary.reviews) / points),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const repos = Array.from({ length: repoCount }, (_, i) => makeRepo({
    name: `bench/repo${i}`, pulls: pullsPerRepo,
    // A few heavy pull requests per repository, as in real data: many threads, long discussions.
    threadsOf: { 5: 60, 17: 30 }, commentsOf: { '5:0': 40, '17:3': 15 },
  }, 100 + i));
  const gh = new FakeGitHub(repos, { token: TOKEN });
  await gh.start();
  try {
    const names = repos.map((r) => r.nameWithOwner);
    const results = [await measure(gh, names, DEFAULT_PAGE_SIZES), await measure(gh, names, { pulls: 10, threads: 10, comments: 5 })];
    console.log(JSON.stringify({
      benchmark: 'crawl',
      server: 'loopback fake GitHub in the same process (no latency, no pacing)',
      repositories: repoCount, pullsPerRepository: pullsPerRepo,
      results,
      note: 'measured on a shared 2-core machine under load; real GitHub adds ~0.5-3 s per deep GraphQL page and the point budget',
    }, null, 2));
  } finally {
    await gh.close();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
