/**
 * The label database `.secreview/labels.json`: the one writer of labels. Label events are append-only
 * (`set` and `undo`); current labels, history and batch progress are derived from them. Batches and
 * model versions are recorded beside them. Every change is written atomically (temp + fsync +
 * rename) before the promise resolves, so a label acknowledged to the user is on disk.
 *
 * Team mode (`enableTeam`, schema 3): the label events leave labels.json for one append-only log
 * per annotator, `.secreview/labels/<annotator>.jsonl` (`teamLogs.ts`), so people labeling clones
 * of the workspace merge through git without conflicts; labels.json keeps the shared state
 * (batches, models, second opinions). The events of all logs are merged into one order (see
 * `mergeLogs`) and numbered `seq` 1, 2, ... in that order each time they are read, so the rest of
 * the tool sees one event log as before. The current label of a review is the newest label in
 * force in that order (an undo reverts only its own author's event); an adjudication is an event
 * like any other, so it is current until someone labels the review again. Before each write the
 * database rereads whatever changed on disk (a `git pull`), so a write never replaces lines it has
 * not seen.
 */
import { Low, type Adapter } from 'lowdb';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isLabel, type Label } from '../core/labels';
import type { Provenance } from '../core/selection';
import { isCweId, sortCwe } from '../core/cwe';
import { readJsonFile, writeFileAtomicSync } from './atomic';
import { BACKUP_EVERY_EVENTS, restoreHint, writeBackup } from './backups';
import { workspacePaths } from './layout';
import { fileSignature, LOG_SUFFIX, logFileName, logNames, mergeLogs, migratedId, newEventId, parseLog, serializeLog, type CodingSnapshot, type LabelEventBody, type LogEvent } from './teamLogs';

export type { CodingSnapshot };

/** The schema of a single-person database (events in labels.json). */
export const SCHEMA_VERSION = 2;
/** The schema of a team workspace's labels.json (events in per-annotator logs); older versions refuse it. */
export const TEAM_SCHEMA_VERSION = 3;

export interface LabelEvent extends LabelEventBody {
  /** 1-based position in the event log. */
  seq: number;
  /** For `undo`: the seq of the `set` event it reverts. */
  undoes?: number;
  /** Team mode: the event's id in its annotator's log (unique across logs; `undoes` is still a seq). */
  id?: string;
}

/** A language model's second opinion on a labeled review (votes of several independent samples). */
export interface OpinionRecord {
  reviewId: string;
  model: string;
  at: string;
  samples: number;
  /** The human label and the seq of its event when the opinion was asked. */
  humanLabel: Label;
  humanSeq: number;
  /** Team mode: the id of that event (seqs are renumbered when logs merge). */
  humanEventId?: string;
  counts: Partial<Record<Label, number>>;
  majority?: Label;
  agreement: number;
  disagreement: boolean;
  failures: number;
  votes: { label?: Label; reasoning: string }[];
}

export interface BatchItem { reviewId: string; strategy: Provenance; score: number }

export interface Batch {
  id: string;
  iteration: number;
  createdAt: string;
  modelVersion: string | null;
  /** The mixture or rule that built the batch, e.g. `rare:45%,entropy:45%,random:10%` or `bootstrap: M1 (secur)`. */
  strategy: string;
  seed?: number;
  items: BatchItem[];
  /** Double coding: who codes each review (see `src/core/assignment.ts`). */
  assignment?: BatchAssignment;
}

/** A batch split among annotators with an overlap coded by two, as planned (seeded, so it can be redone). */
export interface BatchAssignment {
  annotators: string[];
  overlap: number;
  seed: number;
  at: string;
  /** Per review, who codes it. */
  coders: Record<string, string[]>;
}

export interface EpochMetrics { epoch: number; trainLoss: number; testLoss: number; precisionAtK: number; k?: number; [extra: string]: number | undefined }

export interface ModelRecord {
  version: string;
  createdAt: string;
  representation: string;
  epochs: EpochMetrics[];
  selectedEpoch: number;
  /** Further facts the trainer reports (execution provider, split sizes, durations...). */
  [extra: string]: unknown;
}

export interface LabelData {
  schema: number;
  createdAt: string;
  /** Team mode: the events are in `labels/<annotator>.jsonl`, and `events` here stays empty. */
  team?: true;
  events: LabelEvent[];
  batches: Batch[];
  models: ModelRecord[];
  opinions: OpinionRecord[];
}

export interface CurrentLabel {
  reviewId: string;
  label: Label;
  note?: string;
  iteration: number;
  batchId?: string;
  at: string;
  annotator: string;
  /** seq of the `set` event in force. */
  seq: number;
  source?: string;
  cwe?: string[];
  /** Team mode: the id of the event in force in its log. */
  id?: string;
}

