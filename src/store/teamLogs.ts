/**
 * Team mode's label events: one append-only log per annotator, `.secreview/labels/<name>.jsonl`,
 * one event per line. Each person's labels, undos, notes, tags and adjudications go to their own
 * log only, so clones of one workspace merge through git without conflicts: no two people ever
 * change the same file. (`.secreview/.gitattributes` also asks git for a union merge of the logs,
 * so one person labeling from two clones merges cleanly too: lines are identified by their `id`,
 * and a line that arrives twice counts once.)
 *
 * Order of the merged log (which decides which label is newest): the events from before team mode
 * (ids `m<seq>`, moved out of labels.json) in their old order, then every other event by the time
 * it was given (`at`), each log's own order kept; ties by log name.
 *
 * This module reads, checks, merges and serializes logs; `LabelDb` is their one writer.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { isLabel, type Label } from '../core/labels';
import { isCweId } from '../core/cwe';

export const LOG_SUFFIX = '.jsonl';

/** One annotator's label in force on a review when an adjudication was recorded. */
export interface CodingSnapshot { annotator: string; label: Label }

/** What a label event says, whether it sits in `labels.json` (numbered) or in an annotator's log (with an id). */
export interface LabelEventBody {
  kind: 'set' | 'undo';
  reviewId: string;
  /** The label set (`set`), or null for `undo`. */
  label: Label | null;
  note?: string;
  iteration: number;
  batchId?: string;
  at: string;
  annotator: string;
  /** How the label came to be, when not typed by the annotator in this tool (e.g. `import:file.jsonl`, `adjudication`). */
  source?: string;
  /** For adjudications: the label in force before this decision (the original value). */
  previous?: Label;
  /** For adjudications between people: each annotator's own label in force when it was decided. */
  originals?: CodingSnapshot[];
  /** CWE tags of a `yes` label (`CWE-89`), sorted by number. */
  cwe?: string[];
}

/** A label event as a log stores it: `undoes` names the id of the event it reverts. */
export interface LogEvent extends LabelEventBody {
  id: string;
  undoes?: string;
}

/** A log as read from disk. */
export interface LogFile { name: string; events: LogEvent[] }

/**
 * The log file of an annotator: the name kept readable (letters, digits, `.`, `_`, `-`; anything
 * else becomes `-`), never empty, never hidden, never a device name on Windows. Two names that
 * map to the same file share it safely: every line names its annotator.
 */
export function logFileName(annotator: string): string {
  let base = annotator.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+|[.-]+$/g, '').slice(0, 64);
  if (!base) base = 'annotator';
  if (/^(con|prn|aux|nul|com\d|lpt\d)$/i.test(base)) base = `${base}-`;
  return `${base}${LOG_SUFFIX}`;
}

