/**
 * The labeling session behind the panel: which batch and candidate are shown, and the actions on
 * them (label, undo, skip, note). Every change goes through the workspace's LabelDb and is awaited,
 * so the panel advances only once the label is on disk. Rendering of untrusted text happens here
 * (host side) with the safe renderers; rendered views are cached and the next one is prefetched.
 */
import { LABELS, TARGET_LABEL, type Label } from '../core/labels';
import type { SearchQuery } from '../core/search';
import { cweSuggestions, cweTitle, type CweSuggestion } from '../core/cwe';
import { emptyCounts } from '../core/metrics';
import type { Review } from '../core/review';
import type { AdjudicationItem, AdjudicationSource, Batch, BatchItem, OpinionRecord } from '../store/labelDb';
import { modelDirOf, readCweScores, readScores, type CweScores, type Scores } from '../store/layout';
import { pendingNotesFile, readPendingNotes, writePendingNotes } from '../store/pendingNotes';
import type { Workspace } from '../store/workspace';
import type { BatchProgress, CandidateView, GroupOffer, NearDuplicatesView, PanelMode, SecondOpinionView } from '../protocol/webview';
import { renderBody, DEFAULT_RENDER_LIMIT } from './render/markdown';
import { m1Highlighter, patternHighlighter, searchHighlighter, type Highlighter } from './render/highlight';
import { renderDiffHunk } from './render/diffHtml';
import { revealInvisibleText } from './render/reveal';

interface Located { batch: Batch; index: number; item: BatchItem }

/** The results of "Find Reviews..." that the panel goes through in search mode. */
export interface SearchResults { query: SearchQuery; ids: readonly string[]; matched: number }

/** Numbers the views rendered in this process (CandidateView.version), across sessions. */
let viewVersions = 0;

/** Near-duplicates listed in the panel (the rest are counted). */
const NEAR_DUPLICATES_LISTED = 8;

export class LabelingSession {
  batchId: string | undefined;
  currentId: string | undefined;
  /** Labeling the batch, or deciding second-opinion disagreements (a label key records the decision). */
  mode: PanelMode = 'label';
  /** The adjudication queue's filter: one source, or both (undefined). */
  adjudicationSource: AdjudicationSource | undefined;
  private adjudicated = 0;
  /** Where labeling was when adjudication or search started. */
  private labelingPosition: { batchId?: string; currentId?: string } | undefined;
  /** The latest search's results (labeled one after the other in search mode). */
  private searchResults: SearchResults | undefined;
  /** The review just labeled, whose near-duplicates the panel offers to label alike. */
  private offerFor: string | undefined;
  /** The person's bootstrap patterns, highlighted in bodies. */
  private patterns: readonly RegExp[] = [];
  private labelsByRow: { events: number; map: Map<number, Label> } | undefined;
  private readonly skipped = new Set<string>();
  /** Notes typed before the review had a label: kept in `.secreview/pending-notes.json`, saved with its label. */
  private readonly pendingNotes: Map<string, string>;
  private sessionLabeled = 0;
  private sessionPositive = 0;
  private readonly views = new Map<string, CandidateView>();
  private itemIndex: Map<string, Located> | undefined;
  private indexedBatches = -1;
  /** The latest model's pool scores and CWE-tag ratings, each read once per model version. */
  private readonly scores = new PerModelVersion<Scores>(
    (version) => readScores(this.ws.dir, version), (version) => `predictions of model ${version} are not shown`);
  private readonly cweScores = new PerModelVersion<CweScores>(
    (version) => readCweScores(modelDirOf(this.ws.dir, version)), (version) => `CWE tags of model ${version} are not suggested`);

  /** `warn`: where problems go that do not stop labeling (a damaged scores or notes file), with their cause. */
  constructor(readonly ws: Workspace, private readonly warn: (message: string) => void = (m) => process.emitWarning(m)) {
    this.batchId = this.defaultBatch()?.id;
    const pending = readPendingNotes(ws.dir, !ws.readOnly);
    if (pending.damaged) warn(`the waiting notes in ${pendingNotesFile(ws.dir)} could not be read (${pending.damaged.reason}); ${pending.damaged.movedTo ? `the file was kept as ${pending.damaged.movedTo}` : 'it was left as it is (this window has the workspace read-only)'}`);
    this.pendingNotes = pending.notes;
    // A note whose review got a label elsewhere (the CLI, another window) is no longer waiting.
    for (const id of [...this.pendingNotes.keys()]) if (ws.db.labelOf(id)) this.pendingNotes.delete(id);
  }

