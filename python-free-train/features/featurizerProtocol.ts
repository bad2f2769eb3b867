/**
 * Messages between the trainer and its featurizer worker threads. Feature buffers travel as
 * transferred ArrayBuffers (moved, not copied) and come back with the vectors written in them.
 * A worker is started with `FeaturizerInit` as its `workerData`.
 */
import type { HashingParams } from './representation';

export interface FeaturizerInit {
  params: HashingParams;
}

export type ToFeaturizer =
  | { type: 'featurize'; requestId: number; texts: string[]; buffer: ArrayBuffer }
  | { type: 'close' };

export type FromFeaturizer =
  | { type: 'done'; requestId: number; buffer: ArrayBuffer }
  | { type: 'error'; requestId: number; message: string };
