/**
 * The label database `.secreview/labels.json`: the one writer of labels. Label events are append-only
 * (`set` and `undo`); current labels, history and batch progress are derived from them. Batches and
 * model versions are recorded beside them. Every change is written atomically (temp + fsync +
 * rename) before the promise resolves, so a label acknowledged to the user is on disk.
 */
import { Low, type Adapter } from 'lowdb';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isLabel, type Label } from '../core/labels';
import type { Provenance } from '../core/selection';
import { readJsonFile, writeFileAtomicSync } from './atomic';
import { BACKUP_EVERY_EVENTS, restoreHint, writeBackup } from './backups';

export const SCHEMA_VERSION = 2;

export interface LabelEvent {
  /** 1-based position in the event log. */
  seq: number;
  kind: 'set' | 'undo';
  reviewId: string;
  /** The label set (`set`), or null for `undo`. */
  label: Label | null;
  note?: string;
  iteration: number;
  batchId?: string;
  at: string;
  annotator: string;
  /** For `undo`: the seq of the `set` event it reverts. */
  undoes?: number;
  /** How the label came to be, when not typed by the annotator in this tool (e.g. `import:file.jsonl`, `adjudication`). */
  source?: string;
  /** For adjudications: the label in force before this decision (the original value). */
  previous?: Label;
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
  return undefined;
}

