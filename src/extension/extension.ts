/**
 * Entry point: wires the workspace, the labeling panel (and its serializer), the diff view, the
 * side bar, the status bar and the commands. VS Code adapters only; the logic lives in core/store.
 */
import * as vscode from 'vscode';
import { LABELING_VIEW_TYPE } from '../protocol/webview';
import type { SecreviewApi } from './api';
import { BatchesTreeProvider } from './batchesView';
import { registerCommands } from './commands';
import { registerSearch } from './search';
import { DIFF_SCHEME, DiffContentProvider, openReviewDiff } from './diffView';
import { DiffContextFetcher, registerGitHubSignIn } from './github';
import { registerHuggingFaceToken } from './huggingFace';
import { Log } from './log';
import { LabelingPanel, LabelingPanelSerializer, type PanelHost } from './panel';
import { StatusBar } from './statusBar';
import { settings } from './settings';
import { WorkspaceHost } from './workspaceHost';
// ---- Self-contained command modules (simulation study, GitHub crawl, second opinion) ----------------
// Registered below, in "Registration point for self-contained modules". Each owns its commands.
import { registerCrawlCommands } from './crawl';
import { registerDashboard } from './dashboard';
import { registerSecondOpinionCommands } from './secondOpinion';
import { registerSimulationCommands } from './simulation';
// ---------------------------------------------------------------------------------------------------

let workspaceHost: WorkspaceHost | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<SecreviewApi> {
  const log = new Log();
  const host = new WorkspaceHost(log);
  workspaceHost = host;
  const status = new StatusBar(host);
  const fetcher = new DiffContextFetcher(() => host.workspace?.dir);
  context.subscriptions.push(log, host, status);

  const panelHost: PanelHost = {
    session: () => host.session(),
    log,
    changed: () => host.changed(),
    openDiff: async (reviewId) => {
      const s = host.session();
      const review = 'missing' in s ? undefined : s.review(reviewId);
      if (review) await openReviewDiff(review, fetcher, log);
    },
  };
  const api: SecreviewApi = { host, panelHost, status, labelingPanel: () => LabelingPanel.current };

  registerCommands({ context, host, log, status, panelHost, fetcher });
  registerGitHubSignIn(context, log.line);
  registerHuggingFaceToken(context, log.line);

  registerSearch(context, host, panelHost, log);

  const tree = new BatchesTreeProvider(host);
  context.subscriptions.push(
    vscode.window.registerTreeDataProvider('secreview.batches', tree),
    vscode.window.registerWebviewPanelSerializer(LABELING_VIEW_TYPE, new LabelingPanelSerializer(context.extensionUri, panelHost)),
    vscode.workspace.registerTextDocumentContentProvider(DIFF_SCHEME, new DiffContentProvider(() => {
      const s = host.session();
      return 'missing' in s ? undefined : s;
    }, fetcher, log)),
    host.onDidChange(() => { tree.refresh(); status.update(); }),
    host.onDidReloadFromDisk(() => LabelingPanel.current?.reloadedFromDisk()),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('secreview.keys')) LabelingPanel.current?.refresh();
      if (e.affectsConfiguration('secreview.bootstrap.patterns')) {
        const s = host.session();
        if (!('missing' in s)) s.setPatterns(settings().bootstrapPatterns);
        LabelingPanel.current?.refresh();
      }
      if (e.affectsConfiguration('secreview.eta')) status.update();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(async () => { await host.open(); LabelingPanel.current?.refresh(); }),
  );

  // ---- Registration point for self-contained modules ------------------------------------------
  registerSimulationCommands(context, log.channel);
  registerDashboard(context, host, log);
  // A finished crawl goes into the pool like any import (progress, cancel, report).
  registerCrawlCommands(context, log.channel, async (reviewsFile) => {
    await vscode.commands.executeCommand('secreview.importReviews', [vscode.Uri.file(reviewsFile)]);
  });
  registerSecondOpinionCommands(context, {
    get workspace() { return host.workspace; },
    changed: () => { host.changed(); LabelingPanel.current?.refresh(); },
    openAdjudication: (source) => LabelingPanel.show(context.extensionUri, panelHost).startAdjudication(source),
  }, log);
  // ---------------------------------------------------------------------------------------------

  await host.open();
  LabelingPanel.current?.refresh();
  return api;
}

export async function deactivate(): Promise<void> {
  // Releases the workspace lock so another window can write at once.
  await workspaceHost?.close();
}