  get readOnlyReason(): string | undefined {
    return this.ws.readOnlyReason;
  }

  /** Who labels in this session. */
  get annotator(): string {
    return this.ws.db.annotator;
  }

  /**
   * Whether a batch item is this annotator's to label and still open. In an assigned batch (double
   * coding) only the items assigned to this annotator count, and "labeled" means labeled by them;
   * elsewhere any label counts.
   */
  private isOpen(batch: Batch, reviewId: string): boolean {
    const coders = batch.assignment?.coders[reviewId];
    if (!coders) return !this.ws.db.labelOf(reviewId);
    return coders.includes(this.annotator) && !this.ws.db.labelBy(reviewId, this.annotator);
  }

  /** Whether an item is part of this annotator's queue (all items of an unassigned batch). */
  private isMine(batch: Batch, reviewId: string): boolean {
    const coders = batch.assignment?.coders[reviewId];
    return !coders || coders.includes(this.annotator);
  }

  /** The newest batch that still has items open to this annotator, else the newest batch. */
  defaultBatch(): Batch | undefined {
    const batches = this.ws.db.batches();
    for (let i = batches.length - 1; i >= 0; i--) {
      const b = batches[i]!;
      if (b.items.some((it) => this.isOpen(b, it.reviewId))) return b;
    }
    return batches.at(-1);
  }

  batch(): Batch | undefined {
    return this.batchId ? this.ws.db.batch(this.batchId) : undefined;
  }

  /** Where a review was proposed (its latest batch). */
  locate(reviewId: string): Located | undefined {
    const batches = this.ws.db.batches();
    if (!this.itemIndex || this.indexedBatches !== batches.length) {
      this.itemIndex = new Map();
      for (const batch of batches) batch.items.forEach((item, index) => this.itemIndex!.set(item.reviewId, { batch, index, item }));
      this.indexedBatches = batches.length;
    }
    return this.itemIndex.get(reviewId);
  }

  /**
   * The next review to label in the current batch: unlabeled and not skipped, else a skipped one.
   * When adjudicating: the next disagreement in the queue, skipped ones last.
   */
  nextCandidateId(): string | undefined {
    if (this.mode === 'adjudicate') {
      const queue = this.queue().filter((o) => this.ws.pool.rowOf(o.reviewId) !== undefined);
      return (queue.find((o) => !this.skipped.has(o.reviewId)) ?? queue[0])?.reviewId;
    }
    if (this.mode === 'search') return this.nextSearchResult();
    return this.nextInBatch();
  }

  /** The next open review of the current batch other than `except`, skipped ones last. */
  private nextInBatch(except?: string): string | undefined {
    const batch = this.batch();
    if (!batch) return undefined;
    let skippedOne: string | undefined;
    for (const it of batch.items) {
      if (it.reviewId === except || !this.isOpen(batch, it.reviewId)) continue;
      if (this.skipped.has(it.reviewId)) { skippedOne ??= it.reviewId; continue; }
      return it.reviewId;
    }
    return skippedOne;
  }

