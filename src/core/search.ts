/**
 * Finding reviews in the pool: a query of keywords or a regular expression over bodies, file paths
 * and repositories, and references to one review by id or URL ("Go to Review").
 *
 * Query syntax:
 * - `/source/flags`: a regular expression (JavaScript syntax; case-insensitive unless flags are
 *   given) that must match the body, the path or the repository;
 * - otherwise words and "quoted phrases", each of which must occur (case-insensitive) in the body,
 *   the path or the repository; `-word` must occur in none of them;
 * - `repo:`, `path:` and `body:` before a word or phrase restrict it to that field; `pull:N` and
 *   `id:N` ask for a pull request number or a review id.
 *
 * Pure: no I/O. The store streams the pool through `matches` (src/store/search.ts).
 */

export type SearchField = 'body' | 'path' | 'repo';
const FIELDS: readonly SearchField[] = ['body', 'path', 'repo'];

export interface SearchableReview { id: string; repo: string; pull: number; path: string; body: string }

type Term =
  | { kind: 'text'; text: string; fields: readonly SearchField[]; negated: boolean }
  | { kind: 'pull'; pull: number }
  | { kind: 'id'; id: string };

export interface SearchQuery {
  /** The query as typed. */
  readonly text: string;
  readonly regex?: RegExp;
  readonly terms: readonly Term[];
}

export class QueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryError';
  }
}

/** Parses a query; throws QueryError saying what is wrong and where. */
export function parseQuery(text: string): SearchQuery {
  const trimmed = text.trim();
  if (!trimmed) throw new QueryError('the query is empty: type words, "a phrase", or /a regular expression/');
  const literal = /^\/(.+)\/([a-z]*)$/s.exec(trimmed);
  if (literal) {
    const flags = literal[2]! || 'i';
    if (/[^dgimsuvy]/.test(flags)) throw new QueryError(`unknown regular expression flag in "${literal[2]}" (allowed: i, m, s, u)`);
    try {
      return { text: trimmed, regex: new RegExp(literal[1]!, flags.replace(/[gy]/g, '')), terms: [] };
    } catch (e) {
      throw new QueryError(`not a valid regular expression: ${(e as Error).message}`);
    }
  }
  const terms: Term[] = [];
  const token = /\s*(-?)(?:([a-z]+):)?(?:"([^"]*)"|(\S+))/gy;
  let m: RegExpExecArray | null;
  let at = 0;
  while (at < trimmed.length && (m = token.exec(trimmed)) !== null) {
    at = token.lastIndex;
    const negated = m[1] === '-';
    let qualifier: string | undefined = m[2]?.toLowerCase();
    let value = m[3] ?? m[4]!;
    if (m[3] === undefined && value.startsWith('"')) throw new QueryError(`a quote opens at "${value.slice(0, 20)}" and is never closed (an unclosed quote?)`);
    if (qualifier && !['repo', 'path', 'body', 'pull', 'id'].includes(qualifier)) {
      // Not a qualifier we know: the whole token is a word (e.g. "http://host", "note:").
      value = `${m[2]}:${value}`;
      qualifier = undefined;
    }
    if (qualifier === 'pull' || qualifier === 'id') {
      if (qualifier === 'pull' && !/^\d+$/.test(value)) throw new QueryError(`pull: needs a number, got "${value}"`);
      if (negated) throw new QueryError(`-${qualifier}: is not supported; use ${qualifier}: alone`);
      terms.push(qualifier === 'pull' ? { kind: 'pull', pull: Number(value) } : { kind: 'id', id: value });
      continue;
    }
    if (!value) continue;
    terms.push({ kind: 'text', text: value.toLowerCase(), fields: qualifier ? [qualifier as SearchField] : FIELDS, negated });
  }
  if (at < trimmed.length) throw new QueryError(`could not read the query from "${trimmed.slice(at, at + 20)}" on (an unclosed quote?)`);
  if (!terms.some((t) => t.kind !== 'text' || !t.negated)) throw new QueryError('the query only excludes words: add at least one word to look for');
  return { text: trimmed, terms };
}

/** True when the review matches the query. */
export function matches(query: SearchQuery, r: SearchableReview): boolean {
  if (query.regex) return FIELDS.some((f) => query.regex!.test(r[f]));
  const lower: Partial<Record<SearchField, string>> = {};
  const field = (f: SearchField) => (lower[f] ??= r[f].toLowerCase());
  for (const t of query.terms) {
    if (t.kind === 'pull') { if (r.pull !== t.pull) return false; continue; }
    if (t.kind === 'id') { if (r.id !== t.id) return false; continue; }
    const found = t.fields.some((f) => field(f).includes(t.text));
    if (found === t.negated) return false;
  }
  return true;
}

