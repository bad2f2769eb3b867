import path from 'node:path';
import { readFile, rm } from 'node:fs/promises';
import { CliError, optInt, optString, type CliCommand, type CliIO, type ParsedArgs } from '../types';
import { withWorkspace, printJson } from '../workspace';
import { Workspace } from '../../store/workspace';
import { LockedError } from '../../store/lock';
import { GitHubClient, GitHubError } from '../../github/client';
import { crawlDirFor, runCrawl, type CrawlSummary } from '../../github/crawler';
import { estimateCrawl } from '../../github/estimate';
import { formatProgress } from '../../github/format';
import { fetchPullTotals, sampleRepositories } from '../../github/sampling';
import { errorText } from '../../github/scrub';
import { DEFAULT_PAGE_SIZES, DEFAULT_SAMPLE, parseDateRange, specProblems, type CrawlSpec } from '../../github/spec';

const USAGE = [
  'Usage: secreview crawl [--repos owner/name,... | --repos-file FILE | sampling options] [options]',
  '',
  'Fetches pull-request review comments from GitHub into .secreview/crawl/<run>/reviews.jsonl and,',
  'when the folder has a workspace, imports them into the pool. Needs GITHUB_TOKEN. Re-running the',
  'same command resumes an interrupted crawl where it stopped.',
  '',
  'Repositories:',
  '  --repos LIST            comma-separated owner/name list (no sampling)',
  '  --repos-file FILE       one owner/name per line (# comments allowed)',
  'Sampling (default: the paper\'s filters):',
  `  --count N               repositories to sample (default ${DEFAULT_SAMPLE.count})`,
  `  --seed N                sampling seed (default ${DEFAULT_SAMPLE.seed}); same seed, same sample`,
  `  --min-stars N           (default ${DEFAULT_SAMPLE.minStars})`,
  `  --min-pulls N           (default ${DEFAULT_SAMPLE.minPulls})`,
  '  --language L[,L...]     main language(s) (default Java; "any" for all)',
  '  --created FROM..TO      creation dates, YYYY-MM-DD (default 2008-01-01..today)',
  '  --pushed FROM..TO       last-push dates',
  '  --include-forks, --exclude-archived',
  'Fetching:',
  `  --pulls-per-page N      pull requests per GraphQL page (default ${DEFAULT_PAGE_SIZES.pulls})`,
  `  --threads-per-page N    review threads per pull request in a page (default ${DEFAULT_PAGE_SIZES.threads})`,
  `  --comments-per-page N   comments per thread in a page (default ${DEFAULT_PAGE_SIZES.comments})`,
  '  --min-interval-ms N     pause between requests (default 1000 for GraphQL)',
  '  --retries N             retries of a request after a server error, a timeout or a dropped',
  '                          connection, with growing backoff (default 3)',
  '  --request-timeout S     seconds a request may take, answer included, before it is retried (default 60)',
  '  --api-url URL           REST base URL (default $GITHUB_API_URL or https://api.github.com;',
  '                          GitHub Enterprise: https://HOST/api/v3)',
  '',
  'A repository that keeps failing (server errors, answers that are not JSON, access refused) keeps',
  'what it stored and is tried again by the next run; the crawl then exits with 1. Exit codes: 0 all',
  'repositories done, 1 repositories failed or GitHub unreachable (run again to resume), 2 bad options',
  'or a token GitHub rejects, 130 interrupted.',
  '',
  'Run:',
  '  --dry-run               sample / look up the repositories and estimate requests and time only',
  '  --fresh                 discard this run\'s earlier progress and start over',
  '  --no-import             do not import into the pool when done',
].join('\n');

function parseList(text: string): string[] {
  return text.split(/[,\s]+/).map((s) => s.trim()).filter(Boolean);
}

