/**
 * "Find Reviews..." and "Go to Review...": a search streams the pool (progress and cancel in a
 * notification), its results fill the "Search Results" view in the side bar, a click on one opens it
 * in the labeling panel, which then goes through the results one after the other (search mode), and
 * "Propose Results as a Batch" turns them into a batch. VS Code adapters only: the query language
 * is src/core/search.ts, the scan src/store/search.ts.
 */
import * as vscode from 'vscode';
import type { Label } from '../core/labels';
import { parseQuery, parseReviewReference, queryOfUrl, QueryError, type SearchQuery } from '../core/search';
import { proposeRowsAsBatch } from '../store/batches';
import { searchPool, type SearchResult } from '../store/search';
import type { Workspace } from '../store/workspace';
import type { Log } from './log';
import { guarded } from './commands';
import { LabelingPanel, type PanelHost } from './panel';
import { settings } from './settings';
import type { WorkspaceHost } from './workspaceHost';

/** Results listed in the side bar (the panel and a proposed batch use all that were kept). */
const LISTED = 1000;

const LABEL_ICON: Record<Label, string> = { yes: 'shield', no: 'pass', unclear: 'question', broken: 'debug-disconnect', bot: 'hubot', language: 'globe' };

interface Results { query: SearchQuery; result: SearchResult; folder: string }

type Node = { kind: 'summary' } | { kind: 'result'; index: number };

export class SearchResultsView implements vscode.TreeDataProvider<Node> {
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  results: Results | undefined;

  constructor(private readonly host: WorkspaceHost) {}

  refresh(): void { this.emitter.fire(undefined); }

  set(results: Results | undefined): void {
    this.results = results;
    void vscode.commands.executeCommand('setContext', 'secreview.hasSearchResults', results !== undefined);
    this.refresh();
  }

  /** The results, when they belong to the open workspace (a search in another folder does not carry over). */
  current(ws: Workspace): Results | undefined {
    return this.results && this.results.folder === ws.folder ? this.results : undefined;
  }

  getChildren(node?: Node): Node[] {
    const s = this.host.session();
    if (node || 'missing' in s || !this.current(s.ws)) return [];
    const n = Math.min(this.results!.result.ids.length, LISTED);
    return [{ kind: 'summary' }, ...Array.from({ length: n }, (_, index) => ({ kind: 'result' as const, index }))];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    const s = this.host.session();
    const r = this.results!;
    if (node.kind === 'summary') {
      const { result } = r;
      const labeled = 'missing' in s ? 0 : result.ids.filter((id) => s.ws.db.labelOf(id)).length;
      const item = new vscode.TreeItem(`"${r.query.text}"`);
      item.description = `${result.matched.toLocaleString('en-US')} match${result.matched === 1 ? '' : 'es'}${result.complete ? '' : ` in ${result.scanned.toLocaleString('en-US')} searched (cancelled)`}; ${labeled} of ${result.ids.length} labeled`;
      item.tooltip = `${result.matched} reviews match ${r.query.text} (${result.seconds.toFixed(1)} s).` +
        (result.ids.length < result.matched ? ` The first ${result.ids.length} are kept.` : '') +
        (result.ids.length > LISTED ? ` The first ${LISTED} are listed here.` : '') + ' Click a result to label the results one after the other.';
      item.iconPath = new vscode.ThemeIcon('search');
      item.id = 'search:summary';
      return item;
    }
    const id = r.result.ids[node.index]!;
    const row = r.result.rows[node.index]!;
    const ws = 'missing' in s ? undefined : s.ws;
    const review = ws && row < ws.pool.size ? ws.pool.get(row) : undefined;
    const label = ws?.db.labelOf(id)?.label;
    const line = (review?.body ?? '').replace(/\s+/g, ' ').trim();
    const item = new vscode.TreeItem(line.length > 80 ? `${line.slice(0, 79)}…` : line || `review ${id}`);
    item.id = `search:${node.index}:${id}`;
    item.description = `${label ?? 'unlabeled'} · ${review ? `${review.repo} · ${review.path || 'no path'}` : ''}`;
    item.tooltip = `Review ${id}: ${label ?? 'not labeled yet'}\n${review?.repo ?? ''}#${review?.pull ?? ''} ${review?.path ?? ''}\n\n${line.slice(0, 600)}`;
    item.iconPath = new vscode.ThemeIcon(label ? LABEL_ICON[label] : 'circle-large-outline');
    item.accessibilityInformation = { label: `Result ${node.index + 1}: review ${id}, ${label ? `labeled ${label}` : 'not labeled'}: ${line.slice(0, 120)}` };
    item.command = { command: 'secreview.openSearchResult', title: 'Label from here', arguments: [id] };
    return item;
  }
}

function validate(text: string): string | undefined {
  try {
    parseQuery(text);
    return undefined;
  } catch (e) {
    return e instanceof QueryError ? e.message : String(e);
  }
}

