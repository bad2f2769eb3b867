// A crawl as its own process, so tests can kill it with SIGKILL mid-page and start it again.
// Usage: node --import tsx crawlChild.ts <run dir> <spec json>; GITHUB_TOKEN and GITHUB_API_URL from the environment.
import { GitHubClient } from '../../../src/github/client';
import { runCrawl } from '../../../src/github/crawler';
import type { CrawlSpec } from '../../../src/github/spec';

const [dir, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson!) as CrawlSpec;
const client = new GitHubClient({ token: process.env.GITHUB_TOKEN, apiUrl: process.env.GITHUB_API_URL, minIntervalMs: 0, waitUnitMs: 50 });
async function main(): Promise<void> {
  const summary = await runCrawl({
  dir: dir!, spec, client, restPerPage: 10,
  onEvent: (e) => { if (e.kind === 'log') console.error(`[${e.level}] ${e.message}`); },
});
  console.log(JSON.stringify({ complete: summary.complete, reviews: summary.reviews, resumed: summary.resumed }));
}
main().catch((e: unknown) => { console.error(e instanceof Error ? e.message : String(e)); process.exit(1); });
