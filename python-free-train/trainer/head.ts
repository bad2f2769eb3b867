/**
 * Which fit a head gets: a linear head (no hidden layers, the hashing representation's default) is
 * the regularized fit (L2 strength by inner cross-validation, L-BFGS to convergence, see
 * regularized.ts); a head with hidden layers (RoBERTa's, or `hidden` asked for) is fitted by
 * mini-batch AdamW with the epoch of lowest test loss kept (fit.ts). The trainer process, the
 * in-memory pipeline of the benchmarks and the tests all go through here.
 */
import type { HeadFitRecord } from '../../src/protocol/trainer';
import { fitHead, type HeadFitOptions, type HeadFitResult, type SplitData } from './fit';
import { L2_DEFAULTS, fitRegularizedHead } from './regularized';

export type HeadFitKind = HeadFitRecord['fit'];

export const headFitKind = (hidden: readonly number[]): HeadFitKind => (hidden.length ? 'epochs' : 'l2');

/** How the kept weights were chosen, as `metrics.json` and the model record say it. */
export type HeadSelection = HeadFitRecord;

export interface TrainerHeadFitOptions extends HeadFitOptions {
  /** `l2`: called as the inner folds and the path are fitted. */
  onFit?: (done: number, total: number) => void;
  l2Strengths?: readonly number[];
  innerFolds?: number;
  refitAll?: boolean;
}

export async function fitTrainerHead(data: SplitData, dim: number, options: TrainerHeadFitOptions): Promise<HeadFitResult & { selection: HeadSelection }> {
  if (headFitKind(options.hidden) === 'epochs') {
    const fit = await fitHead(data, dim, options);
    return { ...fit, selection: { fit: 'epochs', selection: 'lowest test loss' } };
  }
  const fit = await fitRegularizedHead(data, dim, {
    seed: options.seed, classes: options.classes, targetClass: options.targetClass, classWeighting: options.classWeighting,
    strengths: options.l2Strengths ?? L2_DEFAULTS.strengths, innerFolds: options.innerFolds ?? L2_DEFAULTS.innerFolds,
    refitAll: options.refitAll, onFit: options.onFit, signal: options.signal, backend: options.backend,
  });
  return {
    model: fit.model, config: fit.config, epochs: fit.epochs, selectedEpoch: fit.selectedEpoch,
    ...(fit.fittedRows > data.yTrain.length ? { refitRows: fit.fittedRows } : {}),
    selection: {
      fit: 'l2', l2: fit.l2, innerFolds: fit.innerFolds, fittedRows: fit.fittedRows,
      selection: `L2 strength ${fit.l2}: ${fit.selection}${fit.fittedRows > data.yTrain.length ? `, then refitted on all ${fit.fittedRows} labeled reviews (the figures are the split's)` : ''}`,
    },
  };
}
