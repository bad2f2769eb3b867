/**
 * Palette commands (category "Security Review"). Long work runs under `withProgress` with cancel;
 * failures are shown to the user and logged with their cause.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import * as vscode from 'vscode';
import { LABEL_INFO } from '../core/labels';
import { formatMixture, needsEnsemble, parseMixture, STRATEGIES, STRATEGY_INFO, STRATEGY_NEEDS } from '../core/selection';
import { DEFAULT_BATCH_SIZE } from '../core/defaults';
import { proposeBootstrapBatch, proposeNextBatch } from '../store/batches';
import { EXPORT_FORMATS, labeledMissingFromPool, missingFromPoolText, writeExport, type ExportFormat } from '../store/export';
import { exportFolderFor, partialFolderFor, type ModelExport } from '../store/exportModel';
import { runCliJson } from '../train/cliProcess';
import { formatStats, workspaceStats } from '../store/stats';
import { repairReportText, repairWorkspace } from '../store/repair';
import type { Workspace } from '../store/workspace';
import { openReviewDiff } from './diffView';
import type { FileAtCommitFetcher } from './github';
import type { Log } from './log';
import { LabelingPanel, type PanelHost } from './panel';
import { settings } from './settings';
import type { StatusBar } from './statusBar';
import type { WorkspaceHost } from './workspaceHost';
import { retrain } from './retrain';
import { withHubToken } from './huggingFace';
import { ensureTrusted } from './trust';
import { runtimeUnavailable } from '../train/runtimeSupport';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  host: WorkspaceHost;
  log: Log;
  status: StatusBar;
  panelHost: PanelHost;
  fetcher: FileAtCommitFetcher | undefined;
}

/**
 * Runs a command body, turning errors into a message that says what failed (and logging the
 * cause). The body's result is the command's (`executeCommand` resolves with it); undefined after
 * an error.
 */
export function guarded<A extends unknown[]>(log: Log, what: string, body: (...args: A) => Promise<unknown> | unknown): (...args: A) => Promise<unknown> {
  return async (...args: A) => {
    try {
      return await body(...args);
    } catch (e) {
      if (e instanceof vscode.CancellationError) return undefined;
      log.error(`${what} failed`, e);
      void vscode.window.showErrorMessage(`Security Review: ${what} failed: ${(e as Error).message}`);
      return undefined;
    }
  };
}

const EXPORT_FORMAT_INFO: Record<ExportFormat, string> = {
  jsonl: 'one JSON record per review, with its label history',
  csv: 'spreadsheet-friendly',
  hf: 'a folder that Hugging Face datasets loads (load_dataset)',
};

