/**
 * Seeded random sampling of public repositories, as in the paper: random repositories with at
 * least 100 stars, at least 10 pull requests, main language Java (every filter configurable).
 *
 * GitHub search returns at most 1,000 results per query, ordered by relevance, so "random" is
 * built from random creation-date windows: pick a window uniformly in the date range, narrow it
 * until it holds at most one page of matches, keep the matches that pass the pull-request filter
 * (search cannot filter on pull requests; the GraphQL search result carries the count), and pick a
 * few of them at random. A final seeded shuffle orders the sample. Same seed and same GitHub state
 * give the same sample; the crawler freezes the sample in its checkpoint, so a resumed run never
 * re-samples.
 */
import { mulberry32 } from '../core/hash';
import { GitHubClient, GitHubError } from './client';
import { repoTotalsQuery, SEARCH_REPOS_QUERY } from './queries';
import { connectionOf, isObj } from './records';
import type { SampleSpec } from './spec';

const DAY_MS = 86_400_000;
const RESULTS_PER_PAGE = 100;

export function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}
export function dateOfDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Fisher-Yates with a seeded generator: the same seed always gives the same order. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const out = items.slice();
  const rng = mulberry32(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The search query for one language and one creation-date window. */
export function searchQueryFor(sample: SampleSpec, language: string | undefined, window: { from: string; to: string }): string {
  const parts = [`stars:>=${sample.minStars}`];
  if (language) parts.push(`language:${/\s/.test(language) ? JSON.stringify(language) : language}`);
  parts.push(`created:${window.from}..${window.to}`);
  if (sample.pushed?.from || sample.pushed?.to) parts.push(`pushed:${sample.pushed.from ?? '*'}..${sample.pushed.to ?? '*'}`);
  if (sample.includeForks) parts.push('fork:true');
  if (!sample.includeArchived) parts.push('archived:false');
  parts.push('is:public');
  return parts.join(' ');
}

export interface SampledRepo { repo: string; stars: number; pulls: number; language?: string; createdAt?: string }

export interface SamplingResult {
  repos: SampledRepo[];
  /** The creation-date range actually used (its open end resolved to the sampling day). */
  created: { from: string; to: string };
  windows: number;
  requests: number;
  /** True when the attempts ran out before `count` repositories were found. */
  short: boolean;
}

export interface SamplingOptions {
  /**
   * Repositories taken from one window at most: fewer spread the sample over time, more save
   * search requests. Default 3, or count / 200 for large samples (5,000 repositories: 25 per
   * window, about 200 windows, instead of about 1,700 searches at 2 s each).
   */
  perWindow?: number;
  /** Windows tried before giving up. Default 10 per window's worth of wanted repositories + 20. */
  maxWindows?: number;
  today?: string;
  log?: (message: string) => void;
}

interface WindowHit { repositoryCount: number; repos: SampledRepo[] }

async function searchWindow(client: GitHubClient, query: string): Promise<WindowHit> {
  const result = await client.graphql(SEARCH_REPOS_QUERY, { q: query, first: RESULTS_PER_PAGE, after: null });
  if (result.errors.length) throw new GitHubError(`repository search "${query}": ${result.errors.map((e) => e.message).join('; ')}`, 'graphql');
  const search = result.data?.search;
  const conn = connectionOf(isObj(search) ? { ...search, totalCount: search.repositoryCount } : undefined);
  if (!conn) throw new GitHubError(`repository search "${query}": response has no result list`, 'malformed');
  const repos: SampledRepo[] = [];
  for (const node of conn.nodes) {
    if (!isObj(node) || typeof node.nameWithOwner !== 'string') continue;
    const pulls = isObj(node.pullRequests) && typeof node.pullRequests.totalCount === 'number' ? node.pullRequests.totalCount : 0;
    const language = isObj(node.primaryLanguage) && typeof node.primaryLanguage.name === 'string' ? node.primaryLanguage.name : undefined;
    repos.push({
      repo: node.nameWithOwner,
      stars: typeof node.stargazerCount === 'number' ? node.stargazerCount : 0,
      pulls,
      language,
      createdAt: typeof node.createdAt === 'string' ? node.createdAt : undefined,
    });
  }
  return { repositoryCount: conn.totalCount ?? repos.length, repos };
}

export async function sampleRepositories(client: GitHubClient, sample: SampleSpec, options: SamplingOptions = {}): Promise<SamplingResult> {
  const rng = mulberry32(sample.seed);
  const today = options.today ?? new Date().toISOString().slice(0, 10);
  const created = { from: sample.created.from ?? '2008-01-01', to: sample.created.to ?? today };
  const first = dayNumber(created.from);
  const last = dayNumber(created.to);
  if (!(last >= first)) throw new GitHubError(`creation range ${created.from}..${created.to} is empty`, 'other');
  const perWindow = options.perWindow ?? Math.max(3, Math.ceil(sample.count / 200));
  const maxWindows = options.maxWindows ?? Math.ceil(sample.count / perWindow) * 10 + 20;
  const languages = sample.languages.length ? sample.languages : [undefined];
  const chosen = new Map<string, SampledRepo>();
  const requestsBefore = client.requestCount;
  // Start with weeks and adapt: dense ranges shrink the window, sparse ones grow it.
  let windowDays = Math.min(7, last - first + 1);
  let windows = 0;
  while (chosen.size < sample.count && windows < maxWindows) {
    windows++;
    const language = languages[Math.floor(rng() * languages.length)];
    const center = first + Math.floor(rng() * (last - first + 1));
    let days = windowDays;
    let hit: WindowHit;
    for (;;) {
      const from = Math.max(first, center - Math.floor((days - 1) / 2));
      const to = Math.min(last, from + days - 1);
      hit = await searchWindow(client, searchQueryFor(sample, language, { from: dateOfDay(from), to: dateOfDay(to) }));
      if (hit.repositoryCount <= RESULTS_PER_PAGE || days === 1) break;
      days = Math.max(1, Math.floor(days / 2));
    }
    windowDays = hit.repositoryCount > RESULTS_PER_PAGE / 2 ? days : hit.repositoryCount < RESULTS_PER_PAGE / 10 ? Math.min(windowDays * 2, 366, last - first + 1) : days;
    const eligible = hit.repos
      .filter((r) => r.pulls >= sample.minPulls && r.stars >= sample.minStars && !chosen.has(r.repo))
      .sort((a, b) => (a.repo < b.repo ? -1 : a.repo > b.repo ? 1 : 0));
    const picks = seededShuffle(eligible, Math.floor(rng() * 2 ** 32)).slice(0, Math.min(perWindow, sample.count - chosen.size));
    for (const p of picks) chosen.set(p.repo, p);
    options.log?.(`sampling: window ${windows} around ${dateOfDay(center)} (${days} days${language ? `, ${language}` : ''}): ${hit.repositoryCount} matches, ${eligible.length} eligible, ${chosen.size}/${sample.count} chosen`);
  }
  const repos = seededShuffle([...chosen.values()], sample.seed ^ 0x5eed);
  return { repos, created, windows, requests: client.requestCount - requestsBefore, short: repos.length < sample.count };
}

/** Pull-request totals of explicit repositories (50 per request); a missing repository maps to undefined. */
export async function fetchPullTotals(client: GitHubClient, repos: readonly string[]): Promise<Map<string, number | undefined>> {
  const totals = new Map<string, number | undefined>();
  for (let i = 0; i < repos.length; i += 50) {
    const chunk = repos.slice(i, i + 50);
    const variables: Record<string, string> = {};
    chunk.forEach((r, k) => {
      const [owner = '', name = ''] = r.split('/');
      variables[`o${k}`] = owner;
      variables[`n${k}`] = name;
    });
    const result = await client.graphql(repoTotalsQuery(chunk.length), variables);
    chunk.forEach((r, k) => {
      const node = result.data?.[`r${k}`];
      const count = isObj(node) && isObj(node.pullRequests) && typeof node.pullRequests.totalCount === 'number' ? node.pullRequests.totalCount : undefined;
      totals.set(r, count);
    });
  }
  return totals;
}
