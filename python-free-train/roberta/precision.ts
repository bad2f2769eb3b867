/**
 * The encoder's precision, and what `auto` picks. int8 is faster, but what matters is the ranking
 * that decides which reviews a person sees: `npm run bench -- int8` fits the classification head on
 * the demo's labels and compares int8's ranking of the pool with fp32's. `auto` takes int8 only
 * where that measurement meets the target, and says why either way.
 */

/**
 * fp32; int8 (dynamic quantization of the MatMuls: a CPU option, GPU providers have no integer
 * MatMul kernels); fp16 (weights and activations in half precision: a GPU option, where the
 * adapter has shader-f16; the CPU provider lacks most fp16 kernels).
 */
export const PRECISIONS = ['fp32', 'int8', 'fp16'] as const;
export type Precision = (typeof PRECISIONS)[number];
/** What a user may ask for: a precision, or `auto` (the default). */
export const PRECISION_CHOICES = ['auto', ...PRECISIONS] as const;
export type PrecisionChoice = (typeof PRECISION_CHOICES)[number];

export function isPrecision(value: unknown): value is Precision {
  return (PRECISIONS as readonly unknown[]).includes(value);
}

export function isPrecisionChoice(value: unknown): value is PrecisionChoice {
  return (PRECISION_CHOICES as readonly unknown[]).includes(value);
}

/** int8 must keep this share of fp32's top 1% by p(yes) and of its next batch. */
export const INT8_TARGET = 0.95;

/**
 * `npm run bench -- int8` with the default options (README, "Benchmarks"): a random
 * roberta-base-sized encoder (12 layers; no pretrained weights can be downloaded where it was
 * measured), the head fitted on the demo's labels, a pool of 1,131 unlabeled texts, next batch of
 * 200 by the default mixture. Overlaps are int8 against fp32 with the same head, so they measure
 * the encoder's error alone (each precision fitting its own head moved the ranking more: 83% and
 * 90%). Real checkpoints have activation outliers that random weights lack, so int8 is unlikely to
 * do better on them; run the benchmark with `--model <folder>` to see.
 */
export interface Int8Ranking { top1PercentOverlap: number; nextBatchOverlap: number; spearman: number; speedRatio: number }

export const INT8_MEASURED: Int8Ranking = {
  top1PercentOverlap: 0.9167,
  nextBatchOverlap: 0.93,
  spearman: 0.9993,
  speedRatio: 2.1,
};

export interface ResolvedPrecision { precision: Precision; reason: string }

const percent = (x: number) => `${Math.round(x * 1000) / 10}%`;

/**
 * `device`: where the encoder runs. On a GPU `auto` is fp32 (int8 does not run there, and fp16's
 * effect on the ranking has not been measured: it is there with --precision fp16).
 */
export function resolvePrecision(choice: PrecisionChoice, measured: Int8Ranking = INT8_MEASURED, device = 'cpu'): ResolvedPrecision {
  if (!isPrecisionChoice(choice)) throw new Error(`unknown precision "${String(choice)}". Should be one of: ${PRECISION_CHOICES.join(', ')}`);
  if (choice !== 'auto') return { precision: choice, reason: `precision ${choice}, as asked` };
  if (device !== 'cpu') return { precision: 'fp32', reason: `precision auto on ${device}: fp32 (fp16 runs on GPUs with --precision fp16; int8 only on the CPU)` };
  const kept = `int8 kept ${percent(measured.top1PercentOverlap)} of fp32's top 1% by p(yes) and ${percent(measured.nextBatchOverlap)} of its next batch`;
  if (measured.top1PercentOverlap >= INT8_TARGET && measured.nextBatchOverlap >= INT8_TARGET) {
    return { precision: 'int8', reason: `precision auto: int8, ${measured.speedRatio}x faster than fp32; ${kept} on the int8 benchmark (target ${percent(INT8_TARGET)} each)` };
  }
  return {
    precision: 'fp32',
    reason: `precision auto: fp32, because ${kept} on the int8 benchmark (target ${percent(INT8_TARGET)} each); `
      + `int8 is ${measured.speedRatio}x faster: choose it with --precision int8 or the setting secreview.model.precision`,
  };
}
