import { createRoberta, robertaRequestOf } from '../../../python-free-train/features/roberta';
import { ShardError, embedShard, parseShard } from '../../../python-free-train/trainer/shards';
import { DEVICE_CLI_OPTIONS, DEVICE_USAGE, backendOf } from '../device';
import { printJson, withWorkspace } from '../workspace';
import { CliError, optString, type CliCommand } from '../types';
import { ROBERTA_CLI_OPTIONS, robertaTrainOptions } from './train';

export const embedCommand: CliCommand = {
  name: 'embed',
  summary: 'embed one shard of the pool with RoBERTa (scale-out; see docs/scale-out.md)',
  usage: [
    'Usage: secreview embed --shard I/N [--model FOLDER | --model-id ID [--model-revision R]] [--precision auto|fp32|int8|fp16] [--max-tokens N] [--device D]',
    '',
    '  --shard I/N   embed shard I (0-based) of N: the contiguous pool rows [floor(I*rows/N), floor((I+1)*rows/N));',
    '                auto/N takes I from JOB_COMPLETION_INDEX (Kubernetes Indexed Job), SLURM_ARRAY_TASK_ID',
    '                or AWS_BATCH_JOB_ARRAY_INDEX',
    '  encoder flags as for "secreview train --representation roberta" (give the same ones to train)',
    DEVICE_USAGE,
    '',
    'Writes the vectors of the shard\'s texts that the workspace cache lacks to .secreview/shards/; the',
    'workspace is only read, so N shards run at once. "secreview merge-shards" adds them to the cache.',
  ].join('\n'),
  options: { shard: { type: 'string' }, ...ROBERTA_CLI_OPTIONS, ...DEVICE_CLI_OPTIONS },
  async run(args, io) {
    const shardText = optString(args, 'shard');
    if (!shardText) throw new CliError('give the shard to embed: --shard I/N (or auto/N)');
    let shard;
    try { shard = parseShard(shardText, io.env); } catch (e) { throw new CliError((e as Error).message); }
    const backend = await backendOf(args, io);
    const request = robertaRequestOf(robertaTrainOptions(args, io), io.env, backend.device);
    if (request.precisionReason) io.progress(request.precisionReason);
    const representation = await createRoberta(request, { backend, hubUrl: io.env.HF_ENDPOINT || undefined });
    try {
      return await withWorkspace(io, 'embed', async (ws) => {
        const r = await embedShard(ws.dir, ws.pool, representation, shard, {
          signal: io.signal, onProgress: (p) => io.progress(`embed shard ${shard.index}/${shard.count}: ${p.done}/${p.total} rows`),
        });
        if (io.json) printJson(io, r);
        else io.out(`Shard ${shard.index}/${shard.count} (rows ${r.from}..${r.to - 1}): ${r.computed} texts embedded, ${r.cached} already cached; run "secreview merge-shards" when all ${shard.count} are done.`);
        return 0;
      }, { readOnly: true });
    } catch (e) {
      if (e instanceof ShardError) throw new CliError(e.message);
      throw e;
    } finally {
      await representation.release();
    }
  },
};
