/** Messages between the study runner and its worker threads. */
import type { SimulationConfig } from './config';
import type { EngineChoice } from './engines';
import type { IterationRow } from './results';
import type { PhaseSeconds } from './run';

export type ToWorker =
  | { type: 'run'; requestId: number; config: SimulationConfig; run: number; engine: EngineChoice; threads: number }
  | { type: 'close' };

export type FromWorker =
  | { type: 'progress'; requestId: number; run: number; iteration: number; of: number }
  | { type: 'done'; requestId: number; run: number; rows: IterationRow[]; phases: PhaseSeconds; engine: string }
  | { type: 'error'; requestId: number; run: number; message: string };
