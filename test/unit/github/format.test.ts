import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatProgress } from '../../../src/github/format';

test('progress text shows repositories, reviews, speed, budget with reset time, and a running wait', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const text = formatProgress({
    runId: 'r', phase: 'crawling', reposDone: 3, reposTotal: 10, currentRepo: 'acme/app', reviews: 12345, pulls: 100, skipped: 0,
    reviewsPerSecond: 42.25, requests: 50, budget: { resource: 'graphql', limit: 5000, remaining: 4321, resetAt: now + 600_000 }, waitingUntil: now + 12_500,
  }, now);
  assert.equal(text, '3/10 repositories (now acme/app), 12,345 reviews (42.3/s), budget 4,321/5,000 graphql, resets 12:10:00 UTC, waiting 13 s for the rate limit');
});
