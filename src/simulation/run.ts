/**
 * One simulation run: generate a pool, draw the shared start indices, then for every strategy arm
 * iterate fit -> score -> select -> label, recording the identification rate before each addition,
 * the classifier's loss on the full pool, and the yield of each batch.
 *
 * Common random numbers: all arms of a run share the pool, the start, and per iteration the
 * classifier's initial weights and shuffling seed, so differences between arms come from the
 * strategies alone. In iteration 1 the arms hold identical rows, so one fitted model serves all.
 */
import { DEFAULT_CONFIG, iterationsFor, parseArm, type RunParameters, type SimulationConfig } from './config';
import type { Engine } from './engine';
import { generateData } from './generator';
import { createMlp, initGlorot, type Mlp } from './network';
import { Rng, streamSeed } from './random';
import { selectRows } from './select';
import { stoppingPoint } from './stopping';

export interface IterationRecord {
  run: number;
  arm: string;
  /** 1..iterations: before that iteration's addition; iterations + 1: after the last. */
  iteration: number;
  labeled: number;
  positives: number;
  /** positives / labeled. */
  rate: number;
  /** Mean cross-entropy on the full pool of the model fitted in this iteration (NaN after the last). */
  loss: number;
  /** Positives among the rows this iteration added (NaN after the last). */
  batchPositives: number;
}

export interface RunSummary extends RunParameters {
  arm: string;
  prevalence: number;
  labeled: number;
  positives: number;
  rate: number;
  /** Iteration after which the stopping rule would have stopped (iterations if it never fired). */
  stopIteration: number;
  labeledAtStop: number;
  positivesAtStop: number;
  seconds: number;
}

/** Wall-clock seconds per phase of a run (where the time goes). */
export interface PhaseSeconds {
  generate: number;
  fit: number;
  score: number;
  select: number;
}

export interface RunResult {
  parameters: RunParameters;
  phases: PhaseSeconds;
  prevalence: number;
  iterations: IterationRecord[];
  summaries: RunSummary[];
}

/** The values of run `run` drawn from the list-valued hyperparameters. */
export function drawRunParameters(config: SimulationConfig, run: number): RunParameters {
  const rng = new Rng(streamSeed(config.seed, 'run', run, 'parameters'));
  const predictability = rng.pick(config.predictability);
  const epochs = rng.pick(config.epochs);
  const correlation = rng.pick(config.correlation);
  const increment = rng.pick(config.increment);
  return { run, predictability, epochs, correlation, increment, iterations: iterationsFor(config, increment) };
}

export interface RunHooks {
  /** Called after each iteration; throwing (e.g. on cancel) aborts the run. */
  onIteration?: (iteration: number, of: number) => void;
}

export async function simulateRun(partial: Partial<SimulationConfig>, run: number, engine: Engine, hooks: RunHooks = {}): Promise<RunResult> {
  const config: SimulationConfig = { ...DEFAULT_CONFIG, ...partial };
  const t0 = performance.now();
  const parameters = drawRunParameters(config, run);
  const seed = (...parts: (string | number)[]) => streamSeed(config.seed, 'run', run, ...parts);
  const phases: PhaseSeconds = { generate: 0, fit: 0, score: 0, select: 0 };
  let mark = performance.now();
  const lap = (phase: keyof PhaseSeconds) => {
    const now = performance.now();
    phases[phase] += (now - mark) / 1000;
    mark = now;
  };
  const data = await generateData({
    rows: config.rows, inputs: config.inputs, hidden: config.generatorHidden, predictability: parameters.predictability,
    balance: config.balance, targetPrevalence: config.targetPrevalence, correlation: parameters.correlation, seed: seed('data'),
  }, engine);
  lap('generate');
  const startRng = new Rng(seed('start'));
  const start = new Int32Array(config.start);
  for (let i = 0; i < start.length; i++) start[i] = startRng.int(config.rows);

  const arms = config.strategies.map((spec) => {
    const mixture = parseArm(spec);
    const capacity = config.start + parameters.increment * parameters.iterations;
    const rows = new Int32Array(capacity);
    rows.set(start);
    const taken = new Uint8Array(config.rows);
    let positives = 0;
    for (const r of start) {
      taken[r] = 1;
      positives += data.y[r]!;
    }
    return { spec, mixture, rows, count: config.start, taken, positives, records: [] as IterationRecord[], selectRng: new Rng(seed('select', spec)) };
  });
  const sizes = [config.inputs, ...config.classifierHidden, 2];
  for (let it = 1; it <= parameters.iterations; it++) {
    const init = createMlp(sizes);
    initGlorot(init, new Rng(seed('init', it)));
    // Arms with identical labeled rows (all of them in iteration 1) share one fitted model.
    const shared = it === 1 && arms.length > 1;
    const fitArms = shared ? [arms[0]!] : arms;
    const nets: Mlp[] = fitArms.map(() => createMlp(sizes, Float32Array.from(init.params)));
    // Every arm fits a model, random included: each reports the loss on the full pool (Figure 7).
    lap('select');
    await engine.fit(nets, data.x, data.y, fitArms.map((a) => a.rows.subarray(0, a.count)),
      { epochs: parameters.epochs, batchSize: config.batchSize, learningRate: config.learningRate },
      fitArms.map(() => new Rng(seed('shuffle', it))));
    lap('fit');
    const scores = await engine.score(nets, data.x, config.rows, data.yFloat);
    lap('score');
    arms.forEach((arm, k) => {
      const m = shared ? 0 : k;
      const record: IterationRecord = {
        run, arm: arm.spec, iteration: it, labeled: arm.count, positives: arm.positives, rate: arm.positives / arm.count,
        loss: scores.meanLoss[m]!, batchPositives: 0,
      };
      const picked = selectRows(arm.mixture, parameters.increment, arm.taken, scores.d[m], arm.selectRng);
      let batchPositives = 0;
      for (const r of picked) batchPositives += data.y[r]!;
      arm.rows.set(picked, arm.count);
      arm.count += picked.length;
      arm.positives += batchPositives;
      record.batchPositives = batchPositives;
      arm.records.push(record);
    });
    hooks.onIteration?.(it, parameters.iterations);
  }
  lap('select');
  const seconds = (performance.now() - t0) / 1000;
  const iterations: IterationRecord[] = [];
  const summaries: RunSummary[] = [];
  for (const arm of arms) {
    arm.records.push({
      run, arm: arm.spec, iteration: parameters.iterations + 1, labeled: arm.count, positives: arm.positives,
      rate: arm.positives / arm.count, loss: NaN, batchPositives: NaN,
    });
    iterations.push(...arm.records);
    const stop = stoppingPoint(arm.records, parameters.increment, config.stopYield, config.stopPatience);
    summaries.push({
      ...parameters, arm: arm.spec, prevalence: data.prevalence, labeled: arm.count, positives: arm.positives,
      rate: arm.positives / arm.count, ...stop, seconds,
    });
  }
  return { parameters, phases, prevalence: data.prevalence, iterations, summaries };
}