async function specFromArgs(args: ParsedArgs, io: CliIO): Promise<CrawlSpec> {
  const pageSizes = {
    pulls: optInt(args, 'pulls-per-page', DEFAULT_PAGE_SIZES.pulls, 1, 100),
    threads: optInt(args, 'threads-per-page', DEFAULT_PAGE_SIZES.threads, 1, 100),
    comments: optInt(args, 'comments-per-page', DEFAULT_PAGE_SIZES.comments, 1, 100),
  };
  let repos: string[] | undefined;
  const list = optString(args, 'repos');
  const file = optString(args, 'repos-file');
  if (list !== undefined) repos = parseList(list);
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(path.resolve(io.cwd, file), 'utf8');
    } catch (e) {
      throw new CliError(`cannot read --repos-file ${file}: ${(e as Error).message}`);
    }
    repos = [...(repos ?? []), ...text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)];
  }
  let spec: CrawlSpec;
  if (repos) {
    spec = { repos: [...new Set(repos)], pageSizes };
  } else {
    const languages = optString(args, 'language');
    let created = DEFAULT_SAMPLE.created;
    let pushed;
    try {
      if (optString(args, 'created') !== undefined) created = parseDateRange(optString(args, 'created')!);
      if (optString(args, 'pushed') !== undefined) pushed = parseDateRange(optString(args, 'pushed')!);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    spec = {
      sample: {
        count: optInt(args, 'count', DEFAULT_SAMPLE.count, 1, 100_000),
        seed: optInt(args, 'seed', DEFAULT_SAMPLE.seed, 0, 2 ** 32 - 1),
        minStars: optInt(args, 'min-stars', DEFAULT_SAMPLE.minStars),
        minPulls: optInt(args, 'min-pulls', DEFAULT_SAMPLE.minPulls),
        languages: languages === undefined ? DEFAULT_SAMPLE.languages : languages.toLowerCase() === 'any' ? [] : parseList(languages),
        created: { from: created.from ?? DEFAULT_SAMPLE.created.from, to: created.to },
        ...(pushed ? { pushed } : {}),
        includeForks: args.values['include-forks'] === true,
        includeArchived: args.values['exclude-archived'] !== true,
      },
      pageSizes,
    };
  }
  const problems = specProblems(spec);
  if (problems.length) throw new CliError(problems.join('; '));
  return spec;
}

async function dryRun(spec: CrawlSpec, client: GitHubClient, io: CliIO, minIntervalMs: number | undefined): Promise<number> {
  let pullsPerRepo: number[];
  let missing: string[] = [];
  let samplingRequests = 0;
  let repos: string[];
  if (spec.repos) {
    const totals = await fetchPullTotals(client, spec.repos);
    repos = spec.repos.filter((r) => totals.get(r) !== undefined);
    missing = spec.repos.filter((r) => totals.get(r) === undefined);
    pullsPerRepo = repos.map((r) => totals.get(r)!);
  } else {
    const sampled = await sampleRepositories(client, spec.sample!, { log: (m) => io.progress(m) });
    repos = sampled.repos.map((r) => r.repo);
    pullsPerRepo = sampled.repos.map((r) => r.pulls);
    samplingRequests = sampled.requests;
  }
  const estimate = estimateCrawl({ pullsPerRepo, pageSizes: spec.pageSizes, samplingRequests, minIntervalMs });
  const budget = client.budget('graphql');
  if (io.json) {
    printJson(io, { dryRun: true, repos, missing, estimate, budget: budget ?? null, requestsSpent: client.requestCount });
    return 0;
  }
  io.out(`Dry run: ${repos.length} repositories, ${estimate.pulls.toLocaleString('en-US')} pull requests.`);
  if (missing.length) io.out(`Not found (would be skipped): ${missing.join(', ')}`);
  io.out(`Estimate: ${estimate.requests.toLocaleString('en-US')} requests (${estimate.pages} pages + ~${estimate.followUps} follow-ups${samplingRequests ? ` + ${samplingRequests} for sampling` : ''}), ~${estimate.graphqlPoints.toLocaleString('en-US')} GraphQL points (${estimate.pointsPerPage} per page).`);
  io.out(`Time: ~${estimate.estimatedHours.toFixed(1)} h (rate limit alone ${estimate.hoursByRateLimit.toFixed(1)} h at 5,000 points/h; requests alone ${estimate.hoursByRequests.toFixed(1)} h).`);
  if (budget) io.out(`Budget now: ${budget.remaining}/${budget.limit} points, resets ${new Date(budget.resetAt).toISOString()}.`);
  io.out(`Repositories: ${repos.join(', ')}`);
  return 0;
}

function printSummary(io: CliIO, summary: CrawlSummary, imported: unknown): void {
  if (io.json) {
    printJson(io, {
      runId: summary.runId, complete: summary.complete, cancelled: summary.cancelled, resumed: summary.resumed,
      reviews: summary.reviews, pulls: summary.pulls, skipped: summary.skipped, requests: summary.requests,
      seconds: summary.elapsedMs / 1000, reviewsFile: summary.files.reviews, pullsFile: summary.files.pulls,
      checkpoint: summary.files.checkpoint, repos: summary.repos, failed: summary.failed, imported,
    });
    return;
  }
  const byStatus = new Map<string, number>();
  for (const r of summary.repos) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const statusText = [...byStatus].map(([s, n]) => `${n} ${s}`).join(', ');
  const headline = summary.complete ? 'Crawl complete' : summary.cancelled ? 'Crawl interrupted' : `Crawl finished with ${summary.failed.length} of ${summary.reposTotal} repositories failed`;
  io.out(`${headline}: ${summary.reviews} reviews from ${summary.pulls} pull requests in ${summary.repos.length - summary.failed.length}/${summary.reposTotal} repositories (${statusText || 'none finished'}); ${summary.skipped} malformed records skipped; ${summary.requests} requests in ${(summary.elapsedMs / 1000).toFixed(1)} s.`);
  for (const r of summary.repos.filter((x) => x.status === 'gone' || x.status === 'failed')) io.out(`  ${r.repo}: ${r.status}${r.error ? ` (${r.error})` : ''}`);
  io.out(`Reviews: ${path.relative(io.cwd, summary.files.reviews)}`);
  if (summary.cancelled) io.out('Run the same command again to resume from the last stored page.');
  else if (!summary.complete) io.out('Run the same command again to try the failed repositories again, from where they stopped.');
}

