import { test } from 'node:test';
import assert from 'node:assert/strict';
import { estimateCrawl, pointsPerPage } from '../../../src/github/estimate';
import { DEFAULT_PAGE_SIZES } from '../../../src/github/spec';

test('GraphQL points follow the connection count: 25 pulls x 25 threads cost 7 points', () => {
  assert.equal(pointsPerPage(DEFAULT_PAGE_SIZES), 7);
  assert.equal(pointsPerPage({ pulls: 1, threads: 1, comments: 100 }), 1);
  assert.equal(pointsPerPage({ pulls: 100, threads: 100, comments: 10 }), 102);
});

test('estimateCrawl counts pages per repository (at least one each) and takes the slower of rate limit and requests', () => {
  const e = estimateCrawl({ pullsPerRepo: [0, 24, 25, 26], pageSizes: DEFAULT_PAGE_SIZES, followUpRate: 0, minIntervalMs: 1000, secondsPerRequest: 1 });
  assert.equal(e.pages, 1 + 1 + 1 + 2);
  assert.equal(e.requests, 5);
  assert.equal(e.graphqlPoints, 35);
  assert.equal(e.hoursByRequests, 5 / 3600);
  assert.equal(e.estimatedHours, Math.max(e.hoursByRateLimit, e.hoursByRequests));
});

test('the paper\'s crawl (492,266 pull requests in 4,937 repositories) is a day-scale job under the rate limit', () => {
  const perRepo = [3602, ...Array.from({ length: 4936 }, () => 99)];
  const e = estimateCrawl({ pullsPerRepo: perRepo, pageSizes: DEFAULT_PAGE_SIZES });
  assert.equal(e.repos, 4937);
  assert.equal(e.pulls, 492_266);
  assert.ok(e.hoursByRateLimit > 20 && e.hoursByRateLimit < 40, `${e.hoursByRateLimit} h`);
});