/** A new event id: unique across people and machines (random), sortable by time within one writer. */
export function newEventId(at = Date.now()): string {
  return `${at.toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** The id events from before team mode get: their seq in labels.json. */
export function migratedId(seq: number): string {
  return `m${seq}`;
}

function migratedSeq(id: string): number | undefined {
  const m = /^m(\d+)$/.exec(id);
  return m ? Number(m[1]) : undefined;
}

/** Why one parsed line is not a usable log event, or undefined. */
export function logEventProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const e = value as Partial<LogEvent>;
  if (typeof e.id !== 'string' || !e.id) return 'missing id';
  if (e.kind !== 'set' && e.kind !== 'undo') return `unknown kind ${String(e.kind)}`;
  if (e.kind === 'set' && !isLabel(e.label)) return `unknown label ${String(e.label)}`;
  if (e.kind === 'undo' && (typeof e.undoes !== 'string' || !e.undoes)) return 'an undo without the id of the event it reverts';
  if (typeof e.reviewId !== 'string' || !e.reviewId) return 'missing reviewId';
  if (typeof e.at !== 'string' || Number.isNaN(Date.parse(e.at))) return 'missing or invalid time';
  if (typeof e.annotator !== 'string' || !e.annotator) return 'missing annotator';
  if (typeof e.iteration !== 'number') return 'missing iteration';
  if (e.cwe !== undefined && !(Array.isArray(e.cwe) && e.cwe.every(isCweId))) return `invalid CWE tags ${JSON.stringify(e.cwe)}`;
  return undefined;
}

export class LogDamagedError extends Error {
  constructor(readonly file: string, readonly line: number, reason: string) {
    super(`${file}: line ${line}: ${reason}`);
    this.name = 'LogDamagedError';
  }
}

/**
 * Parses a log strictly: every non-empty line must be a valid event (a git conflict marker, a cut
 * line or a hand edit gone wrong is damage, reported with its line). A line whose id was seen
 * before counts once when it is the same event (a union merge of one person's two clones), and is
 * damage when it differs.
 */
export function parseLog(text: string, file: string): LogEvent[] {
  const events: LogEvent[] = [];
  const seen = new Map<string, { line: number; json: string }>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (!raw) continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      throw new LogDamagedError(file, i + 1, `not a JSON record (${raw.length > 40 ? `${raw.slice(0, 40)}...` : raw})`);
    }
    const problem = logEventProblem(value);
    if (problem) throw new LogDamagedError(file, i + 1, problem);
    const e = value as LogEvent;
    const json = JSON.stringify(e);
    const before = seen.get(e.id);
    if (before) {
      if (before.json !== json) throw new LogDamagedError(file, i + 1, `event id ${e.id} appears twice with different content (also line ${before.line})`);
      continue;
    }
    seen.set(e.id, { line: i + 1, json });
    events.push(e);
  }
  return events;
}

export function serializeLog(events: readonly LogEvent[]): string {
  return events.map((e) => JSON.stringify(e) + '\n').join('');
}

/** Names of the log files in the folder, sorted (none when it does not exist). */
export function logNames(dir: string): string[] {
  try {
    return readdirSync(dir).filter((n) => n.endsWith(LOG_SUFFIX) && !n.startsWith('.')).sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * What identifies a file's version cheaply: inode, size and modification time (a rename by git or
 * by this tool changes the inode, an append changes the size). Undefined when it does not exist.
 */
export function fileSignature(file: string): string | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.ino}:${st.size}:${st.mtimeNs}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export interface MergedEvent { event: LogEvent; log: string }

/**
 * The merged order of all logs (see the module comment). Each log's own order is kept: within one
 * log the events are merged by their heads, so a log whose times are out of order (imported
 * histories) is never reordered internally.
 */
export function mergeLogs(logs: readonly LogFile[]): MergedEvent[] {
  const migrated: { event: LogEvent; log: string; seq: number }[] = [];
  const rest: MergedEvent[][] = [];
  const seenIds = new Set<string>();
  for (const l of logs) {
    const own: MergedEvent[] = [];
    for (const event of l.events) {
      // The same event in two logs (a name collision merged twice) counts once.
      if (seenIds.has(event.id)) continue;
      seenIds.add(event.id);
      const seq = migratedSeq(event.id);
      if (seq !== undefined) migrated.push({ event, log: l.name, seq });
      else own.push({ event, log: l.name });
    }
    rest.push(own);
  }
  migrated.sort((a, b) => a.seq - b.seq);
  const out: MergedEvent[] = migrated.map(({ event, log }) => ({ event, log }));
  const heads = rest.map(() => 0);
  for (;;) {
    let best = -1;
    for (let i = 0; i < rest.length; i++) {
      const e = rest[i]![heads[i]!];
      if (!e) continue;
      if (best < 0) { best = i; continue; }
      const b = rest[best]![heads[best]!]!;
      // ISO times from toISOString compare as strings; logs are visited in name order, so ties keep it.
      if (Date.parse(e.event.at) < Date.parse(b.event.at)) best = i;
    }
    if (best < 0) break;
    out.push(rest[best]![heads[best]!++]!);
  }
  return out;
}