export function registerCommands(d: CommandDeps): void {
  const { context, host, log } = d;
  const reg = (id: string, what: string, body: (...args: never[]) => Promise<unknown> | unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, guarded(log, what, body as (...args: unknown[]) => Promise<unknown>)));
  const panel = (reviewId?: string) => LabelingPanel.show(context.extensionUri, d.panelHost, reviewId);

  reg('secreview.initWorkspace', 'initializing the workspace', async () => {
    const ws = await host.init();
    log.info(`initialized ${ws.dir}`);
    const importNow = 'Import Reviews...';
    const pick = await vscode.window.showInformationMessage(`Security Review workspace ready in ${path.basename(ws.folder)}/.secreview (${ws.pool.size} reviews).`, importNow);
    if (pick === importNow) await vscode.commands.executeCommand('secreview.importReviews');
  });

  const importReviews = async (files?: vscode.Uri[] | vscode.Uri) => {
    if (!host.workspace) await host.init();
    const ws = host.writable();
    let chosen = Array.isArray(files) ? files : files ? [files] : undefined;
    let labelField: string | undefined;
    if (!chosen) {
      const picked = await pickImportSource(context, ws);
      if (!picked) return;
      chosen = picked.files;
      labelField = picked.labelField;
    }
    await importFiles(ws, chosen.map((u) => u.fsPath), labelField, log);
    host.changed();
    LabelingPanel.current?.refresh();
  };
  reg('secreview.importReviews', 'importing reviews', importReviews);
  // Explorer context menu on *.jsonl / *.jsonl.gz: the clicked file, or every selected one.
  reg('secreview.importIntoPool', 'importing reviews', (clicked?: vscode.Uri, selected?: vscode.Uri[]) => {
    const files = selected?.length ? selected : clicked ? [clicked] : undefined;
    if (!files) throw new Error('choose a .jsonl or .jsonl.gz file in the Explorer');
    return importReviews(files);
  });

  reg('secreview.openLabelingPanel', 'opening the labeling panel', () => { panel(); });
  reg('secreview.openReview', 'opening the review', (reviewId?: string) => { panel(typeof reviewId === 'string' ? reviewId : undefined); });
  reg('secreview.openBatch', 'opening the batch', (batchId?: string) => {
    const s = host.session();
    if ('missing' in s || typeof batchId !== 'string') return;
    s.selectBatch(batchId);
    const p = panel();
    p.showCurrent('open');
  });

  reg('secreview.proposeNextBatch', 'proposing the next batch', async () => {
    const ws = host.writable();
    const batch = await proposeBatch(ws, log);
    if (!batch) return;
    host.changed();
    const s = host.session();
    if (!('missing' in s)) s.selectBatch(batch);
    panel().showCurrent('next');
  });

  reg('secreview.undoLastLabel', 'undoing the last label', async () => {
    const p = LabelingPanel.current ?? panel();
    await p.undo();
  });

  for (const info of LABEL_INFO) {
    reg(`secreview.label.${info.id}`, `labeling as ${info.id}`, async () => {
      const p = LabelingPanel.current;
      const id = p?.currentReviewId();
      if (p && id) await p.label(id, info.id);
    });
  }
  reg('secreview.skip', 'skipping', () => {
    const s = host.session();
    if ('missing' in s || !s.currentId) return;
    s.skip(s.currentId);
    s.advance();
    LabelingPanel.current?.showCurrent('next');
  });
  reg('secreview.applyToNearDuplicates', 'labeling the near-duplicates', async () => {
    const s = host.session();
    const p = LabelingPanel.current;
    const offer = 'missing' in s ? undefined : s.groupOffer();
    if (p && offer) await p.applyToNearDuplicates(offer.reviewId);
  });
  reg('secreview.addNote', 'adding a note', async () => {
    const p = LabelingPanel.current;
    const id = p?.currentReviewId();
    if (p && id) await p.note(id);
  });
  reg('secreview.openOnGitHub', 'opening the comment on GitHub', async () => {
    const s = host.session();
    if ('missing' in s || !s.currentId) return;
    const r = s.review(s.currentId);
    if (r && /^https:\/\//.test(r.url)) await vscode.env.openExternal(vscode.Uri.parse(r.url, true));
  });
  reg('secreview.toggleKeys', 'showing the keys', () => LabelingPanel.current?.toggleHelp());
  reg('secreview.showGuidelines', 'showing the guidelines', () => { (LabelingPanel.current ?? panel()).toggleGuidelines(); });

  reg('secreview.openDiff', 'opening the diff', async (reviewId?: string) => {
    const s = host.session();
    if ('missing' in s) throw new Error(s.missing);
    const id = typeof reviewId === 'string' ? reviewId : s.currentId;
    if (!id) throw new Error('no review is shown in the labeling panel');
    const review = s.review(id);
    if (!review) throw new Error(`review ${id} is not in the pool`);
    const mode = await openReviewDiff(review, d.fetcher, log);
    log.info(`diff for review ${id} opened (${mode})`);
  });

  reg('secreview.showStatistics', 'computing statistics', () => {
    const s = host.session();
    if ('missing' in s) throw new Error(s.missing);
    const text = formatStats(workspaceStats(s.ws));
    log.channel.appendLine('\n' + text);
    log.channel.show(true);
    return text;
  });

  reg('secreview.exportDataset', 'exporting the dataset', async (target?: vscode.Uri, formatArg?: string) => {
    const s = host.session();
    if ('missing' in s) throw new Error(s.missing);
    const format = (EXPORT_FORMATS as readonly string[]).includes(formatArg ?? '') ? formatArg as ExportFormat
      : (await vscode.window.showQuickPick(EXPORT_FORMATS.map((f) => ({ label: f, description: EXPORT_FORMAT_INFO[f] })), { title: 'Export format', ignoreFocusOut: true }))?.label as ExportFormat | undefined;
    if (!format) return;
    const uri = target ?? await vscode.window.showSaveDialog(format === 'hf'
      ? { title: 'Export labeled dataset as a Hugging Face datasets folder (a new folder)', defaultUri: vscode.Uri.file(path.join(s.ws.folder, 'security-reviews-dataset')) }
      : { title: 'Export labeled dataset', defaultUri: vscode.Uri.file(path.join(s.ws.folder, `security-reviews.${format}`)), filters: { [format.toUpperCase()]: [format] } });
    if (!uri) return;
    const rows = await writeExport(s.ws, format, uri.fsPath);
    log.info(`exported ${rows} labeled reviews to ${uri.fsPath}`);
    const missing = labeledMissingFromPool(s.ws);
    if (missing.length) {
      log.warn(missingFromPoolText(rows, missing));
      void vscode.window.showWarningMessage(`Security Review: exported ${rows} labeled reviews to ${path.basename(uri.fsPath)}; ${missing.length} have no record in the pool (label and history only; see the output channel).`);
    } else {
      void vscode.window.showInformationMessage(`Security Review: exported ${rows} labeled reviews to ${path.basename(uri.fsPath)}.`);
    }
  });

  reg('secreview.exportModel', 'exporting the model', async (target?: vscode.Uri) => {
    const s = host.session();
    if ('missing' in s) throw new Error(s.missing);
    const model = s.ws.db.latestModel();
    if (!model) throw new Error('no model is trained yet: run "Security Review: Retrain and Propose Next Batch" first');
    if (!ensureTrusted('exporting a model')) return;
    const unavailable = runtimeUnavailable('exporting a model');
    if (unavailable) throw new Error(unavailable);
    const uri = target ?? (await vscode.window.showOpenDialog({
      canSelectFolders: true, canSelectFiles: false, canSelectMany: false, openLabel: 'Export Here', defaultUri: vscode.Uri.file(s.ws.folder),
      title: `Export model ${model.version} (into the folder if it is empty, else into a new subfolder secreview-model-${model.version})`,
    }))?.[0];
    if (!uri) return;
    const out = exportFolderFor(uri.fsPath, model.version);
    const cfg = settings();
    // In a CLI child process: a RoBERTa export builds hundreds of MB of graph synchronously, which
    // would freeze this extension host. Hub encoders are in the extension's storage; the setting's
    // folder stands in for a base encoder that has moved since training.
    const env: NodeJS.ProcessEnv = { ...await withHubToken(context.secrets), SECREVIEW_CACHE: path.join(context.globalStorageUri.fsPath, 'models') };
    if (cfg.modelPath) env.SECREVIEW_MODEL_PATH = cfg.modelPath;
    else delete env.SECREVIEW_MODEL_PATH;
    let pid: number | undefined;
    const r = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Security Review: exporting model ${model.version}`, cancellable: true }, async (_, token) => {
      const controller = new AbortController();
      token.onCancellationRequested(() => controller.abort());
      try {
        return await runCliJson<ModelExport>(['-C', s.ws.folder, 'export-model', '--out', out, '--model', model.version], { env, signal: controller.signal, onStart: (p) => { pid = p; } });
      } catch (e) {
        // A cancelled or crashed export leaves its unfinished folder behind; nothing else was written.
        if (pid !== undefined) rmSync(partialFolderFor(out, pid), { recursive: true, force: true });
        if (controller.signal.aborted) return undefined;
        throw e;
      }
    });
    if (!r) { log.info(`export of model ${model.version} cancelled`); return; }
    log.info(`exported model ${r.version} (${r.representation}${r.precision ? `, ${r.precision}` : ''}) to ${out}: ${r.files.join(', ')}`);
    void vscode.window.showInformationMessage(`Security Review: exported model ${r.version} (${r.representation}${r.precision ? `, ${r.precision}` : ''}) to ${out}.`);
  });

  reg('secreview.retrain', 'retraining', async () => {
    const ws = host.writable();
    if (!ensureTrusted('retraining')) return;
    await retrain(ws, d.status, log, path.join(context.globalStorageUri.fsPath, 'models'), await withHubToken(context.secrets));
    host.changed();
    const s = host.session();
    if (!('missing' in s)) { s.selectBatch(ws.db.latestBatch()!.id); LabelingPanel.current?.showCurrent('next'); }
  });

  reg('secreview.refreshBatches', 'refreshing', async () => { await host.open(); LabelingPanel.current?.refresh(); });

  reg('secreview.repairWorkspace', 'repairing the workspace', async () => {
    const folder = host.folder();
    if (!folder) throw new Error('open a folder first (File > Open Folder)');
    // This window's own lock is let go for the repair and taken again after it.
    await host.close();
    let report;
    try {
      report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Security Review: repairing the workspace', cancellable: false },
        () => repairWorkspace(folder, { owner: `VS Code window (pid ${process.pid})`, lockWaitMs: 5000 }));
    } finally {
      await host.open();
      LabelingPanel.current?.refresh();
    }
    log.info(repairReportText(report));
    log.channel.show(true);
    const done = report.steps.filter((s) => s.outcome === 'repaired').length;
    const lost = report.steps.filter((s) => s.outcome === 'not recovered').length;
    const summary = `${done ? `${done} repairs` : 'nothing needed repair'}${lost ? `, ${lost} things could not be recovered` : ''} (details in the output channel)`;
    if (!report.opened) void vscode.window.showErrorMessage(`Security Review: the workspace still does not open after the repair: ${report.openError}`);
    else if (lost) void vscode.window.showWarningMessage(`Security Review: workspace repaired: ${summary}.`);
    else void vscode.window.showInformationMessage(`Security Review: workspace checked: ${summary}.`);
  });
}

async function pickImportSource(context: vscode.ExtensionContext, ws: Workspace): Promise<{ files: vscode.Uri[]; labelField?: string } | undefined> {
  type Item = vscode.QuickPickItem & { files?: vscode.Uri[]; browse?: boolean; labelField?: string };
  const items: Item[] = [];
  const demo = vscode.Uri.joinPath(context.extensionUri, 'demo', 'reviews.jsonl');
  if (existsSync(demo.fsPath)) items.push({ label: 'Demo data', description: 'synthetic review comments shipped with the extension', files: [demo] });
  const folderFiles = readdirSync(ws.folder, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.(jsonl|ndjson|json)(\.gz)?$/i.test(e.name))
    .map((e) => vscode.Uri.file(path.join(ws.folder, e.name)));
  for (const f of folderFiles) items.push({ label: path.basename(f.fsPath), description: 'in this folder', files: [f] });
  items.push({ label: 'Choose files...', description: 'JSONL (optionally .gz): paper crawl, GitHub REST or GraphQL review comments', browse: true });
  const pick = await vscode.window.showQuickPick(items, { title: 'Import reviews into the pool', placeHolder: 'Where are the review comments?', ignoreFocusOut: true });
  if (!pick) return undefined;
  if (pick.browse) {
    const files = await vscode.window.showOpenDialog({ canSelectMany: true, title: 'Review comments to import', filters: { 'Review comments': ['jsonl', 'ndjson', 'json', 'gz'] } });
    if (!files?.length) return undefined;
    const labelField = await vscode.window.showInputBox({ title: 'Existing labels (optional)', ignoreFocusOut: true, prompt: 'A field holding labels to import as well (e.g. tag_post_qa); leave empty for none' });
    if (labelField === undefined) return undefined;
    return { files, labelField: labelField.trim() || undefined };
  }
  return { files: pick.files! };
}

async function importFiles(ws: Workspace, files: string[], labelField: string | undefined, log: Log): Promise<void> {
  const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Security Review: importing reviews', cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    let lastPct = 0;
    return ws.importFiles(files, {
      labelField, signal: controller.signal,
      onProgress: (p) => {
        const pct = p.totalBytes ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 0;
        progress.report({ message: `${path.basename(p.file)}: ${p.imported.toLocaleString('en-US')} imported, ${p.duplicates} duplicates, ${p.errors} errors`, increment: Math.max(0, pct - lastPct) });
        lastPct = pct;
      },
    });
  });
  for (const p of report.problems.slice(0, 50)) log.warn(`${p.file}:${p.line}: ${p.reason}`);
  const labels = report.labelSummary ? `; labels: ${report.labelSummary.added} added, ${report.labelSummary.conflicts} conflicts` : '';
  const msg = `imported ${report.imported.toLocaleString('en-US')} reviews (${report.duplicates} duplicates, ${report.errors} bad lines${report.errors ? ': see the output channel' : ''}); pool: ${report.rows.toLocaleString('en-US')}${labels}`;
  log.info(msg);
  void vscode.window.showInformationMessage(`Security Review: ${msg}.`);
}

/** Strategy and size pickers; the first batch (no model yet) comes from the keyword rule. Returns the batch id. */
async function proposeBatch(ws: Workspace, log: Log): Promise<string | undefined> {
  const cfg = settings();
  const hasModel = ws.db.latestModel() !== undefined;
  for (const problem of cfg.patternErrors) log.warn(`${problem}; the pattern is left out`);
  const patterns = cfg.bootstrapPatterns;
  type Item = vscode.QuickPickItem & { spec: string };
  const items: Item[] = [];
  if (!hasModel) {
    items.push(patterns.length
      ? { label: `Bootstrap (keyword rule M1 and your ${patterns.length} pattern${patterns.length === 1 ? '' : 's'})`, description: `reviews matching "secur" or ${patterns.map(String).join(', ')}`, spec: 'bootstrap' }
      : { label: 'Bootstrap (keyword rule M1)', description: 'reviews matching "secur" (the paper\'s first batch)', spec: 'bootstrap' });
  }
  // Ensemble strategies rank by the members of a model trained with an ensemble; diverse compares reviews by their text.
  const members = ws.db.latestModel()?.ensemble as { members?: number } | undefined;
  const mixture = parseMixture(cfg.mixture);
  const mixtureNote = !hasModel ? 'needs a trained model (Retrain)'
    : needsEnsemble(mixture) && !members?.members ? 'from settings; the latest model has no ensemble: Retrain first'
      : 'from settings (secreview.strategy.mixture)';
  items.push({ label: `Mixture: ${formatMixture(mixture)}`, description: mixtureNote, spec: cfg.mixture });
  for (const st of STRATEGIES) {
    const unavailable = STRATEGY_NEEDS[st] === 'ensemble' && !members?.members
      ? `needs a model trained with an ensemble: set secreview.strategy.mixture to ${st} and Retrain` : undefined;
    // auto says what it stands for with the latest model.
    const auto = st === 'auto' && hasModel
      ? members?.members ? `now the mean p(yes) of the latest model's ${members.members} ensemble members` : 'now rare label: the latest model has no ensemble (linear head)'
      : undefined;
    items.push({ label: STRATEGY_INFO[st].title, description: unavailable ?? auto ?? STRATEGY_INFO[st].description, spec: st });
  }
  items.push({ label: 'Custom mixture...', description: 'e.g. rare:0.9,random:0.1', spec: 'custom' });
  const pick = await vscode.window.showQuickPick(items, { title: 'Propose the next batch: strategy', ignoreFocusOut: true, placeHolder: hasModel ? 'Candidate-selection strategy' : 'No model yet: start with the keyword rule' });
  if (!pick) return undefined;
  let spec = pick.spec;
  if (spec === 'custom') {
    const typed = await vscode.window.showInputBox({ title: 'Strategy mixture', ignoreFocusOut: true, value: cfg.mixture, validateInput: (v) => { try { parseMixture(v); return undefined; } catch (e) { return (e as Error).message; } } });
    if (!typed) return undefined;
    spec = typed;
  }
  const sizeText = await vscode.window.showInputBox({ title: 'Batch size', ignoreFocusOut: true, value: String(cfg.batchSize || DEFAULT_BATCH_SIZE), validateInput: (v) => /^\d+$/.test(v.trim()) && Number(v) > 0 ? undefined : 'a positive whole number' });
  if (!sizeText) return undefined;
  const size = Number(sizeText.trim());
  const seed = ws.db.batches().length + 1;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Security Review: proposing a batch', cancellable: false }, async () => {
    const nearDuplicates = cfg.excludeNearDuplicates ? await ws.nearDuplicates.groups() : undefined;
    if (spec === 'bootstrap') {
      const { batch, candidates } = await proposeBootstrapBatch(ws, { size, seed, patterns: patterns.map(String), nearDuplicates });
      if (!batch) {
        void vscode.window.showWarningMessage('Security Review: no unlabeled review matches the keyword rule; propose a random batch instead.');
        return undefined;
      }
      log.info(`bootstrap batch ${batch.id}: ${batch.items.length} of ${candidates} keyword matches`);
      return batch.id;
    }
    const { batch, unscored } = await proposeNextBatch(ws, { mixture: parseMixture(spec), size, seed, nearDuplicates, batchMode: { diversityWeight: cfg.diversityWeight, diversityCandidates: cfg.diversityCandidates } });
    if (!batch) {
      void vscode.window.showWarningMessage('Security Review: no unlabeled reviews left to propose.');
      return undefined;
    }
    log.info(`batch ${batch.id}: ${batch.items.length} reviews by ${batch.strategy}${unscored ? ` (${unscored} newer reviews not scored yet)` : ''}`);
    return batch.id;
  });
}

