/**
 * A labeling workspace: the `.secreview/` folder inside the user's folder, holding the label
 * database, the review pool, model versions and caches. Opening it for writing takes the lock; a
 * second writer is refused (or, when asked, gets a read-only workspace that says why).
 */
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { WORKSPACE_DIR, WORKSPACE_GITIGNORE, workspacePaths } from './layout';
import { isReadOnlyMode, ReadOnlyFileError, removeStaleTempFiles } from './atomic';
import { listBackups } from './backups';
import { LabelDb, labelEventProblem, type LabelEvent } from './labelDb';
import { FileLock, LockedError } from './lock';
import { NearDuplicateIndex } from './nearDuplicates';
import { ImportInterruptedError, Pool, type ImportOptions, type ImportReport } from './pool';

export { WORKSPACE_DIR };

export class NoWorkspaceError extends Error {
  constructor(readonly folder: string) {
    super(`no Security Review workspace in ${folder} (no ${WORKSPACE_DIR}/ folder); run "secreview init" there, or the command "Security Review: Initialize Workspace"`);
    this.name = 'NoWorkspaceError';
  }
}

export interface OpenOptions {
  /** Open without taking the lock; all writes are refused. */
  readOnly?: boolean;
  /** If another process holds the lock, open read-only instead of throwing. */
  fallBackToReadOnly?: boolean;
  /** Who is writing, shown to a second writer (e.g. `secreview import`, `VS Code window`). */
  owner?: string;
  annotator?: string;
  /** How long to wait for another writer to let go of the lock before giving up (default 0: at once). */
  lockWaitMs?: number;
  /** Problems that fail nothing (a backup that could not be written); default: a process warning. */
  onWarning?: (message: string) => void;
}

/** Files a killed writer may leave as `.<name>.<pid>.*.tmp` beside them, by folder under `.secreview/`. */
const TEMP_FILE_OWNERS: Record<string, readonly string[] | undefined> = { '': ['labels.json', 'lock', 'pending-notes.json', 'panel.json'], pool: ['meta.json', 'index.bin'], backups: undefined, labels: undefined };

export interface LabelImportSummary { added: number; alreadySame: number; conflicts: number; unknownReviews: number }

/** Label histories restored from records that carry them (this tool's exports). */
export interface HistoryImportSummary { reviews: number; events: number; skippedLabeled: number; invalid: number }

export type WorkspaceImportReport = ImportReport & { labelSummary?: LabelImportSummary; historySummary?: HistoryImportSummary };

export class Workspace {
  /** Near-duplicate groups of the pool, computed on demand. */
  readonly nearDuplicates: NearDuplicateIndex;

  private constructor(
    readonly folder: string,
    readonly dir: string,
    readonly pool: Pool,
    readonly db: LabelDb,
    private readonly lock: FileLock | undefined,
    readonly readOnlyReason: string | undefined,
  ) {
    this.nearDuplicates = new NearDuplicateIndex(pool);
  }

  get readOnly(): boolean { return this.readOnlyReason !== undefined; }
  get labelsFile(): string { return workspacePaths.labels(this.dir); }
  get modelsDir(): string { return workspacePaths.models(this.dir); }
  get cacheDir(): string { return workspacePaths.cache(this.dir); }
  get lockFile(): string { return workspacePaths.lock(this.dir); }

  static dirOf(folder: string): string {
    return workspacePaths.of(folder);
  }

  static exists(folder: string): boolean {
    return existsSync(workspacePaths.labels(Workspace.dirOf(folder)));
  }

  /** Creates the workspace folder (idempotent: an existing workspace is kept as it is) and opens it. */
  static async init(folder: string, options: OpenOptions = {}): Promise<Workspace> {
    const dir = Workspace.dirOf(folder);
    const backups = listBackups(dir);
    if (!existsSync(workspacePaths.labels(dir)) && backups.length) {
      throw new Error(`${workspacePaths.labels(dir)} is missing but ${backups.length === 1 ? 'a backup' : `${backups.length} backups`} of it exist${backups.length === 1 ? 's' : ''} in ${workspacePaths.backups(dir)}; nothing was changed. Run "secreview repair" (or the command "Security Review: Repair Workspace") to restore the newest (${backups[0]!.name}).`);
    }
    for (const sub of [dir, workspacePaths.pool(dir), workspacePaths.models(dir), workspacePaths.cache(dir)]) mkdirSync(sub, { recursive: true });
    const ignore = workspacePaths.gitignore(dir);
    if (!existsSync(ignore)) {
      // labels.json is the precious, small part worth versioning; the rest is derived or large.
      writeFileSync(ignore, WORKSPACE_GITIGNORE);
    }
    await Pool.create(workspacePaths.pool(dir));
    const ws = await Workspace.open(folder, options);
    if (!ws.readOnly) await ws.db.ensureFile();
    return ws;
  }

