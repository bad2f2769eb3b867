/**
 * What a crawl will cost, before running it (`secreview crawl --dry-run`): requests, GraphQL
 * rate-limit points, and the time the rate limit and the pacing imply. Pure arithmetic over the
 * pull-request counts of the repositories; the caller gets those counts from sampling (search
 * results carry them) or from one cheap batched query.
 *
 * GitHub prices a GraphQL query by the connections it may have to resolve: one pull-request
 * connection, one thread connection per pull request and one comment connection per thread, divided
 * by 100 and rounded up (at least 1 point). The default budget is 5,000 points per hour.
 */
import type { PageSizes } from './spec';

export interface EstimateInput {
  /** Pull-request count of every repository to crawl. */
  pullsPerRepo: readonly number[];
  pageSizes: PageSizes;
  /** Requests already spent on sampling (counted, not repeated). */
  samplingRequests?: number;
  /** Share of pull requests needing follow-up pages (many threads, long threads). Default 0.03. */
  followUpRate?: number;
  /** GraphQL points per hour (5,000 for a user token; 10,000 for Enterprise Cloud apps). */
  pointsPerHour?: number;
  minIntervalMs?: number;
  /** Typical GitHub answer time for one deep page, seconds. Default 1.5. */
  secondsPerRequest?: number;
}

export interface CrawlEstimate {
  repos: number;
  pulls: number;
  pages: number;
  followUps: number;
  requests: number;
  pointsPerPage: number;
  graphqlPoints: number;
  hoursByRateLimit: number;
  hoursByRequests: number;
  /** The larger of the two: the crawl cannot go faster than either. */
  estimatedHours: number;
}

export function pointsPerPage(sizes: PageSizes): number {
  return Math.max(1, Math.ceil((1 + sizes.pulls + sizes.pulls * sizes.threads) / 100));
}

export function estimateCrawl(input: EstimateInput): CrawlEstimate {
  const sizes = input.pageSizes;
  const pulls = input.pullsPerRepo.reduce((a, b) => a + Math.max(0, b), 0);
  // Every repository costs at least one page, even an empty one.
  const pages = input.pullsPerRepo.reduce((a, n) => a + Math.max(1, Math.ceil(Math.max(0, n) / sizes.pulls)), 0);
  const followUps = Math.ceil(pulls * (input.followUpRate ?? 0.03));
  const requests = pages + followUps + (input.samplingRequests ?? 0);
  const perPage = pointsPerPage(sizes);
  // Follow-up queries page 100 threads (with their comments) or 100 comments: about 2 points each.
  const graphqlPoints = pages * perPage + followUps * 2 + (input.samplingRequests ?? 0);
  const hoursByRateLimit = graphqlPoints / (input.pointsPerHour ?? 5000);
  const secondsEach = Math.max((input.minIntervalMs ?? 1000) / 1000, input.secondsPerRequest ?? 1.5);
  const hoursByRequests = (requests * secondsEach) / 3600;
  return {
    repos: input.pullsPerRepo.length, pulls, pages, followUps, requests,
    pointsPerPage: perPage, graphqlPoints, hoursByRateLimit, hoursByRequests,
    estimatedHours: Math.max(hoursByRateLimit, hoursByRequests),
  };
}
