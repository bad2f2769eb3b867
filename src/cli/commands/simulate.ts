import path from 'node:path';
import { CORRELATIONS, DEFAULT_CONFIG, parseArms, parseCorrelation, type SimulationConfig } from '../../simulation/config';
import { parseEngineChoice } from '../../simulation/engines';
import { armName } from '../../simulation/figures';
import { runStudy } from '../../simulation/runner';
import { BATCH_MODE_DEFAULTS, MAX_DIVERSITY_WEIGHT } from '../../core/selection';
import { CliError, optInt, optNumber, optString, type CliCommand, type ParsedArgs } from '../types';

function numberList(args: ParsedArgs, name: string, fallback: number[], integer: boolean): number[] {
  const v = optString(args, name);
  if (v === undefined) return fallback;
  const parts = v.split(',').map((s) => s.trim()).filter(Boolean);
  const out = parts.map(Number);
  if (!parts.length || out.some((n) => !Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n)))) {
    throw new CliError(`--${name} must be a comma-separated list of positive ${integer ? 'whole numbers' : 'numbers'}, got "${v}"`);
  }
  return out;
}

function wrap<T>(name: string, f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw new CliError(`--${name}: ${(err as Error).message}`);
  }
}

/** The study configuration from the command line (exported for tests). */
export function configFromArgs(args: ParsedArgs): SimulationConfig {
  const d = DEFAULT_CONFIG;
  const corr = optString(args, 'correlation');
  const strategies = optString(args, 'strategies');
  const budget = optString(args, 'budget');
  const prevalence = optString(args, 'prevalence');
  if (prevalence !== undefined && optString(args, 'balance') !== undefined) throw new CliError('use --prevalence or --balance, not both');
  return {
    rows: optInt(args, 'rows', d.rows, 10),
    inputs: optInt(args, 'inputs', d.inputs, 1, 10_000),
    generatorHidden: numberList(args, 'generator-layers', d.generatorHidden, true),
    classifierHidden: numberList(args, 'classifier-layers', d.classifierHidden, true),
    predictability: numberList(args, 'predictability', d.predictability, false),
    balance: optNumber(args, 'balance', d.balance, -50, 50),
    ...(prevalence === undefined ? {} : { targetPrevalence: optNumber(args, 'prevalence', 0.01, 1e-6, 0.999) }),
    correlation: corr === undefined ? d.correlation : wrap('correlation', () => corr.split(',').map(parseCorrelation)),
    start: optInt(args, 'start', d.start, 1),
    increment: numberList(args, 'increment', d.increment, true),
    iterations: optInt(args, 'iterations', d.iterations, 1, 100_000),
    ...(budget === undefined ? {} : { labelBudget: optInt(args, 'budget', 0, 1) }),
    epochs: numberList(args, 'epochs', d.epochs, true),
    batchSize: optInt(args, 'batch-size', d.batchSize, 1),
    learningRate: optNumber(args, 'learning-rate', d.learningRate, 1e-9, 10),
    strategies: strategies === undefined ? d.strategies : wrap('strategies', () => parseArms(strategies)),
    stopYield: optNumber(args, 'stop-yield', d.stopYield, 0, 1),
    stopPatience: optInt(args, 'stop-patience', d.stopPatience, 1),
    seed: optInt(args, 'seed', d.seed, 0, 2 ** 32 - 1),
    ...(optString(args, 'ensemble-size') === undefined ? {} : { ensembleSize: optInt(args, 'ensemble-size', 5, 1, 64) }),
    ...(optString(args, 'diversity-weight') === undefined ? {} : { diversityWeight: optNumber(args, 'diversity-weight', BATCH_MODE_DEFAULTS.diversityWeight, 0, MAX_DIVERSITY_WEIGHT) }),
    ...(optString(args, 'ucb-beta') === undefined ? {} : { ucbBeta: optNumber(args, 'ucb-beta', BATCH_MODE_DEFAULTS.ucbBeta, 0, 100) }),
  };
}

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: "the paper's active-learning simulation study: identification rates by strategy, with plots",
  usage: [
    'Usage: secreview simulate [--runs N] [--increment 200] [--iterations 20] [--epochs 10] [--predictability 1.0]',
    '                          [--correlation none] [--strategies rare,entropy,random,majority] [--seed S] [--out DIR] [--json]',
    '',
    'Simulates labeling a pool of random rows whose rare label comes from a random neural network, as in the',
    "paper's section 5, and compares candidate-selection strategies. A list for --predictability, --epochs,",
    '--correlation or --increment is drawn uniformly per run. Runs go to worker threads; with --out, every run',
    'is saved as it finishes, and running the same command again skips the runs already there.',
    '',
    '  --runs N                 repetitions (default 10)',
    `  --rows N                 pool size (default ${DEFAULT_CONFIG.rows})`,
    `  --inputs N               input columns (default ${DEFAULT_CONFIG.inputs})`,
    '  --generator-layers L     hidden widths of the label-generating network (default 15,15,15)',
    '  --classifier-layers L    hidden widths of the classifier (default 15,15,15)',
    '  --predictability S       standard deviation of the true logits: 0.7 low, 1.0 normal, 1.3 high',
    '  --balance B              mean true logit (default log(0.01/0.99), about 1.7% positives)',
    '  --prevalence P           instead of --balance: solve the mean logit per run for an expected share P of positives',
    `  --correlation C          ${CORRELATIONS.join(', ')} (AAt as deployed; cholesky as the paper describes)`,
    '  --start N                random start rows, shared by all strategies of a run (default 200)',
    '  --increment N            rows labeled per iteration (default 200)',
    '  --iterations N           iterations per run (default 20)',
    '  --budget N               rows to label after the start; sets iterations = N / increment',
    '  --epochs N               training epochs per iteration (default 10)',
    '  --batch-size N           mini-batch size (default 128)',
    '  --learning-rate R        Adam learning rate (default 0.01)',
    '  --strategies LIST        arms: rare, entropy, random, majority, diverse, ensemble, thompson, ucb, or mixtures',
    '                           like rare:0.9+random:0.1; training options after @: @weighted (class-weighted loss),',
    '                           @warm (start from the previous fit), @early (early stopping on a 20% held-out slice),',
    '                           @inc40 (increment 40 at the same label budget), @m8 (8 ensemble members), @boot',
    '                           (members on stratified bootstrap resamples beside the arm\'s own network, as the',
    '                           product\'s trainer fits them); auto, the product\'s default over a network head such as',
    '                           the simulation\'s, is ensemble@boot',
    '  --ensemble-size M        networks per iteration of ensemble, thompson and ucb arms (default 5)',
    `  --diversity-weight W     diverse: weight of redundancy against the logit of p(yes), 0 to ${MAX_DIVERSITY_WEIGHT} (default ${BATCH_MODE_DEFAULTS.diversityWeight})`,
    '  --ucb-beta B             ucb: standard deviations of the ensemble added to its mean p(yes) (default 1)',
    '  --stop-yield Y           stopping rule: a batch below this share of positives counts as low (default 0.02)',
    '  --stop-patience K        stop after K low batches in a row, once batches have paid off (default 2)',
    '  --seed S                 study seed: the same seed and run number give the same run (default 1)',
    '  --workers N              worker threads (default: all cores)',
    '  --engine E               auto or onnxruntime (default auto)',
    '  --out DIR                save runs, CSVs, summary and SVG figures there (resumable)',
    '  --json                   print per strategy the mean identification rate at the end, its 90% interval and runs,',
    '                           and with rare-label among the arms each arm\'s paired gain over it',
  ].join('\n'),
  options: {
    runs: { type: 'string' }, rows: { type: 'string' }, inputs: { type: 'string' }, 'generator-layers': { type: 'string' },
    'classifier-layers': { type: 'string' }, predictability: { type: 'string' }, balance: { type: 'string' },
    correlation: { type: 'string' }, start: { type: 'string' }, increment: { type: 'string' }, iterations: { type: 'string' },
    budget: { type: 'string' }, prevalence: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, 'learning-rate': { type: 'string' },
    strategies: { type: 'string' }, 'stop-yield': { type: 'string' }, 'stop-patience': { type: 'string' }, seed: { type: 'string' },
    workers: { type: 'string' }, engine: { type: 'string' }, out: { type: 'string' },
    'ensemble-size': { type: 'string' }, 'diversity-weight': { type: 'string' }, 'ucb-beta': { type: 'string' },
  },
  async run(args, io) {
    const config = configFromArgs(args);
    const runs = optInt(args, 'runs', 10, 1, 1_000_000);
    const workersOpt = optString(args, 'workers');
    const workers = workersOpt === undefined ? undefined : optInt(args, 'workers', 1, 1, 1024);
    const engineOpt = optString(args, 'engine');
    const engine = engineOpt === undefined ? 'auto' : wrap('engine', () => parseEngineChoice(engineOpt));
    const outOpt = optString(args, 'out');
    const out = outOpt === undefined ? undefined : path.resolve(io.cwd, outOpt);
    let result;
    try {
      result = await runStudy({ config, runs, out, workers, engine, signal: io.signal, onProgress: (p) => io.progress(`[${p.done}/${p.total}] ${p.message}`) });
    } catch (err) {
      if (io.signal.aborted) {
        io.err(`simulate: cancelled${out ? `; finished runs are kept in ${out} and skipped when you run the same command again` : ''}`);
        return 130;
      }
      const message = (err as Error).message;
      if (/^(simulation: .*different configuration|.* must be|labeling .* needs)/.test(message)) throw new CliError(message);
      throw err;
    }
    if (io.json) {
      io.out(JSON.stringify({
        runs,
        rows: config.rows,
        engine: result.engine,
        strategies: result.arms.map((a) => ({
          strategy: a.arm, runs: a.runs, labeled: a.labeled, identificationRate: a.rate.mean, interval90: [a.rate.lo, a.rate.hi],
          prevalence: a.prevalence.mean, stop: { iteration: a.stopIteration, labeled: a.labeledAtStop, positives: a.positivesAtStop },
        })),
        ...(result.paired ? {
          paired: {
            baseline: result.paired.baseline,
            arms: result.paired.arms.map((a) => ({ strategy: a.arm, runs: a.runs, labeled: a.labeled, identificationRate: a.rate.mean, interval90: [a.rate.lo, a.rate.hi], gain: a.gain.mean, gainInterval90: [a.gain.lo, a.gain.hi], wins: a.wins, losses: a.losses })),
          },
        } : {}),
        ...(out ? { out } : {}),
      }, null, 2));
      return 0;
    }
    const p = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : 'n/a');
    io.out(`${runs} runs, ${config.rows} rows, engine ${result.engine}${result.skipped ? ` (${result.skipped} runs read from ${out})` : ''}`);
    io.out('strategy                       rate after last iteration (90% CI)   x prevalence   stop rule: iteration / positives');
    for (const a of result.arms) {
      io.out(`${armName(a.arm).padEnd(30)} ${`${p(a.rate.mean)} (${p(a.rate.lo)} - ${p(a.rate.hi)})`.padEnd(37)} ${a.lift.toFixed(1).padStart(12)}   ${a.stopIteration.toFixed(1)} / ${a.positivesAtStop.toFixed(1)}`);
    }
    if (result.paired && result.paired.arms.length > 1) {
      const g = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '-'}${Math.abs(v * 100).toFixed(1)}%` : 'n/a');
      io.out(`paired gain over ${armName(result.paired.baseline)} (same runs; 90% bootstrap interval)   runs better / worse`);
      for (const a of result.paired.arms.filter((x) => x.arm !== result.paired!.baseline)) {
        io.out(`${armName(a.arm).padEnd(30)} ${`${g(a.gain.mean)} (${g(a.gain.lo)} to ${g(a.gain.hi)})`.padEnd(37)} ${a.wins} / ${a.losses}`);
      }
    }
    if (out) io.out(`results and figures in ${out}`);
    return 0;
  },
};