/**
 * A quick test on a record's raw JSON line that never rejects a match: every word the query needs
 * (in any field) must occur in the line, case-insensitively. Words JSON would escape (quotes,
 * backslashes, control characters) and regular expressions are not pre-tested. Lets a scan parse
 * only the lines that may match.
 */
export function rawLinePrefilter(query: SearchQuery): ((line: string) => boolean) | undefined {
  if (query.regex) return undefined;
  const needed = query.terms.flatMap((t) => (t.kind === 'text' && !t.negated && !/["\\\u0000-\u001f\u2028\u2029]/.test(t.text) ? [t.text] : t.kind === 'id' ? [t.id] : []));
  if (!needed.length) return undefined;
  const tests = needed.map((w) => new RegExp(w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));
  return (line) => tests.every((re) => re.test(line));
}

/**
 * Where the query's words (or regular expression) occur in a text, as [start, end) ranges, for
 * highlighting. Fields other than the body are not highlighted in the body.
 */
export function queryRanges(query: SearchQuery, text: string, limit = 1000): [number, number][] {
  const out: [number, number][] = [];
  if (query.regex) return regexRanges(query.regex, text, limit);
  const lower = text.toLowerCase();
  // Lower-casing keeps the length of most texts; where it does not, positions would be off: skip.
  if (lower.length !== text.length) return out;
  for (const t of query.terms) {
    if (t.kind !== 'text' || t.negated || !t.fields.includes('body') || !t.text) continue;
    for (let i = lower.indexOf(t.text); i >= 0 && out.length < limit; i = lower.indexOf(t.text, i + t.text.length)) out.push([i, i + t.text.length]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** [start, end) of each non-empty match of a regular expression (its flags kept, global added). */
export function regexRanges(regex: RegExp, text: string, limit = 1000): [number, number][] {
  const out: [number, number][] = [];
  const re = new RegExp(regex.source, regex.flags.includes('g') ? regex.flags : regex.flags + 'g');
  for (let m = re.exec(text); m && out.length < limit; m = re.exec(text)) {
    if (m[0].length === 0) { re.lastIndex++; continue; }
    out.push([m.index, m.index + m[0].length]);
  }
  return out;
}

/** A review named by the person: its id, or a pull request (which has many reviews). */
export type ReviewReference = { kind: 'review'; id: string } | { kind: 'pull'; repo: string; pull: number } | { kind: 'invalid'; reason: string };

/**
 * Reads a review id or URL: `123456`, `r123456`, `#discussion_r123456`, a GitHub comment URL
 * (`https://github.com/o/r/pull/5#discussion_r123456`, `.../pull/5/files#r123456`), an API URL
 * (`https://api.github.com/repos/o/r/pulls/comments/123456`), or a pull request URL.
 */
export function parseReviewReference(text: string): ReviewReference {
  const t = text.trim();
  if (!t) return { kind: 'invalid', reason: 'type a review id or a GitHub review comment URL' };
  let m = /^(?:#?discussion_)?r?(\d+)$/i.exec(t);
  if (m) return { kind: 'review', id: m[1]! };
  m = /#(?:discussion_)?r(\d+)\b/i.exec(t) ?? /\/pulls\/comments\/(\d+)\b/i.exec(t);
  if (m) return { kind: 'review', id: m[1]! };
  m = /github\.com\/([^/\s]+\/[^/\s]+)\/pull\/(\d+)/i.exec(t);
  if (m) return { kind: 'pull', repo: m[1]!, pull: Number(m[2]) };
  // A record without a GitHub id has a derived one: take what was typed as it is.
  if (/^\S+$/.test(t) && !/^https?:/i.test(t)) return { kind: 'review', id: t };
  return { kind: 'invalid', reason: `"${t.slice(0, 80)}" is neither a review id nor a GitHub review comment or pull request URL` };
}

/**
 * The query for a GitHub URL typed as a whole query (a review comment: `id:N`; a pull request:
 * `repo:"o/r" pull:N`), so that a pasted link finds what it points to; undefined for anything else.
 */
export function queryOfUrl(text: string): string | undefined {
  const t = text.trim();
  if (!/^https?:\/\/\S+$/i.test(t)) return undefined;
  const ref = parseReviewReference(t);
  if (ref.kind === 'review') return `id:${ref.id}`;
  if (ref.kind === 'pull') return `repo:"${ref.repo}" pull:${ref.pull}`;
  return undefined;
}