  /** The next search result without a label after the shown one (then from the start), skipped ones last. */
  private nextSearchResult(): string | undefined {
    const ids = this.searchResults?.ids ?? [];
    const current = this.ws.db.current();
    const from = this.currentId ? ids.indexOf(this.currentId) + 1 : 0;
    let skippedOne: string | undefined;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[(from + k) % ids.length]!;
      if (current.has(id)) continue;
      if (this.skipped.has(id)) { skippedOne ??= id; continue; }
      return id;
    }
    return skippedOne;
  }

  get search(): SearchResults | undefined { return this.searchResults; }

  /** New search results; the panel's search mode (if on) follows them. */
  setSearch(results: SearchResults | undefined): void {
    this.searchResults = results;
    this.views.clear();
    if (!results && this.mode === 'search') this.stopSearch();
  }

  /**
   * Labels the search results one after the other, starting at `reviewId` (a result picked in the
   * side bar); the batch is where it was when the search mode ends.
   */
  startSearch(reviewId: string): boolean {
    if (!this.searchResults || this.ws.pool.rowOf(reviewId) === undefined) return false;
    if (this.mode !== 'search') {
      if (this.mode === 'label') this.labelingPosition = { batchId: this.batchId, currentId: this.currentId };
      this.mode = 'search';
      this.views.clear(); // views in search mode mark the search's words
    }
    this.offerFor = undefined;
    this.currentId = reviewId;
    return true;
  }

  /** Back to the batch, where it was before the search. */
  stopSearch(): void {
    this.stopAdjudication();
  }

  /** Bootstrap patterns to highlight (from the settings). */
  setPatterns(patterns: readonly RegExp[]): void {
    if (patterns.map(String).join('\n') === this.patterns.map(String).join('\n')) return;
    this.patterns = patterns;
    this.views.clear();
  }

  /** Forgets rendered views (near-duplicate groups became available, settings changed). */
  invalidateViews(): void {
    this.views.clear();
  }

  private highlighters(): Highlighter[] {
    const out = [m1Highlighter(), ...this.patterns.map(patternHighlighter)];
    if (this.mode === 'search' && this.searchResults) out.push(searchHighlighter(this.searchResults.query));
    return out;
  }

  /** Moves to a review (restore after reload, relabel from the side bar). */
  open(reviewId: string): boolean {
    if (this.ws.pool.rowOf(reviewId) === undefined) return false;
    this.offerFor = undefined;
    const at = this.locate(reviewId);
    if (at) this.batchId = at.batch.id;
    this.currentId = reviewId;
    return true;
  }

  selectBatch(batchId: string): void {
    if (this.mode === 'search') { this.mode = 'label'; this.labelingPosition = undefined; this.views.clear(); }
    this.batchId = batchId;
    this.currentId = this.nextCandidateId();
  }

  advance(): string | undefined {
    this.currentId = this.nextCandidateId();
    return this.currentId;
  }

  /**
   * Starts adjudicating the queue of disagreements; false (and nothing changes) when it is empty.
   * Skips need no reset: a queued review is labeled, so it is never a labeling candidate, and the
   * other way round.
   */
  startAdjudication(): boolean {
    if (this.mode === 'adjudicate') return this.advance() !== undefined;
    const labeling = { batchId: this.batchId, currentId: this.currentId };
    this.mode = 'adjudicate';
    // Views rendered for labeling may hide another coder's label; adjudication shows the current one.
    this.views.clear();
    if (this.advance()) {
      this.adjudicated = 0;
      this.labelingPosition = labeling;
      return true;
    }
    this.mode = 'label';
    this.currentId = labeling.currentId;
    return false;
  }

  /** Back to labeling where it was left (the same batch and review while it still needs a label). */
  stopAdjudication(): void {
    if (this.mode === 'search') this.views.clear();
    this.mode = 'label';
    this.views.clear();
    const back = this.labelingPosition;
    this.labelingPosition = undefined;
    this.batchId = back?.batchId !== undefined && this.ws.db.batch(back.batchId) ? back.batchId : this.defaultBatch()?.id;
    const batch = this.batch();
    if (back?.currentId && batch && this.isOpen(batch, back.currentId)) this.currentId = back.currentId;
    else if (back?.currentId && !batch && !this.ws.db.labelOf(back.currentId)) this.currentId = back.currentId;
    else this.advance();
  }

  /** The adjudication queue under the session's filter. */
  queue(): AdjudicationItem[] {
    return this.ws.db.adjudicationQueue(this.adjudicationSource);
  }

  /** The disagreement waiting on a review, if any (under the filter). */
  pendingOpinion(reviewId: string): AdjudicationItem | undefined {
    return this.queue().find((o) => o.reviewId === reviewId);
  }

  /**
   * A label key: a label, or when adjudicating a review with a pending disagreement, the final
   * decision, recorded with the original label beside it (the note is kept).
   */
  async label(reviewId: string, label: Label, cwe?: readonly string[]): Promise<void> {
    if (this.mode === 'adjudicate' && this.pendingOpinion(reviewId)) {
      await this.ws.db.adjudicate({ reviewId, label, note: this.noteOf(reviewId) });
      this.adjudicated++;
      this.skipped.delete(reviewId);
      this.views.delete(reviewId);
      return;
    }
    const at = this.locate(reviewId);
    const previous = at?.batch.assignment ? this.ws.db.labelBy(reviewId, this.annotator) : this.ws.db.labelOf(reviewId);
    const note = this.pendingNotes.get(reviewId) ?? previous?.note;
    // CWE tags stay with a review that is labeled yes again, and go with any other label.
    await this.ws.db.setLabel({ reviewId, label, note, batchId: at?.batch.id, cwe: label === TARGET_LABEL ? cwe ?? previous?.cwe : undefined });
    if (this.pendingNotes.delete(reviewId)) await writePendingNotes(this.ws.dir, this.pendingNotes);
    this.skipped.delete(reviewId);
    this.forgetGroupViews(reviewId);
    this.offerFor = this.nearDuplicateRows(reviewId).length && this.unlabeledNearDuplicates(reviewId).length ? reviewId : undefined;
    if (!previous) {
      this.sessionLabeled++;
      if (label === TARGET_LABEL) this.sessionPositive++;
    }
  }

  /** Undoes the newest label still in force; returns the review it was on. */
  async undo(): Promise<string | undefined> {
    const ev = await this.ws.db.undo();
    if (!ev) return undefined;
    this.offerFor = undefined;
    this.forgetGroupViews(ev.reviewId);
    if (this.mode === 'adjudicate') {
      if (this.adjudicated > 0 && this.ws.db.events()[ev.undoes! - 1]?.source === 'adjudication') this.adjudicated--;
      // Undo reached a plain label: show it as labeling does, not under the adjudication banner.
      if (!this.pendingOpinion(ev.reviewId)) { this.mode = 'label'; this.labelingPosition = undefined; }
    }
    if (this.sessionLabeled > 0 && !this.ws.db.labelOf(ev.reviewId)) {
      const undone = this.ws.db.events()[ev.undoes! - 1];
      this.sessionLabeled--;
      if (undone?.label === TARGET_LABEL) this.sessionPositive = Math.max(0, this.sessionPositive - 1);
    }
    this.open(ev.reviewId);
    return ev.reviewId;
  }

  skip(reviewId: string): void {
    this.skipped.add(reviewId);
    this.offerFor = undefined;
  }

  /** Current labels by pool row (built once, then brought up to date with the events added since). */
  private labelByRow(): Map<number, Label> {
    const events = this.ws.db.events();
    if (!this.labelsByRow || this.labelsByRow.events > events.length) {
      const map = new Map<number, Label>();
      for (const [id, c] of this.ws.db.current()) {
        const row = this.ws.pool.rowOf(id);
        if (row !== undefined) map.set(row, c.label);
      }
      this.labelsByRow = { events: events.length, map };
    }
    const { map } = this.labelsByRow;
    for (let i = this.labelsByRow.events; i < events.length; i++) {
      const row = this.ws.pool.rowOf(events[i]!.reviewId);
      if (row === undefined) continue;
      const label = this.ws.db.labelOf(events[i]!.reviewId)?.label;
      if (label) map.set(row, label); else map.delete(row);
    }
    this.labelsByRow.events = events.length;
    return map;
  }

  /** Rows of the review's near-duplicates (its group, without itself); none before groups are computed. */
  private nearDuplicateRows(reviewId: string): number[] {
    const groups = this.ws.nearDuplicates.current;
    const row = this.ws.pool.rowOf(reviewId);
    if (!groups || row === undefined || groups.sizeOf(row) < 2) return [];
    return groups.members(row).filter((r) => r !== row);
  }

  private unlabeledNearDuplicates(reviewId: string): number[] {
    const labels = this.labelByRow();
    return this.nearDuplicateRows(reviewId).filter((r) => !labels.has(r));
  }

  /** A label changed in a group: the cached views of its members list the old one. */
  private forgetGroupViews(reviewId: string): void {
    this.views.delete(reviewId);
    const groups = this.ws.nearDuplicates.current;
    const row = this.ws.pool.rowOf(reviewId);
    if (!groups || row === undefined || groups.sizeOf(row) < 2) return;
    const root = groups.rootOf(row);
    for (const id of [...this.views.keys()]) {
      const r = this.ws.pool.rowOf(id);
      if (r !== undefined && groups.rootOf(r) === root) this.views.delete(id);
    }
  }

  /**
   * The near-duplicates the panel offers to label alike: those of the review just labeled, else
   * those of the labeled review on screen; only while some have no label.
   */
  groupOffer(): GroupOffer | undefined {
    if (this.mode === 'adjudicate') return undefined;
    for (const [id, shown] of [[this.offerFor, false], [this.currentId, true]] as const) {
      if (!id) continue;
      const label = this.ws.db.labelOf(id)?.label;
      const unlabeled = label ? this.unlabeledNearDuplicates(id).length : 0;
      if (label && unlabeled) return { reviewId: id, label, unlabeled, shown: shown || id === this.currentId };
    }
    return undefined;
  }

  /**
   * Labels a review's near-duplicates that have no label with its label: ordinary label events,
   * one per review, written together (each is undone on its own). Returns how many were labeled.
   */
  async applyToNearDuplicates(reviewId: string): Promise<{ label: Label; labeled: number }> {
    const current = this.ws.db.labelOf(reviewId);
    if (!current) throw new Error(`review ${reviewId} has no label to apply to its near-duplicates`);
    const rows = this.unlabeledNearDuplicates(reviewId);
    const inputs = rows.map((row) => {
      const id = this.ws.pool.idOf(row);
      return { reviewId: id, label: current.label, batchId: this.locate(id)?.batch.id, note: this.pendingNotes.get(id), source: `near-duplicate:${reviewId}` };
    });
    if (inputs.length) await this.ws.db.setLabels(inputs);
    let notes = false;
    for (const i of inputs) { notes = this.pendingNotes.delete(i.reviewId) || notes; this.skipped.delete(i.reviewId); }
    if (notes) await writePendingNotes(this.ws.dir, this.pendingNotes);
    this.offerFor = undefined;
    this.forgetGroupViews(reviewId);
    this.sessionLabeled += inputs.length;
    if (current.label === TARGET_LABEL) this.sessionPositive += inputs.length;
    return { label: current.label, labeled: inputs.length };
  }

  /** What the panel shows of a review's near-duplicates. */
  private nearDuplicatesView(reviewId: string): NearDuplicatesView | undefined {
    const rows = this.nearDuplicateRows(reviewId);
    if (!rows.length) return undefined;
    const labels = this.labelByRow();
    const counts = new Map<Label, number>();
    for (const r of rows) { const l = labels.get(r); if (l) counts.set(l, (counts.get(l) ?? 0) + 1); }
    const listed = rows.slice(0, NEAR_DUPLICATES_LISTED);
    const similarity = this.ws.nearDuplicates.similarities(this.ws.pool.rowOf(reviewId)!, listed);
    return {
      total: rows.length,
      unlabeled: rows.length - [...counts.values()].reduce((a, b) => a + b, 0),
      labels: LABELS.filter((l) => counts.has(l)).map((label) => ({ label, count: counts.get(label)! })).sort((a, b) => b.count - a.count),
      members: listed.map((r, i) => {
        const review = this.ws.pool.get(r);
        const line = review.body.replace(/\s+/g, ' ').trim();
        return {
          reviewId: review.id, repo: revealInvisibleText(review.repo), path: revealInvisibleText(review.path),
          excerpt: revealInvisibleText(line.length > 140 ? `${line.slice(0, 139)}…` : line), label: labels.get(r), similarity: similarity[i],
        };
      }),
    };
  }

  noteOf(reviewId: string): string | undefined {
    return this.pendingNotes.get(reviewId) ?? this.shownLabel(reviewId)?.note;
  }

  /**
   * The label this annotator sees on a review: in an assigned batch their own (another coder's
   * label stays hidden until every coder has labeled it), elsewhere the current label.
   */
  shownLabel(reviewId: string): ReturnType<Workspace['db']['labelOf']> {
    const coders = this.locate(reviewId)?.batch.assignment?.coders[reviewId];
    if (!coders || this.mode === 'adjudicate') return this.ws.db.labelOf(reviewId);
    const own = this.ws.db.labelBy(reviewId, this.annotator);
    if (!own || coders.some((c) => !this.ws.db.labelBy(reviewId, c))) return own;
    return this.ws.db.labelOf(reviewId);
  }

  /** A labeled review gets a new event with the same label and the note; an unlabeled one keeps it for its label. */
  async setNote(reviewId: string, note: string): Promise<'saved' | 'pending'> {
    const current = this.shownLabel(reviewId);
    this.views.delete(reviewId);
    if (!current) {
      this.pendingNotes.set(reviewId, note);
      await writePendingNotes(this.ws.dir, this.pendingNotes);
      return 'pending';
    }
    await this.ws.db.setLabel({ reviewId, label: current.label, note, batchId: current.batchId ?? this.locate(reviewId)?.batch.id, cwe: current.cwe });
    return 'saved';
  }

  /**
   * The CWE tags of this annotator's `yes` label on a review (a new event with the same label and
   * note); on an unlabeled review, the label `yes` with these tags. Resolves with what it did.
   */
  async setCwe(reviewId: string, tags: readonly string[]): Promise<'tagged' | 'labeled'> {
    const current = this.shownLabel(reviewId);
    if (!current) {
      await this.label(reviewId, TARGET_LABEL, tags);
      return 'labeled';
    }
    if (current.label !== TARGET_LABEL) throw new Error(`CWE tags go on "yes" labels; this review is labeled ${current.label}`);
    this.views.delete(reviewId);
    await this.ws.db.setLabel({ reviewId, label: current.label, note: current.note, batchId: current.batchId ?? this.locate(reviewId)?.batch.id, cwe: tags });
    return 'tagged';
  }

  review(reviewId: string): Review | undefined {
    const row = this.ws.pool.rowOf(reviewId);
    return row === undefined ? undefined : this.ws.pool.get(row);
  }

  progress(): BatchProgress {
    const batch = this.batch();
    const counts = emptyCounts() as Record<Label, number>;
    let done = 0, total = 0;
    const current = this.ws.db.current();
    for (const it of batch?.items ?? []) {
      if (!this.isMine(batch!, it.reviewId)) continue;
      total++;
      const c = batch!.assignment ? this.ws.db.labelBy(it.reviewId, this.annotator) : current.get(it.reviewId);
      if (c) { counts[c.label]++; done++; }
    }
    return {
      batchId: batch?.id, iteration: batch?.iteration, done, total, counts,
      sessionLabeled: this.sessionLabeled, sessionPositive: this.sessionPositive,
      sessionIdentificationRate: this.sessionLabeled ? this.sessionPositive / this.sessionLabeled : undefined,
      totalLabeled: current.size,
      mode: this.mode, disagreements: this.queue().length, adjudicated: this.adjudicated, adjudicationSource: this.adjudicationSource,
      search: this.mode === 'search' && this.searchResults ? this.searchPosition(this.searchResults) : undefined,
    };
  }

  private searchPosition(results: SearchResults): NonNullable<BatchProgress['search']> {
    const current = this.ws.db.current();
    const at = this.currentId ? results.ids.indexOf(this.currentId) : -1;
    return {
      query: results.query.text, results: results.ids.length, matched: results.matched,
      labeled: results.ids.filter((id) => current.has(id)).length, position: at >= 0 ? at + 1 : undefined,
    };
  }

  private modelScores(): Scores | undefined {
    const model = this.ws.db.latestModel();
    return model && this.scores.get(model.version, this.warn);
  }

  /**
   * The CWE tags the latest model's CWE-tag head rates likely for a review (its `cwe.json`: the
   * pool's likeliest `yes` reviews), likeliest first; none when that model has no such head or did
   * not rate the review.
   */
  cweSuggestions(reviewId: string): { model: string; tags: CweSuggestion[] } | undefined {
    const model = this.ws.db.latestModel();
    const ratings = model && this.cweScores.get(model.version, this.warn);
    const probs = ratings?.byReview.get(reviewId);
    if (!model || !ratings || !probs) return undefined;
    const tags = cweSuggestions(ratings.tags, probs);
    return tags.length ? { model: model.version, tags } : undefined;
  }

  /** The rendered view of a review (cached; invalidated when its label or note changes). */
  view(reviewId: string, reason: CandidateView['reason'], bodyLimit = DEFAULT_RENDER_LIMIT): CandidateView | undefined {
    const cached = bodyLimit === DEFAULT_RENDER_LIMIT ? this.views.get(reviewId) : undefined;
    if (cached) return this.withOpinion({ ...cached, reason });
    const row = this.ws.pool.rowOf(reviewId);
    if (row === undefined) return undefined;
    const r = this.ws.pool.get(row);
    const at = this.locate(reviewId);
    const body = renderBody(r.body, bodyLimit, this.highlighters());
    const diff = r.diffHunk ? renderDiffHunk(r.diffHunk, r.path, r) : undefined;
    const scores = this.modelScores();
    const label = this.shownLabel(reviewId);
    const coders = at?.batch.assignment?.coders[reviewId];
    const view: CandidateView = {
      reviewId, reason, version: ++viewVersions,
      batchId: at?.batch.id, iteration: at?.batch.iteration, index: at ? at.index + 1 : undefined, batchSize: at?.batch.items.length,
      strategy: at ? (at.item.strategy === 'bootstrap' ? at.batch.strategy : at.item.strategy) : undefined,
      score: at?.item.score, modelVersion: at?.batch.modelVersion,
      prediction: scores && row < scores.rows
        ? { labels: [...scores.classes], probabilities: Array.from(scores.probs.subarray(row * scores.classes.length, (row + 1) * scores.classes.length)), modelVersion: scores.version }
        : undefined,
      meta: {
        repo: revealInvisibleText(r.repo), pull: r.pull, url: r.url, pullUrl: `https://github.com/${r.repo}/pull/${r.pull}`,
        path: revealInvisibleText(r.path), lineLabel: lineLabel(r),
        author: r.author === undefined ? undefined : revealInvisibleText(r.author), createdAt: r.createdAt,
        prTitle: r.prTitle === undefined ? undefined : revealInvisibleText(r.prTitle), commit: r.commit ?? r.originalCommit,
      },
      bodyHtml: body.html, bodyShown: body.shown, bodyTotal: body.total,
      diffHtml: diff?.html, diffLanguage: diff?.language,
      currentLabel: label?.label, note: this.noteOf(reviewId),
      nearDuplicates: this.nearDuplicatesView(reviewId),
      cwe: label?.cwe?.map((id) => ({ id, title: cweTitle(id) })),
      coders: coders && coders.length > 1 ? [...coders] : undefined, annotator: this.annotator,
    };
    if (bodyLimit === DEFAULT_RENDER_LIMIT) {
      this.views.set(reviewId, view);
      if (this.views.size > 16) this.views.delete(this.views.keys().next().value!);
    }
    return this.withOpinion(view);
  }

  /** When adjudicating, the view carries the pending disagreement (not cached: the queue moves). */
  private withOpinion(view: CandidateView): CandidateView {
    if (this.mode !== 'adjudicate') return view;
    const o = this.pendingOpinion(view.reviewId);
    if (!o) return view;
    return o.source === 'second-opinion' ? { ...view, secondOpinion: opinionView(o.opinion) } : { ...view, coders: undefined, disagreement: { codings: o.codings } };
  }

  /**
   * The review a label on the shown one leads to while labeling a batch: what `advance` picks once
   * that label is written (the shown review is no longer open then). Undefined in the other modes.
   */
  upcomingId(): string | undefined {
    if (this.mode !== 'label' || !this.currentId) return undefined;
    return this.nextInBatch(this.currentId);
  }

  /** The view of `upcomingId`: the cached one, or rendered now when `render`. */
  upcomingView(render: boolean): CandidateView | undefined {
    const id = this.upcomingId();
    if (!id || (!render && !this.views.has(id))) return undefined;
    return this.view(id, 'next');
  }

  /** Renders the review that would come after the current one, so the next keypress finds it ready. */
  prefetch(): void {
    const batch = this.batch();
    if (!batch) return;
    let seen = 0;
    if (this.mode !== 'label') return;
    for (const it of batch.items) {
      if (it.reviewId === this.currentId || !this.isOpen(batch, it.reviewId) || this.skipped.has(it.reviewId)) continue;
      this.view(it.reviewId, 'next');
      if (++seen >= 2) break;
    }
  }

  /** File paths of the batch's open reviews, for warming up their languages' highlighting. */
  upcomingPaths(limit = 200): string[] {
    const batch = this.batch();
    if (!batch) return [];
    const paths: string[] = [];
    for (const it of batch.items) {
      if (!this.isOpen(batch, it.reviewId)) continue;
      const r = this.review(it.reviewId);
      if (r?.path) paths.push(r.path);
      if (paths.length >= limit) break;
    }
    return paths;
  }

  /** Labels counted per batch and label, for the side bar. */
  static countsOf(ws: Workspace, batch: Batch): { done: number; counts: Record<Label, number> } {
    const counts = emptyCounts() as Record<Label, number>;
    let done = 0;
    const current = ws.db.current();
    for (const it of batch.items) {
      const c = current.get(it.reviewId);
      if (c) { counts[c.label]++; done++; }
    }
    return { done, counts };
  }
}

