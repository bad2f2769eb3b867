/**
 * A crawl run folder and its checkpoint.
 *
 *   <run>/reviews.jsonl    normalized Review records, one per line (what the pool imports)
 *   <run>/pulls.jsonl      pull-request metadata (repo, number, title, author, state, reviewComments)
 *   <run>/repos.jsonl      one result per finished repository (status, via, counts, error)
 *   <run>/sample.json      the sampled repository list, written once (sampled runs only)
 *   <run>/checkpoint.json  progress, written atomically after every stored page (small: no lists)
 *   <run>/crawl.log        what happened (waits, faults, skipped records), tokens scrubbed
 *
 * Order of writes for each page: append its lines to the JSONL files, fsync them, then replace
 * the checkpoint (temp file, fsync, rename). The checkpoint records the byte length of each file at
 * that moment. On restart the files are cut back to those lengths: lines written after the last
 * checkpoint belong to a page that will be fetched again, so nothing is duplicated and, because the
 * resume position is the one stored with those lengths, nothing is skipped.
 */
import { open, readFile, stat, truncate, mkdir, appendFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../store/atomic';
import type { RepoPosition } from './repoCrawl';
import type { CrawlSpec } from './spec';
import { scrubSecrets } from './scrub';

export const CHECKPOINT_VERSION = 1;

export interface RepoResult {
  repo: string;
  status: 'done' | 'empty' | 'gone' | 'failed';
  via: 'graphql' | 'rest';
  reviews: number;
  pulls: number;
  error?: string;
}

/** Byte ranges of the run's files that hold one attempt's records of a repository. */
export interface SegmentRange { start: { reviews: number; pulls: number }; end: { reviews: number; pulls: number } }

export interface CurrentRepo {
  index: number;
  repo: string;
  position: RepoPosition;
  /** File lengths when this repository started: a REST pass reads what GraphQL stored from there. */
  startBytes: { reviews: number; pulls: number };
  reviews: number;
  pulls: number;
  /** Why GraphQL was abandoned for REST, if it was. */
  fellBack?: string;
  /** What earlier attempts of this repository stored (it failed, other repositories came after it). */
  earlier?: SegmentRange[];
}

/**
 * A repository that failed for a reason that may pass (server errors, bad answers, access refused):
 * not done, kept with where it stopped, and tried again by the next run, from there.
 */
export interface FailedRepo extends CurrentRepo {
  /** File lengths when it failed: with `startBytes`, its records of that attempt. */
  endBytes: { reviews: number; pulls: number };
  error: string;
  via: 'graphql' | 'rest';
}

export interface Checkpoint {
  version: number;
  runId: string;
  createdAt: string;
  updatedAt: string;
  spec: CrawlSpec;
  /** Number of repositories to crawl; null until sampling has finished (the list is in sample.json or the spec). */
  repoCount: number | null;
  /** Index of the first repository not finished. */
  next: number;
  current: CurrentRepo | null;
  /** Repositories that failed, waiting for the next run (absent in checkpoints of earlier versions: none). */
  failed?: FailedRepo[];
  /** Committed lengths of the JSONL files. */
  bytes: { reviews: number; pulls: number; results: number };
  totals: { reviews: number; pulls: number; skipped: number; requests: number };
  complete: boolean;
}

export interface SampleFile {
  repos: { repo: string; stars: number; pulls: number; language?: string; createdAt?: string }[];
  createdFrom: string;
  createdTo: string;
  windows: number;
  requests: number;
  short: boolean;
}

export interface RunFiles { dir: string; reviews: string; pulls: string; results: string; sample: string; checkpoint: string; log: string }

export function runFiles(dir: string): RunFiles {
  return {
    dir,
    reviews: path.join(dir, 'reviews.jsonl'),
    pulls: path.join(dir, 'pulls.jsonl'),
    results: path.join(dir, 'repos.jsonl'),
    sample: path.join(dir, 'sample.json'),
    checkpoint: path.join(dir, 'checkpoint.json'),
    log: path.join(dir, 'crawl.log'),
  };
}

export async function readCheckpoint(file: string): Promise<Checkpoint | undefined> {
  const value = await readJsonFile(file, 'delete the run folder or start with --fresh');
  if (value === undefined) return undefined;
  const cp = value as Checkpoint;
  if (typeof cp !== 'object' || cp === null || cp.version !== CHECKPOINT_VERSION || typeof cp.bytes?.reviews !== 'number' || typeof cp.bytes.results !== 'number') {
    throw new Error(`${file} is not a version ${CHECKPOINT_VERSION} crawl checkpoint; delete the run folder or start with --fresh`);
  }
  return cp;
}

export async function writeCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  checkpoint.updatedAt = new Date().toISOString();
  await writeJsonAtomic(file, checkpoint, false);
}

