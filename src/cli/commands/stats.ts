import { formatStats, workspaceStats } from '../../store/stats';
import { withWorkspace, printJson } from '../workspace';
import type { CliCommand } from '../types';

export const statsCommand: CliCommand = {
  name: 'stats',
  summary: 'pool size, labels per label, identification rates per iteration, batches',
  usage: 'Usage: secreview stats [--json]\n\nReads the workspace without locking it, so it also works while VS Code has it open.',
  options: {},
  async run(_args, io) {
    return withWorkspace(io, 'stats', async (ws) => {
      const s = workspaceStats(ws);
      if (io.json) printJson(io, s);
      else io.out(formatStats(s));
      return 0;
    }, { readOnly: true });
  },
};
