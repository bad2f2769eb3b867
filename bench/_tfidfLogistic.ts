/**
 * The cross-validation benchmark's yardstick: TF-IDF over word and character n-grams with an
 * explicit vocabulary, and L2-regularized binary logistic regression for `yes` with its strength
 * chosen by inner stratified cross-validation (scikit-learn's TfidfVectorizer + LogisticRegression
 * with a C grid searched by GridSearchCV, as a reader would set the baseline up). Sparse rows, a
 * quasi-Newton solver (L-BFGS) to convergence; nothing here is shared with the trainer, so the
 * yardstick does not move when the default model does.
 */
import { rocAuc } from '../src/core/metrics';
import { minimizeLbfgs } from '../python-free-train/trainer/lbfgs';
import { stratifiedFolds } from '../python-free-train/trainer/split';

/** Sparse rows: row i holds `index[start[i] .. start[i + 1])` and the matching values. */
export interface SparseRows { rows: number; cols: number; start: Int32Array; index: Int32Array; value: Float32Array }

export interface TfidfOptions {
  /** Word n-gram range (scikit-learn: analyzer 'word', token pattern of two or more word characters). */
  wordNgrams: [number, number];
  /** Character n-gram range inside whitespace-separated words padded with a space (analyzer 'char_wb'). */
  charNgrams: [number, number];
  /** Terms in fewer fitting texts are dropped. */
  minDf: number;
  /** 1 + ln(tf) instead of tf. */
  sublinearTf: boolean;
}

export const TFIDF_PEER: TfidfOptions = { wordNgrams: [1, 2], charNgrams: [2, 5], minDf: 2, sublinearTf: true };

const WORD_TOKEN = /\b\w\w+\b/gu;

function wordTerms(text: string, [lo, hi]: [number, number], add: (term: string) => void): void {
  const tokens = text.toLowerCase().match(WORD_TOKEN) ?? [];
  for (let n = lo; n <= hi; n++) for (let i = 0; i + n <= tokens.length; i++) add('w' + tokens.slice(i, i + n).join(' '));
}

function charTerms(text: string, [lo, hi]: [number, number], add: (term: string) => void): void {
  for (const word of text.toLowerCase().split(/\s+/)) {
    if (!word) continue;
    const padded = ` ${word} `;
    for (let n = lo; n <= hi; n++) {
      for (let s = 0; s + n <= padded.length; s++) add('c' + padded.slice(s, s + n));
      if (n >= padded.length) break;
    }
  }
}

/** A fitted vectorizer: vocabulary and idf from unlabeled texts, each block (words, characters) L2-normalized. */
export class TfidfVectorizer {
  private constructor(private readonly options: TfidfOptions, private readonly vocab: Map<string, number>, private readonly idf: Float64Array) {}

  get size(): number { return this.vocab.size; }

  static fit(texts: readonly string[], options: TfidfOptions): TfidfVectorizer {
    const df = new Map<string, number>();
    for (const text of texts) {
      const seen = new Set<string>();
      const add = (t: string) => seen.add(t);
      wordTerms(text, options.wordNgrams, add);
      charTerms(text, options.charNgrams, add);
      for (const t of seen) df.set(t, (df.get(t) ?? 0) + 1);
    }
    const terms = [...df.keys()].filter((t) => df.get(t)! >= options.minDf).sort();
    const vocab = new Map(terms.map((t, i) => [t, i]));
    const n = texts.length;
    const idf = Float64Array.from(terms, (t) => Math.log((1 + n) / (1 + df.get(t)!)) + 1);
    return new TfidfVectorizer(options, vocab, idf);
  }

  transform(texts: readonly string[]): SparseRows {
    const start = new Int32Array(texts.length + 1);
    const index: number[] = [], value: number[] = [];
    texts.forEach((text, i) => {
      for (const block of [wordTerms, charTerms] as const) {
        const counts = new Map<number, number>();
        block(text, block === wordTerms ? this.options.wordNgrams : this.options.charNgrams, (t) => {
          const j = this.vocab.get(t);
          if (j !== undefined) counts.set(j, (counts.get(j) ?? 0) + 1);
        });
        const cols = [...counts.keys()].sort((a, b) => a - b);
        const w = cols.map((j) => (this.options.sublinearTf ? 1 + Math.log(counts.get(j)!) : counts.get(j)!) * this.idf[j]!);
        const norm = Math.sqrt(w.reduce((s, v) => s + v * v, 0)) || 1;
        cols.forEach((j, k) => { index.push(j); value.push(w[k]! / norm); });
      }
      start[i + 1] = index.length;
    });
    return { rows: texts.length, cols: this.vocab.size, start, index: Int32Array.from(index), value: Float32Array.from(value) };
  }
}

