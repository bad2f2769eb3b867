/**
 * Learning-rate schedules for fine-tuning: a linear warmup over the first W steps, then the rate
 * stays (`constant`), falls linearly (`linear`), or follows half a cosine (`cosine`) over the
 * remaining T - W steps. This is Hugging Face's `get_linear_schedule_with_warmup` (and its cosine
 * sibling) with warmup shifted by one step: their first step has rate 0, which wastes it, so here
 * warmup step s (1-based) gets s/W of the base and the first decay step the full base. The last
 * step gets base/(T - W) (linear), as in theirs, where the rate reaches 0 only after the last step.
 * The step graphs take the rate as an input, so a schedule is only this host-side function.
 */

export const SCHEDULE_KINDS = ['constant', 'linear', 'cosine'] as const;
export type ScheduleKind = (typeof SCHEDULE_KINDS)[number];

export interface LrSchedule {
  kind: ScheduleKind;
  /** Share of all steps spent warming up, in [0, 1). */
  warmup: number;
}

export const CONSTANT_SCHEDULE: LrSchedule = { kind: 'constant', warmup: 0 };

/** Checks a schedule; throws an error that names the bad field. */
export function validateSchedule(s: LrSchedule): LrSchedule {
  if (!(SCHEDULE_KINDS as readonly string[]).includes(s.kind)) throw new Error(`learning-rate schedule must be one of ${SCHEDULE_KINDS.join(', ')}, got "${s.kind}"`);
  if (!(s.warmup >= 0 && s.warmup < 1)) throw new Error(`warmup must be a share of the steps in [0, 1), got ${s.warmup}`);
  return s;
}

/** Warmup steps of a run of `totalSteps` (at least one when warmup is on). */
export function warmupSteps(s: LrSchedule, totalSteps: number): number {
  return s.warmup > 0 ? Math.max(1, Math.round(s.warmup * totalSteps)) : 0;
}

/**
 * The learning rate of optimizer step `step` (1-based) of `totalSteps`. During warmup the rate
 * rises as `base * step / warmup`, so the first step is small but not zero.
 */
export function learningRateAt(base: number, s: LrSchedule, step: number, totalSteps: number): number {
  if (!(Number.isInteger(step) && step >= 1)) throw new Error(`step must be an integer >= 1, got ${step}`);
  const total = Math.max(step, totalSteps);
  const warm = warmupSteps(s, total);
  if (step <= warm) return (base * step) / warm;
  if (s.kind === 'constant') return base;
  // Decay over the steps after warmup; the last step gets 1/(decay steps) of the base, not 0.
  const decaySteps = total - warm;
  const progress = (step - warm - 1) / decaySteps;
  if (s.kind === 'linear') return base * (1 - progress);
  return base * 0.5 * (1 + Math.cos(Math.PI * progress));
}

/** Parses `constant`, `linear`, `cosine`, optionally with a warmup share: `linear:0.06`. */
export function parseSchedule(text: string): LrSchedule {
  const [kind, warm, ...rest] = text.trim().split(':');
  if (rest.length) throw new Error(`learning-rate schedule "${text}": expected KIND or KIND:WARMUP, e.g. linear:0.06`);
  const warmup = warm === undefined || warm === '' ? 0 : Number(warm);
  if (!Number.isFinite(warmup)) throw new Error(`learning-rate schedule "${text}": warmup "${warm}" is not a number`);
  return validateSchedule({ kind: kind as ScheduleKind, warmup });
}

export function formatSchedule(s: LrSchedule): string {
  return s.warmup > 0 ? `${s.kind}:${s.warmup}` : s.kind;
}
