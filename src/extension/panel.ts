/**
 * The labeling panel: a webview with a strict CSP (default-src 'none', a fresh nonce per render,
 * local resources only from media/ and dist/webview/), restored after a window reload by a
 * serializer (state from the webview's setState), never kept alive with retainContextWhenHidden.
 * The host awaits every store write before it posts the next candidate.
 */
import * as vscode from 'vscode';
import { webviewHtml } from './webviewHtml';
import { readPanelPosition, writePanelPosition } from '../store/panelState';
import type { Label } from '../core/labels';
import { cwePickRows, parseCweId, sortCwe, type CweSuggestion } from '../core/cwe';
import { parseWebviewToHost, LABELING_VIEW_TYPE, type HostToWebview, type LabelingPanelState, type WebviewToHost } from '../protocol/webview';
import type { Log } from './log';
import type { LabelingSession } from './session';
import type { AdjudicationSource } from '../store/labelDb';
import { guidelines } from './settings';
import { isSafeLink } from './render/markdown';
import { warmUpHighlighting } from './render/diffHtml';

export interface PanelHost {
  /** The session of the open workspace, or a reason why there is none. */
  session(): LabelingSession | { missing: string };
  log: Log;
  /** Called after labels change (status bar, side bar). */
  changed(): void;
  openDiff(reviewId: string): Promise<void>;
}

/** Prefetch without waiting for the webview's "rendered" after this long (a hidden panel paints nothing). */
const PREFETCH_FALLBACK_MS = 300;

export class LabelingPanel implements vscode.Disposable {
  static current: LabelingPanel | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private seq = 0;
  private ready = false;
  private busy: Promise<unknown> = Promise.resolve();

