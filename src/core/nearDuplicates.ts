/**
 * Near-duplicate review bodies (bots, templated replies, the same remark on many lines): MinHash
 * signatures over character shingles of normalized bodies, and locality-sensitive hashing (LSH) of
 * the signatures into bands, so that a million bodies group in seconds without comparing pairs.
 *
 * - Normalization: lower case, every run of digits becomes `0`, every run of other characters that
 *   are not letters or digits becomes one space (numbers, ids, punctuation and layout differ between
 *   copies of a template; the words do not).
 * - Shingles: overlapping runs of `SHINGLE` characters of the normalized text (a shorter text is one
 *   shingle).
 * - Signature: one-permutation MinHash (Li, Owen and Zhang, 2012): each shingle is hashed once, the
 *   hash picks one of `SIGNATURE_SIZE` bins and the bin keeps its smallest value; an empty bin takes
 *   the value of a non-empty bin found by a probe sequence of its own (optimal densification,
 *   Shrivastava, 2017). Each bin keeps the low 8 bits of its minimum (b-bit MinHash,
 *   Li and König, 2010): the share of equal bins between two signatures, corrected for the 1/256
 *   chance of equal low bits, estimates the Jaccard similarity of the two shingle sets.
 * - LSH: `BANDS` bands of `ROWS_PER_BAND` bins; two bodies whose signatures agree on a whole band
 *   are candidates (probability 1 - (1 - s^r)^b for similarity s: 0.998 at s = 0.8, 0.61 at 0.6),
 *   and a candidate pair is joined only when its estimated similarity reaches `THRESHOLD`. Groups are
 *   the connected components of the joined pairs.
 *
 * Pure: no I/O. The store keeps signatures in a file beside the pool (src/store/nearDuplicates.ts).
 */

import { fmix32 } from './hash';

export const SHINGLE = 5;
export const SIGNATURE_SIZE = 120;
export const BANDS = 20;
export const ROWS_PER_BAND = 6;
/** Estimated Jaccard similarity of two bodies' shingles from which they are near-duplicates. */
export const THRESHOLD = 0.8;
/** Bumped when normalization, shingling or hashing change (signatures on disk are then recomputed). */
export const SIGNATURE_VERSION = 1;

/** The normalized text whose shingles are hashed (for tests and explanations; hashing does not build it). */
export function normalizeForShingles(body: string): string {
  const map = normalizationTable();
  let out = '';
  let pendingSpace = false, emitted = false, inDigits = false;
  for (let i = 0; i < body.length; i++) {
    const m = map[body.charCodeAt(i)]!;
    if (m === SEPARATOR) { pendingSpace = emitted; inDigits = false; continue; }
    if (m === DIGIT && inDigits) continue;
    inDigits = m === DIGIT;
    if (pendingSpace) { out += ' '; pendingSpace = false; }
    out += String.fromCharCode(m === DIGIT ? ZERO : m);
    emitted = true;
  }
  return out;
}

const SEPARATOR = 0;
const DIGIT = 1;
const ZERO = 48;
const SPACE = 32;

/** Whitespace and invisible separators outside ASCII (other non-ASCII characters count as letters). */
function isWideSpace(c: number): boolean {
  return (c >= 0x80 && c <= 0xa0) || c === 0x1680 || (c >= 0x2000 && c <= 0x200f) || (c >= 0x2028 && c <= 0x202f) ||
    c === 0x205f || c === 0x2060 || c === 0x3000 || c === 0xfeff;
}

let table: Uint16Array | undefined;
/**
 * What each UTF-16 code unit becomes: SEPARATOR (not a letter or digit), DIGIT, or its lower case
 * (one code unit; a character whose lower case is longer keeps its own). Built once: a lookup per
 * character is what keeps signing a million bodies within an import.
 */