/** An append-only JSONL file whose committed length is tracked for the checkpoint. */
export class JsonlAppender {
  private constructor(readonly file: string, private handle: FileHandle, public bytes: number) {}

  /** Opens the file cut back to `committedBytes` (lines past it belong to an uncommitted page). */
  static async open(file: string, committedBytes: number): Promise<JsonlAppender> {
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, 'a');
    const size = (await stat(file)).size;
    if (size < committedBytes) {
      await handle.close();
      throw new Error(`${file} is shorter (${size} bytes) than its checkpoint says (${committedBytes}); the run folder is damaged: delete it or start with --fresh`);
    }
    if (size > committedBytes) await truncate(file, committedBytes);
    return new JsonlAppender(file, handle, committedBytes);
  }

  async append(records: readonly object[]): Promise<void> {
    if (!records.length) return;
    const data = Buffer.from(records.map((r) => JSON.stringify(r)).join('\n') + '\n', 'utf8');
    await this.handle.write(data);
    this.bytes += data.length;
  }

  async sync(): Promise<void> {
    await this.handle.datasync();
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

/** Appends scrubbed, timestamped lines to the run log. */
export async function appendLog(file: string, lines: string[]): Promise<void> {
  if (!lines.length) return;
  const at = new Date().toISOString();
  await appendFile(file, lines.map((l) => `${at} ${scrubSecrets(l).replace(/\n/g, ' ')}\n`).join(''), 'utf8');
}

/** What one repository already has in the run files: rebuilt from byte ranges, so a REST pass can skip it. */
export interface RepoSegment { reviewIds: Set<string>; pullNumbers: Set<number>; titles: Map<number, string> }

async function readRange(file: string, from: number, to: number): Promise<string[]> {
  if (to <= from) return [];
  const handle = await open(file, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    await handle.read(buf, 0, buf.length, from);
    return buf.toString('utf8').split('\n').filter(Boolean);
  } finally {
    await handle.close();
  }
}

/** What the given byte ranges (one repository's attempts) hold. */
export async function readRepoSegment(files: RunFiles, ranges: readonly SegmentRange[]): Promise<RepoSegment> {
  const segment: RepoSegment = { reviewIds: new Set(), pullNumbers: new Set(), titles: new Map() };
  for (const { start, end } of ranges) {
    for (const line of await readRange(files.reviews, start.reviews, end.reviews)) {
      const rec = JSON.parse(line) as { id?: unknown };
      if (typeof rec.id === 'string') segment.reviewIds.add(rec.id);
    }
    for (const line of await readRange(files.pulls, start.pulls, end.pulls)) {
      const rec = JSON.parse(line) as { number?: unknown; title?: unknown };
      if (typeof rec.number !== 'number') continue;
      segment.pullNumbers.add(rec.number);
      if (typeof rec.title === 'string') segment.titles.set(rec.number, rec.title);
    }
  }
  return segment;
}

/** Reads a whole (small) JSONL file, e.g. repos.jsonl; a missing file is empty. */
export async function readJsonlFile<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as T);
}
