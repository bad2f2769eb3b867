/**
 * `secreview repair` and "Security Review: Repair Workspace": brings a damaged workspace back to
 * one that opens, and says exactly what it did and what it could not recover. It never deletes:
 * every file it replaces is moved aside (`<file>.damaged-<time>`).
 *
 * - files and folders whose mode forbids writing are made writable for their owner;
 * - a damaged `labels.json` is rebuilt from the newest intact backup plus every complete record of
 *   the damaged file that continues it (the file is one record per line, so a truncated file keeps
 *   all its records up to the cut);
 * - `pool/meta.json` and `pool/index.bin` are rebuilt from `pool/reviews.jsonl` when they are
 *   missing, unreadable or do not match it.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isReadOnlyMode, modeText, moveAside, writeFileAtomic } from './atomic';
import { listBackups } from './backups';
import { emptyLabelData, labelEventProblem, readLabelData, serializeLabelData, SCHEMA_VERSION, upgradeLabelData, type LabelData } from './labelDb';
import { FileLock } from './lock';
import { poolProblem, rebuildPool } from './pool';
import { findModel, readMemberScores, readScores, workspacePaths } from './layout';
import { NoWorkspaceError, Workspace, WORKSPACE_DIR } from './workspace';

export type RepairOutcome = 'ok' | 'repaired' | 'not recovered';

export interface RepairStep { subject: string; outcome: RepairOutcome; detail: string }

export interface RepairReport {
  dir: string;
  steps: RepairStep[];
  /** Whether the workspace opens for writing afterwards, with what it holds; else why not. */
  opened: boolean;
  openError?: string;
  pool?: number;
  labeled?: number;
  events?: number;
}

/** The database records that survive in a damaged `labels.json` (one record per line), with what could not be read. */
export interface Salvage {
  schema?: number;
  createdAt?: string;
  /** A team workspace's database (its label events are in the per-annotator logs, untouched here). */
  team?: true;
  data: Pick<LabelData, 'events' | 'batches' | 'models' | 'opinions'>;
  /** Lines inside a list that were not a whole record (the cut of a truncated file, or garbage). */
  unreadable: number;
}

const SECTIONS = ['events', 'batches', 'models', 'opinions'] as const;

/** Reads the complete records of a damaged label database written by this tool (see `serializeLabelData`). */
export function salvageLabelData(text: string): Salvage {
  const out: Salvage = { data: { events: [], batches: [], models: [], opinions: [] }, unreadable: 0 };
  const head = /^\{"schema":(\d+),"createdAt":("(?:[^"\\]|\\.)*")/.exec(text);
  if (head) {
    out.schema = Number(head[1]);
    try { out.createdAt = JSON.parse(head[2]!) as string; } catch { /* keep none */ }
    if (text.slice(head[0].length).startsWith(',"team":true')) out.team = true;
  }
  let section: (typeof SECTIONS)[number] | undefined;
  let eventsBroken = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const opens = /^"(events|batches|models|opinions)":\[(\]?)/.exec(line);
    if (opens) { section = opens[2] ? undefined : opens[1] as typeof section; continue; }
    if (!section) continue;
    if (line.startsWith(']')) { section = undefined; continue; }
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line.endsWith(',') ? line.slice(0, -1) : line);
    } catch {
      out.unreadable++;
      if (section === 'events') eventsBroken = true;
      continue;
    }
    if (typeof value !== 'object' || value === null) { out.unreadable++; continue; }
    if (section === 'events') {
      // The log must stay contiguous: nothing after a gap or a bad event can be placed.
      const seq = out.data.events.length + 1;
      if (eventsBroken || labelEventProblem(value) || (value as { seq: number }).seq !== seq) { eventsBroken = true; out.unreadable++; continue; }
    }
    (out.data[section] as unknown[]).push(value);
  }
  return out;
}

/** How many leading records two lists share (compared as JSON). */
function sharedPrefix(a: readonly unknown[], b: readonly unknown[]): number {
  let i = 0;
  while (i < a.length && i < b.length && JSON.stringify(a[i]) === JSON.stringify(b[i])) i++;
  return i;
}

/**
 * The restored database: the backup's lists, each continued by the salvaged records when the
 * salvage starts with the backup's records (a salvage that disagrees with the backup is not mixed
 * in). Returns the data and a sentence per list that gained records.
 */
