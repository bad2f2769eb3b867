/**
 * Candidate selection over a matrix of class probabilities (rows x classes, row-major).
 * Pure and streaming-friendly: one pass per strategy with a bounded heap, so a 1M-row pool costs
 * O(rows log batch) time and O(batch) extra memory.
 */
import { hashUniform, mulberry32 } from './hash';
import type { ModelLabel } from './labels';

export const STRATEGIES = ['auto', 'rare', 'entropy', 'majority', 'random', 'diverse', 'ensemble', 'thompson', 'ucb'] as const;
export type Strategy = (typeof STRATEGIES)[number];
/**
 * What a strategy needs besides the pool: nothing (random), one model's probabilities, those plus a
 * feature vector per row (diverse), or the probabilities of every member of an ensemble of models.
 */
export type StrategyNeed = 'nothing' | 'probabilities' | 'features' | 'ensemble';
export const STRATEGY_NEEDS: Record<Strategy, StrategyNeed> = {
  auto: 'probabilities', rare: 'probabilities', entropy: 'probabilities', majority: 'probabilities', random: 'nothing',
  diverse: 'features', ensemble: 'ensemble', thompson: 'ensemble', ucb: 'ensemble',
};
/** Whether a mixture has a strategy that needs an ensemble's members (ensemble, thompson, ucb). */
export const needsEnsemble = (mixture: readonly MixturePart[]): boolean => mixture.some((p) => STRATEGY_NEEDS[p.strategy] === 'ensemble');
/** Whether a mixture ranks by an ensemble's members when the model has them (`auto`), or must (ensemble, thompson, ucb). */
export const usesEnsemble = (mixture: readonly MixturePart[]): boolean => needsEnsemble(mixture) || mixture.some((p) => p.strategy === 'auto');

/**
 * `auto` made concrete for one model: the ensemble's mean p(yes) when the model has members, else
 * rare label (its own p(yes)). The trainer fits members for `auto` when the head is a network
 * (hidden layers: RoBERTa's head, or `hidden` asked for) not fine-tuned with the encoder, where
 * averaging pays: +20% over rare label in the paired simulation study, +3.5% on the replay of real
 * labels with a hidden layer. A linear head is a convex, regularized fit that bootstrap members
 * only blur: on that replay its ensemble found no more than rare label did.
 * A share of the concrete strategy already in the mixture is added to `auto`'s.
 */
export function resolveAuto(mixture: readonly MixturePart[], hasMembers: boolean): ConcretePart[] {
  const concrete: ConcreteStrategy = hasMembers ? 'ensemble' : 'rare';
  const out: ConcretePart[] = [];
  for (const p of mixture) {
    const strategy = p.strategy === 'auto' ? concrete : p.strategy;
    const same = out.find((o) => o.strategy === strategy);
    if (same) same.share += p.share;
    else out.push({ strategy, share: p.share });
  }
  return out;
}

/** The weights of the batch-mode strategies, and their defaults. */
export interface BatchModeOptions {
  /** diverse: weight of log(1 - similarity) against the logit of p(yes); 0 is rare-label. */
  diversityWeight: number;
  /** diverse: candidates considered per batch slot (the top rows by p(yes)). */
  diversityCandidates: number;
  /** ucb: multiples of the ensemble's standard deviation of p(yes) added to its mean. */
  ucbBeta: number;
}
export const BATCH_MODE_DEFAULTS: BatchModeOptions = { diversityWeight: 0.5, diversityCandidates: 5, ucbBeta: 1 };
/** Largest diversity weight accepted: at 100 one near-copy costs as much as 100 logits of p(yes). */
export const MAX_DIVERSITY_WEIGHT = 100;
/** Most candidates per batch slot accepted for `diverse` (its cost grows with their number). */
export const MAX_DIVERSITY_CANDIDATES = 100;

/** What is wrong with the diverse strategy's options (a sentence naming the option), or undefined. */
export function diversityProblem(o: Partial<BatchModeOptions>): string | undefined {
  const w = o.diversityWeight;
  if (w !== undefined && !(typeof w === 'number' && w >= 0 && w <= MAX_DIVERSITY_WEIGHT)) return `diversity weight must be a number from 0 (rare-label order) to ${MAX_DIVERSITY_WEIGHT}, got ${String(w)}`;
  const c = o.diversityCandidates;
  if (c !== undefined && !(Number.isInteger(c) && c >= 1 && c <= MAX_DIVERSITY_CANDIDATES)) return `diversity candidates (per batch slot) must be a whole number from 1 to ${MAX_DIVERSITY_CANDIDATES}, got ${String(c)}`;
  return undefined;
}
/** How an item got into a batch: a model-based strategy, the bootstrap rule, or an import of old labels. */
export type Provenance = Strategy | 'bootstrap' | 'imported' | 'manual';

