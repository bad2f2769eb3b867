import { Workspace } from '../../store/workspace';
import { printJson } from '../workspace';
import type { CliCommand } from '../types';

export const initCommand: CliCommand = {
  name: 'init',
  summary: 'create a labeling workspace (.secreview/) in this folder',
  usage: 'Usage: secreview init\n\nCreates .secreview/ with an empty label database and review pool. An existing workspace is kept as it is.',
  options: {},
  async run(_args, io) {
    const existed = Workspace.exists(io.cwd);
    const ws = await Workspace.init(io.cwd, { owner: `secreview init (pid ${process.pid})` });
    try {
      if (io.json) printJson(io, { dir: ws.dir, created: !existed, pool: ws.pool.size, labeled: ws.db.current().size });
      else io.out(existed ? `Workspace already initialized: ${ws.dir} (${ws.pool.size} reviews, ${ws.db.current().size} labeled)` : `Initialized an empty workspace in ${ws.dir}\nNext: secreview import <reviews.jsonl>`);
    } finally {
      await ws.close();
    }
    return 0;
  },
};
