/**
 * The crawl: sample (or take) repositories, fetch each one's review comments page by page, store
 * every page durably before moving the checkpoint, and report progress. Resumable at any page:
 * run it again on the same folder and it continues where it stopped (see checkpoint.ts).
 *
 * Decisions per repository: a repository that is gone (404 / NOT_FOUND) keeps what was stored and
 * is marked `gone`; one where GraphQL keeps failing is fetched again from the start over REST (its
 * partial GraphQL pages are cut away first, so nothing is stored twice); a bad token stops the
 * whole crawl; cancellation stops after the last stored page.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Review } from '../core/review';
import { GitHubClient, GitHubError, type ClientEvent, type RateBudget } from './client';
import { writeJsonAtomic } from '../store/atomic';
import { FileLock, LockedError } from '../store/lock';
import { appendLog, CHECKPOINT_VERSION, JsonlAppender, readCheckpoint, readJsonlFile, readRepoSegment, runFiles, writeCheckpoint, type Checkpoint, type CurrentRepo, type RepoResult, type RunFiles, type SampleFile } from './checkpoint';
import { crawlRepoGraphql, crawlRepoRest, type RepoPage } from './repoCrawl';
import { sampleRepositories, type SamplingOptions } from './sampling';
import { errorText } from './scrub';
import { DEFAULT_PAGE_SIZES, runIdOf, specProblems, type CrawlSpec } from './spec';

export interface CrawlProgress {
  runId: string;
  phase: 'sampling' | 'crawling' | 'done';
  reposDone: number;
  reposTotal: number;
  currentRepo?: string;
  /** Reviews stored in the run so far (earlier sessions included). */
  reviews: number;
  pulls: number;
  skipped: number;
  /** Reviews stored per second in this session. */
  reviewsPerSecond: number;
  requests: number;
  budget?: RateBudget;
  /** Epoch ms until which the crawl is waiting on a rate limit, if it is. */
  waitingUntil?: number;
}

export type CrawlEvent =
  | { kind: 'log'; level: 'info' | 'warn'; message: string }
  | { kind: 'progress'; progress: CrawlProgress };

export interface CrawlOptions {
  /** The run folder (e.g. `<workspace>/.secreview/crawl/<runId>`). */
  dir: string;
  spec: CrawlSpec;
  client: GitHubClient;
  signal?: AbortSignal;
  /** Items per REST page in the fallback (GitHub allows up to 100). */
  restPerPage?: number;
  sampling?: SamplingOptions;
  onEvent?: (event: CrawlEvent) => void;
}

export interface CrawlSummary {
  runId: string;
  files: RunFiles;
  complete: boolean;
  cancelled: boolean;
  resumed: boolean;
  reviews: number;
  pulls: number;
  skipped: number;
  repos: RepoResult[];
  reposTotal: number;
  /** Requests sent in this session. */
  requests: number;
  elapsedMs: number;
}

/** The run folder of a spec inside a workspace folder: `<folder>/.secreview/crawl/<run id>`. */
export function crawlDirFor(folder: string, spec: CrawlSpec): string {
  return path.join(path.resolve(folder), '.secreview', 'crawl', runIdOf(spec));
}

export async function runCrawl(options: CrawlOptions): Promise<CrawlSummary> {
  const { spec } = options;
  const problems = specProblems(spec);
  if (problems.length) throw new Error(`crawl: ${problems.join('; ')}`);
  const runId = runIdOf(spec);
  const files = runFiles(options.dir);
  await mkdir(files.dir, { recursive: true });
  const started = Date.now();
  let lock: FileLock;
  try {
    lock = FileLock.acquire(path.join(files.dir, 'lock'), `secreview crawl (pid ${process.pid})`);
  } catch (e) {
    if (!(e instanceof LockedError)) throw e;
    const who = e.holder ? ` (process ${e.holder.pid} on ${e.holder.host}, since ${e.holder.since})` : '';
    throw new Error(`another crawl is writing ${files.dir}${who}; let it finish or stop it first`);
  }
  try {
    return await crawlLocked(options, runId, files, started);
  } finally {
    lock.releaseSync();
  }
}

