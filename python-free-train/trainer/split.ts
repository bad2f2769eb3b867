/**
 * Seeded stratified split: each class is shuffled on its own and `testShare` of it (rounded, at
 * least one when the class has two or more members) goes to the test split, so the rare `yes`
 * label is represented in both splits.
 */
import { mulberry32 } from '../../src/core/hash';

export interface Split { train: Int32Array; test: Int32Array }

/** Fisher-Yates shuffle in place with a seeded generator. */
export function shuffleInPlace(a: Int32Array, random: () => number): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = a[i]!; a[i] = a[j]!; a[j] = t;
  }
  return a;
}

/** Splits indices 0..y.length-1 by class `y[i]`; both outputs are sorted ascending. */
export function stratifiedSplit(y: ArrayLike<number>, testShare: number, seed: number): Split {
  if (!(testShare > 0 && testShare < 1)) throw new Error(`test share must be in (0, 1), got ${testShare}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const c = y[i]!;
    let list = byClass.get(c);
    if (!list) byClass.set(c, (list = []));
    list.push(i);
  }
  const random = mulberry32(seed);
  const train: number[] = [], test: number[] = [];
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace(Int32Array.from(byClass.get(c)!), random);
    const nTest = members.length < 2 ? 0 : Math.max(1, Math.round(members.length * testShare));
    members.forEach((m, k) => (k < nTest ? test : train).push(m));
  }
  return { train: Int32Array.from(train.sort((a, b) => a - b)), test: Int32Array.from(test.sort((a, b) => a - b)) };
}

/** Seeded stratified k-fold assignment: fold index per item (class members dealt round-robin after a shuffle). */
export function stratifiedFolds(y: ArrayLike<number>, folds: number, seed: number): Int32Array {
  if (!(Number.isInteger(folds) && folds >= 2)) throw new Error(`folds must be an integer >= 2, got ${folds}`);
  const fold = new Int32Array(y.length);
  const random = mulberry32(seed);
  const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
  let start = 0;
  for (const c of classes) {
    const members: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === c) members.push(i);
    shuffleInPlace(Int32Array.from(members), random).forEach((m, k) => { fold[m] = (start + k) % folds; });
    start += members.length;
  }
  return fold;
}

/**
 * A seeded stratified bootstrap resample: how many times each item is drawn when every class's
 * members are drawn with replacement as many times as the class has members, so a resample keeps
 * the class counts (a rare `yes` never drops out of a member's data) while its rows differ.
 */
export function stratifiedBootstrap(y: ArrayLike<number>, seed: number): Int32Array {
  const counts = new Int32Array(y.length);
  const random = mulberry32(seed);
  const classes = [...new Set(Array.from(y))].sort((a, b) => a - b);
  for (const c of classes) {
    const members: number[] = [];
    for (let i = 0; i < y.length; i++) if (y[i] === c) members.push(i);
    for (let k = 0; k < members.length; k++) counts[members[Math.floor(random() * members.length)]!]!++;
  }
  return counts;
}

/** The rows of a resample, each as often as it was drawn, in row order. */
export function expandCounts(counts: Int32Array): Int32Array {
  const out = new Int32Array(counts.reduce((a, b) => a + b, 0));
  let at = 0;
  counts.forEach((c, i) => { for (let k = 0; k < c; k++) out[at++] = i; });
  return out;
}
