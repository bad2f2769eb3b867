/**
 * "Security Review: Crawl GitHub...": builds a pool from GitHub with the user's GitHub session from
 * VS Code's authentication provider. Sample random repositories (the paper's filters, from the
 * `secreview.crawl.*` settings), list repositories, or resume an earlier crawl; progress (repositories
 * done, reviews fetched, reviews/s, rate-limit budget and reset, waits) in a cancellable
 * notification, details in the output channel. The token lives only in memory.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { GitHubClient, GitHubError } from '../github/client';
import { readCheckpoint, runFiles } from '../github/checkpoint';
import { crawlDirFor, runCrawl, type CrawlProgress } from '../github/crawler';
import { formatProgress } from '../github/format';
import { errorText } from '../github/scrub';
import { DEFAULT_PAGE_SIZES, DEFAULT_SAMPLE, parseDateRange, specProblems, type CrawlSpec } from '../github/spec';
import { crawlAccount, signIn } from './github';
import { workspacePaths } from '../store/layout';

const COMMAND = 'secreview.crawlGitHub';

interface CrawlSettings {
  minStars: number;
  minPulls: number;
  languages: string[];
  created: string;
  pushed: string;
  pullsPerPage: number;
  threadsPerPage: number;
  commentsPerPage: number;
  minIntervalMs: number;
}

function settings(): CrawlSettings {
  const c = vscode.workspace.getConfiguration('secreview.crawl');
  return {
    minStars: c.get<number>('minStars', DEFAULT_SAMPLE.minStars),
    minPulls: c.get<number>('minPulls', DEFAULT_SAMPLE.minPulls),
    languages: c.get<string[]>('languages', DEFAULT_SAMPLE.languages),
    created: c.get<string>('created', ''),
    pushed: c.get<string>('pushed', ''),
    pullsPerPage: c.get<number>('pullsPerPage', DEFAULT_PAGE_SIZES.pulls),
    threadsPerPage: c.get<number>('threadsPerPage', DEFAULT_PAGE_SIZES.threads),
    commentsPerPage: c.get<number>('commentsPerPage', DEFAULT_PAGE_SIZES.comments),
    minIntervalMs: c.get<number>('minIntervalMs', 1000),
  };
}

async function incompleteRuns(folder: string): Promise<{ label: string; description: string; spec: CrawlSpec }[]> {
  const root = workspacePaths.crawl(workspacePaths.of(folder));
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const runs: { label: string; description: string; spec: CrawlSpec }[] = [];
  for (const name of names.sort()) {
    try {
      const cp = await readCheckpoint(runFiles(path.join(root, name)).checkpoint);
      if (!cp || cp.complete) continue;
      const what = cp.spec.repos ? `${cp.spec.repos.length} listed repositories` : `${cp.spec.sample?.count} sampled repositories (seed ${cp.spec.sample?.seed})`;
      runs.push({ label: name, description: `${what}: ${cp.next}/${cp.repoCount ?? '?'} done, ${cp.totals.reviews} reviews`, spec: cp.spec });
    } catch {
      // A damaged run folder is not offered; the CLI explains it with --fresh.
    }
  }
  return runs;
}

async function askNumber(prompt: string, value: number, min: number, max: number): Promise<number | undefined> {
  const text = await vscode.window.showInputBox({
    prompt, value: String(value), ignoreFocusOut: true,
    validateInput: (v) => (/^\d+$/.test(v.trim()) && Number(v) >= min && Number(v) <= max ? undefined : `a whole number from ${min} to ${max}`),
  });
  return text === undefined ? undefined : Number(text.trim());
}

/** Asks what to crawl; undefined when the user backs out. */
async function askSpec(folder: string, s: CrawlSettings): Promise<CrawlSpec | undefined> {
  const pageSizes = { pulls: s.pullsPerPage, threads: s.threadsPerPage, comments: s.commentsPerPage };
  const runs = await incompleteRuns(folder);
  type Choice = vscode.QuickPickItem & { kind2: 'sample' | 'list' | 'resume'; spec?: CrawlSpec };
  const items: Choice[] = [
    { label: '$(search) Sample random repositories', description: `${s.languages.join(', ') || 'any language'}, >= ${s.minStars} stars, >= ${s.minPulls} pull requests (settings: secreview.crawl)`, kind2: 'sample' },
    { label: '$(list-unordered) List repositories...', description: 'owner/name, comma-separated', kind2: 'list' },
    ...runs.map((r): Choice => ({ label: `$(debug-continue) Resume ${r.label}`, description: r.description, kind2: 'resume', spec: r.spec })),
  ];
  const choice = await vscode.window.showQuickPick(items, { title: 'Crawl GitHub', placeHolder: 'Which repositories?', ignoreFocusOut: true });
  if (!choice) return undefined;
  if (choice.kind2 === 'resume') return choice.spec;
  if (choice.kind2 === 'list') {
    const text = await vscode.window.showInputBox({
      title: 'Crawl GitHub', prompt: 'Repositories to crawl (owner/name, comma-separated)', ignoreFocusOut: true,
      validateInput: (v) => {
        const repos = v.split(/[,\s]+/).filter(Boolean);
        if (!repos.length) return 'at least one repository';
        return specProblems({ repos, pageSizes })[0];
      },
    });
    if (text === undefined) return undefined;
    return { repos: [...new Set(text.split(/[,\s]+/).filter(Boolean))], pageSizes };
  }
  const count = await askNumber('How many repositories to sample?', DEFAULT_SAMPLE.count, 1, 100_000);
  if (count === undefined) return undefined;
  const seed = await askNumber('Sampling seed (the same seed gives the same sample)', DEFAULT_SAMPLE.seed, 0, 2 ** 32 - 1);
  if (seed === undefined) return undefined;
  const created = s.created ? parseDateRange(s.created) : DEFAULT_SAMPLE.created;
  const spec: CrawlSpec = {
    sample: {
      count, seed, minStars: s.minStars, minPulls: s.minPulls, languages: s.languages,
      created: { from: created.from ?? DEFAULT_SAMPLE.created.from, to: created.to },
      ...(s.pushed ? { pushed: parseDateRange(s.pushed) } : {}),
      includeForks: false, includeArchived: true,
    },
    pageSizes,
  };
  const problems = specProblems(spec);
  if (problems.length) throw new Error(`check the secreview.crawl settings: ${problems.join('; ')}`);
  return spec;
}

