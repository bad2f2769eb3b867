/** One-line progress text shared by the CLI and the extension's notification. */
import type { CrawlProgress } from './crawler';

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19) + ' UTC';
}

export function formatProgress(p: CrawlProgress, now = Date.now()): string {
  const parts: string[] = [];
  if (p.phase === 'sampling') parts.push('sampling repositories');
  else parts.push(`${p.reposDone}/${p.reposTotal} repositories${p.currentRepo ? ` (now ${p.currentRepo})` : ''}`);
  parts.push(`${p.reviews.toLocaleString('en-US')} reviews (${p.reviewsPerSecond.toFixed(1)}/s)`);
  if (p.budget) parts.push(`budget ${p.budget.remaining.toLocaleString('en-US')}/${p.budget.limit.toLocaleString('en-US')} ${p.budget.resource}, resets ${clock(p.budget.resetAt)}`);
  if (p.waitingUntil !== undefined && p.waitingUntil > now) parts.push(`waiting ${Math.ceil((p.waitingUntil - now) / 1000)} s for the rate limit`);
  return parts.join(', ');
}
