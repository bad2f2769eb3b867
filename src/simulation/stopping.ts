/**
 * The stopping rule reported per run: once batches have started to pay off (a batch's share of
 * positives reached `minYield`), labeling would stop after `patience` consecutive batches whose
 * share fell below it again. `minYield` is best set near the prevalence one expects: below it, the
 * model finds no more than random sampling would. Reported as the iteration it fires at and what
 * had been labeled and found by then; a rule that never fires reports the last iteration.
 */
export interface BatchYield {
  iteration: number;
  /** Rows labeled before this iteration's batch. */
  labeled: number;
  positives: number;
  batchPositives: number;
}

export interface StopPoint {
  stopIteration: number;
  labeledAtStop: number;
  positivesAtStop: number;
}

export function stoppingPoint(records: readonly BatchYield[], batchSize: number, minYield: number, patience: number): StopPoint {
  const batches = records.filter((r) => Number.isFinite(r.batchPositives));
  let armed = false;
  let low = 0;
  for (const r of batches) {
    const share = r.batchPositives / batchSize;
    if (share >= minYield) {
      armed = true;
      low = 0;
      continue;
    }
    if (!armed) continue;
    if (++low >= patience) return atBatch(r, batchSize);
  }
  const last = batches[batches.length - 1];
  return last ? atBatch(last, batchSize) : { stopIteration: 0, labeledAtStop: 0, positivesAtStop: 0 };
}

function atBatch(r: BatchYield, batchSize: number): StopPoint {
  return { stopIteration: r.iteration, labeledAtStop: r.labeled + batchSize, positivesAtStop: r.positives + r.batchPositives };
}