/** Validates and, where needed, migrates a parsed file. Throws with the file name and the problem. */
export function upgradeLabelData(value: unknown, file: string): LabelData {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${file}: expected a JSON object`);
  let data = value as Record<string, unknown>;
  if (typeof data.schema !== 'number' || !Number.isInteger(data.schema) || data.schema < 1) throw new Error(`${file}: missing or invalid "schema" version`);
  let schema: number = data.schema;
  if (schema > SCHEMA_VERSION) {
    throw new Error(`${file} was written by a newer version of Security Review Labeler (schema ${schema}; this version reads up to ${SCHEMA_VERSION}); update the extension or CLI`);
  }
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
  return `{"schema":${data.schema},"createdAt":${JSON.stringify(data.createdAt)},\n` +
    `"events":${list(data.events)},\n"batches":${list(data.batches)},\n"models":${list(data.models)},\n"opinions":${list(data.opinions)}}\n`;
}

/** Derived state, rebuilt from the event log in one pass and kept up to date incrementally. */
interface Derived {
  current: Map<string, CurrentLabel>;
  /** seqs of `set` events still in force or revertible, oldest first (the undo stack). */
  undoStack: number[];
  /** Per review, the seqs of its `set` events not undone, oldest first. */
  perReview: Map<string, number[]>;
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

export class LabelDb {
  private derived!: Derived;
  private queue: Promise<unknown> = Promise.resolve();

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
    const db = new LabelDb(low, file, options.annotator ?? defaultAnnotator(), options.readOnlyReason, options);
    db.rebuild();
    return db;
  }

  /**
   * Writes a backup of the database as it is on disk now (the newest 10 are kept). Resolves with
   * its path, or undefined when it could not be written (reported through `onWarning`: the labels
   * themselves are safe in labels.json).
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

  events(): readonly LabelEvent[] {
    return this.low.data.events;
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

  /** Every event about one review, oldest first (its full history, including undone ones). */
  history(reviewId: string): LabelEvent[] {
    return this.low.data.events.filter((e) => e.reviewId === reviewId);
  }

  /** The iteration of the newest batch; 0 before any batch (imported labels live in iteration 0). */
  currentIteration(): number {
    return this.low.data.batches.reduce((m, b) => Math.max(m, b.iteration), 0);
  }

  /** Sets (or changes) a review's label. Resolves once the event is on disk. */
  setLabel(input: { reviewId: string; label: Label; note?: string; batchId?: string; iteration?: number; annotator?: string; source?: string; at?: string }): Promise<LabelEvent> {
    return this.mutate(() => {
      if (!isLabel(input.label)) throw new Error(`unknown label "${String(input.label)}"`);
      return this.appendSet(input);
    });
  }

  /** Records many labels in one write (imports). Returns the events added. */
  setLabels(inputs: readonly { reviewId: string; label: Label; note?: string; iteration?: number; batchId?: string; source?: string; at?: string }[]): Promise<LabelEvent[]> {
    return this.mutate(() => inputs.map((i) => this.appendSet(i)));
  }

  /**
   * Reverts the most recent label still in force (any review), as far back as the history goes.
   * Returns the undo event, or undefined when there is nothing left to undo.
   */
  undo(): Promise<LabelEvent | undefined> {
    return this.mutate(() => {
      const seq = this.derived.undoStack.at(-1);
      if (seq === undefined) return undefined;
      const target = this.low.data.events[seq - 1]!;
      const ev: LabelEvent = {
        seq: this.low.data.events.length + 1, kind: 'undo', reviewId: target.reviewId, label: null,
        iteration: target.iteration, batchId: target.batchId, at: new Date().toISOString(), annotator: this.annotator, undoes: seq,
      };
      this.low.data.events.push(stripUndefined(ev));
      this.apply(ev);
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
        modelVersion: input.modelVersion, strategy: input.strategy, seed: input.seed, items: input.items,
      });
      this.low.data.batches.push(batch);
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
   * Reviews where the newest second opinion disagrees with the human label and nobody has decided
   * since: the label it was asked about is still in force, and every later label event in force is
   * the same label without being an adjudication (a note added meanwhile decides nothing).
   */
  adjudicationQueue(): OpinionRecord[] {
    const newest = new Map<string, OpinionRecord>();
    for (const o of this.low.data.opinions) newest.set(o.reviewId, o);
    return [...newest.values()].filter((o) => o.disagreement && this.awaitsDecision(o));
  }

  private awaitsDecision(o: OpinionRecord): boolean {
    const seqs = this.derived.perReview.get(o.reviewId);
    if (!seqs?.includes(o.humanSeq)) return false; // the label asked about was undone
    const events = this.low.data.events;
    return seqs.every((seq) => seq <= o.humanSeq || (events[seq - 1]!.label === o.humanLabel && events[seq - 1]!.source !== 'adjudication'));
  }

  /** Records the annotator's final decision on a disagreement, keeping the original value beside it. */
  adjudicate(input: { reviewId: string; label: Label; note?: string }): Promise<LabelEvent> {
    return this.mutate(() => {
      const before = this.derived.current.get(input.reviewId);
      if (!before) throw new Error(`review ${input.reviewId} has no label to adjudicate`);
      return this.appendSet({ ...input, batchId: before.batchId, iteration: before.iteration, source: 'adjudication', previous: before.label });
    });
  }

  /** Reloads from disk (e.g. after another process changed the file while we were read-only). */
  async reload(): Promise<void> {
    await this.low.read();
    this.rebuild();
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
        const seq = this.low.data.events.length + 1;
        if (e.kind === 'undo' && (e.undoes === undefined || !remap.has(e.undoes))) {
          throw new Error(`event ${e.seq} for review ${e.reviewId} undoes event ${String(e.undoes)}, which is not in its history`);
        }
        const ev: LabelEvent = stripUndefined({ ...e, seq, undoes: e.kind === 'undo' ? remap.get(e.undoes!) : undefined });
        remap.set(e.seq, seq);
        this.low.data.events.push(ev);
        this.apply(ev);
        out.push(ev);
      }
      return out;
    });
  }

  /** Writes the file if it does not exist yet (a new workspace). */
  async ensureFile(): Promise<void> {
    if (!existsSync(this.file)) await this.mutate(() => undefined);
  }

  /** Waits for pending writes. */
  async flush(): Promise<void> {
    await this.queue.catch(() => {});
  }

  private appendSet(input: { reviewId: string; label: Label; note?: string; batchId?: string; iteration?: number; annotator?: string; source?: string; at?: string; previous?: Label }): LabelEvent {
    if (!input.reviewId) throw new Error('a label needs a review id');
    const batch = input.batchId ? this.batch(input.batchId) : undefined;
    if (input.batchId && !batch) throw new Error(`unknown batch "${input.batchId}"`);
    const ev: LabelEvent = stripUndefined({
      seq: this.low.data.events.length + 1, kind: 'set' as const, reviewId: input.reviewId, label: input.label,
      note: input.note?.trim() ? input.note : undefined,
      iteration: input.iteration ?? batch?.iteration ?? this.currentIteration(),
      batchId: input.batchId, at: input.at ?? new Date().toISOString(), annotator: input.annotator ?? this.annotator, source: input.source, previous: input.previous,
    });
    this.low.data.events.push(ev);
    this.apply(ev);
    return ev;
  }

  /**
   * Serializes mutations: applies one in memory, writes the file, resolves. If the write fails, the
   * in-memory change is rolled back so memory never claims what the disk does not hold.
   */
  private mutate<T>(change: () => T): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.readOnlyReason !== undefined) throw new ReadOnlyError(this.readOnlyReason);
      const snapshot = { events: this.low.data.events.length, batches: this.low.data.batches.length, models: this.low.data.models.length, opinions: this.low.data.opinions.length };
      let result: T;
      try {
        result = change();
        await this.low.write();
      } catch (e) {
        this.low.data.events.length = snapshot.events;
        this.low.data.batches.length = snapshot.batches;
        this.low.data.models.length = snapshot.models;
        this.low.data.opinions.length = snapshot.opinions;
        this.rebuild();
        throw e;
      }
      if (this.options.backups && Math.floor(snapshot.events / BACKUP_EVERY_EVENTS) !== Math.floor(this.low.data.events.length / BACKUP_EVERY_EVENTS)) void this.backup();
      return result;
    };
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => {});
    return p;
  }

  private rebuild(): void {
    this.derived = { current: new Map(), undoStack: [], perReview: new Map() };
    for (const ev of this.low.data.events) this.apply(ev);
  }

  private apply(ev: LabelEvent): void {
    const d = this.derived;
    if (ev.kind === 'set') {
      d.undoStack.push(ev.seq);
      let list = d.perReview.get(ev.reviewId);
      if (!list) d.perReview.set(ev.reviewId, (list = []));
      list.push(ev.seq);
      d.current.set(ev.reviewId, currentFrom(ev));
      return;
    }
    const target = ev.undoes;
    if (target === undefined) return;
    const i = d.undoStack.lastIndexOf(target);
    if (i >= 0) d.undoStack.splice(i, 1);
    const list = d.perReview.get(ev.reviewId);
    if (!list) return;
    const j = list.lastIndexOf(target);
    if (j >= 0) list.splice(j, 1);
    const prev = list.at(-1);
    if (prev === undefined) d.current.delete(ev.reviewId);
    else d.current.set(ev.reviewId, currentFrom(this.low.data.events[prev - 1]!));
  }
}

function currentFrom(ev: LabelEvent): CurrentLabel {
  return stripUndefined({
    reviewId: ev.reviewId, label: ev.label as Label, note: ev.note, iteration: ev.iteration, batchId: ev.batchId,
    at: ev.at, annotator: ev.annotator, seq: ev.seq, source: ev.source,
  });
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

export function defaultAnnotator(): string {
  try {
    return os.userInfo().username || 'annotator';
  } catch {
    return 'annotator';
  }
}
