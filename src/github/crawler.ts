/**
 * The crawl: sample (or take) repositories, fetch each one's review comments page by page, store
 * every page durably before moving the checkpoint, and report progress. Resumable at any page:
 * run it again on the same folder and it continues where it stopped (see checkpoint.ts).
 *
 * Decisions per repository: a repository that is gone (404, 410, 451 / NOT_FOUND) keeps what was
 * stored and is marked `gone`; one where GraphQL keeps failing is fetched over REST (what GraphQL
 * stored is kept and skipped when REST lists it again); one where REST fails too (persistent 5xx,
 * bodies that are not JSON, access refused) is not done: it keeps what it stored, the crawl moves on,
 * the run is not complete, and the next run tries it again from where it stopped. A bad token, an
 * unusable API URL or a GitHub that cannot be reached at all stops the whole crawl (resumable);
 * cancellation stops after the last stored page.
 */
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Review } from '../core/review';
import { GitHubClient, GitHubError, type ClientEvent, type RateBudget } from './client';
import { writeJsonAtomic } from '../store/atomic';
import { workspacePaths } from '../store/layout';
import { FileLock, LockedError } from '../store/lock';
import { appendLog, CHECKPOINT_VERSION, JsonlAppender, readCheckpoint, readJsonlFile, readRepoSegment, runFiles, writeCheckpoint, type Checkpoint, type CurrentRepo, type FailedRepo, type RepoResult, type RunFiles, type SampleFile } from './checkpoint';
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
  /** Every repository is done, empty or gone. */
  complete: boolean;
  cancelled: boolean;
  resumed: boolean;
  reviews: number;
  pulls: number;
  skipped: number;
  /** Every repository finished (done, empty, gone), then those that failed. */
  repos: RepoResult[];
  /** Repositories that failed in this run or before, waiting to be tried again by the next run (the crawl is not complete). */
  failed: RepoResult[];
  reposTotal: number;
  /** Requests sent in this session. */
  requests: number;
  elapsedMs: number;
}

