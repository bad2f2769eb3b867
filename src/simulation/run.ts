/**
 * One simulation run: generate a pool, draw the shared start indices, then for every strategy arm
 * iterate fit -> score -> select -> label, recording the identification rate before each addition,
 * the classifier's loss on the full pool, and the yield of each batch.
 *
 * Common random numbers: all arms of a run share the pool, the start, and per iteration the
 * classifier's initial weights and shuffling seed, so differences between arms come from the
 * strategies alone. In iteration 1 the arms hold identical rows, so one fitted model serves all.
 */
import { armMembers, DEFAULT_CONFIG, EARLY_STOPPING, iterationsFor, parseArmSpec, type ArmTraining, type RunParameters, type SimulationConfig } from './config';
import { softplus, type Engine, type FitOptions } from './engine';
import { generateData } from './generator';
import { createMlp, forwardRow, initGlorot, type Mlp } from './network';
import { Rng, streamSeed } from './random';
import type { MixturePart } from '../core/selection';
import { selectRows } from './select';
import { stoppingPoint } from './stopping';
import { expandCounts, stratifiedBootstrap } from '../../python-free-train/trainer/split';

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
  /** The arm's increment and iterations (the run's, unless the arm sets its own increment). */
  increment: number;
  iterations: number;
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

  const budget = parameters.increment * parameters.iterations;
  const arms: ArmState[] = config.strategies.map((spec) => {
    const armSpec = parseArmSpec(spec);
    const increment = armSpec.training.increment ?? parameters.increment;
    const iterations = Math.round(budget / increment);
    const rows = new Int32Array(config.start + increment * iterations);
    rows.set(start);
    const taken = new Uint8Array(config.rows);
    let positives = 0;
    for (const r of start) {
      taken[r] = 1;
      positives += data.y[r]!;
    }
    return {
      spec, mixture: armSpec.mixture, training: armSpec.training, members: armMembers(armSpec, config), increment, iterations,
      rows, count: config.start, taken, positives, records: [], selectRng: new Rng(seed('select', spec)),
    };
  });
  const sizes = [config.inputs, ...config.classifierHidden, 2];
  const fitOptions = { epochs: parameters.epochs, batchSize: config.batchSize, learningRate: config.learningRate };
  // Arms that label the same increment advance together, iteration by iteration.
  const increments = [...new Set(arms.map((a) => a.increment))];
  for (const increment of increments) {
    const group = arms.filter((a) => a.increment === increment);
    const iterations = group[0]!.iterations;
    for (let it = 1; it <= iterations; it++) {
      const fits = planFits(group, it, sizes, seed, config.start, data.y);
      lap('select');
      for (const call of fitCalls(fits)) {
        const lists = call.map((f) => f.rows);
        const rngs = call.map((f) => new Rng(f.shuffleSeed));
        const nets = call.map((f) => f.net);
        const first = call[0]!;
        if (first.early) await fitEarly(engine, nets, data.x, data.y, lists, { ...fitOptions, classWeights: first.classWeights }, rngs, seed('holdout', it));
        else await engine.fit(nets, data.x, data.y, lists, { ...fitOptions, classWeights: first.classWeights }, rngs);
      }
      lap('fit');
      const scores = await engine.score(fits.map((f) => f.net), data.x, config.rows, data.yFloat);
      lap('score');
      for (const arm of group) {
        const mine = arm.fitIndex!;
        const main = fits[mine[0]!]!;
        const record: IterationRecord = {
          run, arm: arm.spec, iteration: it, labeled: arm.count, positives: arm.positives, rate: arm.positives / arm.count,
          loss: scores.meanLoss[mine[0]!]!, batchPositives: 0, increment: arm.increment, iterations: arm.iterations,
        };
        const picked = selectRows(arm.mixture, arm.increment, arm.taken, scores.d[mine[0]!], arm.selectRng, {
          // With bootstrap members (the product's form) the ensemble is the members beside the model.
          members: (arm.training.bootstrap ? mine.slice(1) : mine).map((i) => scores.d[i]!),
          featuresOf: (row) => forwardRow(main.net, data.x, row).hidden,
          ...(config.diversityWeight === undefined ? {} : { diversityWeight: config.diversityWeight }),
          ...(config.ucbBeta === undefined ? {} : { ucbBeta: config.ucbBeta }),
        });
        let batchPositives = 0;
        for (const r of picked) batchPositives += data.y[r]!;
        arm.rows.set(picked, arm.count);
        arm.count += picked.length;
        arm.positives += batchPositives;
        record.batchPositives = batchPositives;
        arm.records.push(record);
        if (arm.training.warm) arm.previous = mine.map((i) => Float32Array.from(fits[i]!.net.params));
      }
      if (increment === parameters.increment) hooks.onIteration?.(it, iterations);
    }
  }
  lap('select');
  const seconds = (performance.now() - t0) / 1000;
  const iterations: IterationRecord[] = [];
  const summaries: RunSummary[] = [];
  for (const arm of arms) {
    arm.records.push({
      run, arm: arm.spec, iteration: arm.iterations + 1, labeled: arm.count, positives: arm.positives,
      rate: arm.positives / arm.count, loss: NaN, batchPositives: NaN, increment: arm.increment, iterations: arm.iterations,
    });
    iterations.push(...arm.records);
    const stop = stoppingPoint(arm.records, arm.increment, config.stopYield, config.stopPatience);
    summaries.push({
      ...parameters, increment: arm.increment, iterations: arm.iterations, arm: arm.spec, prevalence: data.prevalence, labeled: arm.count, positives: arm.positives,
      rate: arm.positives / arm.count, ...stop, seconds,
    });
  }
  return { parameters, phases, prevalence: data.prevalence, iterations, summaries };
}

