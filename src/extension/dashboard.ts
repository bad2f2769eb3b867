/**
 * "Show Dashboard": a webview (strict CSP, fresh nonce, theme colours from --vscode-* variables)
 * that shows the numbers of src/core/dashboard.ts and redraws when labels, batches or models change.
 * Probe probabilities come from the bundled CLI (`cli.js predict --model V`) in a child process, so
 * the extension host never loads onnxruntime; they are cached per model version and probe list.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { webviewHtml } from './webviewHtml';
import { buildDashboard, DEFAULT_PROBES } from '../core/dashboard';
import { TARGET_LABEL } from '../core/labels';
import { DASHBOARD_VIEW_TYPE, isDashboardWebviewToHost, type DashboardHostToWebview } from '../protocol/dashboard';
import { workspaceStats, type WorkspaceStats } from '../store/stats';
import type { Workspace } from '../store/workspace';
import type { Log } from './log';
import { LabelingPanel } from './panel';
import { settings } from './settings';
import { RESTRICTED_MODE_NOTE } from './trust';
import { runtimeUnavailable } from '../train/runtimeSupport';
import type { WorkspaceHost } from './workspaceHost';

/** The probe sentences from the settings (blank entries dropped), else the defaults. */
export function probeSentences(): string[] {
  const v = vscode.workspace.getConfiguration('secreview').get<unknown>('dashboard.probes');
  const list = Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string' && s.trim() !== '').map((s) => s.trim()) : [];
  return list.length ? list : [...DEFAULT_PROBES];
}

/** The bundled CLI beside this bundle (dist/cli.js); `SECREVIEW_CLI` overrides it. */
function cliPath(): string | undefined {
  const override = process.env.SECREVIEW_CLI;
  if (override) return path.resolve(override);
  const bundled = path.join(__dirname, 'cli.js');
  return existsSync(bundled) ? bundled : undefined;
}