function normalizationTable(): Uint16Array {
  if (table) return table;
  const t = new Uint16Array(65536);
  for (let c = 0; c < 65536; c++) {
    if (c >= 48 && c <= 57) t[c] = DIGIT;
    else if (c >= 97 && c <= 122) t[c] = c;
    else if (c >= 65 && c <= 90) t[c] = c + 32;
    else if (c < 128 || isWideSpace(c)) t[c] = SEPARATOR;
    else if (c >= 0xd800 && c <= 0xdfff) t[c] = c;
    else {
      const lower = String.fromCharCode(c).toLowerCase();
      t[c] = lower.length === 1 ? lower.charCodeAt(0) : c;
    }
  }
  return (table = t);
}

const BASE = 0x01000193;
/** BASE^SHINGLE mod 2^32: removes the code unit leaving the rolling window. */
const BASE_POW = (() => { let p = 1; for (let i = 0; i < SHINGLE; i++) p = Math.imul(p, BASE); return p; })();
const EMPTY = 0xffffffff;

const mins = new Uint32Array(SIGNATURE_SIZE);
const ring = new Uint16Array(SHINGLE);

/**
 * Writes the 8-bit MinHash signature of `body` into `out[offset, offset + SIGNATURE_SIZE)`.
 * Returns the number of shingles hashed; 0 when the body has no letters (then `out` is left
 * untouched: such a body is nobody's near-duplicate).
 */
export function minhashSignature(body: string, out: Uint8Array, offset = 0): number {
  const map = normalizationTable();
  mins.fill(EMPTY);
  let filled = 0, rolling = 0, length = 0, shingles = 0, letters = 0;
  let pendingSpace = false, emitted = false, inDigits = false;
  const n = body.length;
  for (let i = 0; i <= n; i++) {
    let c: number;
    if (i < n) {
      const m = map[body.charCodeAt(i)]!;
      if (m === SEPARATOR) { pendingSpace = emitted; inDigits = false; continue; }
      if (m === DIGIT && inDigits) continue;
      inDigits = m === DIGIT;
      if (!inDigits) letters++;
      c = m === DIGIT ? ZERO : m;
      emitted = true;
      // A pending separator goes in first (one more turn of the loop body below), then this character.
      if (pendingSpace) { pendingSpace = false; i--; c = SPACE; inDigits = false; }
    } else {
      // A text shorter than one shingle is one shingle.
      if (length === 0 || length >= SHINGLE) break;
      c = -1;
    }
    if (c >= 0) {
      const leaving = length >= SHINGLE ? ring[length % SHINGLE]! : 0;
      rolling = (Math.imul(rolling, BASE) + c - Math.imul(leaving, BASE_POW)) | 0;
      ring[length % SHINGLE] = c;
      length++;
      if (length < SHINGLE) continue;
    }
    // One hash per shingle: its high bits pick the bin, and the bin keeps the smallest hash.
    const value = fmix32(rolling);
    const bin = ((value >>> 16) * SIGNATURE_SIZE) >>> 16;
    const old = mins[bin]!;
    if (old === EMPTY) filled++;
    if (value < old) mins[bin] = value;
    shingles++;
  }
  // Numbers alone ("+1", "#386") are not text: their normalized forms would all be equal.
  if (letters === 0) return 0;
  if (filled < SIGNATURE_SIZE) densify(filled);
  for (let i = 0; i < SIGNATURE_SIZE; i++) out[offset + i] = mins[i]! & 0xff;
  return shingles;
}

/**
 * Each empty bin takes the value of a non-empty bin chosen by a probe sequence that depends only on
 * the empty bin (optimal densification, Shrivastava 2017): two bodies that share the chosen bin's
 * minimum agree there too. Filling runs of empty bins from their right neighbour instead (rotation)
 * makes a whole band of a short body copy one bin, so unrelated short bodies that share one
 * shingle became LSH candidates (measured: 20 times as many candidates on short reviews).
 */
