/**
 * Candidate selection over a simulated pool, by the definitions of src/core/selection.ts applied to
 * two classes: with d = logit(yes) - logit(no), rare-label ranks by p(yes) (monotone in d),
 * majority-label by p(no) (monotone in -d), entropy by -|d| (two-class entropy falls with |d|),
 * random draws uniformly. Typed arrays and one pass per strategy: the pool has a million rows and
 * this runs for every strategy in every iteration.
 */
import { BATCH_MODE_DEFAULTS, determinantalOrder, fillSlots, optimisticScore, quotas, type BatchModeOptions, type MixturePart, type Strategy } from '../core/selection';
import type { Rng } from './random';

type PoolStrategy = 'rare' | 'entropy' | 'majority';

/** The strategy score of one row from its logit difference: larger is picked first. */
export function strategyScore(strategy: PoolStrategy, d: number): number {
  return strategy === 'rare' ? d : strategy === 'majority' ? -d : -Math.abs(d);
}

/** What the batch-mode strategies need besides the arm's own network's scores. */
export interface BatchModeContext extends Partial<BatchModeOptions> {
  /** Every ensemble member's logit differences over the pool (ensemble, thompson, ucb). */
  members?: readonly Float32Array[];
  /** A row's representation in the arm's network: its last hidden layer (diverse). */
  featuresOf?: (row: number) => ArrayLike<number>;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * Picks `size` rows not yet in `taken` (1 = labeled or already picked), splitting the batch among
 * the mixture's parts by quota; marks the picked rows in `taken`. `d` is needed unless every part
 * is random.
 */
export function selectRows(mixture: readonly MixturePart[], size: number, taken: Uint8Array, d: Float32Array | undefined, rng: Rng,
  context: BatchModeContext = {}): Int32Array {
  const want = quotas(mixture, size);
  const out = new Int32Array(size);
  let filled = 0;
  mixture.forEach((part, k) => {
    const q = want[k]!;
    if (q === 0) return;
    const picked = part.strategy === 'random' ? randomRows(q, taken, rng) : batchModeRows(part.strategy, q, taken, d, rng, context);
    for (const row of picked) {
      taken[row] = 1;
      out[filled++] = row;
    }
  });
  return out.subarray(0, filled);
}

function randomRows(k: number, taken: Uint8Array, rng: Rng): number[] {
  const free = taken.length - countTaken(taken);
  if (free < k) throw new Error(`only ${free} unlabeled rows left, need ${k}`);
  const out: number[] = [];
  // Rejection sampling: the labeled share of the pool stays small, so few draws are wasted.
  while (out.length < k) {
    const row = rng.int(taken.length);
    if (taken[row]) continue;
    taken[row] = 1;
    out.push(row);
  }
  for (const row of out) taken[row] = 0;
  return out;
}

function countTaken(taken: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < taken.length; i++) n += taken[i]!;
  return n;
}

function batchModeRows(strategy: Exclude<Strategy, 'random'>, q: number, taken: Uint8Array, d: Float32Array | undefined, rng: Rng,
  context: BatchModeContext): number[] {
  if (strategy === 'rare' || strategy === 'entropy' || strategy === 'majority') return topRows(strategy, q, taken, d);
  const o = { ...BATCH_MODE_DEFAULTS, ...context };
  if (strategy === 'diverse') {
    if (!d || !context.featuresOf) throw new Error('strategy "diverse" needs model scores and hidden features');
    const pool = topRows('rare', q * Math.max(1, o.diversityCandidates), taken, d);
    return determinantalOrder(pool.map((r) => d[r]!), pool.map((r) => context.featuresOf!(r)), q, o.diversityWeight).map((i) => pool[i]!);
  }
  const members = context.members;
  if (!members?.length) throw new Error(`strategy "${strategy}" needs an ensemble's scores`);
  if (strategy === 'thompson') {
    const lists = members.map((m) => topRows('rare', q, taken, m));
    return fillSlots(lists, q, () => rng.int(lists.length)).map((s) => s.row);
  }
  const beta = strategy === 'ucb' ? o.ucbBeta : 0;
  const p = new Float64Array(members.length);
  return topByScore(q, taken, (row) => {
    for (let m = 0; m < members.length; m++) p[m] = sigmoid(members[m]![row]!);
    return optimisticScore(p, beta);
  });
}

/** The k rows with the largest strategy score among rows not taken (ties: lower row first). */
export function topRows(strategy: PoolStrategy, k: number, taken: Uint8Array, d: Float32Array | undefined): number[] {
  if (!d) throw new Error(`strategy "${strategy}" needs model scores`);
  const sign = strategy === 'rare' ? 1 : -1;
  return topByScore(k, taken, strategy === 'entropy' ? (row) => -Math.abs(d[row]!) : (row) => sign * d[row]!);
}

/** The k rows with the largest `scoreOf` among rows not taken (ties: lower row first). */
export function topByScore(k: number, taken: Uint8Array, scoreOf: (row: number) => number): number[] {
  const n = taken.length;
  const heapScore = new Float64Array(k);
  const heapRow = new Int32Array(k);
  let size = 0;
  // Min-heap on (score, -row): the root is the worst kept candidate.
  const worse = (sa: number, ra: number, sb: number, rb: number) => sa < sb || (sa === sb && ra > rb);
  for (let row = 0; row < n; row++) {
    if (taken[row]) continue;
    const s = scoreOf(row);
    if (size < k) {
      let i = size++;
      heapScore[i] = s; heapRow[i] = row;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(heapScore[i]!, heapRow[i]!, heapScore[p]!, heapRow[p]!)) break;
        swap(heapScore, heapRow, i, p);
        i = p;
      }
      continue;
    }
    if (!(s > heapScore[0]!)) continue; // ties keep the earlier (lower) row already in the heap
    heapScore[0] = s; heapRow[0] = row;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < size && worse(heapScore[l]!, heapRow[l]!, heapScore[m]!, heapRow[m]!)) m = l;
      if (r < size && worse(heapScore[r]!, heapRow[r]!, heapScore[m]!, heapRow[m]!)) m = r;
      if (m === i) break;
      swap(heapScore, heapRow, i, m);
      i = m;
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => heapScore[b]! - heapScore[a]! || heapRow[a]! - heapRow[b]!);
  return order.map((i) => heapRow[i]!);
}

function swap(s: Float64Array, r: Int32Array, i: number, j: number): void {
  const ts = s[i]!; s[i] = s[j]!; s[j] = ts;
  const tr = r[i]!; r[i] = r[j]!; r[j] = tr;
}
