/**
 * Double coding: a batch split among annotators, with a share of its reviews (the overlap) coded
 * independently by two of them, chosen at random with a recorded seed, so agreement can be measured
 * on an unbiased sample of the batch. Every pair of annotators gets about the same number of
 * overlap reviews, and every annotator about the same number of reviews in all.
 */
import { mulberry32 } from './hash';

export interface AssignmentRequest {
  reviewIds: readonly string[];
  annotators: readonly string[];
  /** Share of the reviews coded by two annotators, in [0, 1]. */
  overlap: number;
  seed: number;
}

/** Per review, who codes it (one annotator, or two for the overlap), in batch order. */
export type Coders = Record<string, string[]>;

export function checkAssignment(r: Omit<AssignmentRequest, 'reviewIds'>): void {
  const names = r.annotators.map((a) => a.trim());
  if (!names.length || names.some((a) => !a)) throw new Error('name at least one annotator (no empty names)');
  const dup = names.find((a, i) => names.indexOf(a) !== i);
  if (dup) throw new Error(`annotator "${dup}" is named twice`);
  if (!(r.overlap >= 0 && r.overlap <= 1)) throw new Error(`the overlap share must be between 0 and 1, got ${r.overlap}`);
  if (r.overlap > 0 && names.length < 2) throw new Error('an overlap needs at least two annotators');
  if (!Number.isInteger(r.seed)) throw new Error(`the seed must be a whole number, got ${r.seed}`);
}

export function planAssignment(r: AssignmentRequest): Coders {
  checkAssignment(r);
  const annotators = r.annotators.map((a) => a.trim());
  const ids = [...new Set(r.reviewIds)];
  const rng = mulberry32(r.seed);
  // Seeded Fisher-Yates: the first `m` of the shuffled order are the overlap reviews.
  const order = ids.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const m = Math.round(r.overlap * ids.length);
  const pairs: [number, number][] = [];
  for (let i = 0; i < annotators.length; i++) for (let j = i + 1; j < annotators.length; j++) pairs.push([i, j]);
  const load = new Array<number>(annotators.length).fill(0);
  const coders = new Map<number, number[]>();
  order.slice(0, m).forEach((item, t) => {
    const pair = pairs[t % pairs.length]!;
    coders.set(item, [...pair]);
    load[pair[0]]!++;
    load[pair[1]]!++;
  });
  // The rest, in batch order, to whoever has the fewest so far.
  ids.forEach((_, item) => {
    if (coders.has(item)) return;
    let who = 0;
    for (let a = 1; a < annotators.length; a++) if (load[a]! < load[who]!) who = a;
    coders.set(item, [who]);
    load[who]!++;
  });
  const out: Coders = {};
  ids.forEach((id, item) => { out[id] = coders.get(item)!.map((a) => annotators[a]!); });
  return out;
}
