/**
 * Candidate selection over a matrix of class probabilities (rows x classes, row-major).
 * Pure and streaming-friendly: one pass per strategy with a bounded heap, so a 1M-row pool costs
 * O(rows log batch) time and O(batch) extra memory.
 */
import { hashUniform } from './hash';
import type { ModelLabel } from './labels';

export const STRATEGIES = ['rare', 'entropy', 'majority', 'random'] as const;
export type Strategy = (typeof STRATEGIES)[number];
/** How an item got into a batch: a model-based strategy, the bootstrap rule, or an import of old labels. */
export type Provenance = Strategy | 'bootstrap' | 'imported' | 'manual';

export const STRATEGY_INFO: Record<Strategy, { title: string; description: string }> = {
  rare: { title: 'Rare label', description: 'highest predicted probability of the target label (yes)' },
  entropy: { title: 'Entropy', description: 'most uncertain prediction: highest -sum p log p' },
  majority: { title: 'Majority label', description: 'highest predicted probability of the majority label (no)' },
  random: { title: 'Random', description: 'seeded random order by hash of the review id; unbiased, gives prevalence estimates' },
};

export function parseStrategy(s: string): Strategy | undefined {
  const t = s.trim().toLowerCase().replace(/[-_ ]?label$/, '');
  return (STRATEGIES as readonly string[]).includes(t) ? (t as Strategy) : undefined;
}

export interface Proposal { row: number; strategy: Strategy; score: number }

export interface MixturePart { strategy: Strategy; share: number }

/**
 * Parses `rare`, `rare:0.45,entropy:0.45,random:0.1` or `rare=45%,random=10%`. Shares are normalized
 * to sum to 1.
 */
export function parseMixture(spec: string): MixturePart[] {
  const parts = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (!parts.length) throw new Error('strategy mixture is empty');
  const out: MixturePart[] = [];
  for (const p of parts) {
    const m = /^([a-z_-]+)\s*(?:[:=]\s*([0-9.]+)\s*(%?))?$/i.exec(p);
    const strategy = m && parseStrategy(m[1]!);
    if (!m || !strategy) throw new Error(`unknown strategy "${p}"; use ${STRATEGIES.join(', ')}, optionally with shares like rare:0.9,random:0.1`);
    const share = m[2] === undefined ? 1 : Number(m[2]) / (m[3] ? 100 : 1);
    if (!Number.isFinite(share) || share < 0) throw new Error(`invalid share in "${p}"`);
    if (out.some((x) => x.strategy === strategy)) throw new Error(`strategy "${strategy}" appears twice in "${spec}"`);
    out.push({ strategy, share });
  }
  const total = out.reduce((s, x) => s + x.share, 0);
  if (!(total > 0)) throw new Error(`strategy shares in "${spec}" sum to zero`);
  return out.map((x) => ({ strategy: x.strategy, share: x.share / total }));
}

export function formatMixture(parts: readonly MixturePart[]): string {
  return parts.length === 1 ? parts[0]!.strategy : parts.map((p) => `${p.strategy}:${+(p.share * 100).toFixed(1)}%`).join(',');
}