export const STRATEGY_INFO: Record<Strategy, { title: string; description: string }> = {
  auto: { title: 'Auto (ensemble for network heads)', description: 'mean p(yes) over the model\'s ensemble when it has one (network heads: RoBERTa\'s, or hidden layers), else rare label (linear head)' },
  rare: { title: 'Rare label', description: 'highest predicted probability of the target label (yes)' },
  entropy: { title: 'Entropy', description: 'most uncertain prediction: highest -sum p log p' },
  majority: { title: 'Majority label', description: 'highest predicted probability of the majority label (no)' },
  random: { title: 'Random', description: 'seeded random order by hash of the review id; unbiased, gives prevalence estimates' },
  diverse: { title: 'Diverse rare label', description: 'rare label re-ranked so that a batch does not spend its slots on near-identical reviews (determinantal trade-off over their text)' },
  ensemble: { title: 'Ensemble rare label', description: 'highest mean p(yes) over an ensemble of models' },
  thompson: { title: 'Thompson slots', description: 'each slot filled by the top item of a randomly drawn ensemble member' },
  ucb: { title: 'Optimistic (UCB)', description: 'mean p(yes) over an ensemble plus its standard deviation' },
};

export function parseStrategy(s: string): Strategy | undefined {
  const t = s.trim().toLowerCase().replace(/[-_ ]?label$/, '');
  return (STRATEGIES as readonly string[]).includes(t) ? (t as Strategy) : undefined;
}

export interface Proposal { row: number; strategy: Strategy; score: number }

export interface MixturePart { strategy: Strategy; share: number }
/** A strategy that ranks by itself: every one but `auto`, which stands for one of them (`resolveAuto`). */
type ConcreteStrategy = Exclude<Strategy, 'auto'>;
interface ConcretePart extends MixturePart { strategy: ConcreteStrategy }

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

