/**
 * GitHub for the diff view and the crawler: which account and server, the session from VS Code's
 * authentication provider, and files at a commit through the project's GitHub client and diff
 * context (rate limits, retries, token scrubbing, cache in `.secreview/cache/github/`).
 *
 * Sign-in happens only on the person's action ("Sign in to GitHub", or starting a crawl), with the
 * least scope that works: none, which reads public repositories, unless the person opted into
 * private ones (`secreview.github.privateRepositories`: `repo`). Everything else asks silently and
 * falls back (the diff view to the partial view from the hunk). The token stays in memory.
 *
 * The server the token goes to comes from `secreview.crawl.apiUrl`, a machine-scoped setting: a
 * folder's `.vscode/settings.json` cannot set it, so a repository cannot redirect the token.
 */
import * as vscode from 'vscode';
import { GitHubClient } from '../github/client';
import { DiffContext, githubCacheDir } from '../github/diffContext';

export const GITHUB_PUBLIC_API = 'https://api.github.com';

export interface GitHubAccount {
  /** VS Code's authentication provider: github.com, or GitHub Enterprise Server. */
  provider: 'github' | 'github-enterprise';
  /** Least scopes: none for public repositories, `repo` after opting into private ones. */
  scopes: string[];
  /** REST API base URL the token is sent to. */
  apiUrl: string;
}

/** The crawl's account: github.com unless the user's settings name an Enterprise server. */
export function crawlAccount(): GitHubAccount {
  const apiUrl = (vscode.workspace.getConfiguration('secreview.crawl').get<string>('apiUrl', '') || GITHUB_PUBLIC_API).replace(/\/+$/, '');
  return { provider: apiUrl === GITHUB_PUBLIC_API ? 'github' : 'github-enterprise', scopes: leastScopes(), apiUrl };
}

/** The diff view's account: review comments link to github.com. */
export function diffAccount(): GitHubAccount {
  return { provider: 'github', scopes: leastScopes(), apiUrl: GITHUB_PUBLIC_API };
}

function leastScopes(): string[] {
  return vscode.workspace.getConfiguration('secreview.github').get<boolean>('privateRepositories', false) ? ['repo'] : [];
}

/** The session without any prompt, or undefined when signed out (or access not yet granted). */
export async function existingSession(account: GitHubAccount): Promise<vscode.AuthenticationSession | undefined> {
  try {
    return await vscode.authentication.getSession(account.provider, account.scopes, { silent: true });
  } catch {
    return undefined;
  }
}

/** Creates the session if need be: only ever called from something the person did. */
export async function signIn(account: GitHubAccount): Promise<vscode.AuthenticationSession> {
  return vscode.authentication.getSession(account.provider, account.scopes, { createIfNone: true });
}

export const SIGN_IN = 'Sign in to GitHub';

/** "Security Review: Sign in to GitHub": creates the session the diff view and the crawler use. */
export function registerGitHubSignIn(context: vscode.ExtensionContext, log: (line: string) => void): void {
  context.subscriptions.push(vscode.commands.registerCommand('secreview.signInToGitHub', async () => {
    const account = diffAccount();
    try {
      const session = await signIn(account);
      log(`signed in to GitHub as ${session.account.label} (scopes: ${account.scopes.join(', ') || 'none, public repositories'})`);
      void vscode.window.showInformationMessage(`Security Review: signed in to GitHub as ${session.account.label}${account.scopes.length ? '' : ' (public repositories; private ones: setting secreview.github.privateRepositories)'}.`);
    } catch (e) {
      log(`GitHub sign-in did not complete: ${(e as Error).message}`);
      void vscode.window.showWarningMessage(`Security Review: GitHub sign-in did not complete (${(e as Error).message}). Diffs show the review's hunk until you sign in.`);
    }
  }));
}

export interface FileAtCommitFetcher {
  /** Whether a GitHub session exists (asked silently). */
  signedIn(): Promise<boolean>;
  /** The two commits to compare for a review: the pull request's base and the review's commit. */
  refsFor(repo: string, pull: number, commit: string): Promise<{ before: string; after: string } | undefined>;
  /** The file's text at a commit, or undefined when the file does not exist there. */
  fileAt(repo: string, ref: string, filePath: string, token?: vscode.CancellationToken): Promise<string | undefined>;
}

export class DiffContextFetcher implements FileAtCommitFetcher {
  /** `workspaceDir`: the open workspace's `.secreview` folder (for the cache), if any. */
  constructor(private readonly workspaceDir: () => string | undefined) {}

  async signedIn(): Promise<boolean> {
    return (await existingSession(diffAccount())) !== undefined;
  }

  private async context(signal?: AbortSignal): Promise<DiffContext | undefined> {
    const account = diffAccount();
    const token = (await existingSession(account))?.accessToken;
    // Signed out: no network at all (the caller shows the partial view from the diff hunk).
    if (!token) return undefined;
    const dir = this.workspaceDir();
    return new DiffContext(new GitHubClient({ token, apiUrl: account.apiUrl, signal }), dir ? githubCacheDir(dir) : undefined);
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
      if (!context) throw new Error('not signed in to GitHub (run "Security Review: Sign in to GitHub")');
      return await context.fileAt(repo, ref, filePath);
    } finally {
      clearTimeout(timer);
    }
  }
}