function densify(filled: number): void {
  if (filled === 1) {
    let only = 0;
    while (mins[only] === EMPTY) only++;
    mins.fill(mins[only]!);
    return;
  }
  for (let i = 0; i < SIGNATURE_SIZE; i++) emptyBins[i] = mins[i] === EMPTY ? 1 : 0;
  const probes = probeTable();
  for (let i = 0; i < SIGNATURE_SIZE; i++) {
    if (!emptyBins[i]) continue;
    for (let attempt = 0; ; attempt++) {
      const j = attempt < PROBES ? probes[i * PROBES + attempt]! : probe(i, attempt);
      if (!emptyBins[j]) { mins[i] = mins[j]!; break; }
    }
  }
}
const emptyBins = new Uint8Array(SIGNATURE_SIZE);
const PROBES = 1024;
let probesTable: Uint8Array | undefined;
function probe(bin: number, attempt: number): number {
  return ((fmix32(Math.imul(bin + 1, 0x9e3779b1) ^ Math.imul(attempt + 1, 0x85ebca6b)) >>> 16) * SIGNATURE_SIZE) >>> 16;
}
function probeTable(): Uint8Array {
  if (probesTable) return probesTable;
  const t = new Uint8Array(SIGNATURE_SIZE * PROBES);
  for (let i = 0; i < SIGNATURE_SIZE; i++) for (let a = 0; a < PROBES; a++) t[i * PROBES + a] = probe(i, a);
  return (probesTable = t);
}

/** Estimated Jaccard similarity of the shingle sets behind two signatures (b-bit MinHash estimator). */
export function similarity(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): number {
  let equal = 0;
  for (let i = 0; i < SIGNATURE_SIZE; i++) if (a[aOffset + i] === b[bOffset + i]) equal++;
  const chance = 1 / 256;
  return Math.max(0, (equal / SIGNATURE_SIZE - chance) / (1 - chance));
}

/** Equal bins needed for an estimated similarity of at least THRESHOLD. */
export const EQUAL_BINS_NEEDED = Math.ceil(SIGNATURE_SIZE * (THRESHOLD * (1 - 1 / 256) + 1 / 256) - 1e-9);

/** True when two signatures are similar enough to be near-duplicates. */
export function nearDuplicate(a: Uint8Array, aOffset: number, b: Uint8Array, bOffset: number): boolean {
  let equal = 0;
  for (let i = 0; i < SIGNATURE_SIZE; i++) {
    if (a[aOffset + i] === b[bOffset + i]) equal++;
    else if (i + 1 - equal > SIGNATURE_SIZE - EQUAL_BINS_NEEDED) return false;
  }
  return equal >= EQUAL_BINS_NEEDED;
}

/** Probability that two bodies of similarity `s` become candidates (agree on at least one band). */
export function candidateProbability(s: number): number {
  return 1 - (1 - s ** ROWS_PER_BAND) ** BANDS;
}

/**
 * One band's hash table: the first row seen with each band value. Band values (ROWS_PER_BAND bytes)
 * are kept as a 32-bit hash: two bodies whose band values differ but hash alike are candidates
 * like any other and are told apart by comparing their signatures. Open addressing over typed
 * arrays, 8 bytes a slot, sized for `capacityRows`.
 */
export class BandTable {
  private readonly keys: Uint32Array;
  private readonly rows: Int32Array;
  private readonly mask: number;

  constructor(capacityRows: number) {
    let cap = 1024;
    while (cap < capacityRows * 1.5) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.rows = new Int32Array(cap);
    this.mask = cap - 1;
  }

  /** The row already holding this band value, else records `row` for it and returns -1. */
  firstOrInsert(sig: Uint8Array, offset: number, band: number, row: number): number {
    const o = offset + band * ROWS_PER_BAND;
    const lo = (sig[o]! | (sig[o + 1]! << 8) | (sig[o + 2]! << 16) | (sig[o + 3]! << 24)) >>> 0;
    const key = fmix32(lo ^ Math.imul(sig[o + 4]! | (sig[o + 5]! << 8) | (band << 16), 0x9e3779b1));
    for (let slot = key & this.mask; ; slot = (slot + 1) & this.mask) {
      const v = this.rows[slot]!;
      if (v === 0) {
        this.keys[slot] = key; this.rows[slot] = row + 1;
        return -1;
      }
      if (this.keys[slot] === key) return v - 1;
    }
  }

