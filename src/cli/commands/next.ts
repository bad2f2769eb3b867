import { DEFAULT_BATCH_SIZE, DEFAULT_MIXTURE } from '../../core/defaults';
import { parseMixture, unservedBySingleModel } from '../../core/selection';
import { proposeNextBatch } from '../../store/batches';
import { nearDuplicateGroups, withWorkspace, printJson } from '../workspace';
import { CliError, optInt, optString, type CliCommand } from '../types';


export const nextCommand: CliCommand = {
  name: 'next',
  summary: 'propose the next batch from the latest model\'s scores',
  usage: [
    'Usage: secreview next [--strategy MIX] [--size N] [--seed S] [--exclude-near-duplicates]',
    '',
    `  --strategy MIX   rare, entropy, majority, random, or a mixture such as ${DEFAULT_MIXTURE} (default)`,
    `  --size N         batch size (default ${DEFAULT_BATCH_SIZE})`,
    '  --seed S         seed for the random strategy (default: the batch number)',
    '  --exclude-near-duplicates  keep near-duplicates of labeled reviews out, and each group of',
    '                   near-duplicates once in the batch',
    '',
    'Needs a trained model ("secreview train"); "--strategy random" works without one.',
  ].join('\n'),
  options: { strategy: { type: 'string' }, size: { type: 'string' }, seed: { type: 'string' }, 'exclude-near-duplicates': { type: 'boolean' } },
  async run(args, io) {
    let mixture;
    try {
      mixture = parseMixture(optString(args, 'strategy') ?? DEFAULT_MIXTURE);
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    const unserved = unservedBySingleModel(mixture);
    if (unserved) {
      throw new CliError(unserved);
    }
    const size = optInt(args, 'size', DEFAULT_BATCH_SIZE, 1, 1_000_000);
    return withWorkspace(io, 'next', async (ws) => {
      const seed = optInt(args, 'seed', ws.db.batches().length + 1);
      const nearDuplicates = args.values['exclude-near-duplicates'] === true ? await nearDuplicateGroups(ws, io) : undefined;
      const { batch, unscored } = await proposeNextBatch(ws, { mixture, size, seed, nearDuplicates });
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