function combine(backup: LabelData | undefined, salvage: Salvage): { data: LabelData; gained: string[]; conflicts: string[] } {
  const base = backup ?? { ...emptyLabelData(), schema: salvage.schema ?? SCHEMA_VERSION, createdAt: salvage.createdAt ?? new Date().toISOString(), ...(salvage.team ? { team: true as const } : {}) };
  const data = { ...base } as LabelData;
  const gained: string[] = [];
  const conflicts: string[] = [];
  for (const key of SECTIONS) {
    const from = base[key] as unknown[];
    const more = salvage.data[key] as unknown[];
    const shared = sharedPrefix(from, more);
    if (shared === from.length && more.length > from.length) {
      (data as unknown as Record<string, unknown[]>)[key] = more;
      gained.push(`${more.length - from.length} ${key}`);
    } else if (shared < Math.min(from.length, more.length)) {
      conflicts.push(`${key} differ from the backup's from record ${shared + 1} on`);
    }
  }
  return { data, gained, conflicts };
}

/** Makes a file or folder writable for its owner when its mode forbids it. */
function restoreWritable(file: string, steps: RepairStep[], label: string): void {
  if (!existsSync(file)) return;
  const st = statSync(file);
  if (!isReadOnlyMode(st)) return;
  const mode = (st.mode & 0o7777) | 0o200;
  chmodSync(file, mode);
  steps.push({ subject: label, outcome: 'repaired', detail: `was read-only (mode ${modeText(st.mode)}); made writable for its owner (mode ${modeText(mode)})` });
}

async function repairLabels(dir: string, steps: RepairStep[]): Promise<void> {
  const file = workspacePaths.labels(dir);
  const subject = 'labels.json';
  let damage: string | undefined;
  try {
    const data = await readLabelData(file);
    if (data) {
      steps.push({ subject, outcome: 'ok', detail: `${data.events.length} label events, ${data.batches.length} batches, ${data.models.length} models` });
      return;
    }
    damage = 'missing';
  } catch (e) {
    if (/written by a newer version/.test((e as Error).message)) {
      steps.push({ subject, outcome: 'not recovered', detail: `${(e as Error).message} (left as it is)` });
      return;
    }
    damage = (e as Error).message;
  }
  // The newest backup that reads back whole.
  let backup: { name: string; data: LabelData } | undefined;
  const badBackups: string[] = [];
  for (const b of listBackups(dir)) {
    try {
      const data = await readLabelData(b.file);
      if (data) { backup = { name: b.name, data }; break; }
    } catch {
      badBackups.push(b.name);
    }
  }
  const salvage: Salvage = existsSync(file) ? salvageLabelData(readFileSync(file, 'utf8')) : { data: { events: [], batches: [], models: [], opinions: [] }, unreadable: 0 };
  const { data: combined, gained, conflicts } = combine(backup?.data, salvage);
  const restored = upgradeLabelData(JSON.parse(serializeLabelData(combined)), file);
  const movedTo = existsSync(file) ? moveAside(file) : undefined;
  await writeFileAtomic(file, serializeLabelData(restored));
  const parts = [
    damage === 'missing' ? 'was missing' : `was damaged (${damage.replace(/; it was left untouched.*$/s, '')})`,
    backup ? `restored from backup ${backup.name} (${backup.data.events.length} label events)` : 'no intact backup was found',
    gained.length ? `recovered ${gained.join(', ')} from the damaged file's complete records` : undefined,
    `now ${restored.events.length} label events, ${restored.batches.length} batches, ${restored.models.length} models`,
    movedTo ? `the damaged file is kept as ${path.basename(movedTo)}` : undefined,
  ].filter(Boolean);
  steps.push({ subject, outcome: 'repaired', detail: parts.join('; ') });
  const lost: string[] = [];
  if (salvage.unreadable) lost.push(`${salvage.unreadable === 1 ? '1 line' : `${salvage.unreadable} lines`} of the damaged file ${salvage.unreadable === 1 ? 'was not a whole record' : 'were not whole records'} (or did not continue the event log) and could not be used`);
  if (conflicts.length) lost.push(`the damaged file's ${conflicts.join(' and ')}; the backup's were kept`);
  if (badBackups.length) lost.push(`backups that are damaged themselves were skipped: ${badBackups.join(', ')}`);
  if (!backup && !restored.events.length && damage !== 'missing') lost.push('no label event could be recovered');
  if (lost.length) steps.push({ subject, outcome: 'not recovered', detail: `${lost.join('; ')}${movedTo ? `; everything is still in ${path.basename(movedTo)}` : ''}` });
}

