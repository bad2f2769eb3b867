/**
 * Optimizers and gradient clipping as graph pieces: each takes parameters, gradients and optimizer
 * state as values and returns the updated parameters and state, so one train-step graph holds the
 * whole update. Conventions follow PyTorch (torch.optim.SGD, Adam, AdamW; clip_grad_norm_).
 */
import type { Value } from './core';
import type { Graph } from './ops';

export interface OptimizerConfig {
  kind: 'sgd' | 'adam' | 'adamw';
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  /** SGD and Adam: L2 penalty added to the gradient; AdamW: decoupled decay (default 0.01). */
  weightDecay?: number;
  /** SGD only: momentum factor (0 = plain SGD). */
  momentum?: number;
  /** Clip gradients to this global L2 norm before the update. */
  clipNorm?: number;
  /**
   * Adam's arithmetic: `torch` (torch.optim: eps added to the bias-corrected sqrt(v̂),
   * p - stepSize * (m / denom)) or `keras` (Keras/TensorFlow's ApplyAdam: eps added to sqrt(v),
   * p - (m * stepSize) / denom). Each follows its reference's order of operations, so results match
   * it to the last bit where the inputs do.
   */
  adamForm?: 'torch' | 'keras';
}

export const OPTIMIZER_KINDS = ['sgd', 'adam', 'adamw'] as const;

/** Resolved hyper-parameters with defaults applied. */
export function optimizerDefaults(c: OptimizerConfig): Required<OptimizerConfig> {
  if (!OPTIMIZER_KINDS.includes(c.kind)) throw new Error(`optimizer: unknown kind "${String(c.kind)}". Should be one of: ${OPTIMIZER_KINDS.join(', ')}`);
  return {
    kind: c.kind, lr: c.lr, beta1: c.beta1 ?? 0.9, beta2: c.beta2 ?? 0.999, eps: c.eps ?? 1e-8,
    weightDecay: c.weightDecay ?? (c.kind === 'adamw' ? 0.01 : 0), momentum: c.momentum ?? 0, clipNorm: c.clipNorm ?? 0,
    adamForm: c.adamForm ?? 'torch',
  };
}

/** Names of the state tensors each parameter carries (same shape as the parameter). */
export function stateSlots(c: OptimizerConfig): readonly string[] {
  const o = optimizerDefaults(c);
  if (o.kind === 'sgd') return o.momentum > 0 ? ['momentum'] : [];
  return ['m', 'v'];
}

export type StepInputs =
  | {
    /** Learning rate (scalar input, so schedules need no new graph). */
    lr: Value;
    /** 1-based step count after this update (scalar input), for Adam's bias correction. */
    step: Value;
  }
  | {
    /**
     * Adam with the bias-corrected step size lr * sqrt(1 - β2^t) / (1 - β1^t) computed by the
     * caller (in double precision, one per step of an unrolled graph); `keras` form only, whose
     * epsilon needs no correction.
     */
    stepSize: Value;
  };

export interface ParamUpdate { param: Value; state: Value[] }

/**
 * Scales gradients so their global L2 norm is at most `maxNorm`:
 * g * min(1, maxNorm / (norm + 1e-6)). Returns the scaled gradients and the norm before clipping.
 */
export function clipByGlobalNorm(g: Graph, grads: readonly Value[], maxNorm: number): { grads: Value[]; norm: Value } {
  return g.scope('clip', () => {
    let sq: Value | null = null;
    for (const gr of grads) {
      const s = g.reduceSum(g.mul(gr, gr));
      sq = sq ? g.add(sq, s) : s;
    }
    if (!sq) return { grads: [], norm: g.scalar(0) };
    const norm = g.sqrt(sq);
    const scale = g.min(g.s(1, norm), g.div(g.s(maxNorm, norm), g.add(norm, g.s(1e-6, norm))));
    return { grads: grads.map((gr) => g.mul(gr, scale)), norm };
  });
}

/** Appends one optimizer update for every parameter. `state[i]` follows `stateSlots(config)`. */
export function applyOptimizer(g: Graph, config: OptimizerConfig, params: readonly Value[], grads: readonly Value[],
  state: readonly (readonly Value[])[], inputs: StepInputs): ParamUpdate[] {
  const o = optimizerDefaults(config);
  return g.scope(o.kind, () => {
    // Per-step scalars, computed once for all parameters. Adam's update
    //   lr * (m / c1) / (sqrt(v / c2) + eps),   c1 = 1 - beta1^t, c2 = 1 - beta2^t
    // is rewritten as stepSize * m / (sqrt(v) + epsHat) with stepSize = lr * sqrt(c2) / c1 and
    // epsHat = eps * sqrt(c2): the same value with 3 fewer passes over every parameter tensor.
    // Keras adds eps to sqrt(v) itself: its epsHat is eps.
    let adam: { stepSize: Value; epsHat: Value } | undefined;
    let lr: Value | undefined;
    let decay: Value | undefined;
    if ('stepSize' in inputs) {
      if (o.kind !== 'adam' || o.adamForm !== 'keras' || o.weightDecay > 0) {
        g.fail(o.kind, 'a precomputed step size serves Adam in Keras form without weight decay; give lr and step instead');
      }
      adam = { stepSize: inputs.stepSize, epsHat: g.s(o.eps, inputs.stepSize) };
    } else {
      const { step } = inputs;
      lr = inputs.lr;
      const one = g.s(1, step);
      if (o.kind !== 'sgd') {
        const sqrtC2 = g.sqrt(g.sub(one, g.pow(g.s(o.beta2, step), step)));
        const c1 = g.sub(one, g.pow(g.s(o.beta1, step), step));
        adam = { stepSize: g.div(g.mul(lr, sqrtC2), c1), epsHat: o.adamForm === 'keras' ? g.s(o.eps, step) : g.mul(g.s(o.eps, step), sqrtC2) };
      }
      // AdamW's decoupled decay p * (1 - lr * wd), as one scalar factor.
      if (o.kind === 'adamw' && o.weightDecay > 0) decay = g.sub(one, g.mul(lr, g.s(o.weightDecay, step)));
    }
    return params.map((p, i) => g.scope(p.name.replace(/[^0-9A-Za-z_.-]/g, '_'), () => {
      let grad = grads[i]!;
      const st = state[i] ?? [];
      if (o.weightDecay > 0 && o.kind !== 'adamw') grad = g.add(grad, g.mul(p, g.s(o.weightDecay, p)));
      if (o.kind === 'sgd') {
        if (o.momentum > 0) {
          const buf = g.add(g.mul(st[0]!, g.s(o.momentum, p)), grad);
          return { param: g.sub(p, g.mul(buf, lr!)), state: [buf] };
        }
        return { param: g.sub(p, g.mul(grad, lr!)), state: [] };
      }
      const m = g.add(g.mul(st[0]!, g.s(o.beta1, p)), g.mul(grad, g.s(1 - o.beta1, p)));
      const v = g.add(g.mul(st[1]!, g.s(o.beta2, p)), g.mul(g.mul(grad, grad), g.s(1 - o.beta2, p)));
      const denom = g.add(g.sqrt(v), adam!.epsHat);
      const update = o.adamForm === 'keras' ? g.div(g.mul(m, adam!.stepSize), denom) : g.mul(g.div(m, denom), adam!.stepSize);
      const base = decay ? g.mul(p, decay) : p;
      return { param: g.sub(base, update), state: [m, v] };
    }));
  });
}
