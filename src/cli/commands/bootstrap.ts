import { DEFAULT_BATCH_SIZE } from '../../core/defaults';
import { proposeBootstrapBatch } from '../../store/batches';
import { nearDuplicateGroups, withWorkspace, printJson } from '../workspace';
import { bootstrapRule } from '../../core/bootstrap';
import { CliError, optInt, type CliCommand } from '../types';

export const bootstrapCommand: CliCommand = {
  name: 'bootstrap',
  summary: 'propose the first batch with the keyword rule M1 (and your own patterns)',
  usage: [
    `Usage: secreview bootstrap [--size N] [--pattern REGEX]... [--no-m1] [--seed S] [--exclude-near-duplicates]`,
    '',
    'Proposes reviews matched by the paper\'s rule M1 (the keyword "secur", not inside paths, file',
    'names or identifiers) or by your patterns, in a seeded random order, skipping labeled reviews',
    'and repeated bodies.',
    '',
    `  --size N          batch size (default ${DEFAULT_BATCH_SIZE})`,
    '  --pattern REGEX   an extra pattern (case-insensitive unless given as /re/flags); repeatable',
    '  --no-m1           use only your patterns',
    '  --seed S          seed of the random order (default 1)',
    '  --exclude-near-duplicates  keep near-duplicates of labeled reviews out, and each group of',
    '                    near-duplicates once in the batch',
  ].join('\n'),
  options: { size: { type: 'string' }, pattern: { type: 'string', multiple: true }, 'no-m1': { type: 'boolean' }, seed: { type: 'string' }, 'exclude-near-duplicates': { type: 'boolean' } },
  async run(args, io) {
    const size = optInt(args, 'size', DEFAULT_BATCH_SIZE, 1, 1_000_000);
    const seed = optInt(args, 'seed', 1);
    const patterns = (args.values.pattern as string[] | undefined) ?? [];
    const useM1 = args.values['no-m1'] !== true;
    try {
      bootstrapRule({ useM1, patterns });
    } catch (e) {
      throw new CliError((e as Error).message);
    }
    return withWorkspace(io, 'bootstrap', async (ws) => {
      const nearDuplicates = args.values['exclude-near-duplicates'] === true ? await nearDuplicateGroups(ws, io) : undefined;
      const { batch, candidates } = await proposeBootstrapBatch(ws, { size, seed, patterns, useM1, nearDuplicates, onProgress: (r) => io.progress(`scanned ${r.toLocaleString('en-US')} of ${ws.pool.size.toLocaleString('en-US')} reviews for the patterns`) });
      if (io.json) printJson(io, batch ? { batch: batch.id, iteration: batch.iteration, size: batch.items.length, candidates, strategy: batch.strategy, items: batch.items } : { batch: null, size: 0, candidates });
      else if (!batch) io.out(`No unlabeled candidates left among ${candidates} matches: add patterns with --pattern, or train a model and use "secreview next".`);
      else {
        io.out(`Batch ${batch.id} (iteration ${batch.iteration}): ${batch.items.length} reviews from ${candidates} candidates of ${batch.strategy}.`);
        io.out('Label them in VS Code ("Security Review: Open Labeling Panel") or with "secreview label <reviewId> <label>".');
      }
      return 0;
    });
  },
};
