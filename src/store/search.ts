/**
 * Searching the pool: streams reviews.jsonl once (never more than a read buffer of it in memory),
 * tests each record's raw line with a cheap prefilter where the query allows, parses the lines that
 * may match, and keeps the matching rows (up to a limit; the count stays exact).
 */
import { matches, rawLinePrefilter, type SearchQuery } from '../core/search';
import type { Review } from '../core/review';
import type { Pool } from './pool';

export interface SearchProgress { scanned: number; total: number; matched: number }

export interface SearchOptions {
  signal?: AbortSignal;
  onProgress?: (p: SearchProgress) => void;
  /** Matching rows kept (default 10,000); further matches are counted only. */
  limit?: number;
}

export interface SearchResult {
  query: string;
  /** Matching rows in pool order, at most `limit`, and their review ids. */
  rows: number[];
  ids: string[];
  matched: number;
  scanned: number;
  /** False when the search was cancelled: `matched` then counts what was scanned. */
  complete: boolean;
  seconds: number;
}

export const DEFAULT_SEARCH_LIMIT = 10_000;

export async function searchPool(pool: Pool, query: SearchQuery, options: SearchOptions = {}): Promise<SearchResult> {
  const t0 = Date.now();
  const limit = options.limit ?? DEFAULT_SEARCH_LIMIT;
  const prefilter = rawLinePrefilter(query);
  const result: SearchResult = { query: query.text, rows: [], ids: [], matched: 0, scanned: 0, complete: false, seconds: 0 };
  // The first report after half a second: a small pool is searched before anyone could read one.
  let lastReport = t0 + 350;
  try {
    for await (const { row, text } of pool.scanLines()) {
      result.scanned = row + 1;
      if (options.signal?.aborted) break;
      if (row % 8192 === 0) {
        const now = Date.now();
        if (now - lastReport > 150) { lastReport = now; options.onProgress?.({ scanned: row, total: pool.size, matched: result.matched }); }
      }
      if (prefilter && !prefilter(text)) continue;
      const review = JSON.parse(text) as Review;
      if (!matches(query, review)) continue;
      result.matched++;
      if (result.rows.length < limit) { result.rows.push(row); result.ids.push(review.id); }
    }
    result.complete = !options.signal?.aborted && result.scanned === pool.size;
  } finally {
    result.seconds = (Date.now() - t0) / 1000;
  }
  return result;
}
