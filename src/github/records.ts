/**
 * Turns GitHub's comment objects (GraphQL review-thread comments, REST pull-request review
 * comments) into normalized Review records through the core's `normalizeReview`, so crawled
 * records are the same shape as imported ones. Objects that do not normalize are returned as
 * problems, never thrown: one bad comment must not cost the page it came in.
 */
import { normalizeReview, type Review } from '../core/review';

export interface PullInfo {
  repo: string;
  number: number;
  title?: string;
  author?: string;
  state?: string;
}

export interface Converted { reviews: Review[]; problems: string[] }

type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function graphqlCommentsToReviews(nodes: unknown[], pull: PullInfo, where: string): Converted {
  const out: Converted = { reviews: [], problems: [] };
  nodes.forEach((node, i) => {
    if (!isObj(node)) { out.problems.push(`${where}: comment ${i} is not an object`); return; }
    const enriched = { ...node, pullRequest: { number: pull.number, title: pull.title, repository: { nameWithOwner: pull.repo } } };
    const result = normalizeReview(enriched);
    if (!result.ok) { out.problems.push(`${where}: comment ${i} skipped: ${result.reason}`); return; }
    if (result.review.id.startsWith('h')) { out.problems.push(`${where}: comment ${i} skipped: no comment id`); return; }
    out.reviews.push(result.review);
  });
  return out;
}

export function restCommentsToReviews(items: unknown[], repo: string, titles: Map<number, string>, where: string): Converted {
  const out: Converted = { reviews: [], problems: [] };
  items.forEach((item, i) => {
    if (!isObj(item)) { out.problems.push(`${where}: comment ${i} is not an object`); return; }
    const result = normalizeReview(item);
    if (!result.ok) { out.problems.push(`${where}: comment ${i} skipped: ${result.reason}`); return; }
    const review = result.review;
    if (review.repo.toLowerCase() !== repo.toLowerCase()) review.repo = repo;
    const title = titles.get(review.pull);
    if (title !== undefined) review.prTitle = title;
    out.reviews.push(review);
  });
  return out;
}

/** Pull-request metadata from a GraphQL node or a REST item (`user.login`, `state`). */
export function pullInfoOf(node: Obj, repo: string): PullInfo | undefined {
  const number = node.number;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < 1) return undefined;
  const author = isObj(node.author) ? node.author.login : isObj(node.user) ? node.user.login : undefined;
  return {
    repo,
    number,
    title: typeof node.title === 'string' ? node.title : undefined,
    author: typeof author === 'string' ? author : undefined,
    state: typeof node.state === 'string' ? node.state.toUpperCase() : undefined,
  };
}

/** A GraphQL connection's nodes and page info, or undefined when the shape is wrong. */
export function connectionOf(value: unknown): { nodes: unknown[]; hasNextPage: boolean; endCursor: string | null; totalCount?: number } | undefined {
  if (!isObj(value) || !Array.isArray(value.nodes) || !isObj(value.pageInfo)) return undefined;
  const { hasNextPage, endCursor } = value.pageInfo;
  if (typeof hasNextPage !== 'boolean') return undefined;
  if (hasNextPage && typeof endCursor !== 'string') return undefined;
  return {
    nodes: value.nodes,
    hasNextPage,
    endCursor: typeof endCursor === 'string' ? endCursor : null,
    totalCount: typeof value.totalCount === 'number' ? value.totalCount : undefined,
  };
}
