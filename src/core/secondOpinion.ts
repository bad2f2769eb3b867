/**
 * Second opinion (the paper's quality assurance, section 7): a language model re-labels reviews
 * with the labeling guidelines, several independent samples per review; where the majority of its
 * votes disagrees with the human label, the review is queued for adjudication. The model is reached
 * through a small interface so the extension can use VS Code's Language Model API and tests a double.
 */
import { LABEL_INFO, type Label } from './labels';
import type { Review } from './review';

/** Labels the second opinion may vote for (the paper re-checked yes, no and unclear). */
export const OPINION_LABELS: readonly Label[] = ['yes', 'no', 'unclear'];

export interface OpinionPrompt { system: string; user: string }

export function buildOpinionPrompt(review: Review, labels: readonly Label[] = OPINION_LABELS): OpinionPrompt {
  const guide = LABEL_INFO.filter((l) => labels.includes(l.id)).map((l) => `- ${l.id}: ${l.title}. ${l.description}`).join('\n');
  const system = [
    'You label GitHub code-review comments for a dataset of comments that discuss potential security defects.',
    'Labeling guidelines:',
    guide,
    'Think about what the reviewer points out, then answer with your reasoning in at most three sentences,',
    `and end with a last line of the form "LABEL: <${labels.join('|')}>".`,
  ].join('\n');
  const user = [
    `Repository: ${review.repo}, pull request #${review.pull}${review.path ? `, file ${review.path}` : ''}`,
    review.diffHunk ? `Diff hunk:\n${review.diffHunk.slice(-2000)}` : '',
    `Review comment:\n${review.body.slice(0, 8000)}`,
  ].filter(Boolean).join('\n\n');
  return { system, user };
}

export interface Vote { label?: Label; reasoning: string }

/** Reads the last `LABEL: x` line (or a JSON `"label"` field) of a reply; no label if absent or unknown. */
export function parseVote(reply: string, labels: readonly Label[] = OPINION_LABELS): Vote {
  const matches = [...reply.matchAll(/(?:^|\n)\s*\**\s*label\s*\**\s*[:=]\s*\**\s*"?([a-z-]+)"?/gi), ...reply.matchAll(/"label"\s*:\s*"([a-z-]+)"/gi)];
  const raw = matches.at(-1)?.[1]?.toLowerCase();
  const label = raw && (labels as readonly string[]).includes(raw) ? (raw as Label) : undefined;
  const reasoning = reply.replace(/(?:^|\n)\s*\**\s*label\s*\**\s*[:=].*$/gim, '').trim().slice(0, 2000);
  return { label, reasoning };
}

export interface VoteSummary {
  counts: Partial<Record<Label, number>>;
  /** Votes with a readable label. */
  valid: number;
  majority?: Label;
  /** Share of valid votes for the majority label. */
  agreement: number;
}

export function summarizeVotes(votes: readonly Vote[]): VoteSummary {
  const counts: Partial<Record<Label, number>> = {};
  let valid = 0;
  for (const v of votes) if (v.label) { counts[v.label] = (counts[v.label] ?? 0) + 1; valid++; }
  let majority: Label | undefined;
  let best = 0, tie = false;
  for (const [label, c] of Object.entries(counts) as [Label, number][]) {
    if (c > best) { best = c; majority = label; tie = false; } else if (c === best) tie = true;
  }
  return { counts, valid, majority: tie ? undefined : majority, agreement: valid ? best / valid : 0 };
}

/** A disagreement worth a human look: a clear majority (no tie, at least `minAgreement`) for another label. */
export function isDisagreement(humanLabel: Label, summary: VoteSummary, minAgreement = 0.5): boolean {
  return summary.majority !== undefined && summary.majority !== humanLabel && summary.agreement >= minAgreement;
}

/** One completion from a language model; rejects on failure. */
export interface LanguageModelClient {
  readonly name: string;
  complete(prompt: OpinionPrompt, signal: AbortSignal): Promise<string>;
}

export interface OpinionResult { reviewId: string; humanLabel: Label; model: string; votes: Vote[]; summary: VoteSummary; failures: number; disagreement: boolean }

export interface OpinionRunOptions {
  samples: number;
  signal: AbortSignal;
  /** Requests in flight at once. */
  concurrency?: number;
  minAgreement?: number;
  onProgress?: (done: number, total: number) => void;
  /** Called as each review completes, so results are saved as they arrive. */
  onResult?: (r: OpinionResult) => Promise<void> | void;
}

/**
 * Asks `samples` independent completions for each review. Stops promptly when cancelled (results
 * already delivered through `onResult` stay valid). A failed request counts as a failure, not a vote.
 */
export async function collectOpinions(items: readonly { review: Review; label: Label }[], client: LanguageModelClient, options: OpinionRunOptions): Promise<OpinionResult[]> {
  if (!(Number.isInteger(options.samples) && options.samples >= 1)) throw new Error(`samples per review must be a positive whole number, got ${options.samples}`);
  const total = items.length * options.samples;
  let done = 0;
  const results: OpinionResult[] = [];
  const concurrency = Math.max(1, options.concurrency ?? 4);
  for (const item of items) {
    if (options.signal.aborted) break;
    const prompt = buildOpinionPrompt(item.review);
    const votes: Vote[] = [];
    let failures = 0;
    let next = 0;
    const worker = async () => {
      while (next < options.samples && !options.signal.aborted) {
        next++;
        try {
          votes.push(parseVote(await client.complete(prompt, options.signal)));
        } catch {
          if (!options.signal.aborted) failures++;
        }
        options.onProgress?.(++done, total);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, options.samples) }, worker));
    if (options.signal.aborted && votes.length + failures < options.samples) break;
    const summary = summarizeVotes(votes);
    const result: OpinionResult = { reviewId: item.review.id, humanLabel: item.label, model: client.name, votes, summary, failures, disagreement: isDisagreement(item.label, summary, options.minAgreement) };
    results.push(result);
    await options.onResult?.(result);
  }
  return results;
}