interface ArmState {
  spec: string;
  mixture: MixturePart[];
  training: ArmTraining;
  /** Ensemble members per iteration (with bootstrap members, fitted beside the arm's own network). */
  members: number;
  increment: number;
  iterations: number;
  rows: Int32Array;
  count: number;
  taken: Uint8Array;
  positives: number;
  records: IterationRecord[];
  selectRng: Rng;
  /** Warm start: the fitted parameters of the previous iteration, per member. */
  previous?: Float32Array[];
  /** This iteration's fits of the arm (indexes into the plan; the first is its own network). */
  fitIndex?: number[];
}

interface PlannedFit {
  net: Mlp;
  rows: Int32Array;
  shuffleSeed: number;
  early: boolean;
  classWeights?: [number, number];
  /** Fits with equal keys in one call of the engine (same options, equally many rows). */
  callKey: string;
}

/**
 * The networks to fit in iteration `it` for a group of arms. Common random numbers: member 0 of
 * every arm starts from the same initial weights and shuffles with the same seed (the paper's arms
 * differ in their rows alone); member j > 0 from its own. In iteration 1 every arm holds the start
 * rows, so arms that would fit identical networks share one (the paper's four arms one in all).
 * An arm with bootstrap members fits its own network (member 0, on all its rows) and then members
 * 1..M, member j on a stratified bootstrap resample of its rows drawn with the iteration's seed for j
 * (so two such arms holding the same rows draw the same resamples).
 */
