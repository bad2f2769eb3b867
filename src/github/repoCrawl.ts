/**
 * Fetching one repository's review comments, page by page. Each yielded page is complete (every
 * thread and comment of its pull requests, follow-up pages included) and carries the position to
 * resume from once it is stored, so a crawl can stop between any two pages and lose nothing.
 *
 * GraphQL is the main path (one request brings pull requests, threads and comments together); the
 * REST path (pull list, then the repository-wide review-comment list) is the fallback for
 * repositories where GraphQL keeps failing.
 */
import type { Review } from '../core/review';
import { GitHubClient, GitHubError } from './client';
import { PULL_THREADS_QUERY, REPO_PULLS_QUERY, THREAD_COMMENTS_QUERY } from './queries';
import { connectionOf, graphqlCommentsToReviews, isObj, pullInfoOf, restCommentsToReviews, type PullInfo } from './records';
import type { PageSizes } from './spec';

export type RepoPosition =
  | { mode: 'graphql'; cursor: string | null }
  | { mode: 'rest'; phase: 'pulls' | 'comments'; page: number };

export interface PullRecord extends PullInfo {
  /** Review comments stored for it (GraphQL only: the REST pull list does not carry it). */
  reviewComments?: number;
}

export interface RepoPage {
  reviews: Review[];
  pulls: PullRecord[];
  problems: string[];
  /** Where to continue after this page has been stored. */
  next: RepoPosition;
  /** No more pages after this one. */
  last: boolean;
}

function splitRepo(repo: string): { owner: string; name: string } {
  const [owner = '', name = ''] = repo.split('/');
  return { owner, name };
}

/** Throws the right GitHubError for GraphQL errors; NOT_FOUND means the repository (or a node in it) is gone. */
function checkErrors(errors: { message: string; type?: string }[], what: string): void {
  if (!errors.length) return;
  if (errors.some((e) => e.type === 'NOT_FOUND')) throw new GitHubError(`${what}: ${errors[0]!.message}`, 'not-found');
  throw new GitHubError(`${what}: GraphQL error: ${errors.map((e) => e.message).join('; ').slice(0, 300)}`, 'graphql');
}

export async function* crawlRepoGraphql(client: GitHubClient, repo: string, cursor: string | null, sizes: PageSizes, log: (message: string) => void): AsyncGenerator<RepoPage> {
  const { owner, name } = splitRepo(repo);
  let pullsPerPage = sizes.pulls;
  let renameLogged = false;
  for (;;) {
    const what = `${repo} pull requests after ${cursor ?? 'start'}`;
    let result;
    try {
      result = await client.graphql(REPO_PULLS_QUERY, { owner, name, pulls: pullsPerPage, after: cursor, threads: sizes.threads, comments: sizes.comments });
    } catch (e) {
      // Big pages of big pull requests time out on GitHub's side (502) or stall; smaller pages usually pass.
      if (e instanceof GitHubError && (e.kind === 'server' || e.kind === 'timeout') && pullsPerPage > 1) {
        pullsPerPage = Math.max(1, Math.floor(pullsPerPage / 2));
        log(`${what}: ${e.message}; retrying with ${pullsPerPage} pull requests per page`);
        continue;
      }
      throw e;
    }
    checkErrors(result.errors, what);
    const repository = result.data?.repository;
    if (repository === null) throw new GitHubError(`${repo}: repository not found`, 'not-found');
    const currentName = isObj(repository) ? repository.nameWithOwner : undefined;
    if (!renameLogged && typeof currentName === 'string' && currentName.toLowerCase() !== repo.toLowerCase()) {
      renameLogged = true;
      log(`${repo} was renamed to ${currentName} (GitHub follows the rename); its reviews keep the listed name ${repo}`);
    }
    const pullsConn = isObj(repository) ? connectionOf(repository.pullRequests) : undefined;
    if (!pullsConn) throw new GitHubError(`${what}: response has no pull-request connection`, 'malformed');
    const page: RepoPage = { reviews: [], pulls: [], problems: [], next: { mode: 'graphql', cursor: pullsConn.endCursor ?? cursor }, last: !pullsConn.hasNextPage };
    for (const node of pullsConn.nodes) {
      const pull = isObj(node) ? pullInfoOf(node, repo) : undefined;
      if (!pull || !isObj(node)) { page.problems.push(`${what}: a pull request without a number was skipped`); continue; }
      const before = page.reviews.length;
      await collectThreads(client, node, pull, sizes, page);
      page.pulls.push({ ...pull, reviewComments: page.reviews.length - before });
    }
    yield page;
    if (page.last) return;
    cursor = pullsConn.endCursor;
  }
}