  static show(extensionUri: vscode.Uri, host: PanelHost, reviewId?: string): LabelingPanel {
    if (LabelingPanel.current) {
      LabelingPanel.current.panel.reveal(vscode.ViewColumn.Active);
      if (reviewId) LabelingPanel.current.openReview(reviewId);
      return LabelingPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(LABELING_VIEW_TYPE, 'Security Review Labeling', vscode.ViewColumn.Active, LabelingPanel.options(extensionUri));
    return new LabelingPanel(panel, extensionUri, host, reviewId ? { reviewId } : undefined);
  }

  static options(extensionUri: vscode.Uri): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      enableFindWidget: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'media'), vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    };
  }

  private lastSaved: string | undefined;

  constructor(readonly panel: vscode.WebviewPanel, private readonly extensionUri: vscode.Uri, private readonly host: PanelHost, private restoreState?: LabelingPanelState, private restoring = false) {
    LabelingPanel.current = this;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.svg');
    panel.webview.options = LabelingPanel.options(extensionUri);
    panel.webview.html = this.html();
    this.disposables.push(
      panel.onDidDispose(() => this.dispose()),
      panel.webview.onDidReceiveMessage((m: unknown) => {
        const parsed = parseWebviewToHost(m);
        if (parsed.ok) { void this.handle(parsed.message); return; }
        // A malformed request is answered (the webview would otherwise wait for it), and logged.
        host.log.warn(`labeling panel: malformed message (${parsed.error}): ${JSON.stringify(m).slice(0, 200)}`);
        if (parsed.requestId !== undefined) this.ack(parsed.requestId, `The panel sent a malformed request (${parsed.error}); nothing changed.`);
      }),
    );
  }

  private post(message: HostToWebview): void {
    // A new view voids the webview's upcoming one.
    if (message.type === 'show') this.upcomingSent = undefined;
    void this.panel.webview.postMessage(message);
  }

  /** The upcoming view posted since the last `show` (`reviewId:version`), so it goes once. */
  private upcomingSent: string | undefined;

  /**
   * Sends the webview the view a label on the shown review leads to, so that the label key shows it
   * without waiting for the write and the reply: at once when it is rendered already (`render`
   * false), else once rendered (from the prefetch, after the paint).
   */
  private sendUpcoming(render: boolean): void {
    const s = this.host.session();
    if (!this.ready || 'missing' in s || s.readOnlyReason || !s.currentId) return;
    const view = s.upcomingView(render);
    const key = view && `${view.reviewId}:${view.version}`;
    if (!view || key === this.upcomingSent) return;
    this.upcomingSent = key;
    this.post({ type: 'upcoming', after: s.currentId, candidate: view });
  }

  /** The request whose action is running: the `show` it posts answers it. */
  private answering: number | undefined;

  /**
   * Runs actions one at a time, in key order, so fast typing never reorders writes. With a request
   * id, every `show` the action posts carries it, so the webview tells the view it asked for from
   * one that another event (an import, a refresh) happened to post meanwhile.
   */
  private serial<T>(action: () => Promise<T>, requestId?: number): Promise<T> {
    const run = async () => {
      this.answering = requestId;
      try { return await action(); } finally { this.answering = undefined; }
    };
    const p = this.busy.then(run, run);
    this.busy = p.catch(() => {});
    return p;
  }

  private async handle(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready': {
        this.ready = true;
        const s = this.host.session();
        // After a reload, the position the host saved on every move is fresher than the webview's state.
        const saved = this.restoring && !('missing' in s) ? readPanelPosition(s.ws.dir) : undefined;
        const state = saved ?? (m.state?.reviewId ? m.state : this.restoreState);
        this.restoreState = undefined;
        this.restoring = false;
        if (!('missing' in s) && state?.mode === 'adjudicate') s.startAdjudication();
        if (!('missing' in s) && state?.reviewId && (s.mode === 'label' || s.pendingOpinion(state.reviewId)) && s.open(state.reviewId)) this.showCurrent('restore');
        else this.refresh();
        return;
      }
      case 'mode':
        await this.serial(async () => { if (m.mode === 'adjudicate') this.startAdjudication('keep'); else this.stopAdjudication(); }, m.requestId);
        return;
      case 'label': {
        const receivedAt = performance.now();
        await this.serial(() => this.label(m.reviewId, m.label, m.requestId, receivedAt), m.requestId);
        return;
      }
      case 'undo':
        await this.serial(() => this.undo(m.requestId), m.requestId);
        return;
      case 'skip':
        await this.serial(async () => {
          const s = this.host.session();
          if ('missing' in s) return this.ack(m.requestId, s.missing);
          s.skip(m.reviewId);
          s.advance();
          this.ack(m.requestId);
          this.showCurrent('next');
        }, m.requestId);
        return;
      case 'note':
        await this.serial(() => this.note(m.reviewId, m.requestId));
        return;
      case 'applyToGroup':
        await this.serial(() => this.applyToNearDuplicates(m.reviewId, m.requestId), m.requestId);
        return;
      case 'openReview':
        await this.serial(async () => this.openReview(m.reviewId), m.requestId);
        return;
      case 'cwe':
        await this.serial(() => this.cwe(m.reviewId, m.requestId));
        return;
      case 'openComment': {
        // O does what a click on "comment on GitHub" does: the same confirmation, the same refusal.
        const s = this.host.session();
        const r = 'missing' in s ? undefined : s.review(m.reviewId);
        if (r) await this.openLink(r.url);
        return;
      }
      case 'openDiff':
        await this.host.openDiff(m.reviewId);
        return;
      case 'openLink':
        await this.openLink(m.url);
        return;
      case 'showMore': {
        const s = this.host.session();
        if ('missing' in s) return;
        const v = s.view(m.reviewId, 'open', m.limit);
        if (v) this.post({ type: 'bodyMore', reviewId: m.reviewId, bodyHtml: v.bodyHtml, bodyShown: v.bodyShown, bodyTotal: v.bodyTotal });
        return;
      }
      case 'rendered':
        if (this.prefetchTimer !== undefined) this.prefetchSoon(0);
        return;
    }
  }

  /** Failures are answered at once; success is answered by the `show` that follows (one message less per key). */
  private ack(requestId: number, error?: string): void {
    if (!error) return;
    this.post({ type: 'ack', requestId, ok: false, error });
    this.post({ type: 'notice', level: 'error', text: error });
  }

  async label(reviewId: string, label: Label, requestId = 0, receivedAt = performance.now()): Promise<void> {
    const s = this.host.session();
    if ('missing' in s) return this.ack(requestId, s.missing);
    if (s.readOnlyReason) return this.ack(requestId, `Read-only: ${s.readOnlyReason}`);
    const t0 = performance.now();
    try {
      await s.label(reviewId, label);
    } catch (e) {
      this.host.log.error(`saving label ${label} for review ${reviewId} failed`, e);
      return this.ack(requestId, `The label was NOT saved: ${(e as Error).message}`);
    }
    this.ack(requestId);
    s.advance();
    this.showCurrent('next', { saveMs: performance.now() - t0, receivedAt });
    this.afterReply(() => this.host.changed());
  }

  async undo(requestId = 0): Promise<void> {
    const s = this.host.session();
    if ('missing' in s) return this.ack(requestId, s.missing);
    if (s.readOnlyReason) return this.ack(requestId, `Read-only: ${s.readOnlyReason}`);
    let reviewId: string | undefined;
    try {
      reviewId = await s.undo();
    } catch (e) {
      this.host.log.error('undo failed', e);
      return this.ack(requestId, `Undo failed: ${(e as Error).message}`);
    }
    this.ack(requestId);
    if (!reviewId) {
      this.post({ type: 'notice', level: 'info', text: 'Nothing to undo: the label history is empty.' });
      this.showCurrent('next');
      return;
    }
    this.showCurrent('undo');
    this.host.changed();
  }

  /** Labels the near-duplicates of a labeled review alike (the offer the panel shows), then moves on. */
  async applyToNearDuplicates(reviewId: string, requestId = 0): Promise<void> {
    const s = this.host.session();
    if ('missing' in s) return this.ack(requestId, s.missing);
    if (s.readOnlyReason) return this.ack(requestId, `Read-only: ${s.readOnlyReason}`);
    let done: { label: string; labeled: number };
    try {
      done = await s.applyToNearDuplicates(reviewId);
    } catch (e) {
      this.host.log.error(`labeling the near-duplicates of review ${reviewId} failed`, e);
      return this.ack(requestId, `The near-duplicates were NOT labeled: ${(e as Error).message}`);
    }
    this.ack(requestId);
    this.post({ type: 'notice', level: 'info', text: done.labeled
      ? `Labeled ${done.labeled} near-duplicate${done.labeled === 1 ? '' : 's'} of review ${reviewId} "${done.label}" (Backspace undoes them one at a time).`
      : `The near-duplicates of review ${reviewId} all have a label already.` });
    if (s.currentId && s.ws.db.labelOf(s.currentId) && s.mode !== 'adjudicate') s.advance();
    this.showCurrent('next');
    this.afterReply(() => this.host.changed());
  }

  async note(reviewId: string, requestId = 0): Promise<void> {
    const s = this.host.session();
    if ('missing' in s) return this.ack(requestId, s.missing);
    if (s.readOnlyReason) return this.ack(requestId, `Read-only: ${s.readOnlyReason}`);
    const note = await vscode.window.showInputBox({
      title: 'Note for this review', prompt: 'Saved with the review\'s label (Enter to save, Escape to cancel)',
      value: s.noteOf(reviewId) ?? '', ignoreFocusOut: true,
    });
    if (note === undefined) { this.ack(requestId); this.panel.reveal(undefined, false); return; }
    try {
      const how = await s.setNote(reviewId, note);
      this.ack(requestId);
      this.post({ type: 'notice', level: 'info', text: how === 'saved' ? 'Note saved.' : 'Note kept; it is saved with the label you give this review.' });
    } catch (e) {
      return this.ack(requestId, `The note was NOT saved: ${(e as Error).message}`);
    }
    this.showCurrent('open');
    this.panel.reveal(undefined, false);
    this.host.changed();
  }

  /** C: picks the CWE tags of a `yes` label (the Top 25 and review-level weaknesses, or any typed id). */
  async cwe(reviewId: string, requestId = 0): Promise<void> {
    const s = this.host.session();
    if ('missing' in s) return this.ack(requestId, s.missing);
    if (s.readOnlyReason) return this.ack(requestId, `Read-only: ${s.readOnlyReason}`);
    const current = s.shownLabel(reviewId);
    if (current && current.label !== 'yes') return this.ack(requestId, `CWE tags go on "yes" labels (this review is labeled ${current.label}); press the "yes" key first.`);
    const tags = await pickCweTags(current?.cwe ?? [], s.cweSuggestions(reviewId));
    if (tags === undefined || (!current && !tags.length)) { this.ack(requestId); this.panel.reveal(undefined, false); return; }
    let did: 'tagged' | 'labeled';
    try {
      did = await s.setCwe(reviewId, tags);
      this.ack(requestId);
      this.post({ type: 'notice', level: 'info', text: did === 'labeled' ? `Labeled yes, tagged ${tags.join(', ')}.` : tags.length ? `Tagged ${tags.join(', ')}.` : 'CWE tags removed.' });
    } catch (e) {
      return this.ack(requestId, `The tags were NOT saved: ${(e as Error).message}`);
    }
    // A new label moves on, as a label key does; new tags on a label stay on the review.
    if (did === 'labeled') s.advance();
    this.showCurrent(did === 'labeled' ? 'next' : 'open');
    this.panel.reveal(undefined, false);
    this.host.changed();
  }

  private async openLink(url: string): Promise<void> {
    if (!isSafeLink(url)) {
      void vscode.window.showWarningMessage(`Security Review: refused to open a link that is not http(s) or mailto: ${url.slice(0, 200)}`);
      return;
    }
    const open = 'Open';
    const choice = await vscode.window.showWarningMessage(`Open a link from an untrusted review comment?\n\n${url.slice(0, 500)}`, { modal: true }, open);
    if (choice === open) await vscode.env.openExternal(vscode.Uri.parse(url, true));
  }

  /**
   * Shows the disagreements one by one (second opinions and annotators, or one source when given:
   * the filter stays until another is chosen); says so when there are none.
   */
  startAdjudication(source?: AdjudicationSource | 'keep'): boolean {
    const s = this.host.session();
    if ('missing' in s) { this.refresh(); return false; }
    if (source !== 'keep') s.adjudicationSource = source;
    if (s.readOnlyReason) {
      this.post({ type: 'notice', level: 'error', text: `Read-only: ${s.readOnlyReason}` });
      this.showCurrent('next'); // the webview waits for a view after A
      return false;
    }
    if (!s.startAdjudication()) {
      this.post({ type: 'notice', level: 'info', text: `No ${s.adjudicationSource === 'second-opinion' ? 'second-opinion ' : s.adjudicationSource === 'annotators' ? 'annotator ' : ''}disagreements are waiting.` });
      this.showCurrent('next');
      return false;
    }
    this.showCurrent('next');
    return true;
  }

  stopAdjudication(): void {
    const s = this.host.session();
    if ('missing' in s) return this.refresh();
    s.stopAdjudication();
    this.showCurrent('next');
  }

  openReview(reviewId: string): void {
    const s = this.host.session();
    if ('missing' in s) return this.refresh();
    if (!s.open(reviewId)) {
      this.post({ type: 'notice', level: 'error', text: `Review ${reviewId} is not in the pool.` });
      return;
    }
    this.showCurrent('open');
  }

  /**
   * Labels written elsewhere were reread (a teammate's, through a git pull): the panel shows what
   * holds now without waiting for a key (a progress line, a label, a disagreement settled meanwhile),
   * after any action in flight, so the view a key asked for is never overtaken.
   */
  reloadedFromDisk(): void {
    void this.serial(async () => { this.refresh(); });
  }

  /** Re-reads the session (new batch, reload) and shows its current candidate. */
  refresh(): void {
    const s = this.host.session();
    if ('missing' in s) {
      if (this.ready) this.post({ type: 'show', seq: ++this.seq, requestId: this.answering, candidate: null, emptyMessage: s.missing, progress: emptyProgress(), guidelines: guidelines() });
      return;
    }
    if (s.mode === 'adjudicate') {
      if (!s.currentId || !s.pendingOpinion(s.currentId)) s.advance();
    } else if (s.mode === 'search') {
      // A result picked in the side bar is shown even when it has a label (to relabel it).
      if (!s.currentId) s.advance();
    } else if (!s.currentId || s.shownLabel(s.currentId)) {
      const b = s.defaultBatch();
      if (b && b.id !== s.batchId && !s.nextCandidateId()) s.batchId = b.id;
      s.advance();
    }
    this.showCurrent('next');
  }

  showCurrent(reason: 'next' | 'undo' | 'open' | 'restore', timing?: { saveMs: number; receivedAt: number }): void {
    if (!this.ready) return;
    const t0 = performance.now();
    const s = this.host.session();
    if ('missing' in s) return this.refresh();
    if (s.mode === 'adjudicate' && !s.currentId) {
      // The queue is done: back to the batch, and say so.
      const decided = s.progress().adjudicated;
      s.stopAdjudication();
      this.post({ type: 'notice', level: 'info', text: `No disagreements are left (${decided} decided here). Back to labeling.` });
    }
    if (s.mode === 'search' && !s.currentId) {
      const results = s.search?.ids.length ?? 0;
      s.stopSearch();
      this.post({ type: 'notice', level: 'info', text: `Every search result is labeled (${results}). Back to the batch.` });
    }
    const id = s.currentId;
    const candidate = id ? s.view(id, reason) ?? null : null;
    const position = `${id}:${s.mode}`;
    if (id && position !== this.lastSaved && !s.readOnlyReason) {
      this.lastSaved = position;
      // Search results are not kept across a reload: a review reached by a search comes back as an open review.
      const saved = { reviewId: id, batchId: candidate?.batchId, mode: s.mode === 'search' ? 'label' as const : s.mode };
      this.afterReply(() => {
        try { writePanelPosition(s.ws.dir, saved); } catch (e) { this.host.log.warn(`saving the panel position failed: ${(e as Error).message}`); }
      });
    }
    const batch = s.batch();
    const emptyMessage = candidate ? undefined
      : !batch ? 'No batch to label yet. Run "Security Review: Propose Next Batch" (the first batch comes from the keyword rule).'
      : `Batch ${batch.id} is fully labeled. Retrain, or propose the next batch ("Security Review: Propose Next Batch").`;
    const progress = s.progress();
    const now = performance.now();
    const hostTiming = timing && { saveMs: timing.saveMs, viewMs: now - t0, hostMs: now - timing.receivedAt };
    this.post({ type: 'show', seq: ++this.seq, requestId: this.answering, candidate, emptyMessage, progress, readOnlyReason: s.readOnlyReason, guidelines: guidelines(), groupOffer: s.groupOffer(), hostTiming });
    this.sendUpcoming(false);
    // Rendering the next reviews now would compete with this one's delivery and paint (measured: the
    // reply's two trips and the paint are most of a keypress's time): once the webview says it has
    // painted, or after PREFETCH_FALLBACK_MS when it does not (hidden).
    this.prefetchSoon(PREFETCH_FALLBACK_MS);
  }

  private prefetchTimer: ReturnType<typeof setTimeout> | undefined;

  private prefetchSoon(ms: number): void {
    clearTimeout(this.prefetchTimer);
    this.prefetchTimer = setTimeout(() => {
      this.prefetchTimer = undefined;
      const s = this.host.session();
      if ('missing' in s) return;
      s.prefetch();
      this.sendUpcoming(true);
      if (s.batchId !== this.warmedBatch) {
        this.warmedBatch = s.batchId;
        this.warmUp(s.upcomingPaths());
      }
    }, ms);
  }

  private warmedBatch: string | undefined;

  /** Compiles the batch's languages for highlighting, one per task, so a keypress waits for at most one. */
  private warmUp(paths: string[]): void {
    while (paths.length && !warmUpHighlighting(paths[0]!)) paths.shift();
    if (paths.length) setTimeout(() => this.warmUp(paths.slice(1)), 0);
  }

  /**
   * Work the reply must not wait for (the panel position file, the status bar and side bar): after
   * the reply is on its way. The extension host sends messages from a timer, so this runs after it.
   */
  private afterReply(work: () => void): void {
    setTimeout(work, 0);
  }

  /** Commands that run from contributed keybindings or the palette, acting on the shown candidate. */
  currentReviewId(): string | undefined {
    const s = this.host.session();
    return 'missing' in s ? undefined : s.currentId;
  }

  toggleHelp(): void { this.post({ type: 'toggleHelp' }); }
  toggleGuidelines(): void { this.post({ type: 'toggleGuidelines' }); }

  private html(): string {
    return webviewHtml(this.panel.webview, this.extensionUri, { title: 'Security Review Labeling', script: 'labeling', styles: ['labeling.css', 'hljs.css'], rootTag: 'div', rootAttributes: (nonce) => `data-nonce="${nonce}"` });
  }

  dispose(): void {
    clearTimeout(this.prefetchTimer);
    if (LabelingPanel.current === this) LabelingPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}