/** `labels.json` cannot be read as a label database; the message names the newest backup and how to restore it. */
export class LabelsDamagedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LabelsDamagedError';
  }
}

export class ReadOnlyError extends Error {
  constructor(reason: string) {
    super(`the label database is read-only: ${reason}`);
    this.name = 'ReadOnlyError';
  }
}

/** Upgrades older files; key = the schema version a step upgrades from. */
const MIGRATIONS: Record<number, (data: Record<string, unknown>) => Record<string, unknown>> = {
  // 2 adds second opinions.
  1: (data) => ({ ...data, schema: 2, opinions: [] }),
};

export function emptyLabelData(): LabelData {
  return { schema: SCHEMA_VERSION, createdAt: new Date().toISOString(), events: [], batches: [], models: [], opinions: [] };
}

/** Checks one label event read from a file or an export; returns the reason it is unusable, if any. */
export function labelEventProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const e = value as Partial<LabelEvent>;
  if (!Number.isInteger(e.seq) || (e.seq as number) < 1) return `invalid seq ${String(e.seq)}`;
  if (e.kind !== 'set' && e.kind !== 'undo') return `unknown kind ${String(e.kind)}`;
  if (e.kind === 'set' && !isLabel(e.label)) return `unknown label ${String(e.label)}`;
  if (typeof e.reviewId !== 'string' || !e.reviewId) return 'missing reviewId';
  if (typeof e.at !== 'string' || typeof e.annotator !== 'string') return 'missing time or annotator';
  if (typeof e.iteration !== 'number') return 'missing iteration';
  if (e.cwe !== undefined && !(Array.isArray(e.cwe) && e.cwe.every(isCweId))) return `invalid CWE tags ${JSON.stringify(e.cwe)}`;
  return undefined;
}