/** The mixture a batch was selected by, with `auto` made concrete, e.g. `rare (auto)` or `ensemble:90%,random:10% (auto)`. */
export function formatResolvedMixture(mixture: readonly MixturePart[], hasMembers: boolean): string {
  const text = formatMixture(resolveAuto(mixture, hasMembers));
  return mixture.some((p) => p.strategy === 'auto') ? `${text} (auto)` : text;
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

/** Column `col` of a row-major probability matrix with `classes` columns (e.g. p(yes) of every row), into `out` when given. */
export function probabilityColumn(probs: Float32Array, classes: number, col: number, out = new Float32Array(Math.floor(probs.length / classes))): Float32Array {
  for (let r = 0; r < out.length; r++) out[r] = probs[r * classes + col]!;
  return out;
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
  /** Per member of an ensemble, p(yes) of every row (ensemble, thompson, ucb). */
  members?: readonly Float32Array[];
  /** A row's feature vector (diverse), e.g. `textFeatures` of its body; asked only of the diverse candidates. */
  featuresOf?: (row: number) => ArrayLike<number>;
  batchMode?: Partial<BatchModeOptions>;
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
export function scorer(strategy: ConcreteStrategy, input: ScorerInput): (row: number) => number {
  const { probs, classes, idOf, seed } = input;
  if (strategy === 'random') return (row) => hashUniform(idOf(row), seed);
  if (!probs || !classes) throw new Error(`strategy "${strategy}" needs model probabilities; train a model first or use "random"`);
  const C = classes.length;
  if (probs.length < input.rowCount * C) throw new Error(`probability matrix has ${probs.length} values, expected ${input.rowCount} rows x ${C} classes`);
  if (strategy === 'entropy') return (row) => entropyAt(probs, row, C);
  if (strategy === 'ensemble' || strategy === 'ucb' || strategy === 'thompson') {
    const members = input.members;
    if (!members?.length) throw new Error(`strategy "${strategy}" needs an ensemble of models (each member's p(yes)); this model has no members: retrain with an ensemble (secreview train --strategy ${strategy}, or --ensemble-size 5)`);
    for (const m of members) if (m.length < input.rowCount) throw new Error(`an ensemble member scored ${m.length} rows, expected ${input.rowCount}`);
    const beta = strategy === 'ucb' ? input.batchMode?.ucbBeta ?? BATCH_MODE_DEFAULTS.ucbBeta : 0;
    const p = new Float64Array(members.length);
    return (row) => {
      for (let k = 0; k < members.length; k++) p[k] = members[k]![row]!;
      return optimisticScore(p, beta);
    };
  }
  const target: ModelLabel = strategy === 'majority' ? 'no' : 'yes';
  const col = classes.indexOf(target);
  if (col < 0) throw new Error(`strategy "${strategy}" needs a "${target}" column; the model has ${classes.join(', ')}`);
  return (row) => probs[row * C + col]!;
}
type ScorerInput = Pick<SelectionInput, 'probs' | 'classes' | 'idOf' | 'seed' | 'rowCount' | 'members' | 'batchMode'>;

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
  const { rowCount, size, isExcluded, bodyKeyOf, excludedBodies } = input;
  const mixture = resolveAuto(input.mixture, !!input.members?.length);
  if (!Number.isInteger(size) || size < 0) throw new Error(`batch size must be a non-negative integer, got ${size}`);
  if (!mixture.length) throw new Error('strategy mixture is empty');
  const want = quotas(mixture, size);
  const picked = new Set<number>();
  const pickedBodies = new Set<string>();
  const out: Proposal[] = [];
  const scorers = mixture.map((m) => scorer(m.strategy, input));
  const batchMode = { ...BATCH_MODE_DEFAULTS, ...input.batchMode };
  const badBatchMode = diversityProblem(batchMode);
  if (badBatchMode) throw new Error(badBatchMode);

  /**
   * Up to `count` rows, best first by `score`, not picked or excluded, with bodies neither labeled,
   * in the batch, nor repeated among them. Over-collects to survive duplicate bodies; retries larger.
   */
  const candidates = (score: (row: number) => number, count: number): { row: number; score: number }[] => {
    for (let extra = count; ; extra *= 4) {
      const heap = new TopK(Math.min(rowCount, count + extra));
      for (let row = 0; row < rowCount; row++) {
        if (picked.has(row) || isExcluded(row)) continue;
        if (bodyKeyOf && excludedBodies && excludedBodies.size && excludedBodies.has(bodyKeyOf(row))) continue;
        heap.push(score(row), row);
      }
      const got: { row: number; score: number }[] = [];
      const localBodies = new Set<string>();
      for (const c of heap.sorted()) {
        if (got.length === count) break;
        if (bodyKeyOf) {
          const key = bodyKeyOf(c.row);
          if (pickedBodies.has(key) || localBodies.has(key)) continue;
          localBodies.add(key);
        }
        got.push(c);
      }
      const heapFull = heap.size === heap.capacity && heap.capacity < rowCount;
      if (got.length === count || !heapFull) return got;
    }
  };

  const choose = (k: number, quota: number): { row: number; score: number }[] => {
    const strategy = mixture[k]!.strategy;
    if (strategy === 'diverse') {
      if (!input.featuresOf) throw new Error('strategy "diverse" needs a feature vector per row (featuresOf); none was given');
      const pool = candidates(scorers[k]!, quota * Math.max(1, batchMode.diversityCandidates));
      const relevance = pool.map((c) => logit(c.score));
      const order = determinantalOrder(relevance, pool.map((c) => input.featuresOf!(c.row)), quota, batchMode.diversityWeight);
      return order.map((i) => pool[i]!);
    }
    if (strategy === 'thompson') {
      const members = input.members!;
      const lists = members.map((m) => candidates((row) => m[row]!, quota));
      const rng = mulberry32((input.seed ^ 0x7410) >>> 0);
      const bodyOf = bodyKeyOf ?? ((row: number) => String(row));
      const slots = fillSlots(lists.map((l) => l.map((c) => c.row)), quota, () => Math.floor(rng() * lists.length), bodyOf);
      return slots.map((s) => ({ row: s.row, score: lists[s.member]!.find((c) => c.row === s.row)!.score }));
    }
    return candidates(scorers[k]!, quota);
  };

  const take = (k: number, quota: number): number => {
    if (quota <= 0) return 0;
    const got = choose(k, quota);
    for (const g of got) {
      picked.add(g.row);
      if (bodyKeyOf) pickedBodies.add(bodyKeyOf(g.row));
      out.push({ row: g.row, strategy: mixture[k]!.strategy, score: g.score });
    }
    return got.length;
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


/** Mean plus `beta` standard deviations (population) of an ensemble's p(yes) for one row. */
export function optimisticScore(p: ArrayLike<number>, beta: number): number {
  if (!beta) return meanOf(p);
  const { mean, sd } = ensembleSpread(p);
  return mean + beta * sd;
}

/** Mean and population standard deviation of an ensemble's p(yes) for one row. */
export function ensembleSpread(p: ArrayLike<number>): { mean: number; sd: number } {
  const mean = meanOf(p);
  let v = 0;
  for (let i = 0; i < p.length; i++) v += (p[i]! - mean) ** 2;
  return { mean, sd: Math.sqrt(v / p.length) };
}

function meanOf(p: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += p[i]!;
  return sum / p.length;
}

/** log(p / (1 - p)), kept finite. */
export function logit(p: number): number {
  const q = Math.min(1 - 1e-7, Math.max(1e-7, p));
  return Math.log(q / (1 - q));
}

/**
 * Thompson-style slot filling: each of `size` slots goes to the ensemble member `drawMember()`
 * names, which contributes its best row not yet in the batch (`lists[m]` best first; a row counts
 * as in the batch when its `keyOf` is). A member with nothing left hands the slot to the next one.
 * The result is short only when every list is used up.
 */
export function fillSlots(lists: readonly (readonly number[])[], size: number, drawMember: () => number,
  keyOf: (row: number) => string = String): { row: number; member: number }[] {
  const next = lists.map(() => 0);
  const used = new Set<string>();
  const out: { row: number; member: number }[] = [];
  const advance = (m: number): number | undefined => {
    const list = lists[m]!;
    while (next[m]! < list.length) {
      const row = list[next[m]!++]!;
      const key = keyOf(row);
      if (!used.has(key)) { used.add(key); return row; }
    }
    return undefined;
  };
  while (out.length < size) {
    const first = drawMember();
    let row: number | undefined;
    let member = first;
    for (let t = 0; t < lists.length && row === undefined; t++) {
      member = (first + t) % lists.length;
      row = advance(member);
    }
    if (row === undefined) break;
    out.push({ row, member });
  }
  return out;
}

/**
 * A batch that trades relevance against redundancy: the greedy MAP of a determinantal point process
 * whose kernel is quality_i * quality_j * cos(f_i, f_j) with quality_i = exp(relevance_i / (2 weight)).
 * Each step takes the candidate maximizing relevance + weight * log(residual), where residual is the
 * squared distance of its unit feature vector from the span of those already taken (1 for a
 * candidate unlike all of them, 0 for a copy). Weight 0 is the relevance order (rare-label).
 * Incremental Cholesky (Chen et al., 2018): O(candidates * k * (dim + k)). Returns candidate indices
 * in the order taken, `k` of them (fewer only when there are fewer candidates).
 */
export function determinantalOrder(relevance: ArrayLike<number>, features: readonly ArrayLike<number>[], k: number, weight: number): number[] {
  const n = relevance.length;
  if (features.length !== n) throw new Error(`determinantal order: ${n} relevances but ${features.length} feature vectors`);
  const take = Math.min(k, n);
  const byRelevance = () => Array.from({ length: n }, (_, i) => i).sort((a, b) => relevance[b]! - relevance[a]! || a - b).slice(0, take);
  if (!(weight > 0) || n === 0) return byRelevance();
  const dim = features[0]!.length;
  // Unit vectors; a zero vector becomes a unit vector along an extra axis (all zero rows alike).
  const D = dim + 1;
  const unit = new Float64Array(n * D);
  for (let i = 0; i < n; i++) {
    const f = features[i]!;
    if (f.length !== dim) throw new Error(`determinantal order: feature vectors of lengths ${dim} and ${f.length}`);
    let norm = 0;
    for (let j = 0; j < dim; j++) norm += f[j]! * f[j]!;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let j = 0; j < dim; j++) unit[i * D + j] = f[j]! / norm;
    else unit[i * D + dim] = 1;
  }
  const residual = new Float64Array(n).fill(1);
  const chol = new Float64Array(n * take);
  const taken = new Uint8Array(n);
  const order: number[] = [];
  for (let t = 0; t < take; t++) {
    let best = -1;
    let bestScore = -Infinity;
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      const s = relevance[i]! + weight * Math.log(Math.max(residual[i]!, 1e-12));
      if (s > bestScore) { bestScore = s; best = i; }
    }
    order.push(best);
    taken[best] = 1;
    const rb = residual[best]!;
    // A candidate already in the span adds no direction: the others' residuals stay as they are.
    if (rb < 1e-9) continue;
    const dj = Math.sqrt(rb);
    for (let i = 0; i < n; i++) {
      if (taken[i]) continue;
      let dot = 0;
      for (let j = 0; j < D; j++) dot += unit[best * D + j]! * unit[i * D + j]!;
      for (let q = 0; q < t; q++) dot -= chol[best * take + q]! * chol[i * take + q]!;
      const e = dot / dj;
      chol[i * take + t] = e;
      residual[i] = Math.max(0, residual[i]! - e * e);
    }
  }
  return order;
}
