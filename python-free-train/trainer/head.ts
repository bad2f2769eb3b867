/**
 * Which fit a head gets: a linear head (no hidden layers, the hashing representation's default) is
 * the regularized fit (L2 strength by inner cross-validation, L-BFGS to convergence, see
 * regularized.ts); a head with hidden layers (RoBERTa's, or `hidden` asked for) is fitted by
 * mini-batch AdamW with the epoch of lowest test loss kept (fit.ts). The trainer process, the
 * in-memory pipeline of the benchmarks and the tests all go through here.
 */
import type { HeadFitRecord } from '../../src/protocol/trainer';
import type { HeadModel } from '../models/mlpHead';
import { fitHead, gatherLabels, gatherRows, type HeadFitOptions, type HeadFitResult, type SplitData } from './fit';
import { L2_DEFAULTS, concatLabels, concatRows, fitBootstrapHeads, fitRegularizedHead, memberSeed } from './regularized';
import { expandCounts, stratifiedBootstrap } from './split';

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

/**
 * The members of an ensemble (the ensemble, Thompson and UCB strategies), each the kept head's fit
 * on its own stratified bootstrap resample of the labels it was fitted on:
 * - linear head: the same penalized fit at the strength the inner folds chose, on a resample of
 *   every labeled row when the kept head was refit on all of them (else of the training split);
 * - head with hidden layers: the same mini-batch fit on a resample of the training split, with its
 *   own seed (initialization and order), the epoch of lowest test loss on the unchanged test split.
 * Members are what differ between fits on other draws of the same labels; the kept head stays the
 * model (its scores, its metrics, predict and export).
 */
export async function fitEnsembleMembers(data: SplitData, dim: number, kept: HeadFitResult & { selection: HeadSelection }, options: TrainerHeadFitOptions & { members: number }): Promise<HeadModel[]> {
  const { members } = options;
  if (kept.selection.fit === 'l2') {
    const all = (kept.refitRows ?? 0) > data.yTrain.length;
    const x = all ? concatRows(data.xTrain, data.xTest) : data.xTrain;
    const y = all ? concatLabels(data.yTrain, data.yTest) : data.yTrain;
    return fitBootstrapHeads(x, y, dim, {
      members, l2: kept.selection.l2!, seed: options.seed, classes: options.classes, classWeighting: options.classWeighting,
      start: kept.model.getState().params.map((p) => p.data), onFit: options.onFit, signal: options.signal, backend: options.backend,
    });
  }
  const out: HeadModel[] = [];
  try {
    for (let m = 0; m < members; m++) {
      const seed = memberSeed(options.seed, m);
      const rows = expandCounts(stratifiedBootstrap(data.yTrain, seed));
      const resample: SplitData = { xTrain: gatherRows(data.xTrain, dim, rows), yTrain: gatherLabels(data.yTrain, rows), xTest: data.xTest, yTest: data.yTest };
      const fit = await fitHead(resample, dim, { ...options, seed, onEpoch: undefined });
      out.push(fit.model);
      options.onFit?.(m + 1, members);
    }
    return out;
  } catch (e) {
    await Promise.all(out.map((md) => md.release().catch(() => {})));
    throw e;
  }
}

