/**
 * What a crawl fetches: an explicit list of repositories, or a seeded random sample of public
 * repositories under filters (the paper's: at least 100 stars, at least 10 pull requests, main
 * language Java). The spec names the run: the same spec resumes the same run folder.
 */
import { fingerprint64 } from '../core/hash';

export interface DateRange {
  /** `YYYY-MM-DD`, inclusive. */
  from?: string;
  /** `YYYY-MM-DD`, inclusive; absent: the day sampling ran (frozen in the checkpoint). */
  to?: string;
}

export interface SampleSpec {
  /** How many repositories to sample. */
  count: number;
  seed: number;
  minStars: number;
  minPulls: number;
  /** Main languages (any of them); empty: any language. */
  languages: string[];
  created: DateRange;
  pushed?: DateRange;
  includeForks: boolean;
  includeArchived: boolean;
}

export interface PageSizes {
  /** Pull requests per GraphQL page. */
  pulls: number;
  /** Review threads per pull request in that page (more are fetched with follow-up queries). */
  threads: number;
  /** Comments per thread (likewise). */
  comments: number;
}

export interface CrawlSpec {
  /** Explicit repositories (`owner/name`); when given, no sampling happens. */
  repos?: string[];
  sample?: SampleSpec;
  pageSizes: PageSizes;
}

export const DEFAULT_SAMPLE: SampleSpec = {
  count: 10,
  seed: 1,
  minStars: 100,
  minPulls: 10,
  languages: ['Java'],
  created: { from: '2008-01-01' },
  includeForks: false,
  includeArchived: true,
};

/**
 * GraphQL cost grows with the number of nested connections (pulls x threads), not with the page
 * size of the innermost one, so threads per pull request are kept moderate: 25 x 25 x 10 costs
 * about 7 points per page of 25 pull requests. Larger threads are paged separately.
 */
export const DEFAULT_PAGE_SIZES: PageSizes = { pulls: 25, threads: 25, comments: 10 };

const REPO_NAME = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a spec and returns the problems a user can fix (empty when fine). */
export function specProblems(spec: CrawlSpec): string[] {
  const problems: string[] = [];
  if (spec.repos) {
    if (!spec.repos.length) problems.push('the repository list is empty');
    for (const r of spec.repos) if (!REPO_NAME.test(r)) problems.push(`"${r}" is not a repository name like owner/name`);
  } else if (!spec.sample) {
    problems.push('give repositories or a sample');
  } else {
    const s = spec.sample;
    if (!(s.count >= 1)) problems.push('sample count must be at least 1');
    for (const [label, range] of [['created', s.created], ['pushed', s.pushed]] as const) {
      if (!range) continue;
      for (const d of [range.from, range.to]) if (d !== undefined && (!DAY.test(d) || Number.isNaN(Date.parse(d)))) problems.push(`${label} date "${d}" must be YYYY-MM-DD`);
      if (range.from && range.to && range.from > range.to) problems.push(`${label} range ${range.from}..${range.to} is empty`);
    }
  }
  const p = spec.pageSizes;
  if (!(p.pulls >= 1 && p.pulls <= 100)) problems.push('pull requests per page must be 1..100');
  if (!(p.threads >= 1 && p.threads <= 100)) problems.push('threads per page must be 1..100');
  if (!(p.comments >= 1 && p.comments <= 100)) problems.push('comments per page must be 1..100');
  return problems;
}

/** Parses `2010-01-01..2020-12-31`, `2010-01-01..` or `..2020-12-31`. */
export function parseDateRange(text: string): DateRange {
  const m = /^\s*(\d{4}-\d{2}-\d{2})?\s*\.\.\s*(\d{4}-\d{2}-\d{2})?\s*$/.exec(text);
  if (!m) throw new Error(`date range "${text}" must look like 2010-01-01..2020-12-31 (either end may be left out)`);
  return { from: m[1], to: m[2] };
}

/**
 * The run folder name for a spec: stable, so re-running the same command resumes. Page sizes are
 * left out on purpose: cursors are positions, so a resumed run may use other page sizes.
 */
export function runIdOf(spec: CrawlSpec): string {
  const canonical = JSON.stringify(spec.repos ? { repos: spec.repos } : { sample: spec.sample });
  return (spec.repos ? 'repos-' : 'sample-') + fingerprint64(canonical).slice(0, 12);
}
