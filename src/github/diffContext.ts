/**
 * Diff context for a review: the commented file at the pull request's base and at the review's
 * commit, and the pull request's whole diff, fetched through the GitHub client (rate limits,
 * retries, token scrubbing) and cached in the workspace, so a diff once seen opens offline.
 *
 *   <cache>/<owner>/<repo>/files/<commit>/<hash of path>      file text (or .missing when absent)
 *   <cache>/<owner>/<repo>/pulls/<number>.json                base and head commits (closed pulls only)
 *   <cache>/<owner>/<repo>/pulls/<number>.diff                the pull request's diff (closed pulls only)
 *
 * `<cache>` is `<workspace>/.secreview/cache/github`. Commits are immutable, so files are cached for
 * good; an open pull request can still move, so its refs and diff are fetched each time.
 * The `refsFor` / `fileAt` pair matches the extension's `FileAtCommitFetcher` shape.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../store/atomic';
import { GitHubClient, GitHubError } from './client';
import { isObj } from './records';

export interface PullRefs { base: string; head: string; state: string }

/*
 * Review records come from files anyone can write, and every request here carries the person's
 * token: a URL is built only from an owner, a name, a commit and a pull number that passed these
 * checks, and a file path encoded segment by segment. A path with "." or ".." segments would be
 * resolved by the URL parser (even as %2e%2e) and could point anywhere on the API.
 */
const REPO = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
/** A commit id: 7 to 40 hex digits (SHA-1, abbreviated or not) or 64 (SHA-256). Never a branch, tag or expression. */
const SHA = /^(?:[0-9a-f]{7,40}|[0-9a-f]{64})$/i;
const MISSING = '.missing';

function splitRepo(repo: string): { owner: string; name: string } {
  const m = REPO.exec(repo);
  if (!m || /^\.+$/.test(m[1]!) || /^\.+$/.test(m[2]!)) throw new Error(`diff context: ${JSON.stringify(repo)} is not a repository name like owner/name`);
  return { owner: m[1]!, name: m[2]! };
}

function checkCommit(commit: string): void {
  if (!SHA.test(commit)) throw new Error(`diff context: ${JSON.stringify(commit.slice(0, 80))} is not a commit id`);
}

function checkPull(pull: number): void {
  if (!Number.isSafeInteger(pull) || pull < 1) throw new Error(`diff context: ${pull} is not a pull request number`);
}

/** The file path as URL path segments, each percent-encoded; refuses what is not a plain relative path. */
export function encodeRepoPath(filePath: string): string {
  const segments = filePath.split('/');
  if (!filePath || filePath.includes('\0') || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new Error(`diff context: ${JSON.stringify(filePath.slice(0, 200))} is not a file path in a repository`);
  }
  return segments.map(encodeURIComponent).join('/');
}

export class DiffContext {
  constructor(private readonly client: GitHubClient, private readonly cacheDir?: string) {}

  private repoDir(repo: string): string | undefined {
    if (!this.cacheDir) return undefined;
    const { owner, name } = splitRepo(repo);
    return path.join(this.cacheDir, owner, name);
  }

  private async cached(file: string | undefined, load: () => Promise<string | undefined>, keep: (value: string | undefined) => boolean = () => true): Promise<string | undefined> {
    if (file) {
      try { return await readFile(file, 'utf8'); } catch { /* not cached */ }
      try { await readFile(file + MISSING); return undefined; } catch { /* not cached as missing either */ }
    }
    const value = await load();
    if (file && keep(value)) await writeFileAtomic(value === undefined ? file + MISSING : file, value ?? '');
    return value;
  }

  /** The file's text at a commit; undefined when the file does not exist there (added or deleted by the change). */
  async fetchFileAtCommit(repo: string, commit: string, filePath: string): Promise<string | undefined> {
    const { owner, name } = splitRepo(repo);
    checkCommit(commit);
    const encoded = encodeRepoPath(filePath);
    const dir = this.repoDir(repo);
    const key = createHash('sha256').update(filePath).digest('hex').slice(0, 40);
    const file = dir ? path.join(dir, 'files', commit, key) : undefined;
    return this.cached(file, async () => {
      try {
        return await this.client.restText(`/repos/{owner}/{repo}/contents/${encoded}`, { owner, repo: name, ref: commit }, 'application/vnd.github.raw');
      } catch (e) {
        if (e instanceof GitHubError && e.kind === 'not-found') return undefined;
        throw e;
      }
    });
  }

  /** The pull request's base and head commits; undefined when it does not exist. */
  async fetchPullRefs(repo: string, pull: number): Promise<PullRefs | undefined> {
    const { owner, name } = splitRepo(repo);
    checkPull(pull);
    const dir = this.repoDir(repo);
    const file = dir ? path.join(dir, 'pulls', `${pull}.json`) : undefined;
    const text = await this.cached(file, async () => {
      let data: unknown;
      try {
        data = await this.client.rest('/repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo: name, pull_number: pull });
      } catch (e) {
        if (e instanceof GitHubError && e.kind === 'not-found') return undefined;
        throw e;
      }
      const base = isObj(data) && isObj(data.base) ? data.base.sha : undefined;
      const head = isObj(data) && isObj(data.head) ? data.head.sha : undefined;
      const state = isObj(data) && typeof data.state === 'string' ? data.state : 'unknown';
      if (typeof base !== 'string' || typeof head !== 'string') throw new GitHubError(`${repo}#${pull}: pull request without base or head commit`, 'malformed');
      for (const [which, sha] of [['base', base], ['head', head]] as const) {
        if (!SHA.test(sha)) throw new GitHubError(`${repo}#${pull}: GitHub answered with a ${which} commit that is not a commit id (${JSON.stringify(sha.slice(0, 80))})`, 'malformed');
      }
      return JSON.stringify({ base, head, state } satisfies PullRefs);
    }, (v) => v === undefined || (JSON.parse(v) as PullRefs).state !== 'open');
    return text === undefined ? undefined : (JSON.parse(text) as PullRefs);
  }

  /** The pull request's unified diff; undefined when it does not exist. */
  async fetchPullDiff(repo: string, pull: number): Promise<string | undefined> {
    const { owner, name } = splitRepo(repo);
    checkPull(pull);
    const refs = await this.fetchPullRefs(repo, pull);
    if (!refs) return undefined;
    const dir = this.repoDir(repo);
    const file = dir && refs.state !== 'open' ? path.join(dir, 'pulls', `${pull}.diff`) : undefined;
    return this.cached(file, async () => {
      try {
        return await this.client.restText('/repos/{owner}/{repo}/pulls/{pull_number}', { owner, repo: name, pull_number: pull }, 'application/vnd.github.diff');
      } catch (e) {
        if (e instanceof GitHubError && e.kind === 'not-found') return undefined;
        throw e;
      }
    });
  }

  /** The two commits a review's diff compares: the pull request's base and the review's commit. */
  async refsFor(repo: string, pull: number, commit: string): Promise<{ before: string; after: string } | undefined> {
    checkCommit(commit);
    const refs = await this.fetchPullRefs(repo, pull);
    return refs ? { before: refs.base, after: commit } : undefined;
  }

  async fileAt(repo: string, ref: string, filePath: string): Promise<string | undefined> {
    return this.fetchFileAtCommit(repo, ref, filePath);
  }
}

/** The cache folder inside a workspace folder (`.secreview/cache/github`). */
export function githubCacheDir(workspaceDir: string): string {
  return path.join(workspaceDir, 'cache', 'github');
}
