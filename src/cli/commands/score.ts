import { ShardError, parseShard, scoreShard } from '../../../python-free-train/trainer/shards';
import { DEVICE_CLI_OPTIONS, DEVICE_USAGE, backendOf } from '../device';
import { printJson, withWorkspace } from '../workspace';
import { CliError, optString, type CliCommand } from '../types';
import { encoderOverride } from './predict';

export const scoreCommand: CliCommand = {
  name: 'score',
  summary: 'score one shard of the pool with the latest (or a given) model (scale-out; see docs/scale-out.md)',
  usage: [
    'Usage: secreview score --shard I/N [--model VERSION] [--model-path FOLDER] [--device D]',
    '',
    '  --shard I/N        score shard I (0-based) of N: the contiguous pool rows [floor(I*rows/N), floor((I+1)*rows/N));',
    '                     auto/N takes I from JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID or AWS_BATCH_JOB_ARRAY_INDEX',
    '  --model VERSION    the model to score with (default the latest)',
    '  --model-path DIR   RoBERTa models: the encoder folder, when it is not where the model was trained',
    DEVICE_USAGE,
    '',
    'Writes the shard\'s probabilities to .secreview/shards/; cached embeddings are read, missing ones',
    'computed (not cached). "secreview merge-shards" writes them into the model\'s scores.bin.',
  ].join('\n'),
  options: { shard: { type: 'string' }, model: { type: 'string' }, 'model-path': { type: 'string' }, ...DEVICE_CLI_OPTIONS },
  async run(args, io) {
    const shardText = optString(args, 'shard');
    if (!shardText) throw new CliError('give the shard to score: --shard I/N (or auto/N)');
    let shard;
    try { shard = parseShard(shardText, io.env); } catch (e) { throw new CliError((e as Error).message); }
    const backend = await backendOf(args, io);
    return withWorkspace(io, 'score', async (ws) => {
      try {
        const r = await scoreShard(ws.dir, ws.pool, shard, {
          version: optString(args, 'model'), backend, load: encoderOverride(args, io), signal: io.signal,
          onProgress: (p) => io.progress(`score shard ${shard.index}/${shard.count}: ${p.done}/${p.total} rows`),
        });
        if (io.json) printJson(io, r);
        else io.out(`Shard ${shard.index}/${shard.count} (rows ${r.from}..${r.to - 1}) scored with model ${r.version}; run "secreview merge-shards" when all ${shard.count} are done.`);
        return 0;
      } catch (e) {
        if (e instanceof ShardError) throw new CliError(e.message);
        throw e;
      }
    }, { readOnly: true });
  },
};