async function crawlLocked(options: CrawlOptions, runId: string, files: RunFiles, started: number): Promise<CrawlSummary> {
  const { spec, client, signal } = options;
  const requestsAtStart = client.requestCount;
  let sessionReviews = 0;
  let budget: RateBudget | undefined;
  let waitingUntil: number | undefined;
  let pendingLog: string[] = [];
  const emit = (event: CrawlEvent) => options.onEvent?.(event);
  const log = (level: 'info' | 'warn', message: string) => {
    pendingLog.push(`${level === 'warn' ? 'WARN ' : ''}${message}`);
    emit({ kind: 'log', level, message });
  };
  const flushLog = async () => {
    const lines = pendingLog;
    pendingLog = [];
    await appendLog(files.log, lines);
  };

  let cp = await readCheckpoint(files.checkpoint);
  const resumed = cp !== undefined;
  if (cp && cp.runId !== runId) throw new Error(`${files.checkpoint} belongs to run ${cp.runId}, not ${runId}; use another folder or --fresh`);
  if (!cp) {
    const now = new Date().toISOString();
    cp = {
      version: CHECKPOINT_VERSION, runId, createdAt: now, updatedAt: now,
      spec, repoCount: spec.repos ? spec.repos.length : null, next: 0, current: null,
      bytes: { reviews: 0, pulls: 0, results: 0 }, totals: { reviews: 0, pulls: 0, skipped: 0, requests: 0 },
      complete: false,
    };
  }
  const checkpoint: Checkpoint = cp;
  let repoList: string[] | null = spec.repos ? [...spec.repos] : null;
  if (!repoList && checkpoint.repoCount !== null) {
    const sample = JSON.parse(await readFile(files.sample, 'utf8')) as SampleFile;
    repoList = sample.repos.map((r) => r.repo);
    if (repoList.length !== checkpoint.repoCount) throw new Error(`${files.sample} lists ${repoList.length} repositories, the checkpoint ${checkpoint.repoCount}; the run folder is damaged: start with --fresh`);
  }
  const pageSizes = spec.pageSizes ?? DEFAULT_PAGE_SIZES;

  const progress = (phase: CrawlProgress['phase']): CrawlProgress => ({
    runId, phase,
    reposDone: checkpoint.next,
    reposTotal: checkpoint.repoCount ?? spec.sample?.count ?? 0,
    currentRepo: checkpoint.current?.repo,
    reviews: checkpoint.totals.reviews,
    pulls: checkpoint.totals.pulls,
    skipped: checkpoint.totals.skipped,
    reviewsPerSecond: sessionReviews / Math.max(0.001, (Date.now() - started) / 1000),
    requests: client.requestCount - requestsAtStart,
    budget,
    waitingUntil: waitingUntil !== undefined && waitingUntil > Date.now() ? waitingUntil : undefined,
  });
  let phase: CrawlProgress['phase'] = repoList ? 'crawling' : 'sampling';
  const onClientEvent = (event: ClientEvent) => {
    if (event.kind === 'rate') {
      budget = event.budget;
      return;
    }
    if (event.kind === 'wait') {
      waitingUntil = event.until;
      const resetNote = event.reason === 'primary-rate-limit' && budget ? ` (budget ${budget.remaining}/${budget.limit}, resets ${new Date(budget.resetAt).toISOString()})` : '';
      log('warn', `${event.reason}: waiting ${(event.ms / 1000).toFixed(1)} s: ${event.detail}${resetNote}`);
    } else {
      log('warn', event.detail);
    }
    emit({ kind: 'progress', progress: progress(phase) });
  };
  const detach = client.addListener(onClientEvent);

  const reviewsOut = await JsonlAppender.open(files.reviews, checkpoint.bytes.reviews);
  const pullsOut = await JsonlAppender.open(files.pulls, checkpoint.bytes.pulls);
  const resultsOut = await JsonlAppender.open(files.results, checkpoint.bytes.results);
  let cancelled = false;
  let requestsCounted = client.requestCount;
  const commit = async () => {
    checkpoint.bytes = { reviews: reviewsOut.bytes, pulls: pullsOut.bytes, results: resultsOut.bytes };
    checkpoint.totals.requests += client.requestCount - requestsCounted;
    requestsCounted = client.requestCount;
    await writeCheckpoint(files.checkpoint, checkpoint);
    await flushLog();
  };

  try {
    if (resumed) log('info', `resuming run ${runId}: ${checkpoint.next} of ${checkpoint.repoCount ?? '?'} repositories done, ${checkpoint.totals.reviews} reviews stored`);
    if (!repoList) {
      const sample = spec.sample!;
      emit({ kind: 'progress', progress: progress('sampling') });
      const sampled = await sampleRepositories(client, sample, { ...options.sampling, log: (m) => log('info', m) });
      repoList = sampled.repos.map((r) => r.repo);
      const sampleFile: SampleFile = { repos: sampled.repos, createdFrom: sampled.created.from, createdTo: sampled.created.to, windows: sampled.windows, requests: sampled.requests, short: sampled.short };
      await writeJsonAtomic(files.sample, sampleFile);
      checkpoint.repoCount = repoList.length;
      if (sampled.short) log('warn', `sampling found only ${sampled.repos.length} of ${sample.count} repositories after ${sampled.windows} windows`);
      log('info', `sampled ${sampled.repos.length} repositories (list in ${path.basename(files.sample)}): ${repoList.slice(0, 20).join(', ')}${repoList.length > 20 ? ', ...' : ''}`);
      await commit();
    }
    phase = 'crawling';
    const repos = repoList;
    while (checkpoint.next < repos.length) {
      const index = checkpoint.next;
      const repo = repos[index]!;
      if (!checkpoint.current || checkpoint.current.index !== index) {
        checkpoint.current = { index, repo, position: { mode: 'graphql', cursor: null }, startBytes: { reviews: reviewsOut.bytes, pulls: pullsOut.bytes }, reviews: 0, pulls: 0 };
        log('info', `${repo}: started (${index + 1}/${repos.length})`);
      }
      const current: CurrentRepo = checkpoint.current;
      emit({ kind: 'progress', progress: progress(phase) });
      let seen = new Set<string>();
      let seenPulls = new Set<number>();
      let result: RepoResult | undefined;
      while (!result) {
        const position = current.position;
        let pages: AsyncGenerator<RepoPage>;
        if (position.mode === 'graphql') {
          pages = crawlRepoGraphql(client, repo, position.cursor, pageSizes, (m) => log('warn', m));
        } else {
          // REST lists everything again: what this repository already has (GraphQL pages before a
          // fallback, REST pages before a restart) is read back from the files and skipped.
          const segment = await readRepoSegment(files, current.startBytes, { reviews: reviewsOut.bytes, pulls: pullsOut.bytes });
          seen = segment.reviewIds;
          seenPulls = segment.pullNumbers;
          pages = crawlRepoRest(client, repo, position, segment.titles, options.restPerPage ?? 100);
        }
        try {
          for await (const page of pages) {
            const fresh: Review[] = [];
            for (const r of page.reviews) {
              if (seen.has(r.id)) continue;
              seen.add(r.id);
              fresh.push(r);
            }
            const freshPulls = page.pulls.filter((p) => !seenPulls.has(p.number));
            for (const p of freshPulls) seenPulls.add(p.number);
            await reviewsOut.append(fresh);
            await pullsOut.append(freshPulls);
            await reviewsOut.sync();
            await pullsOut.sync();
            for (const p of page.problems) log('warn', p);
            current.position = page.next;
            current.reviews += fresh.length;
            current.pulls += freshPulls.length;
            checkpoint.totals.reviews += fresh.length;
            checkpoint.totals.pulls += freshPulls.length;
            checkpoint.totals.skipped += page.problems.length;
            sessionReviews += fresh.length;
            await commit();
            waitingUntil = undefined;
            emit({ kind: 'progress', progress: progress(phase) });
          }
          const via = current.position.mode;
          result = { repo, status: current.reviews ? 'done' : 'empty', via, reviews: current.reviews, pulls: current.pulls, ...(current.fellBack ? { error: current.fellBack } : {}) };
        } catch (e) {
          const err = e instanceof GitHubError ? e : new GitHubError(errorText(e), 'other');
          if (err.kind === 'aborted' || signal?.aborted) throw err;
          if (err.kind === 'unauthorized') throw err;
          const via = current.position.mode;
          if (err.kind === 'not-found') {
            log('warn', `${repo}: repository is gone (${err.message}); keeping the ${current.reviews} reviews stored before`);
            result = { repo, status: 'gone', via, reviews: current.reviews, pulls: current.pulls, error: err.message };
          } else if (via === 'graphql') {
            log('warn', `${repo}: GraphQL failed (${err.message}); fetching the rest over REST (the ${current.reviews} reviews stored so far are kept)`);
            Object.assign(current, { position: { mode: 'rest', phase: 'pulls', page: 1 }, fellBack: `GraphQL failed: ${err.message}` });
            await commit();
          } else {
            log('warn', `${repo}: REST failed too (${err.message}); keeping the ${current.reviews} reviews stored and moving on`);
            result = { repo, status: 'failed', via, reviews: current.reviews, pulls: current.pulls, error: err.message };
          }
        }
      }
      await resultsOut.append([result]);
      await resultsOut.sync();
      checkpoint.next = index + 1;
      checkpoint.current = null;
      log('info', `${repo}: ${result.status} via ${result.via}, ${result.reviews} reviews from ${result.pulls} pull requests`);
      await commit();
    }
    checkpoint.complete = true;
    phase = 'done';
    log('info', `crawl complete: ${checkpoint.totals.reviews} reviews from ${repos.length} repositories`);
    await commit();
  } catch (e) {
    if ((e instanceof GitHubError && e.kind === 'aborted') || signal?.aborted) {
      cancelled = true;
      log('warn', 'crawl cancelled; run it again to resume from the last stored page');
      await flushLog().catch(() => {});
    } else {
      log('warn', `crawl stopped: ${errorText(e)}`);
      await flushLog().catch(() => {});
      throw e instanceof GitHubError ? e : new Error(errorText(e));
    }
  } finally {
    detach();
    await reviewsOut.close();
    await pullsOut.close();
    await resultsOut.close();
  }
  emit({ kind: 'progress', progress: progress(phase) });
  return {
    runId, files, complete: checkpoint.complete, cancelled, resumed,
    reviews: checkpoint.totals.reviews, pulls: checkpoint.totals.pulls, skipped: checkpoint.totals.skipped,
    repos: await readJsonlFile<RepoResult>(files.results), reposTotal: checkpoint.repoCount ?? 0,
    requests: client.requestCount - requestsAtStart, elapsedMs: Date.now() - started,
  };
}