/** Rows `rows` of a sparse matrix. */
export function sparseSubset(x: SparseRows, rows: ArrayLike<number>): SparseRows {
  const start = new Int32Array(rows.length + 1);
  let nnz = 0;
  for (let i = 0; i < rows.length; i++) { nnz += x.start[rows[i]! + 1]! - x.start[rows[i]!]!; start[i + 1] = nnz; }
  const index = new Int32Array(nnz), value = new Float32Array(nnz);
  for (let i = 0; i < rows.length; i++) {
    const a = x.start[rows[i]!]!, b = x.start[rows[i]! + 1]!;
    index.set(x.index.subarray(a, b), start[i]!);
    value.set(x.value.subarray(a, b), start[i]!);
  }
  return { rows: rows.length, cols: x.cols, start, index, value };
}

export interface LogisticModel { weights: Float64Array; bias: number }

/**
 * Binary logistic regression: minimizes C * sum_i log(1 + exp(-s_i (w.x_i + b))) + ||w||^2 / 2
 * (the intercept is not penalized), s_i = +1 for positives, -1 otherwise.
 */
export function fitLogistic(x: SparseRows, positive: ArrayLike<boolean>, c: number, warm?: LogisticModel): LogisticModel {
  const d = x.cols;
  const z = new Float64Array(x.rows);
  const sign = Float64Array.from({ length: x.rows }, (_, i) => (positive[i] ? 1 : -1));
  const init = new Float64Array(d + 1);
  if (warm) { init.set(warm.weights); init[d] = warm.bias; }
  const { x: best } = minimizeLbfgs((theta, grad) => {
    grad.fill(0);
    let loss = 0;
    for (let j = 0; j < d; j++) { loss += 0.5 * theta[j]! * theta[j]!; grad[j] = theta[j]!; }
    for (let i = 0; i < x.rows; i++) {
      let s = theta[d]!;
      for (let k = x.start[i]!; k < x.start[i + 1]!; k++) s += theta[x.index[k]!]! * x.value[k]!;
      z[i] = s;
      const m = sign[i]! * s;
      // log(1 + exp(-m)) without overflow, and its derivative -sigmoid(-m).
      loss += c * (m > 0 ? Math.log1p(Math.exp(-m)) : -m + Math.log1p(Math.exp(m)));
      const dm = -c * sign[i]! / (1 + Math.exp(m));
      for (let k = x.start[i]!; k < x.start[i + 1]!; k++) grad[x.index[k]!]! += dm * x.value[k]!;
      grad[d]! += dm;
    }
    return loss;
  }, init, { maxIterations: 500, gradientTolerance: 1e-4 * c * x.rows });
  return { weights: best.subarray(0, d), bias: best[d]! };
}

export function decision(model: LogisticModel, x: SparseRows): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) {
    let s = model.bias;
    for (let k = x.start[i]!; k < x.start[i + 1]!; k++) s += model.weights[x.index[k]!]! * x.value[k]!;
    out[i] = s;
  }
  return out;
}

/** The C grid scikit-learn users search: 10^-2 .. 10^3 in half-decades. */
export const C_GRID = [0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000];

/**
 * Chooses C by stratified inner k-fold cross-validation (mean ROC-AUC of `yes`; the smallest C
 * among ties, i.e. the strongest regularization), then fits on all of `x`.
 */
export function fitLogisticCv(x: SparseRows, positive: readonly boolean[], options: { innerFolds: number; seed: number; grid?: readonly number[] }): { model: LogisticModel; c: number; innerAuc: number[] } {
  const grid = options.grid ?? C_GRID;
  const fold = stratifiedFolds(positive.map((p) => (p ? 1 : 0)), options.innerFolds, options.seed);
  const aucSum = new Float64Array(grid.length);
  for (let f = 0; f < options.innerFolds; f++) {
    const train: number[] = [], test: number[] = [];
    fold.forEach((k, i) => (k === f ? test : train).push(i));
    const xTrain = sparseSubset(x, train), xTest = sparseSubset(x, test);
    const yTrain = train.map((i) => positive[i]!), yTest = test.map((i) => positive[i]!);
    let warm: LogisticModel | undefined;
    grid.forEach((c, g) => {
      warm = fitLogistic(xTrain, yTrain, c, warm);
      aucSum[g]! += rocAuc(decision(warm, xTest), yTest);
    });
  }
  const innerAuc = Array.from(aucSum, (s) => s / options.innerFolds);
  let best = 0;
  innerAuc.forEach((a, g) => { if (a > innerAuc[best]! + 1e-12) best = g; });
  return { model: fitLogistic(x, positive, grid[best]!), c: grid[best]!, innerAuc };
}