/** Splits a batch size into integer quotas by largest remainder; they always sum to `size`. */
export function quotas(parts: readonly MixturePart[], size: number): number[] {
  const exact = parts.map((p) => p.share * size);
  const q = exact.map(Math.floor);
  let left = size - q.reduce((a, b) => a + b, 0);
  const order = exact.map((e, i) => ({ i, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) q[order[k]!.i]!++;
  return q;
}

/** Shannon entropy (nats) of row `row` of a row-major probability matrix. */
export function entropyAt(probs: Float32Array, row: number, classes: number): number {
  let h = 0;
  const o = row * classes;
  for (let c = 0; c < classes; c++) {
    const p = probs[o + c]!;
    if (p > 0) h -= p * Math.log(p);
  }
  return h;
}

export interface SelectionInput {
  rowCount: number;
  /** Row-major probabilities over `classes`; required unless only `random` is used. */
  probs?: Float32Array;
  classes?: readonly ModelLabel[];
  /** The review id of a row (random strategy hashes it). */
  idOf: (row: number) => string;
  /** True for rows that must not be proposed (already labeled, already in an open batch). */
  isExcluded: (row: number) => boolean;
  /**
   * A key identifying the body text of a row (e.g. a 64-bit fingerprint). Rows whose key is in
   * `excludedBodies` (bodies already labeled) are skipped, and a batch holds each body once.
   */
  bodyKeyOf?: (row: number) => string;
  excludedBodies?: ReadonlySet<string>;
  mixture: readonly MixturePart[];
  size: number;
  seed: number;
}

/** Strategy score of a row: larger is picked first. */
export function scorer(strategy: Strategy, input: ScorerInput): (row: number) => number {
  const { probs, classes, idOf, seed } = input;
  if (strategy === 'random') return (row) => hashUniform(idOf(row), seed);
  if (!probs || !classes) throw new Error(`strategy "${strategy}" needs model probabilities; train a model first or use "random"`);
  const C = classes.length;
  if (probs.length < input.rowCount * C) throw new Error(`probability matrix has ${probs.length} values, expected ${input.rowCount} rows x ${C} classes`);
  if (strategy === 'entropy') return (row) => entropyAt(probs, row, C);
  const target: ModelLabel = strategy === 'rare' ? 'yes' : 'no';
  const col = classes.indexOf(target);
  if (col < 0) throw new Error(`strategy "${strategy}" needs a "${target}" column; the model has ${classes.join(', ')}`);
  return (row) => probs[row * C + col]!;
}
type ScorerInput = Pick<SelectionInput, 'probs' | 'classes' | 'idOf' | 'seed' | 'rowCount'>;

/**
 * Bounded min-heap keeping the `capacity` best (score desc, then row asc for ties) entries.
 */
class TopK {
  private readonly scores: Float64Array;
  private readonly rows: Int32Array;
  size = 0;
  constructor(readonly capacity: number) {
    this.scores = new Float64Array(capacity);
    this.rows = new Int32Array(capacity);
  }
  /** a is worse than b */
  private worse(i: number, j: number): boolean {
    const a = this.scores[i]!, b = this.scores[j]!;
    return a < b || (a === b && this.rows[i]! > this.rows[j]!);
  }
  private worseThanRoot(score: number, row: number): boolean {
    const s = this.scores[0]!;
    return score < s || (score === s && row > this.rows[0]!);
  }
  push(score: number, row: number): void {
    if (this.capacity === 0) return;
    if (this.size < this.capacity) {
      let i = this.size++;
      this.scores[i] = score; this.rows[i] = row;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.worse(i, p)) break;
        this.swap(i, p); i = p;
      }
      return;
    }
    if (this.worseThanRoot(score, row)) return;
    this.scores[0] = score; this.rows[0] = row;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < this.size && this.worse(l, m)) m = l;
      if (r < this.size && this.worse(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m); i = m;
    }
  }
  private swap(i: number, j: number): void {
    const s = this.scores[i]!; this.scores[i] = this.scores[j]!; this.scores[j] = s;
    const r = this.rows[i]!; this.rows[i] = this.rows[j]!; this.rows[j] = r;
  }
  /** Best first. */
  sorted(): { row: number; score: number }[] {
    const out = [];
    for (let i = 0; i < this.size; i++) out.push({ row: this.rows[i]!, score: this.scores[i]! });
    return out.sort((a, b) => b.score - a.score || a.row - b.row);
  }
}

/**
 * Selects a batch: for each strategy of the mixture in order, its quota of the best-scoring rows
 * that are not excluded, not already picked, and whose body is not labeled or already in the batch.
 * When a strategy runs out of rows, its unfilled quota passes to the strategies after it (and
 * finally to any strategy that still has rows), so a batch is short only when the pool is exhausted.
 * Ties are broken by the lower row number, so results are deterministic for a given seed.
 */
export function selectBatch(input: SelectionInput): Proposal[] {
  const { rowCount, mixture, size, isExcluded, bodyKeyOf, excludedBodies } = input;
  if (!Number.isInteger(size) || size < 0) throw new Error(`batch size must be a non-negative integer, got ${size}`);
  if (!mixture.length) throw new Error('strategy mixture is empty');
  const want = quotas(mixture, size);
  const picked = new Set<number>();
  const pickedBodies = new Set<string>();
  const out: Proposal[] = [];
  const scorers = mixture.map((m) => scorer(m.strategy, input));

  const take = (k: number, quota: number): number => {
    if (quota <= 0) return 0;
    const score = scorers[k]!;
    // Over-collect to survive duplicate bodies inside the candidate list; retry larger if needed.
    for (let extra = quota; ; extra *= 4) {
      const heap = new TopK(Math.min(rowCount, quota + extra));
      for (let row = 0; row < rowCount; row++) {
        if (picked.has(row) || isExcluded(row)) continue;
        if (bodyKeyOf && excludedBodies && excludedBodies.size && excludedBodies.has(bodyKeyOf(row))) continue;
        heap.push(score(row), row);
      }
      const got: Proposal[] = [];
      const localBodies = new Set<string>();
      let exhausted = true;
      for (const c of heap.sorted()) {
        if (got.length === quota) { exhausted = false; break; }
        if (bodyKeyOf) {
          const key = bodyKeyOf(c.row);
          if (pickedBodies.has(key) || localBodies.has(key)) continue;
          localBodies.add(key);
        }
        got.push({ row: c.row, strategy: mixture[k]!.strategy, score: c.score });
      }
      const heapFull = heap.size === heap.capacity && heap.capacity < rowCount;
      if (got.length === quota || !heapFull || !exhausted) {
        for (const g of got) {
          picked.add(g.row);
          if (bodyKeyOf) pickedBodies.add(bodyKeyOf(g.row));
          out.push(g);
        }
        return got.length;
      }
    }
  };

  let carry = 0;
  for (let k = 0; k < mixture.length; k++) {
    const q = want[k]! + carry;
    carry = q - take(k, q);
  }
  // Quota left over from the last strategies goes to any earlier strategy that still has rows.
  for (let k = 0; carry > 0 && k < mixture.length; k++) carry -= take(k, carry);
  return out;
}

