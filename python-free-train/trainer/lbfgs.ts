/**
 * Limited-memory BFGS (Nocedal and Wright, Numerical Optimization, algorithms 7.4 and 7.5) with a
 * backtracking line search under the Armijo condition: the solver of choice for smooth convex
 * problems of moderate size, such as an L2-regularized logistic regression fitted to convergence.
 * The objective may be asynchronous (its value and gradient computed by an ONNX graph).
 */

export interface LbfgsOptions {
  /** Stop after this many iterations (default 500). */
  maxIterations?: number;
  /** Stop when the gradient's largest absolute entry is at most this (default 1e-5). */
  gradientTolerance?: number;
  /** Stop when the objective's relative decrease in an iteration is below this (default 1e-10). */
  relativeDecrease?: number;
  /** Correction pairs kept (default 10). */
  memory?: number;
}

export interface LbfgsResult { x: Float64Array; value: number; iterations: number; evaluations: number; converged: boolean }

/** `objective(x, grad)` returns f(x) and writes the gradient into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;
export type AsyncObjective = (x: Float64Array, grad: Float64Array) => number | Promise<number>;

const dot = (a: Float64Array, b: Float64Array) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const maxAbs = (a: Float64Array) => { let m = 0; for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!)); return m; };

/** The synchronous form (pure TypeScript objectives). */
export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const run = lbfgsSteps(x0, options);
  let request = run.next();
  while (!request.done) {
    const grad = new Float64Array(x0.length);
    const value = objective(request.value, grad);
    request = run.next({ value, grad });
  }
  return request.value;
}

export async function minimizeLbfgsAsync(objective: AsyncObjective, x0: Float64Array, options: LbfgsOptions = {}): Promise<LbfgsResult> {
  const run = lbfgsSteps(x0, options);
  let request = run.next();
  while (!request.done) {
    const grad = new Float64Array(x0.length);
    const value = await objective(request.value, grad);
    request = run.next({ value, grad });
  }
  return request.value;
}

/** The algorithm as a generator that yields each point to evaluate and receives f and its gradient. */
function* lbfgsSteps(x0: Float64Array, options: LbfgsOptions): Generator<Float64Array, LbfgsResult, { value: number; grad: Float64Array }> {
  const maxIterations = options.maxIterations ?? 500;
  const tolerance = options.gradientTolerance ?? 1e-5;
  const relDecrease = options.relativeDecrease ?? 1e-10;
  const m = options.memory ?? 10;
  const n = x0.length;
  let x: Float64Array = Float64Array.from(x0);
  let { value: f, grad: g }: { value: number; grad: Float64Array } = yield x;
  let evaluations = 1;
  if (!Number.isFinite(f)) throw new Error(`L-BFGS: the objective is ${f} at the starting point`);
  const s: Float64Array[] = [], y: Float64Array[] = [], rho: number[] = [];
  const alpha = new Float64Array(m);
  const direction = new Float64Array(n);
  let iterations = 0;
  let converged = maxAbs(g) <= tolerance;
  while (!converged && iterations < maxIterations) {
    iterations++;
    // Two-loop recursion: direction = -H g.
    for (let i = 0; i < n; i++) direction[i] = -g[i]!;
    for (let k = s.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(s[k]!, direction);
      const yk = y[k]!;
      for (let i = 0; i < n; i++) direction[i]! -= alpha[k]! * yk[i]!;
    }
    const gamma = s.length ? dot(s[s.length - 1]!, y[y.length - 1]!) / dot(y[y.length - 1]!, y[y.length - 1]!) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < n; i++) direction[i]! *= gamma;
    for (let k = 0; k < s.length; k++) {
      const beta = rho[k]! * dot(y[k]!, direction);
      const sk = s[k]!;
      for (let i = 0; i < n; i++) direction[i]! += (alpha[k]! - beta) * sk[i]!;
    }
    let slope = dot(g, direction);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = 0; y.length = 0; rho.length = 0;
      for (let i = 0; i < n; i++) direction[i] = -g[i]!;
      slope = dot(g, direction);
    }
    // Backtracking line search (Armijo, c1 = 1e-4), step 1 first as quasi-Newton methods want.
    let step = 1;
    let next: Float64Array, fNext: number, gNext: Float64Array;
    for (let tries = 0; ; tries++) {
      next = new Float64Array(n);
      for (let i = 0; i < n; i++) next[i] = x[i]! + step * direction[i]!;
      ({ value: fNext, grad: gNext } = yield next);
      evaluations++;
      if (Number.isFinite(fNext) && fNext <= f + 1e-4 * step * slope) break;
      if (tries >= 40) return { x, value: f, iterations, evaluations, converged: false };
      step *= 0.5;
    }
    const sk = new Float64Array(n), yk = new Float64Array(n);
    for (let i = 0; i < n; i++) { sk[i] = next[i]! - x[i]!; yk[i] = gNext[i]! - g[i]!; }
    const sy = dot(sk, yk);
    if (sy > 1e-12 * dot(yk, yk)) {
      if (s.length === m) { s.shift(); y.shift(); rho.shift(); }
      s.push(sk); y.push(yk); rho.push(1 / sy);
    }
    const decrease = f - fNext;
    x = next; f = fNext; g = gNext;
    converged = maxAbs(g) <= tolerance || decrease <= relDecrease * Math.max(1, Math.abs(f));
  }
  return { x, value: f, iterations, evaluations, converged };
}