  static async open(folder: string, options: OpenOptions = {}): Promise<Workspace> {
    const dir = Workspace.dirOf(folder);
    if (!existsSync(dir)) throw new NoWorkspaceError(path.resolve(folder));
    let lock: FileLock | undefined;
    let readOnlyReason: string | undefined = options.readOnly ? 'opened read-only' : undefined;
    const labelsFile = workspacePaths.labels(dir);
    if (!options.readOnly) {
      try {
        const lockFile = workspacePaths.lock(dir);
        const owner = options.owner ?? `secreview (pid ${process.pid})`;
        lock = options.lockWaitMs ? await FileLock.acquireWaiting(lockFile, owner, options.lockWaitMs) : FileLock.acquire(lockFile, owner);
      } catch (e) {
        if (!(e instanceof LockedError) || !options.fallBackToReadOnly) throw e;
        readOnlyReason = e.message;
      }
    }
    try {
      // A label database its owner made read-only is respected: nothing in this workspace is written.
      const st = existsSync(labelsFile) ? statSync(labelsFile) : undefined;
      if (lock && st && isReadOnlyMode(st)) {
        const e = new ReadOnlyFileError(labelsFile, st.mode);
        if (!options.fallBackToReadOnly) throw e;
        readOnlyReason = e.message;
        lock.releaseSync();
        lock = undefined;
      }
      if (lock) for (const [sub, names] of Object.entries(TEMP_FILE_OWNERS)) removeStaleTempFiles(path.join(dir, sub), names);
      const held = lock;
      const beforeWrite = held ? () => held.assertHeld() : undefined;
      const pool = await Pool.open(workspacePaths.pool(dir), { writable: lock !== undefined, beforeWrite });
      const db = await LabelDb.open(labelsFile, { annotator: options.annotator, readOnlyReason, beforeWrite, backups: true, onWarning: options.onWarning });
      return new Workspace(path.resolve(folder), dir, pool, db, lock, readOnlyReason);
    } catch (e) {
      lock?.releaseSync();
      throw e;
    }
  }

  /**
   * Imports review files into the pool and, with `labelField`, their existing labels as events of
   * the "imported" iteration 0. A review that already has a label keeps it (a different imported
   * label is counted as a conflict, never applied over the annotator's).
   */
  async importFiles(files: readonly string[], options: ImportOptions = {}): Promise<WorkspaceImportReport> {
    this.assertWritable();
    let imported: ImportReport;
    try {
      imported = await this.pool.importFiles(files, options);
    } catch (e) {
      if (!(e instanceof ImportInterruptedError)) throw e;
      // The rows committed before the stop get their labels and histories too, as in a whole import.
      throw new ImportInterruptedError(e.cause, await this.applyImported(e.report, options), e.stoppedAt);
    }
    return this.applyImported(imported, options);
  }

  /** Records the labels (`labelField`) and label histories carried by imported records. */
  private async applyImported(imported: ImportReport, options: ImportOptions): Promise<WorkspaceImportReport> {
    const report = imported.histories.length ? { ...imported, historySummary: await this.restoreHistories(imported) } : imported;
    if (!options.labelField) return report;
    const summary: LabelImportSummary = { added: 0, alreadySame: 0, conflicts: 0, unknownReviews: 0 };
    const toAdd = new Map<string, { reviewId: string; label: typeof report.labels[number]['label']; iteration: number; source: string }>();
    for (const l of report.labels) {
      if (this.pool.rowOf(l.reviewId) === undefined) { summary.unknownReviews++; continue; }
      const existing = this.db.labelOf(l.reviewId) ?? toAdd.get(l.reviewId);
      if (existing) {
        if (existing.label === l.label) summary.alreadySame++; else summary.conflicts++;
        continue;
      }
      toAdd.set(l.reviewId, { reviewId: l.reviewId, label: l.label, iteration: 0, source: `import:${path.basename(l.file)}` });
    }
    if (toAdd.size) await this.db.setLabels([...toAdd.values()]);
    summary.added = toAdd.size;
    return { ...report, labelSummary: summary };
  }

  /**
   * Restores the label histories carried by exported records, for reviews that have no label
   * events here yet (a review labeled in this workspace keeps its own history).
   */
  private async restoreHistories(report: ImportReport): Promise<HistoryImportSummary> {
    const summary: HistoryImportSummary = { reviews: 0, events: 0, skippedLabeled: 0, invalid: 0 };
    const known = new Set(this.db.events().map((e) => e.reviewId));
    const events: LabelEvent[] = [];
    for (const h of report.histories) {
      if (known.has(h.reviewId)) { summary.skippedLabeled++; continue; }
      const problem = h.events.map(labelEventProblem).find(Boolean);
      const foreign = h.events.some((e) => (e as LabelEvent).reviewId !== h.reviewId);
      if (problem || foreign) {
        summary.invalid++;
        report.errors++;
        report.problems.push({ file: h.file, line: h.line, reason: `label history not restored: ${problem ?? 'it names another review'}` });
        continue;
      }
      known.add(h.reviewId);
      events.push(...(h.events as LabelEvent[]));
      summary.reviews++;
    }
    if (events.length) summary.events = (await this.db.restoreEvents(events)).length;
    return summary;
  }

  assertWritable(): void {
    if (this.readOnlyReason) throw new Error(`this workspace is read-only: ${this.readOnlyReason}`);
  }

  async close(): Promise<void> {
    await this.db.flush();
    this.pool.close();
    this.lock?.releaseSync();
  }
}
