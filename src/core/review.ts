/**
 * Review records: one GitHub code-review comment, normalized from the input shapes users have.
 * Pure: takes parsed JSON values, returns records or a reason why not.
 */
import { fingerprint64 } from './hash';

export interface Review {
  /** GitHub review-comment id (from `#discussion_r<ID>` or the record's id); `h<hex>` when the input has none. */
  id: string;
  url: string;
  /** `owner/name`. */
  repo: string;
  pull: number;
  path: string;
  body: string;
  diffHunk?: string;
  commit?: string;
  originalCommit?: string;
  line?: number;
  startLine?: number;
  originalLine?: number;
  originalStartLine?: number;
  author?: string;
  createdAt?: string;
  prTitle?: string;
}

/** Which input shape a record was recognized as. */
export type InputShape = 'secreview' | 'paper-crawl' | 'paper-labels' | 'github-rest' | 'github-graphql';

export type NormalizeResult =
  | { ok: true; review: Review; shape: InputShape; raw: Record<string, unknown> }
  | { ok: false; reason: string };

const DISCUSSION_URL = /^https?:\/\/[^/]+\/([^/\s]+)\/([^/\s]+)\/pull\/(\d+)(?:\/[^#\s]*)?#discussion_r(\d+)\s*$/;
const PULL_API_URL = /\/repos\/([^/\s]+)\/([^/\s]+)\/pulls\/(\d+)\s*$/;

export interface ParsedReviewUrl { repo: string; pull: number; commentId: string }

/** Parses `https://github.com/<owner>/<repo>/pull/<n>#discussion_r<id>`. */
export function parseReviewUrl(url: string): ParsedReviewUrl | undefined {
  const m = DISCUSSION_URL.exec(url);
  if (!m) return undefined;
  return { repo: `${m[1]}/${m[2]}`, pull: Number(m[3]), commentId: m[4]! };
}

export function reviewUrl(repo: string, pull: number, id: string): string {
  return `https://github.com/${repo}/pull/${pull}#discussion_r${id}`;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}
function int(o: Obj, key: string): number | undefined {
  const v = o[key];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}
function idOf(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return String(v);
  if (typeof v === 'string' && /^\d+$/.test(v)) return v.replace(/^0+(?=\d)/, '');
  return undefined;
}
function nested(o: Obj, ...keys: string[]): unknown {
  let cur: unknown = o;
  for (const k of keys) {
    if (!isObj(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
/** A copy without undefined fields (built fresh: `delete` would slow every later use of the object). */
function clean<T extends object>(r: T): T {
  const out = {} as T;
  for (const k in r) if (r[k] !== undefined) out[k] = r[k];
  return out;
}

/** A stable id for records that carry no GitHub id: derived from what identifies the comment. */
export function derivedId(parts: { url?: string; repo?: string; pull?: number; path?: string; body: string }): string {
  return 'h' + fingerprint64([parts.url ?? '', parts.repo ?? '', parts.pull ?? '', parts.path ?? '', parts.body].join('\u0000'));
}

function detectShape(o: Obj): InputShape | undefined {
  if (typeof o.diff_hunk === 'string' || typeof o.html_url === 'string' || typeof o.pull_request_review_id === 'number') return 'github-rest';
  if (typeof o.diffHunk === 'string' && (isObj(o.pullRequest) || typeof o.databaseId === 'number' || isObj(o.author))) return 'github-graphql';
  if (isObj(o.pullRequest) || typeof o.databaseId === 'number') return 'github-graphql';
  if ('review_comment_id' in o || 'pull_number' in o) return 'paper-labels';
  if (typeof o.id === 'string' && typeof o.pull === 'number') return 'secreview';
  if (typeof o.url === 'string' && ('number' in o || 'originalCommit' in o || 'originalLine' in o)) return 'paper-crawl';
  if (typeof o.url === 'string') return 'paper-crawl';
  return undefined;
}

/** What a JSON value is, in words: `null` and arrays are named as such, not as "object". */
function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Normalizes one parsed JSON value into a Review. Accepts the project's own records and exports,
 * the paper's flattened crawl (`url, path, number, repo, body, commit, createdAt, ...`), the paper's
 * label file (`url, repo, pull_number, review_comment_id, body, ...`), GitHub REST pull-request review
 * comments and GitHub GraphQL review-thread comments.
 */
export function normalizeReview(value: unknown): NormalizeResult {
  if (!isObj(value)) return { ok: false, reason: `expected a JSON object, got ${kindOf(value)}` };
  const o = value;
  // The project's own export nests the review under `review`.
  const src = isObj(o.review) && typeof (o.review as Obj).body === 'string' ? (o.review as Obj) : o;
  const shape = detectShape(src);
  if (!shape) return { ok: false, reason: 'not a review comment: no url, html_url, diff_hunk or id/pull fields' };
  if (typeof src.body !== 'string') {
    return { ok: false, reason: src.body === undefined ? 'missing field "body"' : `field "body" must be a string, got ${kindOf(src.body)}` };
  }
  const body = src.body;
  let r: Partial<Review>;
  switch (shape) {
    case 'github-rest': {
      const url = str(src, 'html_url') ?? str(src, 'url') ?? '';
      const fromPrUrl = PULL_API_URL.exec(str(src, 'pull_request_url') ?? '');
      const fromHtml = parseReviewUrl(url);
      const login = nested(src, 'user', 'login');
      r = {
        id: idOf(src.id) ?? fromHtml?.commentId,
        url,
        repo: fromHtml?.repo ?? (fromPrUrl ? `${fromPrUrl[1]}/${fromPrUrl[2]}` : undefined),
        pull: fromHtml?.pull ?? (fromPrUrl ? Number(fromPrUrl[3]) : undefined),
        path: str(src, 'path'), body, diffHunk: str(src, 'diff_hunk'),
        commit: str(src, 'commit_id'), originalCommit: str(src, 'original_commit_id'),
        line: int(src, 'line'), startLine: int(src, 'start_line'),
        originalLine: int(src, 'original_line'), originalStartLine: int(src, 'original_start_line'),
        author: typeof login === 'string' ? login : undefined, createdAt: str(src, 'created_at'),
      };
      break;
    }
    case 'github-graphql': {
      const url = str(src, 'url') ?? '';
      const fromUrl = parseReviewUrl(url);
      const repo = nested(src, 'pullRequest', 'repository', 'nameWithOwner');
      const pull = nested(src, 'pullRequest', 'number');
      const title = nested(src, 'pullRequest', 'title');
      const login = nested(src, 'author', 'login');
      const commit = nested(src, 'commit', 'oid');
      const originalCommit = nested(src, 'originalCommit', 'oid');
      r = {
        id: idOf(src.databaseId) ?? idOf(src.fullDatabaseId) ?? fromUrl?.commentId,
        url, repo: typeof repo === 'string' ? repo : fromUrl?.repo,
        pull: typeof pull === 'number' ? pull : fromUrl?.pull,
        path: str(src, 'path'), body, diffHunk: str(src, 'diffHunk'),
        commit: typeof commit === 'string' ? commit : undefined,
        originalCommit: typeof originalCommit === 'string' ? originalCommit : undefined,
        line: int(src, 'line'), startLine: int(src, 'startLine'),
        originalLine: int(src, 'originalLine'), originalStartLine: int(src, 'originalStartLine'),
        author: typeof login === 'string' ? login : undefined, createdAt: str(src, 'createdAt'),
        prTitle: typeof title === 'string' ? title : undefined,
      };
      break;
    }
    case 'paper-labels':
    case 'paper-crawl':
    case 'secreview': {
      const url = str(src, 'url') ?? '';
      const fromUrl = parseReviewUrl(url);
      r = {
        id: (shape === 'secreview' ? str(src, 'id') : undefined) ?? idOf(src.review_comment_id) ?? fromUrl?.commentId ?? idOf(src.id),
        url, repo: str(src, 'repo') ?? fromUrl?.repo,
        pull: int(src, 'pull') ?? int(src, 'pull_number') ?? int(src, 'number') ?? fromUrl?.pull,
        path: str(src, 'path'), body, diffHunk: str(src, 'diffHunk') ?? str(src, 'diff_hunk'),
        commit: str(src, 'commit'), originalCommit: str(src, 'originalCommit'),
        line: int(src, 'line'), startLine: int(src, 'startLine'),
        originalLine: int(src, 'originalLine'), originalStartLine: int(src, 'originalStartLine'),
        author: str(src, 'author'), createdAt: str(src, 'createdAt'), prTitle: str(src, 'prTitle'),
      };
      break;
    }
  }
  if (!r.repo) return { ok: false, reason: 'cannot tell the repository: no "repo" field and no GitHub pull-request URL' };
  if (!/^[^/\s]+\/[^/\s]+$/.test(r.repo)) return { ok: false, reason: `field "repo" must look like "owner/name", got ${JSON.stringify(r.repo.slice(0, 80))}` };
  if (r.pull === undefined || !(r.pull > 0)) return { ok: false, reason: 'cannot tell the pull request number: no pull/number/pull_number field and no GitHub pull-request URL' };
  r.path ??= '';
  r.id ??= derivedId({ url: r.url, repo: r.repo, pull: r.pull, path: r.path, body });
  if (!r.url) r.url = r.id.startsWith('h') ? `https://github.com/${r.repo}/pull/${r.pull}` : reviewUrl(r.repo, r.pull, r.id);
  const review = clean({
    id: r.id, url: r.url, repo: r.repo, pull: r.pull, path: r.path, body,
    diffHunk: r.diffHunk, commit: r.commit, originalCommit: r.originalCommit,
    line: r.line, startLine: r.startLine, originalLine: r.originalLine, originalStartLine: r.originalStartLine,
    author: r.author, createdAt: r.createdAt, prTitle: r.prTitle,
  } as Review);
  return { ok: true, review, shape, raw: o };
}

/** Reads a field of a raw record by a dotted path (`tag_post_qa`, `label.value`). */
export function fieldByPath(raw: Record<string, unknown>, path: string): unknown {
  return nested(raw, ...path.split('.'));
}
