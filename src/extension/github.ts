/**
 * Files at a commit from GitHub for the diff view, through the project's GitHub client and diff
 * context (rate limits, retries, token scrubbing, cache in `.secreview/cache/github/`), with the
 * user's GitHub session from VS Code's authentication provider: asked for silently, so the diff
 * view never prompts; without a session the caller falls back to the partial view from the hunk.
 * The token stays in memory.
 */
import * as vscode from 'vscode';
import { GitHubClient } from '../github/client';
import { DiffContext, githubCacheDir } from '../github/diffContext';

export interface FileAtCommitFetcher {
  /** The two commits to compare for a review: the pull request's base and the review's commit. */
  refsFor(repo: string, pull: number, commit: string): Promise<{ before: string; after: string } | undefined>;
  /** The file's text at a commit, or undefined when the file does not exist there. */
  fileAt(repo: string, ref: string, filePath: string, token?: vscode.CancellationToken): Promise<string | undefined>;
}

export class DiffContextFetcher implements FileAtCommitFetcher {
  /** `workspaceDir`: the open workspace's `.secreview` folder (for the cache), if any. */
  constructor(private readonly workspaceDir: () => string | undefined) {}

  private async context(signal?: AbortSignal): Promise<DiffContext | undefined> {
    let token: string | undefined;
    try {
      token = (await vscode.authentication.getSession('github', ['repo'], { silent: true }))?.accessToken;
    } catch {
      token = undefined;
    }
    // Signed out: no network at all (the caller shows the partial view from the diff hunk).
    if (!token) return undefined;
    const dir = this.workspaceDir();
    return new DiffContext(new GitHubClient({ token, signal }), dir ? githubCacheDir(dir) : undefined);
  }

  async refsFor(repo: string, pull: number, commit: string): Promise<{ before: string; after: string } | undefined> {
    const context = await this.context(AbortSignal.timeout(20_000));
    return context ? context.refsFor(repo, pull, commit) : undefined;
  }

  async fileAt(repo: string, ref: string, filePath: string, token?: vscode.CancellationToken): Promise<string | undefined> {
    const controller = new AbortController();
    token?.onCancellationRequested(() => controller.abort());
    const timer = setTimeout(() => controller.abort(), 30_000);
    try {
      const context = await this.context(controller.signal);
      if (!context) throw new Error('not signed in to GitHub (Accounts menu: Sign in with GitHub)');
      return await context.fileAt(repo, ref, filePath);
    } finally {
      clearTimeout(timer);
    }
  }
}