async function collectThreads(client: GitHubClient, pullNode: Record<string, unknown>, pull: PullInfo, sizes: PageSizes, page: RepoPage): Promise<void> {
  const where = `${pull.repo}#${pull.number}`;
  let threads = connectionOf(pullNode.reviewThreads);
  if (!threads) { page.problems.push(`${where}: review threads missing from the response; pull request skipped`); return; }
  for (;;) {
    for (const thread of threads.nodes) {
      if (!isObj(thread)) { page.problems.push(`${where}: a review thread is not an object`); continue; }
      await collectComments(client, thread, pull, page);
    }
    if (!threads.hasNextPage) return;
    if (typeof pullNode.id !== 'string') throw new GitHubError(`${where}: more review threads but no pull-request id to page with`, 'malformed');
    const result = await client.graphql(PULL_THREADS_QUERY, { id: pullNode.id, after: threads.endCursor, threads: 100, comments: sizes.comments });
    checkErrors(result.errors, `${where} review threads`);
    const node = result.data?.node;
    threads = isObj(node) ? connectionOf(node.reviewThreads) : undefined;
    if (!threads) throw new GitHubError(`${where}: review-thread page has no thread connection`, 'malformed');
  }
}

async function collectComments(client: GitHubClient, thread: Record<string, unknown>, pull: PullInfo, page: RepoPage): Promise<void> {
  const where = `${pull.repo}#${pull.number}`;
  let comments = connectionOf(thread.comments);
  if (!comments) { page.problems.push(`${where}: a review thread without a comment list was skipped`); return; }
  for (;;) {
    const converted = graphqlCommentsToReviews(comments.nodes, pull, where);
    page.reviews.push(...converted.reviews);
    page.problems.push(...converted.problems);
    if (!comments.hasNextPage) return;
    if (typeof thread.id !== 'string') throw new GitHubError(`${where}: more comments but no thread id to page with`, 'malformed');
    const result = await client.graphql(THREAD_COMMENTS_QUERY, { id: thread.id, after: comments.endCursor, comments: 100 });
    checkErrors(result.errors, `${where} thread comments`);
    const node = result.data?.node;
    comments = isObj(node) ? connectionOf(node.comments) : undefined;
    if (!comments) throw new GitHubError(`${where}: comment page has no comment connection`, 'malformed');
  }
}

/**
 * REST fallback: first the pull-request list (for titles, authors and states), then the
 * repository-wide review-comment list, both oldest first so new items only ever append.
 * `titles` carries pull titles across pages (the crawler rebuilds it from the stored pull list on resume).
 */
export async function* crawlRepoRest(client: GitHubClient, repo: string, start: { phase: 'pulls' | 'comments'; page: number }, titles: Map<number, string>, perPage: number): AsyncGenerator<RepoPage> {
  const { owner, name } = splitRepo(repo);
  let { phase, page } = start;
  for (;;) {
    if (phase === 'pulls') {
      const items = await client.rest('/repos/{owner}/{repo}/pulls', { owner, repo: name, state: 'all', sort: 'created', direction: 'asc', per_page: perPage, page });
      if (!Array.isArray(items)) throw new GitHubError(`${repo} pull list page ${page}: expected a JSON array`, 'malformed');
      const out: RepoPage = { reviews: [], pulls: [], problems: [], next: { mode: 'rest', phase: 'pulls', page: page + 1 }, last: false };
      for (const item of items) {
        const pull = isObj(item) ? pullInfoOf(item, repo) : undefined;
        if (!pull) { out.problems.push(`${repo} pull list page ${page}: an item without a number was skipped`); continue; }
        if (pull.title !== undefined) titles.set(pull.number, pull.title);
        out.pulls.push(pull);
      }
      if (items.length < perPage) out.next = { mode: 'rest', phase: 'comments', page: 1 };
      yield out;
      if (items.length < perPage) { phase = 'comments'; page = 1; } else page++;
    } else {
      const items = await client.rest('/repos/{owner}/{repo}/pulls/comments', { owner, repo: name, sort: 'created', direction: 'asc', per_page: perPage, page });
      if (!Array.isArray(items)) throw new GitHubError(`${repo} review comments page ${page}: expected a JSON array`, 'malformed');
      const converted = restCommentsToReviews(items, repo, titles, `${repo} review comments page ${page}`);
      const last = items.length < perPage;
      yield { reviews: converted.reviews, pulls: [], problems: converted.problems, next: { mode: 'rest', phase: 'comments', page: page + 1 }, last };
      if (last) return;
      page++;
    }
  }
}