export const crawlCommand: CliCommand = {
  name: 'crawl',
  summary: 'crawl review comments from GitHub (sampled or listed repositories) into the pool',
  usage: USAGE,
  options: {
    repos: { type: 'string' }, 'repos-file': { type: 'string' },
    count: { type: 'string' }, seed: { type: 'string' }, 'min-stars': { type: 'string' }, 'min-pulls': { type: 'string' },
    language: { type: 'string' }, created: { type: 'string' }, pushed: { type: 'string' },
    'include-forks': { type: 'boolean' }, 'exclude-archived': { type: 'boolean' },
    'pulls-per-page': { type: 'string' }, 'threads-per-page': { type: 'string' }, 'comments-per-page': { type: 'string' },
    'min-interval-ms': { type: 'string' }, 'api-url': { type: 'string' },
    retries: { type: 'string' }, 'request-timeout': { type: 'string' },
    'dry-run': { type: 'boolean' }, fresh: { type: 'boolean' }, 'no-import': { type: 'boolean' },
  },
  async run(args, io) {
    const spec = await specFromArgs(args, io);
    const token = io.env.GITHUB_TOKEN || io.env.GH_TOKEN;
    if (!token) throw new CliError('GITHUB_TOKEN is not set: create a token at https://github.com/settings/tokens (public_repo read access is enough) and export it');
    const apiUrl = optString(args, 'api-url') ?? io.env.GITHUB_API_URL;
    const minIntervalMs = optString(args, 'min-interval-ms') === undefined ? undefined : optInt(args, 'min-interval-ms', 1000, 0, 60_000);
    const retries = optInt(args, 'retries', 3, 0, 20);
    const requestTimeoutMs = optInt(args, 'request-timeout', 60, 1, 3600) * 1000;
    let lastProgressAt = 0;
    try {
      const client = new GitHubClient({ token, apiUrl, signal: io.signal, minIntervalMs, searchIntervalMs: minIntervalMs === undefined ? undefined : Math.max(minIntervalMs, 0), retries, requestTimeoutMs });
      if (args.values['dry-run'] === true) return await dryRun(spec, client, io, minIntervalMs);
      const dir = crawlDirFor(io.cwd, spec);
      if (args.values.fresh === true) await rm(dir, { recursive: true, force: true });
      io.progress(`crawl run folder: ${path.relative(io.cwd, dir)}`);
      const summary = await runCrawl({
        dir, spec, client, signal: io.signal,
        onEvent: (e) => {
          if (e.kind === 'log') {
            if (e.level === 'warn') io.progress(`warning: ${e.message}`);
            return;
          }
          const now = Date.now();
          if (now - lastProgressAt < 1000 && e.progress.phase === 'crawling' && e.progress.waitingUntil === undefined) return;
          lastProgressAt = now;
          io.progress(formatProgress(e.progress, now));
        },
      });
      let imported: unknown = null;
      // Every repository was tried (some may have failed): what was fetched goes into the pool now.
      if (!summary.cancelled && args.values['no-import'] !== true) {
        if (!Workspace.exists(io.cwd)) {
          if (!io.json) io.out('No workspace in this folder: run "secreview init" and then "secreview import" on the reviews file to label them.');
        } else {
          try {
            imported = await withWorkspace(io, 'crawl', async (ws) => {
              const report = await ws.importFiles([summary.files.reviews], { signal: io.signal });
              return { imported: report.imported, duplicates: report.duplicates, errors: report.errors, pool: report.rows };
            });
          } catch (e) {
            if (!(e instanceof LockedError)) throw e;
            io.err(`the workspace is in use (${e.message}); import later with: secreview import ${path.relative(io.cwd, summary.files.reviews)}`);
          }
        }
      }
      printSummary(io, summary, imported);
      if (imported && !io.json) {
        const r = imported as { imported: number; duplicates: number; pool: number };
        io.out(`Imported ${r.imported} new reviews into the pool (${r.duplicates} already there); the pool has ${r.pool} reviews.`);
      }
      return summary.complete ? 0 : summary.cancelled ? 130 : 1;
    } catch (e) {
      if (e instanceof GitHubError) throw new CliError(errorText(e), e.kind === 'unauthorized' || e.kind === 'config' ? 2 : 1);
      throw e;
    }
  },
};
