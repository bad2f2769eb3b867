import { DEFAULT_BATCH_SIZE, DEFAULT_MIXTURE } from '../../core/defaults';
import { BATCH_MODE_DEFAULTS, MAX_DIVERSITY_CANDIDATES, MAX_DIVERSITY_WEIGHT, parseMixture, type BatchModeOptions } from '../../core/selection';
import { proposeNextBatch } from '../../store/batches';
import { nearDuplicateGroups, withWorkspace, printJson } from '../workspace';
import { CliError, optInt, optNumber, optString, type CliCommand, type ParsedArgs } from '../types';

/** The diverse strategy's options, for `next` and `train`. */
export const DIVERSITY_CLI_OPTIONS = { 'diversity-weight': { type: 'string' }, 'diversity-candidates': { type: 'string' } } as const;
export const DIVERSITY_USAGE = [
  `  --diversity-weight W  diverse: how much a review's likeness to those already in the batch costs,`,
  `                   against the logit of p(yes); 0 to ${MAX_DIVERSITY_WEIGHT} (default ${BATCH_MODE_DEFAULTS.diversityWeight}; 0 is rare-label's order)`,
  `  --diversity-candidates K  diverse: top reviews by p(yes) considered per batch slot, 1 to ${MAX_DIVERSITY_CANDIDATES}`,
  `                   (default ${BATCH_MODE_DEFAULTS.diversityCandidates})`,
];

export const nextCommand: CliCommand = {
  name: 'next',
  summary: 'propose the next batch from the latest model\'s scores',
  usage: [
    'Usage: secreview next [--strategy MIX] [--size N] [--seed S] [--exclude-near-duplicates]',
    '                      [--diversity-weight W] [--diversity-candidates K]',
    '',
    '  --strategy MIX   auto, rare, entropy, majority, random, diverse, ensemble, thompson, ucb (the',
    '                   last three with a model trained with an ensemble), or a mixture such as',
    `                   rare:0.45,entropy:0.45,random:0.1 (default ${DEFAULT_MIXTURE}); diverse is rare-label re-ranked so that`,
    '                   a batch does not spend its slots on near-identical reviews (compared by their text:',
    '                   hashed word and character n-grams); auto ranks by the mean p(yes) of the',
    '                   model\'s ensemble when it has one, else by its p(yes) (rare)',
    `  --size N         batch size (default ${DEFAULT_BATCH_SIZE})`,
    '  --seed S         seed for the random strategy (default: the batch number)',
    '  --exclude-near-duplicates  keep near-duplicates of labeled reviews out, and each group of',
    '                   near-duplicates once in the batch',
    ...DIVERSITY_USAGE,
    '',
    'Needs a trained model ("secreview train"); "--strategy random" works without one.',
  ].join('\n'),
  options: {
    strategy: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, 'exclude-near-duplicates': { type: 'boolean' },
    ...DIVERSITY_CLI_OPTIONS,
  },
  async run(args, io) {
    let mixture;
    try {
      mixture = parseMixture(optString(args, 'strategy') ?? DEFAULT_MIXTURE);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const size = optInt(args, 'size', DEFAULT_BATCH_SIZE, 1, 1_000_000);
    const batchMode = diversityOptions(args, mixture.some((m) => m.strategy === 'diverse'));
    return withWorkspace(io, 'next', async (ws) => {
      const seed = optInt(args, 'seed', ws.db.batches().length + 1);
      const nearDuplicates = args.values['exclude-near-duplicates'] === true ? await nearDuplicateGroups(ws, io) : undefined;
      const { batch, unscored } = await proposeNextBatch(ws, { mixture, size, seed, nearDuplicates, batchMode });
      if (!batch) {
        if (io.json) printJson(io, { batch: null, size: 0, unscored });
        else io.out('Every scored review is labeled or already proposed: import more reviews, or retrain to score new ones.');
      } else if (io.json) printJson(io, { batch: batch.id, iteration: batch.iteration, size: batch.items.length, modelVersion: batch.modelVersion, strategy: batch.strategy, unscored, items: batch.items });
      else {
        io.out(`Batch ${batch.id} (iteration ${batch.iteration}, model ${batch.modelVersion ?? 'none'}): ${batch.items.length} reviews by ${batch.strategy}.`);
        if (unscored) io.out(`${unscored} reviews imported after this model was trained are not scored yet; retrain to include them.`);
      }
      return 0;
    });
  },
};

/** --diversity-weight and --diversity-candidates, checked; they mean something only with the diverse strategy. */
export function diversityOptions(args: ParsedArgs, hasDiverse: boolean): Partial<Pick<BatchModeOptions, 'diversityWeight' | 'diversityCandidates'>> {
  const given = ['diversity-weight', 'diversity-candidates'].filter((name) => optString(args, name) !== undefined);
  if (given.length && !hasDiverse) throw new CliError(`--${given[0]} applies to the strategy diverse, which the mixture does not include (e.g. --strategy rare:0.5,diverse:0.5)`);
  return {
    ...(optString(args, 'diversity-weight') === undefined ? {} : { diversityWeight: optNumber(args, 'diversity-weight', BATCH_MODE_DEFAULTS.diversityWeight, 0, MAX_DIVERSITY_WEIGHT) }),
    ...(optString(args, 'diversity-candidates') === undefined ? {} : { diversityCandidates: optInt(args, 'diversity-candidates', BATCH_MODE_DEFAULTS.diversityCandidates, 1, MAX_DIVERSITY_CANDIDATES) }),
  };
}
