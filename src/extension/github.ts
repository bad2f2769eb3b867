/**
 * Files at a commit from GitHub, for the diff view, with the user's GitHub session from VS Code's
 * authentication provider (never prompted for unless the user asks; never logged or written).
 * Fetched files are cached in the workspace (`.secreview/cache/github-files/`), so a diff opens
 * offline once seen.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';

export interface FileAtCommitFetcher {
  /** The two commits to compare for a review: the pull request's base and the review's commit. */
  refsFor(repo: string, pull: number, commit: string): Promise<{ before: string; after: string } | undefined>;
  /** The file's text at a commit, or undefined when the file does not exist there. */
  fileAt(repo: string, ref: string, filePath: string, token?: vscode.CancellationToken): Promise<string | undefined>;
}

const API = 'https://api.github.com';

export class GitHubFileFetcher implements FileAtCommitFetcher {
  constructor(private readonly cacheDir: () => string | undefined, private readonly apiBase = API) {}

  private async token(): Promise<string | undefined> {
    try {
      const session = await vscode.authentication.getSession('github', ['repo'], { silent: true });
      return session?.accessToken;
    } catch {
      return undefined;
    }
  }

  private async cached(key: string, load: () => Promise<string | undefined>): Promise<string | undefined> {
    const dir = this.cacheDir();
    const file = dir ? path.join(dir, 'github-files', createHash('sha256').update(key).digest('hex').slice(0, 40)) : undefined;
    if (file) {
      try { return await readFile(file, 'utf8'); } catch { /* not cached yet */ }
    }
    const value = await load();
    if (file && value !== undefined) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file + '.tmp', value);
      await rename(file + '.tmp', file);
    }
    return value;
  }

  private async get(url: string, accept: string, signal?: AbortSignal): Promise<Response | undefined> {
    const token = await this.token();
    if (!token) throw new Error('not signed in to GitHub (Accounts menu: Sign in with GitHub)');
    const res = await fetch(url, { headers: { Authorization: `Bearer ${token}`, Accept: accept, 'X-GitHub-Api-Version': '2022-11-28', 'User-Agent': 'security-review-labeler' }, signal });
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GitHub answered ${res.status} ${res.statusText} for ${url.replace(/\?.*/, '')}`);
    return res;
  }

  async refsFor(repo: string, pull: number, commit: string): Promise<{ before: string; after: string } | undefined> {
    const base = await this.cached(`pull-base:${repo}#${pull}`, async () => {
      const res = await this.get(`${this.apiBase}/repos/${repo}/pulls/${pull}`, 'application/vnd.github+json', AbortSignal.timeout(15_000));
      if (!res) return undefined;
      const body = (await res.json()) as { base?: { sha?: unknown } };
      return typeof body.base?.sha === 'string' ? body.base.sha : undefined;
    });
    return base ? { before: base, after: commit } : undefined;
  }

  async fileAt(repo: string, ref: string, filePath: string, token?: vscode.CancellationToken): Promise<string | undefined> {
    const controller = new AbortController();
    token?.onCancellationRequested(() => controller.abort());
    return this.cached(`file:${repo}@${ref}:${filePath}`, async () => {
      const encoded = filePath.split('/').map(encodeURIComponent).join('/');
      const res = await this.get(`${this.apiBase}/repos/${repo}/contents/${encoded}?ref=${encodeURIComponent(ref)}`, 'application/vnd.github.raw', controller.signal);
      return res ? await res.text() : undefined;
    });
  }
}
