/**
 * The paper's labeled review comments (iterations 1-5, 959 reviews), used by tests and benchmarks.
 * Looked for beside the project (`../shared/data/paper-labels-it1-5.jsonl`), then in the cache that
 * `npm run fetch-paper-data` fills from the paper's public repository: its `data/final.json`
 * (one JSON object per line, pandas' NaN for missing values), reduced to iterations 1-5 and to the
 * fields below, and checked against the checksum of those records before anything is written.
 *
 * Usage: npm run fetch-paper-data
 * Environment: SECREVIEW_PAPER_DATA_URL (a copy of data/final.json elsewhere), XDG_CACHE_HOME.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PAPER_DATA_FILE = 'paper-labels-it1-5.jsonl';
export const PAPER_REPOSITORY = 'johanneshaertel/EASE_2025_active_learning_LLM';
const PAPER_COMMIT = 'dbb5c4515c164732b7b9f92b78f4b670d97e7785';
export const PAPER_DATA_URL = `https://raw.githubusercontent.com/${PAPER_REPOSITORY}/${PAPER_COMMIT}/data/final.json`;
/** The records of iterations 1-5 (canonical JSON lines below): how many, and their sha256. */
export const PAPER_RECORDS = 959;
export const PAPER_SHA256 = 'f04f0371d5c564cb1c3ddf3169df1516218bdc966d2ba987142d97b61547cdc4';
export const HOW_TO_GET = 'npm run fetch-paper-data (downloads the paper\'s data/final.json once into the cache)';

const root = path.resolve(__dirname, '..');

export interface PaperRecord {
  url: string; repo: string; pull_number: number; review_comment_id: number; iteration: number;
  body: string; tag_pre_qa: string | null; tag_post_qa: string | null;
}

/** The cache folder: $XDG_CACHE_HOME/secreview/paper-data (~/.cache when unset). */
export function paperCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'secreview', 'paper-data');
}

/** Where the data is: beside the project, else a verified cache copy; undefined when neither. */
export function findPaperData(options: { sharedDir?: string; cacheDir?: string } = {}): string | undefined {
  const shared = path.join(options.sharedDir ?? path.resolve(root, '..', 'shared', 'data'), PAPER_DATA_FILE);
  if (existsSync(shared)) return shared;
  const cached = path.join(options.cacheDir ?? paperCacheDir(), PAPER_DATA_FILE);
  if (existsSync(cached) && checksum(readFileSync(cached, 'utf8').split('\n').filter(Boolean).map((l) => canonical(JSON.parse(l) as PaperRecord))) === PAPER_SHA256) return cached;
  return undefined;
}

/** A record with the fields in one order, so equal records give equal bytes whatever their source. */
function canonical(r: PaperRecord): string {
  return JSON.stringify({
    url: r.url, repo: r.repo, pull_number: r.pull_number, review_comment_id: r.review_comment_id,
    iteration: r.iteration, body: r.body, tag_pre_qa: r.tag_pre_qa ?? null, tag_post_qa: r.tag_post_qa ?? null,
  });
}

export function checksum(canonicalLines: string[]): string {
  return createHash('sha256').update(canonicalLines.join('\n') + '\n').digest('hex');
}

/** pandas writes missing values as a bare NaN, which JSON does not allow: read it as null (never inside strings). */
function parsePandasJson(line: string): Record<string, unknown> {
  let out = '';
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += line[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (line.startsWith('NaN', i)) {
      out += 'null';
      i += 2;
    } else {
      out += c;
    }
  }
  return JSON.parse(out) as Record<string, unknown>;
}

/** data/final.json (all iterations, many fields) to the records of iterations 1-5, in file order. */
export function recordsFromFinalJson(text: string): PaperRecord[] {
  const records: PaperRecord[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let o: Record<string, unknown>;
    try { o = parsePandasJson(line); } catch (e) { throw new Error(`data/final.json:${i + 1}: not JSON (${(e as Error).message})`); }
    const iteration = o.iteration;
    if (typeof iteration !== 'number' || iteration < 1 || iteration > 5) return;
    const url = String(o.url ?? '');
    const m = /\/pull\/(\d+)#discussion_r(\d+)$/.exec(url);
    if (!m) throw new Error(`data/final.json:${i + 1}: no pull request and review comment in url ${JSON.stringify(url)}`);
    const tag = (v: unknown) => (typeof v === 'string' ? v : null);
    records.push({
      url, repo: String(o.repo), pull_number: Number(m[1]), review_comment_id: Number(m[2]), iteration,
      body: String(o.body ?? ''), tag_pre_qa: tag(o.tag_pre_qa), tag_post_qa: tag(o.tag_post_qa),
    });
  });
  return records;
}

/**
 * Downloads data/final.json, keeps iterations 1-5, checks count and checksum, and writes the records
 * to the cache (temp file + rename: a failed run leaves no file). Returns the file's path.
 */
export async function fetchPaperData(options: { url?: string; cacheDir?: string; log?: (line: string) => void } = {}): Promise<string> {
  const url = options.url ?? PAPER_DATA_URL;
  const dir = options.cacheDir ?? paperCacheDir();
  const log = options.log ?? (() => {});
  log(`downloading ${url}`);
  let text: string;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    text = await res.text();
  } catch (e) {
    throw new Error(`could not download ${url}: ${(e as Error).message}; nothing was written (a copy elsewhere: SECREVIEW_PAPER_DATA_URL=<url> npm run fetch-paper-data)`);
  }
  const records = recordsFromFinalJson(text);
  const sum = checksum(records.map(canonical));
  if (records.length !== PAPER_RECORDS || sum !== PAPER_SHA256) {
    throw new Error(`${url} gives ${records.length} records of iterations 1-5 with sha256 ${sum}, expected ${PAPER_RECORDS} with ${PAPER_SHA256}: ` +
      'the file is not the paper\'s (changed or damaged); nothing was written');
  }
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, PAPER_DATA_FILE);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, records.map(canonical).join('\n') + '\n');
  renameSync(tmp, file);
  log(`wrote ${records.length} records (sha256 ${sum.slice(0, 12)}..., verified) to ${file}`);
  return file;
}

if (require.main === module) {
  const found = findPaperData();
  if (found && !process.argv.includes('--force')) {
    console.log(`The paper's data is already here: ${found}`);
  } else {
    fetchPaperData({ url: process.env.SECREVIEW_PAPER_DATA_URL || undefined, log: (l) => console.log(l) }).catch((e: Error) => {
      console.error(`fetch-paper-data: ${e.message}`);
      process.exitCode = 1;
    });
  }
}