/** Runs a search with progress and cancel; the results (all found until a cancel) go to the view. */
async function runSearch(ws: Workspace, query: SearchQuery, view: SearchResultsView, host: WorkspaceHost, log: Log): Promise<SearchResult> {
  const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Security Review: finding "${query.text}"`, cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    let reported = 0;
    return searchPool(ws.pool, query, {
      signal: controller.signal,
      onProgress: (p) => {
        const pct = p.total ? Math.floor((100 * p.scanned) / p.total) : 0;
        progress.report({ message: `${p.scanned.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} reviews searched, ${p.matched.toLocaleString('en-US')} found`, increment: pct - reported });
        reported = pct;
      },
    });
  });
  view.set({ query, result, folder: ws.folder });
  const s = host.session();
  if (!('missing' in s)) s.setSearch({ query, ids: result.ids, matched: result.matched });
  log.info(`search "${query.text}": ${result.matched} of ${result.scanned} reviews (${result.complete ? 'complete' : 'cancelled'}, ${result.seconds.toFixed(1)} s)`);
  await vscode.commands.executeCommand('secreview.search.focus');
  const what = `${result.matched.toLocaleString('en-US')} review${result.matched === 1 ? '' : 's'} match "${query.text}"`;
  if (!result.complete) void vscode.window.showInformationMessage(`Security Review: search cancelled after ${result.scanned.toLocaleString('en-US')} of ${ws.pool.size.toLocaleString('en-US')} reviews; ${what} so far (in the side bar).`);
  else if (!result.matched) void vscode.window.showInformationMessage(`Security Review: no review matches "${query.text}".`);
  return result;
}

export function registerSearch(context: vscode.ExtensionContext, host: WorkspaceHost, panelHost: PanelHost, log: Log): SearchResultsView {
  const view = new SearchResultsView(host);
  const reg = (id: string, what: string, body: (...args: never[]) => Promise<unknown> | unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(log, what, body as (...args: unknown[]) => Promise<unknown>)));
  const ws = () => {
    const s = host.session();
    if ('missing' in s) throw new Error(s.missing);
    return s.ws;
  };
  let lastQuery = '';
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider('secreview.search', view),
    host.onDidChange(() => view.refresh()),
  );

  reg('secreview.findReviews', 'finding reviews', async (text?: string) => {
    const w = ws();
    const typed = typeof text === 'string' ? text : await vscode.window.showInputBox({
      title: 'Find Reviews', value: lastQuery, validateInput: (v) => (v.trim() ? validate(queryOfUrl(v) ?? v) : undefined),
      prompt: 'Words and "phrases" (all must occur), -word (must not), repo:, path:, body:, pull:N, id:N; or /a regular expression/',
      placeHolder: 'e.g. "sql injection" path:.java   or   /\\b(xss|csrf)\\b/',
    });
    if (!typed?.trim()) return;
    const query = parseQuery(queryOfUrl(typed) ?? typed);
    lastQuery = query.text;
    await runSearch(w, query, view, host, log);
  });

  reg('secreview.openSearchResult', 'opening the search result', (reviewId?: string) => {
    const s = host.session();
    if ('missing' in s || typeof reviewId !== 'string') return;
    const results = view.current(s.ws);
    if (results && s.search?.query !== results.query) s.setSearch({ query: results.query, ids: results.result.ids, matched: results.result.matched });
    const p = LabelingPanel.show(context.extensionUri, panelHost);
    if (!s.startSearch(reviewId)) { p.openReview(reviewId); return; }
    p.showCurrent('open');
  });

  reg('secreview.proposeSearchResults', 'proposing the search results as a batch', async () => {
    const w = host.writable();
    const results = view.current(w);
    if (!results) throw new Error('no search results: run "Security Review: Find Reviews..." first');
    const cfg = settings();
    const nearDuplicates = cfg.excludeNearDuplicates ? await w.nearDuplicates.groups() : undefined;
    const { batch, left } = await proposeRowsAsBatch(w, results.result.rows, { strategy: `search: ${results.query.text}`, size: cfg.batchSize, nearDuplicates });
    if (!batch) {
      void vscode.window.showWarningMessage('Security Review: no batch: every result is labeled, already in an open batch, or repeats a labeled body.');
      return;
    }
    log.info(`batch ${batch.id}: ${batch.items.length} reviews from the search "${results.query.text}"${left ? ` (${left} more left)` : ''}`);
    host.changed();
    const s = host.session();
    if (!('missing' in s)) s.selectBatch(batch.id);
    LabelingPanel.show(context.extensionUri, panelHost).showCurrent('next');
    void vscode.window.showInformationMessage(`Security Review: batch ${batch.id} holds ${batch.items.length} of the results${left ? `; ${left} more are left for another batch (secreview.batch.size)` : ''}.`);
  });

  reg('secreview.clearSearch', 'clearing the search results', () => {
    view.set(undefined);
    const s = host.session();
    if (!('missing' in s)) {
      const searching = s.mode === 'search';
      s.setSearch(undefined);
      if (searching) LabelingPanel.current?.showCurrent('next');
    }
  });

  reg('secreview.goToReview', 'going to the review', async (text?: string) => {
    const w = ws();
    const typed = typeof text === 'string' ? text : await vscode.window.showInputBox({
      title: 'Go to Review', prompt: 'A review id, or the URL of a review comment (or of a pull request: lists its reviews)',
      placeHolder: 'e.g. 1234567890 or https://github.com/owner/repo/pull/5#discussion_r1234567890',
      validateInput: (v) => { const r = parseReviewReference(v); return v.trim() && r.kind === 'invalid' ? r.reason : undefined; },
    });
    if (!typed?.trim()) return;
    const ref = parseReviewReference(typed);
    if (ref.kind === 'invalid') throw new Error(ref.reason);
    if (ref.kind === 'pull') {
      await runSearch(w, parseQuery(`repo:"${ref.repo}" pull:${ref.pull}`), view, host, log);
      return;
    }
    if (w.pool.rowOf(ref.id) === undefined) {
      void vscode.window.showWarningMessage(`Security Review: review ${ref.id} is not in the pool (${w.pool.size.toLocaleString('en-US')} reviews). Import it first, or find it by its words with "Find Reviews...".`);
      return;
    }
    LabelingPanel.show(context.extensionUri, panelHost, ref.id);
  });

  return view;
}

