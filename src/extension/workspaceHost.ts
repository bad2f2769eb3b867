/**
 * The window's labeling workspace: opened from the first workspace folder when it has a
 * `.secreview/` folder, for writing when this window can take the lock, read-only (saying who holds
 * it) when another window or a CLI run does. Everything else asks this object for the session.
 */
import * as vscode from 'vscode';
import { LockedError } from '../store/lock';
import { Workspace } from '../store/workspace';
import type { Log } from './log';
import { LabelingSession } from './session';
import { settings } from './settings';

export class WorkspaceHost implements vscode.Disposable {
  private ws: Workspace | undefined;
  private current: LabelingSession | undefined;
  private openError: string | undefined;
  /** Team mode: watches the label logs and labels.json for what a `git pull` brings. */
  private watcher: vscode.Disposable | undefined;
  private reloadTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly changedEmitter = new vscode.EventEmitter<void>();
  /** Fires after labels, batches or the workspace itself changed. */
  readonly onDidChange = this.changedEmitter.event;
  private readonly reloadedEmitter = new vscode.EventEmitter<void>();
  /** Team mode: fires after labels written elsewhere (a teammate's log a `git pull` brought) were reread. */
  readonly onDidReloadFromDisk = this.reloadedEmitter.event;

  constructor(private readonly log: Log) {}

  folder(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  get workspace(): Workspace | undefined { return this.ws; }

  /** The open session, or a sentence saying why there is none and what to do. */
  session(): LabelingSession | { missing: string } {
    if (this.current) return this.current;
    if (this.openError) return { missing: this.openError };
    if (!this.folder()) return { missing: 'Open a folder first (File > Open Folder), then run "Security Review: Initialize Workspace".' };
    return { missing: 'No Security Review workspace in this folder yet: run "Security Review: Initialize Workspace", then "Security Review: Import Reviews...".' };
  }

  /** Opens the folder's workspace if it has one; safe to call again (reopens after an init). */
  async open(): Promise<Workspace | undefined> {
    const folder = this.folder();
    if (!folder || !Workspace.exists(folder)) return undefined;
    await this.close();
    try {
      const options = { fallBackToReadOnly: true, owner: `VS Code window (pid ${process.pid})`, annotator: settings().annotator };
      this.ws = await Workspace.open(folder, options);
      // After a window reload the previous extension host may take a moment to exit and release
      // its lock: wait for it briefly before settling for read-only.
      for (let i = 0; i < 12 && this.ws.readOnly; i++) {
        await this.ws.close();
        await new Promise((r) => setTimeout(r, 500));
        this.ws = await Workspace.open(folder, options);
      }
      this.openError = undefined;
      this.current = new LabelingSession(this.ws, (m) => this.log.warn(m));
      this.current.setPatterns(settings().bootstrapPatterns);
      this.watchTeamLogs(folder, this.ws);
      if (this.ws.readOnly) this.log.warn(`workspace opened read-only: ${this.ws.readOnlyReason}`);
      else this.log.info(`workspace opened: ${this.ws.dir} (${this.ws.pool.size} reviews, ${this.ws.db.current().size} labeled)`);
    } catch (e) {
      this.openError = `The Security Review workspace could not be opened: ${(e as Error).message}`;
      this.log.error('opening the workspace failed', e);
    }
    void vscode.commands.executeCommand('setContext', 'secreview.workspaceOpen', this.ws !== undefined);
    this.changed();
    return this.ws;
  }

  /** Creates `.secreview/` in the folder (idempotent) and opens it. */
  async init(): Promise<Workspace> {
    const folder = this.folder();
    if (!folder) throw new Error('open a folder first (File > Open Folder)');
    await this.close();
    try {
      const ws = await Workspace.init(folder, { owner: `VS Code window (pid ${process.pid})`, annotator: settings().annotator });
      await ws.close();
    } catch (e) {
      if (e instanceof LockedError) throw new Error(`another window or process is writing this workspace: ${e.message}`);
      throw e;
    }
    const ws = await this.open();
    if (!ws) throw new Error(`the workspace in ${folder} could not be opened after initializing it`);
    return ws;
  }

  /** A writable workspace, or an error that says why not. */
  writable(): Workspace {
    const s = this.session();
    if ('missing' in s) throw new Error(s.missing);
    if (s.ws.readOnly) throw new Error(`this window has the workspace read-only: ${s.ws.readOnlyReason}`);
    return s.ws;
  }

  changed(): void {
    this.changedEmitter.fire();
    this.groupNearDuplicates();
  }

  private grouping: Workspace | undefined;

  /**
   * Computes the pool's near-duplicate groups in the background when they are not current (after
   * opening, after an import), signing first the reviews a pool imported before signatures existed
   * holds (with progress in the status bar); the panel shows them once they are ready.
   */
  private groupNearDuplicates(): void {
    const ws = this.ws;
    if (!ws || ws.nearDuplicates.current || this.grouping === ws) return;
    this.grouping = ws;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Security Review: near-duplicates' }, async (progress) => {
      try {
        const groups = await ws.nearDuplicates.groups({
          onProgress: (p) => progress.report({ message: p.phase === 'signing' ? `signing ${p.done.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} reviews` : `grouping (${p.done}/${p.total})` }),
        });
        const s = groups.summary;
        this.log.info(`near-duplicates: ${s.groups} groups hold ${s.reviewsInGroups} of ${groups.rows} reviews (largest ${s.largest})${s.unsigned ? `; ${s.unsigned} reviews not signed (read-only window)` : ''}`);
      } catch (e) {
        this.log.warn(`near-duplicates could not be computed: ${(e as Error).message}`);
        return;
      } finally {
        if (this.grouping === ws) this.grouping = undefined;
      }
      if (this.ws !== ws) return;
      this.current?.invalidateViews();
      this.changed();
    });
  }

  /**
   * In team mode, teammates' labels arrive through git: when a log or labels.json changes on disk
   * (and not by this window's own write), the database rereads them and the views follow.
   */
  private watchTeamLogs(folder: string, ws: Workspace): void {
    if (!ws.db.teamMode) return;
    const w = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.secreview/{labels.json,labels/*.jsonl}'));
    const later = () => {
      if (this.reloadTimer) clearTimeout(this.reloadTimer);
      this.reloadTimer = setTimeout(() => {
        this.reloadTimer = undefined;
        if (this.ws !== ws) return;
        ws.db.reloadIfChanged().then((changed) => {
          if (!changed) return;
          this.log.info('labels changed on disk (another annotator\'s log, a git pull): reread');
          if (this.ws !== ws) return;
          this.current?.invalidateViews();
          this.changed();
          this.reloadedEmitter.fire();
        }, (e: unknown) => this.log.error('rereading the label logs failed', e));
      }, 300);
    };
    w.onDidChange(later);
    w.onDidCreate(later);
    w.onDidDelete(later);
    this.watcher = w;
  }

  async close(): Promise<void> {
    this.watcher?.dispose();
    this.watcher = undefined;
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    const ws = this.ws;
    this.ws = undefined;
    this.current = undefined;
    if (ws) await ws.close();
  }

  dispose(): void {
    void this.close();
    this.changedEmitter.dispose();
    this.reloadedEmitter.dispose();
  }
}
