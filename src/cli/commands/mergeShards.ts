import { ShardError, checkGroup, findShards, mergeEmbedShards, mergeScoreShards, removeGroup } from '../../../python-free-train/trainer/shards';
import { printJson, withWorkspace } from '../workspace';
import { CliError, type CliCommand } from '../types';

export const mergeShardsCommand: CliCommand = {
  name: 'merge-shards',
  summary: 'merge the shards of "secreview embed" / "secreview score" into the cache or the model\'s scores',
  usage: [
    'Usage: secreview merge-shards [--keep]',
    '',
    'Checks every group of shards under .secreview/shards/ (all N present, each pool row exactly once,',
    'the same pool size and representation fingerprint), then adds embedding shards to the workspace',
    'embedding cache and writes score shards into .secreview/models/<version>/scores.bin. Nothing is',
    'merged when a group is incomplete; the message lists the shards to run again.',
    '',
    '  --keep   leave the shard files in place after merging (default: remove them)',
  ].join('\n'),
  options: { keep: { type: 'boolean' } },
  async run(args, io) {
    return withWorkspace(io, 'merge-shards', async (ws) => {
      ws.assertWritable();
      const found = findShards(ws.dir);
      if (!found.embed.length && !found.score.length) throw new CliError('no shards under .secreview/shards/: run "secreview embed --shard I/N" or "secreview score --shard I/N" first');
      try {
        // Check everything first: merge all or nothing.
        for (const g of [...found.embed, ...found.score]) checkGroup(g);
        const merged: Record<string, unknown>[] = [];
        for (const g of found.embed) {
          const r = await mergeEmbedShards(ws.dir, ws.pool, g, { signal: io.signal, onProgress: (p) => io.progress(`merging embeddings: ${p.done}/${p.total} rows`) });
          merged.push({ kind: 'embed', fingerprint: g.key, shards: g.shards.length, rows: r.rows, added: r.added });
          if (!io.json) io.out(`Embeddings ${g.key}: ${g.shards.length} shards over ${r.rows} rows merged, ${r.added} vectors added to the cache.`);
        }
        for (const g of found.score) {
          const r = await mergeScoreShards(ws.dir, g);
          merged.push({ kind: 'score', version: r.version, shards: g.shards.length, rows: r.rows });
          if (!io.json) io.out(`Scores of model ${r.version}: ${g.shards.length} shards over ${r.rows} rows written to scores.bin.`);
        }
        if (args.values.keep !== true) for (const g of [...found.embed, ...found.score]) await removeGroup(g);
        if (io.json) printJson(io, { merged });
        return 0;
      } catch (e) {
        if (e instanceof ShardError) throw new CliError(e.message);
        throw e;
      }
    });
  },
};