/** Validates and, where needed, migrates a parsed file. Throws with the file name and the problem. */
export function upgradeLabelData(value: unknown, file: string): LabelData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: expected a JSON object`);
  let data = value as Record<string, unknown>;
  if (typeof data.schema !== 'number' || !Number.isInteger(data.schema) || data.schema < 1) throw new Error(`${file}: missing or invalid "schema" version`);
  let schema: number = data.schema;
  if (schema > TEAM_SCHEMA_VERSION) {
    throw new Error(`${file} was written by a newer version of Security Review Labeler (schema ${schema}; this version reads up to ${TEAM_SCHEMA_VERSION}); update the extension or CLI`);
  }
  if (schema === TEAM_SCHEMA_VERSION && data.team !== true) throw new Error(`${file}: schema ${schema} is a team workspace but "team" is not true`);
  while (schema < SCHEMA_VERSION) {
    const step = MIGRATIONS[schema];
    if (!step) throw new Error(`${file}: no migration from schema ${schema}`);
    data = step(data);
    schema = data.schema as number;
  }
  for (const key of ['events', 'batches', 'models', 'opinions'] as const) {
    if (!Array.isArray(data[key])) throw new Error(`${file}: "${key}" must be an array`);
  }
  (data.events as unknown[]).forEach((e, i) => {
    const problem = labelEventProblem(e);
    if (problem) throw new Error(`${file}: event ${i + 1}: ${problem}`);
    if ((e as LabelEvent).seq !== i + 1) throw new Error(`${file}: event ${i + 1} has seq ${(e as LabelEvent).seq}; the log must be contiguous`);
  });
  return data as unknown as LabelData;
}

/** Reads and validates a label database file; undefined when it does not exist. */
export async function readLabelData(file: string): Promise<LabelData | undefined> {
  const parsed = await readJsonFile(file, 'it was left untouched');
  return parsed === undefined ? undefined : upgradeLabelData(parsed, file);
}

/**
 * lowdb adapter: strict reads (a damaged file is an error, never "empty"), durable atomic writes,
 * each checked by `beforeRename` (the writer still holds the lock) just before it replaces the file.
 */
class DurableJsonFile implements Adapter<LabelData> {
  constructor(private readonly file: string, private readonly beforeRename?: () => void) {}
  async read(): Promise<LabelData | null> {
    try {
      return (await readLabelData(this.file)) ?? null;
    } catch (e) {
      // Not damage: a newer format, or a file the system would not let us read (its code says why).
      if ((e as NodeJS.ErrnoException).code || /written by a newer version/.test((e as Error).message)) throw e;
      throw new LabelsDamagedError(`${(e as Error).message}. ${restoreHint(path.dirname(this.file))}`);
    }
  }
  async write(data: LabelData): Promise<void> {
    // Synchronous: the panel waits for this write before it advances (see writeFileAtomicSync).
    writeFileAtomicSync(this.file, serializeLabelData(data), { beforeRename: this.beforeRename });
  }
}

/**
 * One record per line (events, batches, models), so the file diffs well under version control
 * and stays valid JSON.
 */
export function serializeLabelData(data: LabelData): string {
  const list = (xs: readonly unknown[]) => (xs.length ? '[\n' + xs.map((x) => JSON.stringify(x)).join(',\n') + '\n]' : '[]');
  return `{"schema":${data.schema},"createdAt":${JSON.stringify(data.createdAt)},${data.team ? '"team":true,' : ''}\n` +
    `"events":${list(data.events)},\n"batches":${list(data.batches)},\n"models":${list(data.models)},\n"opinions":${list(data.opinions)}}\n`;
}

/** Derived state, rebuilt from the event log in one pass and kept up to date incrementally. */
interface Derived {
  current: Map<string, CurrentLabel>;
  /** seqs of `set` events still in force or revertible, oldest first (the undo stack). */
  undoStack: number[];
  /** Per review, the seqs of its `set` events not undone, oldest first. */
  perReview: Map<string, number[]>;
  /** Everyone with a label event (a single-person workspace skips the search for double coding). */
  annotators: Set<string>;
}

export interface LabelDbOptions {
  annotator?: string;
  readOnlyReason?: string;
  /** Called before each write replaces the file; throws to refuse it (the writer lost its lock). */
  beforeWrite?: () => void;
  /** Keep rolling backups in `<folder of labels.json>/backups/` (every 100 events, and on `backup()`). */
  backups?: boolean;
  /** Where problems that do not fail a change go (a backup that could not be written). */
  onWarning?: (message: string) => void;
}

/** Where a disagreement waiting for a decision comes from. */
export type AdjudicationSource = 'second-opinion' | 'annotators';

/**
 * A review waiting in the adjudication queue: a language model's second opinion that disagrees
 * with the label, or two annotators whose own labels differ (double coding).
 */
export type AdjudicationItem =
  | { source: 'second-opinion'; reviewId: string; opinion: OpinionRecord }
  | { source: 'annotators'; reviewId: string; codings: CodingSnapshot[] };

/** Team mode's state: the logs folder, this annotator's own log and the merged events. */
interface TeamState {
  dir: string;
  /** This annotator's log file (its name in `dir`). */
  ownName: string;
  /** Every event of this annotator's log file, in its order: what the next write of it holds. */
  own: LogEvent[];
  /** Ids of the events in `own`. */
  ownIds: Set<string>;
  /** All logs merged and numbered (seq = position + 1). */
  events: LabelEvent[];
  /** labels.json and every log as last read or written (see `diskSignature`). */
  seen: string;
}

export class LabelDb {
  private derived!: Derived;
  private queue: Promise<unknown> = Promise.resolve();
  private team: TeamState | undefined;
  /** Set by a change to shared state (batches) in place, so team mode writes labels.json. */
  private sharedChanged = false;
  /** Undoes an in-place change to shared state when its write fails. */
  private rollbackShared: (() => void) | undefined;

  private constructor(
    private readonly low: Low<LabelData>,
    readonly file: string,
    readonly annotator: string,
    readonly readOnlyReason: string | undefined,
    private readonly options: LabelDbOptions,
  ) {}

  static async open(file: string, options: LabelDbOptions = {}): Promise<LabelDb> {
    const low = new Low<LabelData>(new DurableJsonFile(file, options.beforeWrite), emptyLabelData());
    await low.read();
    const db = new LabelDb(low, file, options.annotator ?? defaultAnnotator(path.dirname(path.dirname(file))), options.readOnlyReason, options);
    if (db.low.data.team || logNames(db.logsDir).length) await db.loadTeam();
    db.rebuild();
    return db;
  }

  /** `.secreview/labels/`: the per-annotator logs of team mode. */
  get logsDir(): string {
    return workspacePaths.labelLogs(path.dirname(this.file));
  }

  /** Whether the label events live in per-annotator logs. */
  get teamMode(): boolean {
    return this.team !== undefined;
  }

  /**
   * Writes a backup of the database as it is on disk now (the newest 10 are kept). Resolves with
   * its path, or undefined when it could not be written (reported through `onWarning`: the labels
   * themselves are safe in labels.json). In team mode labels.json holds the shared state only; the
   * logs are append-only and versioned with git.
   */
  backup(): Promise<string | undefined> {
    const run = async () => {
      try {
        return await writeBackup(path.dirname(this.file), serializeLabelData(this.low.data), this.low.data.events.length);
      } catch (e) {
        (this.options.onWarning ?? ((m: string) => process.emitWarning(m)))(`could not write a backup of ${this.file}: ${(e as Error).message}`);
        return undefined;
      }
    };
    const p = this.queue.then(run, run);
    this.queue = p;
    return p;
  }

  get readOnly(): boolean {
    return this.readOnlyReason !== undefined;
  }

  get data(): Readonly<LabelData> {
    return this.low.data;
  }

  /** The event log: labels.json's, or in team mode every annotator's log merged. */
  private get log(): LabelEvent[] {
    return this.team ? this.team.events : this.low.data.events;
  }

  events(): readonly LabelEvent[] {
    return this.log;
  }
  batches(): readonly Batch[] {
    return this.low.data.batches;
  }
  models(): readonly ModelRecord[] {
    return this.low.data.models;
  }
  opinions(): readonly OpinionRecord[] {
    return this.low.data.opinions;
  }
  latestModel(): ModelRecord | undefined {
    return this.low.data.models.at(-1);
  }
  latestBatch(): Batch | undefined {
    return this.low.data.batches.at(-1);
  }
  batch(id: string): Batch | undefined {
    return this.low.data.batches.find((b) => b.id === id);
  }

  /** Current label of every labeled review. */
  current(): ReadonlyMap<string, CurrentLabel> {
    return this.derived.current;
  }
  labelOf(reviewId: string): CurrentLabel | undefined {
    return this.derived.current.get(reviewId);
  }

  /**
   * One annotator's own label in force on a review (their newest label not undone; adjudications
   * are decisions, not codings, and are left out).
   */
  labelBy(reviewId: string, annotator: string): CurrentLabel | undefined {
    const seqs = this.derived.perReview.get(reviewId);
    for (let i = (seqs?.length ?? 0) - 1; i >= 0; i--) {
      const ev = this.log[seqs![i]! - 1]!;
      if (ev.annotator === annotator && ev.source !== 'adjudication') return currentFrom(ev);
    }
    return undefined;
  }

  /** Every annotator's own label in force on a review, by annotator name. */
  codings(reviewId: string): CodingSnapshot[] {
    const seen = new Map<string, Label>();
    for (const seq of this.derived.perReview.get(reviewId) ?? []) {
      const ev = this.log[seq - 1]!;
      if (ev.source !== 'adjudication' && !ev.source?.startsWith('import')) seen.set(ev.annotator, ev.label as Label);
    }
    return [...seen].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([annotator, label]) => ({ annotator, label }));
  }

  /**
   * The double-coded reviews: those an assigned batch gave to two or more annotators (the overlap),
   * once at least two of them have labeled, with each one's own label. Agreement is measured on
   * these, and their disagreements wait for adjudication. A review relabeled by someone else outside
   * an assignment is a correction, not a second coding (a person whose name changed, say), and
   * counts in neither.
   */
  codedByMany(): { reviewId: string; codings: CodingSnapshot[] }[] {
    const out: { reviewId: string; codings: CodingSnapshot[] }[] = [];
    if (this.derived.annotators.size < 2) return out;
    const seen = new Set<string>();
    for (const batch of this.low.data.batches) {
      if (!batch.assignment) continue;
      for (const [reviewId, coders] of Object.entries(batch.assignment.coders)) {
        if (coders.length < 2 || seen.has(reviewId)) continue;
        seen.add(reviewId);
        const codings = this.codings(reviewId).filter((c) => coders.includes(c.annotator));
        if (codings.length >= 2) out.push({ reviewId, codings });
      }
    }
    return out;
  }

  /** Every event about one review, oldest first (its full history, including undone ones). */
  history(reviewId: string): LabelEvent[] {
    return this.log.filter((e) => e.reviewId === reviewId);
  }

  /** The iteration of the newest batch; 0 before any batch (imported labels live in iteration 0). */
  currentIteration(): number {
    return this.low.data.batches.reduce((m, b) => Math.max(m, b.iteration), 0);
  }

  /** Sets (or changes) a review's label. Resolves once the event is on disk. */
  setLabel(input: { reviewId: string; label: Label; note?: string; batchId?: string; iteration?: number; annotator?: string; source?: string; at?: string; cwe?: readonly string[] }): Promise<LabelEvent> {
    return this.mutate(() => {
      if (!isLabel(input.label)) throw new Error(`unknown label "${String(input.label)}"`);
      return this.appendSet(input);
    });
  }

  /** Records many labels in one write (imports). Returns the events added. */
  setLabels(inputs: readonly { reviewId: string; label: Label; note?: string; iteration?: number; batchId?: string; source?: string; at?: string; cwe?: readonly string[] }[]): Promise<LabelEvent[]> {
    return this.mutate(() => inputs.map((i) => this.appendSet(i)));
  }

  /**
   * Reverts the most recent label still in force (any review), as far back as the history goes.
   * In team mode only this annotator's own labels (the others' are in their logs).
   * Returns the undo event, or undefined when there is nothing left to undo.
   */
  undo(): Promise<LabelEvent | undefined> {
    return this.mutate(() => {
      const stack = this.derived.undoStack;
      let i = stack.length - 1;
      if (this.team) while (i >= 0 && !this.team.ownIds.has(this.log[stack[i]! - 1]!.id!)) i--;
      const seq = stack[i];
      if (seq === undefined) return undefined;
      const target = this.log[seq - 1]!;
      const ev: LabelEvent = {
        seq: this.log.length + 1, kind: 'undo', reviewId: target.reviewId, label: null,
        iteration: target.iteration, batchId: target.batchId, at: new Date().toISOString(), annotator: this.annotator, undoes: seq,
      };
      this.push(stripUndefined(ev), target.id);
      return ev;
    });
  }

  /** Records a new batch; its iteration is one past the newest unless given. */
  addBatch(input: Omit<Batch, 'id' | 'createdAt' | 'iteration'> & { iteration?: number }): Promise<Batch> {
    return this.mutate(() => {
      const n = this.low.data.batches.length + 1;
      const batch: Batch = stripUndefined({
        id: `b${String(n).padStart(4, '0')}`,
        iteration: input.iteration ?? this.currentIteration() + 1,
        createdAt: new Date().toISOString(),
        modelVersion: input.modelVersion, strategy: input.strategy, seed: input.seed, items: input.items, assignment: input.assignment,
      });
      this.low.data.batches.push(batch);
      return batch;
    });
  }

  /**
   * Assigns a batch's reviews to annotators (double coding, `planAssignment`), recorded in the
   * batch. Refused once any of its reviews has a label: the overlap must be chosen before anyone
   * sees the items.
   */
  assignBatch(batchId: string, assignment: BatchAssignment): Promise<Batch> {
    return this.mutate(() => {
      const batch = this.batch(batchId);
      if (!batch) throw new Error(`unknown batch "${batchId}"`);
      if (batch.assignment) throw new Error(`batch ${batchId} is already assigned (to ${batch.assignment.annotators.join(', ')}); propose a new batch to assign again`);
      const labeled = batch.items.filter((it) => this.derived.current.has(it.reviewId)).length;
      if (labeled) throw new Error(`batch ${batchId} already has ${labeled} labeled review${labeled === 1 ? '' : 's'}; assign a batch before anyone labels it`);
      const missing = batch.items.find((it) => !assignment.coders[it.reviewId]?.length);
      if (missing) throw new Error(`the assignment names no annotator for review ${missing.reviewId} of batch ${batchId}`);
      batch.assignment = assignment;
      this.sharedChanged = true;
      this.rollbackShared = () => { delete batch.assignment; };
      return batch;
    });
  }

  /** The next model version name (`m0001`, ...), for the trainer to write its folder under. */
  nextModelVersion(): string {
    return `m${String(this.low.data.models.length + 1).padStart(4, '0')}`;
  }

  addModel(record: ModelRecord): Promise<ModelRecord> {
    return this.mutate(() => {
      if (this.low.data.models.some((m) => m.version === record.version)) throw new Error(`model version ${record.version} is already recorded`);
      this.low.data.models.push(record);
      return record;
    });
  }

  addOpinion(record: OpinionRecord): Promise<OpinionRecord> {
    return this.mutate(() => {
      this.low.data.opinions.push(record);
      return record;
    });
  }

  /**
   * The adjudication queue, one for all sources (or those of one source): second opinions that
   * disagree with the label and nobody has decided since, then double-coded reviews whose coders'
   * own labels differ and whose current label is not a decision made after them.
   */
  adjudicationQueue<S extends AdjudicationSource>(source: S): Extract<AdjudicationItem, { source: S }>[];
  adjudicationQueue(source?: AdjudicationSource): AdjudicationItem[];
  adjudicationQueue(source?: AdjudicationSource): AdjudicationItem[] {
    const out: AdjudicationItem[] = [];
    if (source !== 'annotators') {
      const newest = new Map<string, OpinionRecord>();
      for (const o of this.low.data.opinions) newest.set(o.reviewId, o);
      for (const o of newest.values()) if (o.disagreement && this.awaitsDecision(o)) out.push({ source: 'second-opinion', reviewId: o.reviewId, opinion: o });
    }
    if (source !== 'second-opinion') {
      const queued = new Set(out.map((i) => i.reviewId));
      for (const { reviewId, codings } of this.codedByMany()) {
        if (queued.has(reviewId) || codings.every((c) => c.label === codings[0]!.label)) continue;
        if (this.derived.current.get(reviewId)?.source === 'adjudication') continue;
        out.push({ source: 'annotators', reviewId, codings });
      }
    }
    return out;
  }

  private awaitsDecision(o: OpinionRecord): boolean {
    const seqs = this.derived.perReview.get(o.reviewId);
    const humanSeq = o.humanEventId !== undefined ? this.log.find((e) => e.id === o.humanEventId)?.seq : o.humanSeq;
    if (humanSeq === undefined || !seqs?.includes(humanSeq)) return false; // the label asked about was undone
    const events = this.log;
    return seqs.every((seq) => seq <= humanSeq || (events[seq - 1]!.label === o.humanLabel && events[seq - 1]!.source !== 'adjudication'));
  }

  /**
   * Records the final decision on a disagreement by this annotator, keeping the label in force
   * before it (`previous`) and every annotator's own label (`originals`) beside it.
   */
  adjudicate(input: { reviewId: string; label: Label; note?: string; cwe?: readonly string[] }): Promise<LabelEvent> {
    return this.mutate(() => {
      const before = this.derived.current.get(input.reviewId);
      if (!before) throw new Error(`review ${input.reviewId} has no label to adjudicate`);
      const originals = this.codings(input.reviewId);
      return this.appendSet({ ...input, batchId: before.batchId, iteration: before.iteration, source: 'adjudication', previous: before.label, originals: originals.length > 1 ? originals : undefined });
    });
  }

  /** Reloads from disk (e.g. after another process changed the file while we were read-only). */
  async reload(): Promise<void> {
    await this.low.read();
    this.team = undefined;
    if (this.low.data.team || logNames(this.logsDir).length) await this.loadTeam();
    this.rebuild();
  }

  /** Team mode: reloads when labels.json or a log changed on disk (a `git pull`); true when it did. */
  async reloadIfChanged(): Promise<boolean> {
    const changed = (): boolean => this.team !== undefined && this.team.seen !== this.diskSignature();
    if (!changed()) return false;
    const run = async () => { if (changed()) await this.reload(); };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    await p;
    return true;
  }

  /**
   * Moves the label events of labels.json into one log per annotator (team mode), without loss:
   * labels.json is backed up first, every event keeps its annotator, time, label, note and order
   * (its id is `m<seq>`, and the migrated events come first in the merged order), and a crash
   * half-way is finished on the next open. Also asks git for a union merge of the logs. Idempotent.
   */
  enableTeam(): Promise<{ migrated: number; logs: string[] }> {
    const run = async () => {
      if (this.readOnlyReason !== undefined) throw new ReadOnlyError(this.readOnlyReason);
      const migrated = this.low.data.events.length;
      if (this.team && !migrated) return { migrated: 0, logs: logNames(this.logsDir) };
      if (migrated) await writeBackup(path.dirname(this.file), serializeLabelData(this.low.data), migrated);
      await this.persistMigration();
      await this.loadTeam();
      this.rebuild();
      return { migrated, logs: logNames(this.logsDir) };
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  /**
   * Appends events from another workspace's history (an export), keeping their order, labels,
   * notes, iterations, batches, annotators and times; seqs are renumbered and `undoes` remapped.
   */
  restoreEvents(events: readonly LabelEvent[]): Promise<LabelEvent[]> {
    return this.mutate(() => {
      const sorted = [...events].sort((a, b) => a.seq - b.seq);
      const remap = new Map<number, number>();
      const out: LabelEvent[] = [];
      for (const e of sorted) {
        const seq = this.log.length + 1;
        if (e.kind === 'undo' && (e.undoes === undefined || !remap.has(e.undoes))) {
          throw new Error(`event ${e.seq} for review ${e.reviewId} undoes event ${String(e.undoes)}, which is not in its history`);
        }
        const ev: LabelEvent = stripUndefined({ ...e, seq, id: undefined, undoes: e.kind === 'undo' ? remap.get(e.undoes!) : undefined });
        remap.set(e.seq, seq);
        this.push(ev, ev.undoes === undefined ? undefined : this.log[ev.undoes - 1]!.id);
        out.push(ev);
      }
      return out;
    });
  }

  /** Writes the file if it does not exist yet (a new workspace). */
  async ensureFile(): Promise<void> {
    if (!existsSync(this.file)) await this.mutate(() => { this.sharedChanged = true; });
  }

  /** Waits for pending writes. */
  async flush(): Promise<void> {
    await this.queue.catch(() => {});
  }

  private appendSet(input: { reviewId: string; label: Label; note?: string; batchId?: string; iteration?: number; annotator?: string; source?: string; at?: string; previous?: Label; originals?: CodingSnapshot[]; cwe?: readonly string[] }): LabelEvent {
    if (!input.reviewId) throw new Error('a label needs a review id');
    const batch = input.batchId ? this.batch(input.batchId) : undefined;
    if (input.batchId && !batch) throw new Error(`unknown batch "${input.batchId}"`);
    const cwe = input.cwe?.length ? sortCwe(input.cwe) : undefined;
    if (cwe) {
      const bad = cwe.find((c) => !isCweId(c));
      if (bad) throw new Error(`"${bad}" is not a CWE id (write it as CWE-89)`);
      if (input.label !== 'yes') throw new Error(`CWE tags go on "yes" labels only, not on "${input.label}"`);
    }
    const ev: LabelEvent = stripUndefined({
      seq: this.log.length + 1, kind: 'set' as const, reviewId: input.reviewId, label: input.label,
      note: input.note?.trim() ? input.note : undefined,
      iteration: input.iteration ?? batch?.iteration ?? this.currentIteration(),
      batchId: input.batchId, at: input.at ?? new Date().toISOString(), annotator: input.annotator ?? this.annotator, source: input.source, previous: input.previous,
      originals: input.originals, cwe,
    });
    this.push(ev);
    return ev;
  }

  /** Appends an event to the log (in team mode also to this annotator's own log) and applies it. */
  private push(ev: LabelEvent, undoesId?: string): void {
    if (this.team) {
      ev.id = newEventId(Date.parse(ev.at) || Date.now());
      const { seq: _seq, undoes: _undoes, ...rest } = ev;
      const entry: LogEvent = stripUndefined({ ...rest, id: ev.id, undoes: undoesId } as LogEvent);
      this.team.own.push(entry);
      this.team.ownIds.add(ev.id);
    }
    this.log.push(ev);
    this.apply(ev);
  }

  /**
   * Serializes mutations: applies one in memory, writes the file, resolves. If the write fails, the
   * in-memory change is rolled back so memory never claims what the disk does not hold. In team
   * mode: first rereads what changed on disk; new events go to this annotator's log only, and
   * labels.json is written when the shared state changed.
   */
  private mutate<T>(change: () => T): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.readOnlyReason !== undefined) throw new ReadOnlyError(this.readOnlyReason);
      if (this.team && this.team.seen !== this.diskSignature()) await this.reload();
      const team = this.team;
      const snapshot = { events: this.log.length, own: team?.own.length ?? 0, batches: this.low.data.batches.length, models: this.low.data.models.length, opinions: this.low.data.opinions.length };
      this.sharedChanged = false;
      this.rollbackShared = undefined;
      let result: T;
      try {
        result = change();
        if (!team) await this.low.write();
        else {
          if (team.own.length !== snapshot.own) writeFileAtomicSync(path.join(team.dir, team.ownName), serializeLog(team.own), { beforeRename: this.options.beforeWrite });
          const shared = this.sharedChanged || this.low.data.batches.length !== snapshot.batches || this.low.data.models.length !== snapshot.models || this.low.data.opinions.length !== snapshot.opinions;
          if (shared) await this.low.write();
          team.seen = this.diskSignature();
          // The logs are versioned with git; the shared state gets a backup at each change (they are rare).
          if (shared && this.options.backups) void this.backup();
        }
      } catch (e) {
        this.log.length = snapshot.events;
        if (team) for (const ev of team.own.splice(snapshot.own)) team.ownIds.delete(ev.id);
        (this.rollbackShared as (() => void) | undefined)?.();
        this.low.data.batches.length = snapshot.batches;
        this.low.data.models.length = snapshot.models;
        this.low.data.opinions.length = snapshot.opinions;
        this.rebuild();
        throw e;
      }
      if (!team && this.options.backups && Math.floor(snapshot.events / BACKUP_EVERY_EVENTS) !== Math.floor(this.log.length / BACKUP_EVERY_EVENTS)) void this.backup();
      return result;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  /** What changed on disk shows here: labels.json's and every log's inode, size and time. */
  private diskSignature(): string {
    const dir = this.logsDir;
    return [fileSignature(this.file) ?? '-', ...logNames(dir).map((n) => `${n}=${fileSignature(path.join(dir, n)) ?? '-'}`)].join('|');
  }

  /**
   * Reads every log and merges them (team mode). Events still in labels.json (a migration a crash
   * cut short, or a database not yet in team mode) are taken as migrated events; a writable
   * database finishes their move into the logs.
   */
  private async loadTeam(): Promise<void> {
    const dir = this.logsDir;
    if (this.low.data.events.length && this.readOnlyReason === undefined) await this.persistMigration();
    const seen = this.diskSignature();
    const logs = logNames(dir).map((name) => ({ name, events: parseLog(readFileSync(path.join(dir, name), 'utf8'), path.join(dir, name)) }));
    const ownName = logFileName(this.annotator);
    const own = logs.find((l) => l.name === ownName)?.events ?? [];
    // Read-only with events still in labels.json: shown as if migrated, written by nobody.
    for (const [name, events] of migratedLogs(this.low.data.events)) logs.push({ name, events });
    const merged = mergeLogs(logs);
    const seqOf = new Map<string, number>();
    const events: LabelEvent[] = merged.map(({ event }, i) => {
      seqOf.set(event.id, i + 1);
      const { undoes, ...rest } = event;
      return stripUndefined({ ...rest, seq: i + 1, undoes: undoes === undefined ? undefined : seqOf.get(undoes) ?? 0 } as LabelEvent);
    });
    this.team = { dir, ownName, own: [...own], ownIds: new Set(own.map((e) => e.id)), events, seen };
  }

  /** Writes labels.json's events into the logs (those not there yet), then labels.json without them. */
  private async persistMigration(): Promise<void> {
    const dir = this.logsDir;
    mkdirSync(dir, { recursive: true });
    for (const [name, events] of migratedLogs(this.low.data.events)) {
      const file = path.join(dir, name);
      const existing = existsSync(file) ? parseLog(readFileSync(file, 'utf8'), file) : [];
      const ids = new Set(existing.map((e) => e.id));
      const missing = events.filter((e) => !ids.has(e.id));
      if (missing.length) writeFileAtomicSync(file, serializeLog([...existing, ...missing]), { beforeRename: this.options.beforeWrite });
    }
    const attributes = workspacePaths.gitattributes(path.dirname(this.file));
    const line = `${path.basename(dir)}/*${LOG_SUFFIX} merge=union`;
    const had = existsSync(attributes) ? readFileSync(attributes, 'utf8') : '';
    if (!had.includes(line)) writeFileSync(attributes, `${had}${had && !had.endsWith('\n') ? '\n' : ''}# Each annotator's label log only grows: a union merge keeps every line of both sides.\n${line}\n`);
    this.low.data = { ...this.low.data, schema: TEAM_SCHEMA_VERSION, team: true, events: [] };
    await this.low.write();
  }

  private rebuild(): void {
    this.derived = { current: new Map(), undoStack: [], perReview: new Map(), annotators: new Set() };
    for (const ev of this.log) this.apply(ev);
  }

  private apply(ev: LabelEvent): void {
    const d = this.derived;
    if (ev.kind === 'set') {
      d.annotators.add(ev.annotator);
      d.undoStack.push(ev.seq);
      let list = d.perReview.get(ev.reviewId);
      if (!list) d.perReview.set(ev.reviewId, (list = []));
      list.push(ev.seq);
      d.current.set(ev.reviewId, currentFrom(ev));
      return;
    }
    const target = ev.undoes;
    if (!target) return;
    const i = d.undoStack.lastIndexOf(target);
    if (i >= 0) d.undoStack.splice(i, 1);
    const list = d.perReview.get(ev.reviewId);
    if (!list) return;
    const j = list.lastIndexOf(target);
    if (j >= 0) list.splice(j, 1);
    const prev = list.at(-1);
    if (prev === undefined) d.current.delete(ev.reviewId);
    else d.current.set(ev.reviewId, currentFrom(this.log[prev - 1]!));
  }
}

/** labels.json's events as log events (`m<seq>` ids), grouped by the log of their annotator. */
function migratedLogs(events: readonly LabelEvent[]): Map<string, LogEvent[]> {
  const out = new Map<string, LogEvent[]>();
  for (const e of events) {
    const { seq, undoes, id: _id, ...rest } = e;
    const name = logFileName(e.annotator || 'annotator');
    let list = out.get(name);
    if (!list) out.set(name, (list = []));
    list.push(stripUndefined({ ...rest, id: migratedId(seq), undoes: undoes === undefined ? undefined : migratedId(undoes) } as LogEvent));
  }
  return out;
}

function currentFrom(ev: LabelEvent): CurrentLabel {
  return stripUndefined({
    reviewId: ev.reviewId, label: ev.label as Label, note: ev.note, iteration: ev.iteration, batchId: ev.batchId,
    at: ev.at, annotator: ev.annotator, seq: ev.seq, source: ev.source, cwe: ev.cwe, id: ev.id,
  });
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Who labels when no name is set: git's `user.name` (in the workspace's folder, so a repository's
 * own setting counts), else the operating-system user.
 */
export function defaultAnnotator(folder?: string): string {
  try {
    const name = execFileSync('git', ['config', 'user.name'], { cwd: folder, encoding: 'utf8', timeout: 3000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (name) return name;
  } catch {
    // No git, or no name configured: the OS user below.
  }
  try {
    return os.userInfo().username || 'annotator';
  } catch {
    return 'annotator';
  }
}
