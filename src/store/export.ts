/**
 * Dataset export: every labeled review with its label, note, provenance (iteration, batch, strategy
 * and score that proposed it, model version), annotator, timestamps and full label history.
 */
import { createWriteStream, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import type { Review } from '../core/review';
import { LABELS, type Label } from '../core/labels';
import type { CodingSnapshot, LabelEvent } from './labelDb';
import { formatCoefficient, teamAgreement } from '../core/agreement';
import type { Workspace } from './workspace';

/**
 * A labeled review: its record from the pool, or, for a review the pool does not hold (the pool was
 * rebuilt or replaced), only its id with `missingFromPool: true`: the label and its history are
 * exported all the same.
 */
export interface ExportRow extends Partial<Review> {
  id: string;
  missingFromPool?: true;
  label: Label;
  note?: string;
  iteration: number;
  batchId?: string;
  strategy?: string;
  score?: number;
  modelVersion?: string | null;
  annotator: string;
  /** CWE tags of a `yes` label. */
  cwe?: string[];
  /** Double coding: each coder's own label, where two or more coded the review (the overlap of an assigned batch). */
  codings?: CodingSnapshot[];
  /** Who decided, when the label is an adjudication. */
  adjudicatedBy?: string;
  labeledAt: string;
  firstLabeledAt: string;
  history: LabelEvent[];
}

export type ExportFormat = 'jsonl' | 'csv' | 'hf';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv', 'hf'];

/** Labeled reviews that have no record in the pool, in label-event order. */
export function labeledMissingFromPool(ws: Workspace): string[] {
  return [...ws.db.current().keys()].filter((id) => ws.pool.rowOf(id) === undefined);
}

/** Says which exported rows lack a pool record (they carry the id, label and label history only). */
export function missingFromPoolText(rows: number, missing: readonly string[]): string {
  const shown = missing.slice(0, 20).join(', ');
  return `${missing.length} of the ${rows} exported labeled reviews ${missing.length === 1 ? 'has' : 'have'} no record in the pool (review ${missing.length === 1 ? 'id' : 'ids'} ${shown}${missing.length > 20 ? `, and ${missing.length - 20} more` : ''}): their rows hold the id, label and label history only ("missingFromPool": true). Import those reviews again to complete them.`;
}

/** Rows in label-event order (the order the reviews were first labeled); every current label has one. */
export function* exportRows(ws: Workspace): Generator<ExportRow> {
  const current = ws.db.current();
  const history = new Map<string, LabelEvent[]>();
  for (const ev of ws.db.events()) {
    let h = history.get(ev.reviewId);
    if (!h) history.set(ev.reviewId, (h = []));
    h.push(ev);
  }
  const doubleCoded = new Map(ws.db.codedByMany().map((d) => [d.reviewId, d.codings]));
  const proposed = new Map<string, { batchId: string; strategy: string; score: number; modelVersion: string | null }>();
  for (const b of ws.db.batches()) for (const it of b.items) if (!proposed.has(it.reviewId)) proposed.set(it.reviewId, { batchId: b.id, strategy: it.strategy, score: it.score, modelVersion: b.modelVersion });
  for (const [reviewId, events] of history) {
    const c = current.get(reviewId);
    if (!c) continue;
    const row = ws.pool.rowOf(reviewId);
    const review: Partial<Review> & { id: string; missingFromPool?: true } = row === undefined ? { id: reviewId, missingFromPool: true } : ws.pool.get(row);
    const p = proposed.get(reviewId);
    const codings = doubleCoded.get(reviewId);
    yield {
      ...review,
      label: c.label, note: c.note, iteration: c.iteration, batchId: c.batchId ?? p?.batchId,
      strategy: p?.strategy ?? (c.source?.startsWith('import') ? 'imported' : 'manual'), score: p?.score, modelVersion: p?.modelVersion,
      annotator: c.annotator,
      ...(c.cwe ? { cwe: c.cwe } : {}),
      ...(codings ? { codings } : {}),
      ...(c.source === 'adjudication' ? { adjudicatedBy: c.annotator } : {}),
      labeledAt: c.at, firstLabeledAt: events[0]!.at, history: events,
    };
  }
}

/** The columns of the CSV export; later additions go at the end, so columns keep their positions. */
export const CSV_COLUMNS = ['id', 'url', 'repo', 'pull', 'path', 'line', 'author', 'createdAt', 'label', 'note', 'iteration', 'batchId', 'strategy', 'score', 'modelVersion', 'annotator', 'labeledAt', 'firstLabeledAt', 'revisions', 'body', 'diffHunk', 'history', 'cwe', 'codings', 'adjudicatedBy'] as const;

/** RFC 4180 quoting; values starting with = + - @ are prefixed with ' so spreadsheets do not run them. */
export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(r: ExportRow): string {
  const revisions = r.history.filter((e) => e.kind === 'set').length - 1;
  const rec: Record<string, unknown> = { ...r, revisions };
  return CSV_COLUMNS.map((c) => csvCell(rec[c])).join(',') + '\r\n';
}

/**
 * A folder that Hugging Face `datasets` loads with `load_dataset("<folder>")`: the rows as
 * `data/labeled.jsonl` and a dataset card whose YAML header declares the data file and the features.
 */
export async function writeHuggingFaceFolder(ws: Workspace, dir: string): Promise<number> {
  if (existsSync(dir) && readdirSync(dir).length) throw new Error(`${dir} exists and is not empty; choose a new folder`);
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const n = await writeExport(ws, 'jsonl', path.join(dir, 'data', 'labeled.jsonl'));
  const agreement = teamAgreement(ws.db.codedByMany(), LABELS);
  if (agreement) writeFileSync(path.join(dir, 'agreement.json'), JSON.stringify(agreement, null, 2) + '\n');
  const card = [
    '---',
    'configs:',
    '- config_name: default',
    '  data_files:',
    '  - split: train',
    '    path: data/labeled.jsonl',
    'task_categories:',
    '- text-classification',
    'language:',
    '- en',
    'tags:',
    '- code-review',
    '- security',
    '---',
    '',
    '# Security-relevant code-review comments',
    '',
    `${n} GitHub pull-request review comments labeled with Security Review Labeler (labels: ${LABELS.join(', ')}; \`yes\` = potential security defect).`,
    '',
    'Each row holds the review fields (`id`, `url`, `repo`, `pull`, `path`, `body`, `diffHunk`, ...), the current `label` and `note`,',
    'its provenance (`iteration`, `batchId`, and the `strategy`, `score` and `modelVersion` that proposed it), the `annotator`,',
    '`labeledAt`/`firstLabeledAt`, and `history`: every label event of the review, including relabels and undos.',
    'Reviews coded by several annotators carry `codings` (each one\'s own label) and, once decided, `adjudicatedBy`.',
    '',
    ...(agreement ? [
      '## Agreement between annotators',
      '',
      `${agreement.reviews} reviews were coded by two or more of ${agreement.annotators.join(', ')} (${agreement.pairs} pairs). Bootstrap 95% intervals in brackets; \`agreement.json\` holds every coefficient per label and the confusion matrix.`,
      '',
      '| coefficient | value |',
      '|---|---|',
      `| percent agreement | ${formatCoefficient(agreement.percentAgreement)} |`,
      `| Cohen's kappa | ${formatCoefficient(agreement.kappa)} |`,
      `| PABAK | ${formatCoefficient(agreement.pabak)} |`,
      `| Gwet's AC1 | ${formatCoefficient(agreement.ac1)} |`,
      '',
    ] : []),
  ].join('\n');
  writeFileSync(path.join(dir, 'README.md'), card);
  return n;
}

/** Writes the export to a file (or a stream) and returns the number of rows; `hf` writes a folder. */
export async function writeExport(ws: Workspace, format: ExportFormat, out: NodeJS.WritableStream | string): Promise<number> {
  if (format === 'hf') {
    if (typeof out !== 'string') throw new Error('the Hugging Face format writes a folder: give --out DIR');
    return writeHuggingFaceFolder(ws, out);
  }
  const stream = typeof out === 'string' ? createWriteStream(out) : out;
  let n = 0;
  const write = async (s: string) => {
    // A reader that went away (`secreview export | head`) destroys the stream: stop, never wait for a drain that cannot come.
    if (stream.write(s)) return;
    if ((stream as NodeJS.WritableStream & { destroyed?: boolean }).destroyed) throw new Error('the output was closed before the export was complete');
    await once(stream, 'drain');
  };
  if (format === 'csv') await write(CSV_COLUMNS.join(',') + '\r\n');
  for (const r of exportRows(ws)) {
    await write(format === 'csv' ? csvLine(r) : JSON.stringify(r) + '\n');
    n++;
  }
  if (typeof out === 'string') {
    stream.end();
    await once(stream, 'finish');
  }
  return n;
}