export function registerCrawlCommands(context: vscode.ExtensionContext, output: vscode.OutputChannel, onCrawled: (jsonlFile: string) => Promise<void>): void {
  let running = false;
  const log = (text: string) => output.appendLine(`[crawl] ${errorText(text)}`);
  context.subscriptions.push(vscode.commands.registerCommand(COMMAND, async () => {
    if (running) {
      void vscode.window.showInformationMessage('Security Review: a GitHub crawl is already running (see its notification).');
      return;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!folder) {
      void vscode.window.showErrorMessage('Security Review: open a folder first; the crawl is stored in its .secreview/crawl/ folder.');
      return;
    }
    running = true;
    try {
      const s = settings();
      const spec = await askSpec(folder, s);
      if (!spec) return;
      // The person started the crawl: the sign-in may prompt now, with the least scope (see github.ts).
      const account = crawlAccount();
      const session = await signIn(account);
      const dir = crawlDirFor(folder, spec);
      log(`crawl into ${path.relative(folder, dir)} (API ${account.apiUrl}, scopes: ${account.scopes.join(', ') || 'none'})`);
      const summary = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: 'Security Review: crawling GitHub', cancellable: true },
        async (progress, cancel) => {
          const controller = new AbortController();
          const sub = cancel.onCancellationRequested(() => controller.abort(new Error('cancelled by the user')));
          const client = new GitHubClient({ token: session.accessToken, apiUrl: account.apiUrl, signal: controller.signal, minIntervalMs: s.minIntervalMs });
          let shownShare = 0;
          let lastReport = 0;
          const report = (p: CrawlProgress) => {
            const share = p.reposTotal ? (100 * p.reposDone) / p.reposTotal : 0;
            const now = Date.now();
            if (share === shownShare && now - lastReport < 500) return;
            lastReport = now;
            progress.report({ message: formatProgress(p, now), increment: Math.max(0, share - shownShare) });
            shownShare = share;
          };
          try {
            return await runCrawl({
              dir, spec, client, signal: controller.signal,
              onEvent: (e) => (e.kind === 'log' ? log(`${e.level === 'warn' ? 'warning: ' : ''}${e.message}`) : report(e.progress)),
            });
          } finally {
            sub.dispose();
          }
        },
      );
      const text = `${summary.reviews} reviews from ${summary.pulls} pull requests in ${summary.repos.length - summary.failed.length}/${summary.reposTotal} repositories`;
      if (summary.cancelled) {
        log(`crawl interrupted: ${text}`);
        void vscode.window.showInformationMessage(`Security Review: crawl paused after ${text}. Run "Crawl GitHub..." and choose Resume to continue.`);
        return;
      }
      log(`crawl ${summary.complete ? 'complete' : 'finished with failed repositories'}: ${text}; ${summary.skipped} malformed records skipped; reviews in ${summary.files.reviews}`);
      for (const r of summary.repos.filter((x) => x.status === 'gone' || x.status === 'failed')) log(`${r.repo}: ${r.status}${r.error ? ` (${r.error})` : ''}`);
      await onCrawled(summary.files.reviews);
      const gone = summary.repos.filter((r) => r.status === 'gone').length;
      if (summary.failed.length) {
        void vscode.window.showWarningMessage(`Security Review: crawled ${text}; ${summary.failed.length} repositories failed (see the output). Run "Crawl GitHub..." and choose Resume to try them again from where they stopped.`);
      } else {
        void vscode.window.showInformationMessage(`Security Review: crawled ${text}${gone ? ` (${gone} repositories gone; see the output${account.scopes.length ? '' : '; private repositories need the setting secreview.github.privateRepositories'})` : ''}.`);
      }
    } catch (e) {
      const message = errorText(e);
      log(`crawl failed: ${message}`);
      const hint = e instanceof GitHubError && e.kind === 'unauthorized' ? ' Sign out of GitHub in the Accounts menu and try again.' : '';
      void vscode.window.showErrorMessage(`Security Review: crawl failed: ${message}.${hint}`);
    } finally {
      running = false;
    }
  }));
}