/** At most this many reasonings are shown, each cut to this many characters. */
const REASONS_SHOWN = 3;
const REASON_CHARS = 600;

export function opinionView(o: OpinionRecord): SecondOpinionView {
  const counts = (Object.entries(o.counts) as [Label, number][]).filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([label, votes]) => ({ label, votes }));
  const reasons: { label: Label; text: string }[] = [];
  const seen = new Set<string>();
  const take = (label: Label | undefined, max: number) => {
    if (!label) return;
    for (const v of o.votes) {
      if (reasons.length >= max) return;
      const text = v.reasoning.trim().replace(/\s+/g, ' ');
      if (v.label !== label || !text || seen.has(text)) continue;
      seen.add(text);
      reasons.push({ label, text: text.length > REASON_CHARS ? `${text.slice(0, REASON_CHARS - 1)}…` : text });
    }
  };
  take(o.majority, REASONS_SHOWN - (o.majority !== o.humanLabel && o.counts[o.humanLabel] ? 1 : 0));
  if (o.majority !== o.humanLabel) take(o.humanLabel, REASONS_SHOWN);
  return {
    model: o.model, at: o.at, humanLabel: o.humanLabel, samples: o.samples, counts, majority: o.majority,
    agreement: o.agreement, failures: o.failures, reasons,
  };
}

function lineLabel(r: Review): string | undefined {
  const end = r.line ?? r.originalLine;
  if (end === undefined) return undefined;
  const start = r.line !== undefined ? r.startLine : r.originalStartLine;
  const range = start !== undefined && start !== end ? `L${start}-L${end}` : `L${end}`;
  return r.line === undefined ? `${range} (outdated)` : range;
}

/**
 * A file of a model version, read once per version: undefined when the version has none, or when it
 * cannot be read (then `warn` says why, once, prefixed by `what`).
 */
class PerModelVersion<T> {
  private version: string | undefined;
  private value: T | undefined;
  constructor(private readonly read: (version: string) => T | undefined, private readonly what: (version: string) => string) {}

  get(version: string, warn: (message: string) => void): T | undefined {
    if (this.version !== version) {
      this.version = version;
      try {
        this.value = this.read(version);
      } catch (e) {
        this.value = undefined;
        warn(`${this.what(version)}: ${(e as Error).message}`);
      }
    }
    return this.value;
  }
}