function planFits(group: ArmState[], it: number, sizes: number[], seed: (...parts: (string | number)[]) => number, start: number,
  y: Uint8Array): PlannedFit[] {
  const fits: PlannedFit[] = [];
  const shared = new Map<string, number>();
  const inits = new Map<number, Float32Array>();
  const initFor = (member: number): Float32Array => {
    let p = inits.get(member);
    if (!p) {
      const net = createMlp(sizes);
      initGlorot(net, new Rng(member === 0 ? seed('init', it) : seed('init', it, 'member', member)));
      inits.set(member, (p = net.params));
    }
    return p;
  };
  for (const arm of group) {
    const all = arm.rows.subarray(0, arm.count);
    const classWeights = arm.training.weighted ? balancedWeights(arm.positives, arm.count) : undefined;
    const boot = arm.training.bootstrap === true;
    arm.fitIndex = [];
    for (let member = 0; member < arm.members + (boot ? 1 : 0); member++) {
      const resampled = boot && member > 0;
      const warm = arm.training.warm && arm.previous?.[member];
      const key = `${arm.training.weighted}/${arm.training.early}/${member}${resampled ? '/boot' : ''}`;
      const reuse = it === 1 && arm.count === start ? shared.get(key) : undefined;
      if (reuse !== undefined) {
        arm.fitIndex.push(reuse);
        continue;
      }
      const rows = resampled ? bootstrapRows(all, y, seed('bootstrap', it, 'member', member)) : all;
      const early = arm.training.early;
      fits.push({
        net: createMlp(sizes, Float32Array.from(warm || initFor(member))), rows, early, classWeights,
        shuffleSeed: member === 0 ? seed('shuffle', it) : seed('shuffle', it, 'member', member),
        // Weighted and early-stopped fits differ per arm (weights, held-out slice): one call each.
        callKey: classWeights || early ? `${arm.spec}` : 'plain',
      });
      if (it === 1 && arm.count === start) shared.set(key, fits.length - 1);
      arm.fitIndex.push(fits.length - 1);
    }
  }
  return fits;
}

/** A stratified bootstrap resample of `rows` (as the product's trainer draws its members' data): as many rows, each class as often as it has rows. */
function bootstrapRows(rows: Int32Array, y: Uint8Array, seed: number): Int32Array {
  const labels = Uint8Array.from(rows, (r) => y[r]!);
  return Int32Array.from(expandCounts(stratifiedBootstrap(labels, seed)), (k) => rows[k]!);
}

/** The plan's fits grouped into engine calls. */
function fitCalls(fits: PlannedFit[]): PlannedFit[][] {
  const calls = new Map<string, PlannedFit[]>();
  for (const f of fits) {
    let c = calls.get(f.callKey);
    if (!c) calls.set(f.callKey, (c = []));
    c.push(f);
  }
  return [...calls.values()];
}

/** Class weights that make both classes weigh half the loss: n / (2 n_c), as scikit-learn's "balanced". */
export function balancedWeights(positives: number, rows: number): [number, number] {
  const pos = Math.max(1, positives), neg = Math.max(1, rows - positives);
  return [rows / (2 * neg), rows / (2 * pos)];
}

/**
 * Early stopping: a seeded 20% of each network's rows is held out, the rest trained for up to 30
 * epochs, and each network keeps the parameters of its epoch with the lowest held-out
 * cross-entropy; training ends once no network has improved for 3 epochs.
 */
async function fitEarly(engine: Engine, nets: Mlp[], x: Float32Array, y: Uint8Array, lists: Int32Array[], options: FitOptions,
  rngs: Rng[], holdoutSeed: number): Promise<void> {
  const splits = lists.map((list) => {
    const order = Array.from(list);
    new Rng(holdoutSeed).shuffle(order);
    const held = Math.max(1, Math.round(order.length * EARLY_STOPPING.holdout));
    return { train: Int32Array.from(order.slice(held)), holdout: order.slice(0, held) };
  });
  const best = nets.map((net) => ({ loss: Infinity, params: Float32Array.from(net.params), epoch: 0 }));
  const probe = nets.map((net) => createMlp(net.sizes));
  const heldLoss = (k: number, params: Float32Array) => {
    probe[k]!.params.set(params);
    let sum = 0;
    for (const row of splits[k]!.holdout) {
      const d = forwardRow(probe[k]!, x, row).d;
      sum += softplus(y[row] ? -d : d);
    }
    return sum / splits[k]!.holdout.length;
  };
  await engine.fit(nets, x, y, splits.map((s) => s.train), {
    ...options, epochs: EARLY_STOPPING.maxEpochs,
    onEpoch: (epoch, params) => {
      params.forEach((p, k) => {
        const loss = heldLoss(k, p);
        if (loss < best[k]!.loss) best[k] = { loss, params: Float32Array.from(p), epoch };
      });
      return best.every((b) => epoch - b.epoch >= EARLY_STOPPING.patience);
    },
  }, rngs);
  nets.forEach((net, k) => net.params.set(best[k]!.params));
}