async function repairPool(dir: string, steps: RepairStep[]): Promise<void> {
  const poolDir = workspacePaths.pool(dir);
  const problem = await poolProblem(poolDir);
  if (!problem) return;
  const r = await rebuildPool(poolDir);
  const aside = [r.index.movedAside, r.meta.movedAside].filter(Boolean).map((f) => path.basename(f!));
  steps.push({
    subject: 'pool',
    outcome: 'repaired',
    detail: `${problem.replace(/;? ?(nothing was changed\.)? ?Run "secreview repair".*$/s, '')}: rebuilt ${r.index.kept ? 'meta.json (index.bin already matched)' : 'index.bin and meta.json'} from reviews.jsonl, ${r.rows} reviews${aside.length ? `; the replaced files are kept as ${aside.join(', ')}` : ''}${r.partialLine ? `; an unfinished last line (${r.partialLine.bytes} bytes) was moved to ${path.basename(r.partialLine.savedAs)}` : ''}`,
  });
  const lost: string[] = [];
  if (!r.meta.sourcesKept) lost.push('the import history (which files were imported when) could not be recovered: meta.json was missing or unreadable; the reviews themselves are all there');
  if (r.skipped.length) lost.push(`${r.skipped.length === 1 ? '1 line' : `${r.skipped.length} lines`} of reviews.jsonl ${r.skipped.length === 1 ? 'is not a review record and was' : 'are not review records and were'} left out of the pool (they stay in the file): ${r.skipped.slice(0, 10).map((s) => `line ${s.line}: ${s.reason}`).join('; ')}${r.skipped.length > 10 ? '; ...' : ''}`);
  if (r.rows === 0 && r.bytes === 0) lost.push('reviews.jsonl holds no reviews: import them again (labels are kept)');
  if (lost.length) steps.push({ subject: 'pool', outcome: 'not recovered', detail: lost.join('; ') });
}

/** Model scores that no longer fit: said, not changed (a retrain rebuilds them). */
function checkModels(ws: Workspace, steps: RepairStep[]): void {
  for (const m of ws.db.models()) {
    try {
      const scores = readScores(ws.dir, m.version);
      if (scores && scores.rows > ws.pool.size) steps.push({ subject: `model ${m.version}`, outcome: 'not recovered', detail: `scores.bin holds ${scores.rows} rows but the pool has ${ws.pool.size}; retrain to score the pool again` });
      // An ensemble's member scores are checked against the model's manifest (throws what is wrong).
      const folder = findModel(ws.dir, m.version);
      if (folder) readMemberScores(folder.dir, folder.manifest);
    } catch (e) {
      steps.push({ subject: `model ${m.version}`, outcome: 'not recovered', detail: `${(e as Error).message}; retrain to rebuild it` });
    }
  }
}

export async function repairWorkspace(folder: string, options: { owner: string; lockWaitMs?: number }): Promise<RepairReport> {
  const dir = Workspace.dirOf(folder);
  if (!existsSync(dir)) throw new NoWorkspaceError(path.resolve(folder));
  const steps: RepairStep[] = [];
  restoreWritable(dir, steps, `${WORKSPACE_DIR}/`);
  const lockFile = workspacePaths.lock(dir);
  const lock = options.lockWaitMs ? await FileLock.acquireWaiting(lockFile, options.owner, options.lockWaitMs) : FileLock.acquire(lockFile, options.owner);
  try {
    for (const sub of ['pool', 'models', 'cache']) {
      const p = path.join(dir, sub);
      if (!existsSync(p)) { mkdirSync(p, { recursive: true }); steps.push({ subject: `${sub}/`, outcome: 'repaired', detail: 'was missing; created empty' }); }
    }
    for (const [f, label] of [['pool', 'pool/'], ['labels.json', 'labels.json'], ['pending-notes.json', 'pending-notes.json'], ['pool/meta.json', 'pool/meta.json'], ['pool/reviews.jsonl', 'pool/reviews.jsonl'], ['pool/index.bin', 'pool/index.bin']] as const) {
      restoreWritable(path.join(dir, f), steps, label);
    }
    await repairLabels(dir, steps);
    await repairPool(dir, steps);
  } finally {
    lock.releaseSync();
  }
  const report: RepairReport = { dir, steps, opened: false };
  try {
    const ws = await Workspace.open(folder, { owner: options.owner, lockWaitMs: options.lockWaitMs });
    try {
      checkModels(ws, steps);
      Object.assign(report, { opened: true, pool: ws.pool.size, labeled: ws.db.current().size, events: ws.db.events().length });
    } finally {
      await ws.close();
    }
  } catch (e) {
    report.openError = (e as Error).message;
  }
  if (!steps.some((s) => s.outcome !== 'ok')) steps.push({ subject: 'workspace', outcome: 'ok', detail: 'nothing needed repair' });
  return report;
}

/** The report as lines a person reads: what was repaired, what could not be, and how the workspace opens now. */
export function repairReportText(r: RepairReport): string {
  const lines = [`Repair of ${r.dir}:`];
  for (const s of r.steps) lines.push(`  ${s.outcome}: ${s.subject}: ${s.detail}`);
  lines.push(r.opened
    ? `The workspace opens: ${r.pool} reviews in the pool, ${r.labeled} labeled (${r.events} label events).`
    : `The workspace still does not open: ${r.openError}`);
  return lines.join('\n');
}