/** Probabilities of `yes` for each probe under model `version`, from `cli.js predict`. */
export async function predictProbes(folder: string, version: string, probes: readonly string[]): Promise<number[]> {
  const cli = cliPath();
  if (!cli) throw new Error('the bundled CLI (dist/cli.js) is missing; rebuild with "npm run build"');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'secreview-probes-'));
  try {
    const file = path.join(dir, 'probes.jsonl');
    // The REST shape is the simplest the importer accepts; the comment id gives each probe its row.
    await writeFile(file, probes.map((body, i) => JSON.stringify({ id: i + 1, html_url: `https://github.com/probe/probe/pull/1#discussion_r${i + 1}`, body })).join('\n') + '\n');
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = fork(cli, ['-C', folder, 'predict', file, '--model', version], { silent: true });
      let out = '', err = '';
      child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
      child.stderr?.on('data', (d: Buffer) => { err = (err + d.toString()).slice(-2000); });
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`predict exited with ${code}: ${err.trim().split('\n').at(-1) ?? ''}`))));
    });
    const byId = new Map<string, number>();
    for (const line of stdout.split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { id: string; probs: Record<string, number> };
      byId.set(String(r.id), r.probs[TARGET_LABEL] ?? NaN);
    }
    return probes.map((_, i) => {
      const p = byId.get(String(i + 1));
      if (p === undefined) throw new Error(`predict returned no probability for probe ${i + 1}`);
      return p;
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Probe results per model version for one probe list; recomputed only for new versions. */
class ProbeCache {
  private key = '';
  private readonly results = new Map<string, readonly number[] | { error: string }>();
  readonly pending = new Set<string>();

  constructor(private readonly log: Log, private readonly onUpdate: () => void) {}

  get(folder: string, versions: readonly string[], probes: readonly string[]): ReadonlyMap<string, readonly number[] | { error: string }> {
    // `predict` loads the workspace's models: not before the folder is trusted, nor where onnxruntime cannot run.
    const blocked = !vscode.workspace.isTrusted ? `${RESTRICTED_MODE_NOTE}: the probes run this folder's models once you trust it`
      : runtimeUnavailable('scoring the probes');
    if (blocked) return new Map(versions.map((v) => [v, { error: blocked }]));
    const key = JSON.stringify([folder, probes]);
    if (key !== this.key) { this.key = key; this.results.clear(); }
    const todo = versions.filter((v) => !this.results.has(v) && !this.pending.has(v));
    if (todo.length) void this.compute(key, folder, todo, probes);
    return this.results;
  }

  private async compute(key: string, folder: string, versions: string[], probes: readonly string[]): Promise<void> {
    for (const v of versions) this.pending.add(v);
    // One at a time: each child loads a model, and the window should stay responsive.
    for (const v of versions) {
      let result: readonly number[] | { error: string };
      try {
        result = await predictProbes(folder, v, probes);
      } catch (e) {
        this.log.warn(`dashboard: probe probabilities for model ${v} failed: ${(e as Error).message}`);
        result = { error: (e as Error).message };
      }
      this.pending.delete(v);
      if (key === this.key) this.results.set(v, result);
      this.onUpdate();
    }
  }
}

export class DashboardPanel implements vscode.Disposable {
  static current: DashboardPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly probes: ProbeCache;

  static show(extensionUri: vscode.Uri, host: WorkspaceHost, log: Log): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal(vscode.ViewColumn.Active);
      DashboardPanel.current.refresh();
      return DashboardPanel.current;
    }
    // Beside a visible labeling panel (keeping its focus), so the numbers move as one labels.
    const beside = LabelingPanel.current?.panel.visible === true;
    const panel = vscode.window.createWebviewPanel(DASHBOARD_VIEW_TYPE, 'Security Review Dashboard',
      { viewColumn: beside ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preserveFocus: beside }, DashboardPanel.options(extensionUri));
    return new DashboardPanel(panel, extensionUri, host, log);
  }

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media'), vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    };
  }

  constructor(readonly panel: vscode.WebviewPanel, private readonly extensionUri: vscode.Uri, private readonly host: WorkspaceHost, private readonly log: Log) {
    DashboardPanel.current = this;
    this.probes = new ProbeCache(log, () => this.scheduleRefresh(0));
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.options = DashboardPanel.options(extensionUri);
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => {
        if (!isDashboardWebviewToHost(m)) { log.warn(`dashboard: ignored malformed message ${JSON.stringify(m).slice(0, 200)}`); return; }
        if (m.type === 'ready') { this.ready = true; this.refresh(); }
        else void vscode.commands.executeCommand('workbench.action.openSettings', 'secreview.dashboard.probes');
      }),
      host.onDidChange(() => this.scheduleRefresh(300)),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('secreview.dashboard.probes')) this.scheduleRefresh(0); }),
      panel.onDidChangeViewState(() => { if (panel.visible) this.scheduleRefresh(0); }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.scheduleRefresh(0)),
    );
  }

  /** Label bursts (fast typing) redraw once, after they settle. */
  private scheduleRefresh(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.timer = undefined; this.refresh(); }, ms);
  }

  refresh(): void {
    if (!this.ready || !this.panel.visible) return;
    let message: DashboardHostToWebview;
    const ws = this.host.workspace;
    const s = this.host.session();
    if (!ws) {
      message = { type: 'empty', message: 'missing' in s ? s.missing : 'No Security Review workspace is open.' };
    } else {
      try {
        const current = ws.db.current();
        const models = ws.db.models();
        const probes = probeSentences();
        const probeResults = this.probes.get(this.host.folder() ?? path.dirname(ws.dir), models.map((m) => m.version), probes);
        const data = buildDashboard({
          stats: dashboardStats(ws, s), batches: ws.db.batches(), labelOf: (id) => current.get(id)?.label,
          models, probes, probeResults, probesPending: this.probes.pending,
        });
        message = { type: 'data', data, generatedAt: new Date().toISOString() };
      } catch (e) {
        this.log.error('dashboard: computing the statistics failed', e);
        message = { type: 'empty', message: `The dashboard could not be computed: ${(e as Error).message}` };
      }
    }
    void this.panel.webview.postMessage(message);
  }

  private html(): string {
    return webviewHtml(this.panel.webview, this.extensionUri, { title: 'Security Review Dashboard', script: 'dashboard', styles: ['dashboard.css'], rootTag: 'main' });
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    if (this.timer) clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

/** The command and the serializer that restores an open dashboard after a window reload. */
export function registerDashboard(context: vscode.ExtensionContext, host: WorkspaceHost, log: Log): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('secreview.showDashboard', () => { DashboardPanel.show(context.extensionUri, host, log); }),
    vscode.window.registerWebviewPanelSerializer(DASHBOARD_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) { new DashboardPanel(panel, context.extensionUri, host, log); },
    }),
  );
}

/** The statistics the dashboard shows: the ETA counts to the setting's target at the person's pace, over the batch being labeled. */
function dashboardStats(ws: Workspace, s: ReturnType<WorkspaceHost['session']>): WorkspaceStats {
  const cfg = settings();
  const batchId = 'missing' in s || s.mode !== 'label' ? undefined : s.batchId;
  return workspaceStats(ws, { targetPositives: cfg.targetPositives || undefined, idleSeconds: cfg.idleSeconds, batchId });
}