/** The run folder of a spec inside a workspace folder: `<folder>/.secreview/crawl/<run id>`. */
export function crawlDirFor(folder: string, spec: CrawlSpec): string {
  return path.join(workspacePaths.crawl(workspacePaths.of(folder)), runIdOf(spec));
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
    reposDone: checkpoint.next - (checkpoint.failed?.length ?? 0) - (checkpoint.current && checkpoint.current.index < checkpoint.next ? 1 : 0),
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
    const failed = (checkpoint.failed ??= []);
    // Repositories that failed in earlier runs are tried once more in this one, after the new ones.
    const retryThisRun = new Set(failed.map((f) => f.index));
    for (;;) {
      if (!checkpoint.current) {
        if (checkpoint.next < repos.length) {
          const index = checkpoint.next;
          checkpoint.current = { index, repo: repos[index]!, position: { mode: 'graphql', cursor: null }, startBytes: { reviews: reviewsOut.bytes, pulls: pullsOut.bytes }, reviews: 0, pulls: 0 };
          log('info', `${repos[index]}: started (${index + 1}/${repos.length})`);
        } else {
          const at = failed.findIndex((f) => retryThisRun.has(f.index));
          if (at < 0) break;
          const [retry] = failed.splice(at, 1) as [FailedRepo];
          retryThisRun.delete(retry.index);
          // Its records so far stay where they are; this attempt appends after the other repositories'.
          checkpoint.current = {
            index: retry.index, repo: retry.repo, position: retry.position, reviews: retry.reviews, pulls: retry.pulls,
            ...(retry.fellBack ? { fellBack: retry.fellBack } : {}),
            startBytes: { reviews: reviewsOut.bytes, pulls: pullsOut.bytes },
            earlier: [...(retry.earlier ?? []), { start: retry.startBytes, end: retry.endBytes }],
          };
          log('info', `${retry.repo}: trying again where it stopped (it failed before: ${retry.error})`);
          await commit();
        }
      }
      const current: CurrentRepo = checkpoint.current;
      const repo = current.repo;
      emit({ kind: 'progress', progress: progress(phase) });
      // What earlier attempts stored is skipped when it is listed again.
      const earlier = current.earlier?.length ? await readRepoSegment(files, current.earlier) : undefined;
      let seen = new Set<string>(earlier?.reviewIds);
      let seenPulls = new Set<number>(earlier?.pullNumbers);
      let result: RepoResult | undefined;
      let failure: FailedRepo | undefined;
      while (!result && !failure) {
        const position = current.position;
        let pages: AsyncGenerator<RepoPage>;
        if (position.mode === 'graphql') {
          pages = crawlRepoGraphql(client, repo, position.cursor, pageSizes, (m) => log('warn', m));
        } else {
          // REST lists everything again: what this repository already has (GraphQL pages before a
          // fallback, REST pages before a restart, earlier attempts) is read back from the files and skipped.
          const segment = await readRepoSegment(files, [...(current.earlier ?? []), { start: current.startBytes, end: { reviews: reviewsOut.bytes, pulls: pullsOut.bytes } }]);
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
          // Nothing can be fetched with this token or this connection: stop, and resume here next time.
          if (err.kind === 'unauthorized' || err.kind === 'config') throw err;
          if (err.kind === 'network') throw new GitHubError(`GitHub cannot be reached (${err.message}); the crawl stopped at ${repo}: run it again to resume from the last stored page`, 'network', err.status);
          const via = current.position.mode;
          if (err.kind === 'not-found') {
            log('warn', `${repo}: repository is gone (${err.message}); keeping the ${current.reviews} reviews stored before`);
            result = { repo, status: 'gone', via, reviews: current.reviews, pulls: current.pulls, error: err.message };
          } else if (via === 'graphql') {
            log('warn', `${repo}: GraphQL failed (${err.message}); fetching the rest over REST (the ${current.reviews} reviews stored so far are kept)`);
            Object.assign(current, { position: { mode: 'rest', phase: 'pulls', page: 1 }, fellBack: `GraphQL failed: ${err.message}` });
            await commit();
          } else {
            const attempt = (current.earlier?.length ?? 0) + 1;
            log('warn', `${repo}: REST failed too (${err.message}); keeping the ${current.reviews} reviews stored, moving on, and trying it again in the next run (attempt ${attempt} failed)`);
            failure = { ...current, endBytes: { reviews: reviewsOut.bytes, pulls: pullsOut.bytes }, error: err.message, via };
          }
        }
      }
      if (current.index === checkpoint.next) checkpoint.next++;
      checkpoint.current = null;
      if (failure) {
        failed.push(failure);
        await commit();
        continue;
      }
      await resultsOut.append([result!]);
      await resultsOut.sync();
      log('info', `${repo}: ${result!.status} via ${result!.via}, ${result!.reviews} reviews from ${result!.pulls} pull requests`);
      await commit();
    }
    checkpoint.complete = failed.length === 0;
    phase = 'done';
    if (checkpoint.complete) log('info', `crawl complete: ${checkpoint.totals.reviews} reviews from ${repos.length} repositories`);
    else log('warn', `crawl finished with ${failed.length} of ${repos.length} repositories failed (${failed.map((f) => f.repo).join(', ')}); run it again to try them again`);
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
  const failedRepos: RepoResult[] = (checkpoint.failed ?? []).map((f) => ({ repo: f.repo, status: 'failed', via: f.via, reviews: f.reviews, pulls: f.pulls, error: f.error }));
  return {
    runId, files, complete: checkpoint.complete, cancelled, resumed,
    reviews: checkpoint.totals.reviews, pulls: checkpoint.totals.pulls, skipped: checkpoint.totals.skipped,
    repos: [...await readJsonlFile<RepoResult>(files.results), ...failedRepos], failed: failedRepos, reposTotal: checkpoint.repoCount ?? 0,
    requests: client.requestCount - requestsAtStart, elapsedMs: Date.now() - started,
  };
}