  clear(): void {
    this.rows.fill(0);
  }
}

/** Union-find over rows; the root of a group is its smallest row (so group ids are stable). */
export class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = new Int32Array(n);
    for (let i = 0; i < n; i++) this.parent[i] = i;
  }
  find(x: number): number {
    const p = this.parent;
    while (p[x] !== x) {
      p[x] = p[p[x]!]!;
      x = p[x]!;
    }
    return x;
  }
  /** Joins the groups of a and b; false when they were one group already. */
  union(a: number, b: number): boolean {
    const ra = this.find(a), rb = this.find(b);
    if (ra === rb) return false;
    if (ra < rb) this.parent[rb] = ra; else this.parent[ra] = rb;
    return true;
  }
  /** Every row's root, with paths fully compressed. */
  roots(): Int32Array {
    for (let i = 0; i < this.parent.length; i++) this.find(i);
    return this.parent;
  }
}

export interface NearDuplicateSummary {
  /** Groups of two or more reviews. */
  groups: number;
  /** Reviews in such groups. */
  reviewsInGroups: number;
  /** Reviews beyond the first of each group (what labeling one per group saves). */
  redundant: number;
  largest: number;
  /** Reviews without a signature yet (imported before near-duplicates were computed) or without text. */
  unsigned: number;
}

/** How labels spread over a pool's near-duplicate groups. */
export interface NearDuplicateStats extends NearDuplicateSummary {
  /** Groups (of two or more) with at least one labeled review. */
  labeledGroups: number;
  /** Reviews without a label in those groups: what applying a label to the group would label. */
  unlabeledInLabeledGroups: number;
  /** Groups whose labeled reviews carry different labels (worth a second look). */
  conflictingGroups: number;
}

/** The groups of a pool: the root (smallest row) of each row's group, with members listed per group. */
export class NearDuplicateGroups {
  private readonly size: Int32Array;
  private order: Int32Array | undefined;
  private start: Int32Array | undefined;
  readonly summary: NearDuplicateSummary;

  /** `roots[row]` is the smallest row of the row's group (itself when alone). */
  constructor(readonly roots: Int32Array, unsigned: number) {
    const n = roots.length;
    this.size = new Int32Array(n);
    for (let i = 0; i < n; i++) this.size[roots[i]!]!++;
    let groups = 0, reviewsInGroups = 0, largest = 1;
    for (let i = 0; i < n; i++) {
      const s = this.size[i]!;
      if (s > 1) { groups++; reviewsInGroups += s; if (s > largest) largest = s; }
    }
    this.summary = { groups, reviewsInGroups, redundant: reviewsInGroups - groups, largest: n ? largest : 0, unsigned };
  }

  get rows(): number { return this.roots.length; }

  rootOf(row: number): number {
    return row < this.roots.length ? this.roots[row]! : row;
  }

  /** Reviews in the row's group, itself included (1 when it has no near-duplicate). */
  sizeOf(row: number): number {
    return row < this.roots.length ? this.size[this.roots[row]!]! : 1;
  }

  /** The rows of the row's group in pool order, itself included. */
  members(row: number): number[] {
    if (this.sizeOf(row) === 1) return [row];
    if (!this.order) this.index();
    const root = this.roots[row]!;
    return Array.from(this.order!.subarray(this.start![root]!, this.start![root]! + this.size[root]!));
  }

  /** Rows sorted by group (counting sort): members() in O(group size). */
  private index(): void {
    const n = this.roots.length;
    const start = new Int32Array(n);
    let at = 0;
    for (let i = 0; i < n; i++) { start[i] = at; at += this.size[i]!; }
    const fill = start.slice();
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[fill[this.roots[i]!]!++] = i;
    this.order = order;
    this.start = start;
  }
}