function emptyProgress(): import('../protocol/webview').BatchProgress {
  return { done: 0, total: 0, counts: { yes: 0, no: 0, unclear: 0, broken: 0, bot: 0, language: 0 }, sessionLabeled: 0, sessionPositive: 0, totalLabeled: 0, mode: 'label', disagreements: 0, adjudicated: 0 };
}

export class LabelingPanelSerializer implements vscode.WebviewPanelSerializer<LabelingPanelState> {
  constructor(private readonly extensionUri: vscode.Uri, private readonly host: PanelHost) {}
  async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: LabelingPanelState | undefined): Promise<void> {
    new LabelingPanel(panel, this.extensionUri, this.host, state ?? undefined, true);
  }
}

type CweItem = vscode.QuickPickItem & { id?: string };

/**
 * A quick pick of CWE tags, several allowed: first the tags the latest model's CWE-tag head rates
 * likely for this review (with their probability), then the CWE Top 25 and the weaknesses reviews
 * commonly raise, the current tags picked; typing a CWE id (`CWE-1321`, `1321`) that is not listed
 * offers it at the top. Resolves with the tags, or undefined when cancelled.
 */
function pickCweTags(current: readonly string[], suggested?: { model: string; tags: readonly CweSuggestion[] }): Promise<string[] | undefined> {
  let typed = [...current];
  const items = (): CweItem[] => cwePickRows(typed, suggested).map((r) => ('heading' in r
    ? { label: r.heading, kind: vscode.QuickPickItemKind.Separator }
    : { label: r.id, description: r.description, id: r.id }));
  const qp = vscode.window.createQuickPick<CweItem>();
  qp.title = 'CWE tags of this "yes" label';
  qp.placeholder = 'Pick one or more, or type any CWE id (e.g. 1321); Enter saves, none picked removes the tags';
  qp.canSelectMany = true;
  qp.matchOnDescription = true;
  qp.ignoreFocusOut = true;
  qp.items = items();
  qp.selectedItems = qp.items.filter((i) => i.id && current.includes(i.id));
  return new Promise((resolve) => {
    let done = false;
    qp.onDidChangeValue((value) => {
      const id = parseCweId(value);
      if (!id || qp.items.some((i) => i.id === id)) return;
      const selected = qp.selectedItems;
      typed = [id, ...typed];
      qp.items = items();
      qp.selectedItems = qp.items.filter((i) => selected.some((s) => s.id === i.id));
    });
    qp.onDidAccept(() => {
      done = true;
      resolve(sortCwe(qp.selectedItems.flatMap((i) => (i.id ? [i.id] : []))));
      qp.hide();
    });
    qp.onDidHide(() => { if (!done) resolve(undefined); qp.dispose(); });
    qp.show();
  });
}
