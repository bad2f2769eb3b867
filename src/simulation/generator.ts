/**
 * The data-generating process: inputs x ~ N(0, I) (optionally correlated), labels from a random
 * ReLU network whose logits are rescaled to the chosen standard deviation (predictability) and
 * shifted to the chosen mean (balance), then y ~ Bernoulli(sigmoid(logit)).
 */
import type { Correlation } from './config';
import type { Engine } from './engine';
import { createMlp, initGenerator } from './network';
import { Rng } from './random';

export interface SimulatedData {
  rows: number;
  inputs: number;
  /** Row-major rows x inputs. */
  x: Float32Array;
  /** 0/1 labels. */
  y: Uint8Array;
  /** The same labels as floats (the scoring graph's loss input). */
  yFloat: Float32Array;
  /** The true logits (after rescaling and shifting): what a perfect classifier would know. */
  logits: Float32Array;
  /** Share of positives in the pool. */
  prevalence: number;
}

export interface GeneratorOptions {
  rows: number;
  inputs: number;
  hidden: readonly number[];
  predictability: number;
  balance: number;
  /** When set, the mean logit is solved so that mean(sigmoid(logit)) equals it (`balance` is ignored). */
  targetPrevalence?: number;
  correlation: Correlation;
  /** Seed of this run's data. */
  seed: number;
}

export async function generateData(o: GeneratorOptions, engine: Engine): Promise<SimulatedData> {
  const rng = new Rng(o.seed);
  const x = new Float32Array(o.rows * o.inputs);
  rng.fillNormal(x);
  if (o.correlation !== 'none') multiplyRows(x, o.inputs, mixingMatrix(o.correlation, o.inputs, rng));
  const net = createMlp([o.inputs, ...o.hidden, 1]);
  initGenerator(net, rng);
  const raw = (await engine.score([net], x, o.rows)).d[0]!;
  let mean = 0;
  for (let i = 0; i < o.rows; i++) mean += raw[i]!;
  mean /= o.rows;
  let ss = 0;
  for (let i = 0; i < o.rows; i++) ss += (raw[i]! - mean) ** 2;
  const sd = Math.sqrt(ss / o.rows);
  if (!(sd > 0)) throw new Error('the generated network gives constant logits; try another seed');
  // Rescaling the last layer's weights by s/sd and setting its bias to hit the mean logit is the
  // same affine map of the raw logits.
  const scale = o.predictability / sd;
  const shift = o.targetPrevalence === undefined ? o.balance : solveShift(raw, mean, scale, o.targetPrevalence);
  const y = new Uint8Array(o.rows);
  const yFloat = new Float32Array(o.rows);
  const logits = raw; // rescaled in place
  let positives = 0;
  for (let i = 0; i < o.rows; i++) {
    const logit = (raw[i]! - mean) * scale + shift;
    logits[i] = logit;
    const p = 1 / (1 + Math.exp(-logit));
    if (rng.uniform() < p) {
      y[i] = 1;
      yFloat[i] = 1;
      positives++;
    }
  }
  return { rows: o.rows, inputs: o.inputs, x, y, yFloat, logits, prevalence: positives / o.rows };
}

/** The mean logit b with mean(sigmoid((raw - mean) * scale + b)) = target, by bisection (monotone in b). */
export function solveShift(raw: Float32Array, mean: number, scale: number, target: number): number {
  let lo = -40, hi = 40;
  for (let it = 0; it < 60 && hi - lo > 1e-7; it++) {
    const b = (lo + hi) / 2;
    let sum = 0;
    for (let i = 0; i < raw.length; i++) sum += 1 / (1 + Math.exp(-((raw[i]! - mean) * scale + b)));
    if (sum / raw.length < target) lo = b; else hi = b;
  }
  return (lo + hi) / 2;
}

/**
 * The matrix M with x <- x M. `AAt`: M = A A^T, A standard normal (the deployed code).
 * `cholesky`: M = L^T with L L^T = R, R the correlation matrix of A A^T (a random correlation
 * matrix), so the rows of x have covariance R (the paper's text).
 */
export function mixingMatrix(kind: Exclude<Correlation, 'none'>, k: number, rng: Rng): Float64Array {
  const a = new Float64Array(k * k);
  rng.fillNormal(a);
  const s = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      let v = 0;
      for (let t = 0; t < k; t++) v += a[i * k + t]! * a[j * k + t]!;
      s[i * k + j] = v;
    }
  }
  if (kind === 'AAt') return s;
  const r = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) r[i * k + j] = s[i * k + j]! / Math.sqrt(s[i * k + i]! * s[j * k + j]!);
  const l = cholesky(r, k);
  const lt = new Float64Array(k * k);
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) lt[i * k + j] = l[j * k + i]!;
  return lt;
}

/** Lower-triangular L with L L^T = m (m symmetric positive definite, row-major k x k). */
export function cholesky(m: Float64Array, k: number): Float64Array {
  const l = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = m[i * k + j]!;
      for (let t = 0; t < j; t++) s -= l[i * k + t]! * l[j * k + t]!;
      if (i === j) {
        if (!(s > 0)) throw new Error('matrix is not positive definite');
        l[i * k + i] = Math.sqrt(s);
      } else l[i * k + j] = s / l[j * k + j]!;
    }
  }
  return l;
}

/** x <- x M in place, row by row (M is k x k). */
function multiplyRows(x: Float32Array, k: number, m: Float64Array): void {
  const row = new Float64Array(k);
  for (let o = 0; o < x.length; o += k) {
    for (let i = 0; i < k; i++) row[i] = x[o + i]!;
    for (let j = 0; j < k; j++) {
      let v = 0;
      for (let i = 0; i < k; i++) v += row[i]! * m[i * k + j]!;
      x[o + j] = v;
    }
  }
}
