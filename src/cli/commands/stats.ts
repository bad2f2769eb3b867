import { formatStats, workspaceStats } from '../../store/stats';
import { withWorkspace, printJson } from '../workspace';
import { CliError, optNumber, optString, type CliCommand } from '../types';

export const statsCommand: CliCommand = {
  name: 'stats',
  summary: 'pool size, labels per label, identification rates per iteration, batches',
  usage: [
    'Usage: secreview stats [--json] [--prior-sample K/N] [--target-recall R]',
    '',
    'Reads the workspace without locking it, so it also works while VS Code has it open.',
    '  --prior-sample K/N   an earlier random sample (K defects in N reviews) folded into the prevalence estimate',
    '  --target-recall R    recall the target-recall stopping rule aims for (default 0.8)',
  ].join('\n'),
  options: { 'prior-sample': { type: 'string' }, 'target-recall': { type: 'string' } },
  async run(args, io) {
    const prior = optString(args, 'prior-sample');
    const m = prior === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(prior.trim());
    if (prior !== undefined && (!m || Number(m[1]) > Number(m[2]))) throw new CliError(`--prior-sample must look like K/N with K <= N (e.g. 0/100), got "${prior}"`);
    const priorSample = m ? { positives: Number(m[1]), sampled: Number(m[2]) } : undefined;
    const targetRecall = optNumber(args, 'target-recall', 0.8, 0.01, 1);
    return withWorkspace(io, 'stats', async (ws) => {
      const s = workspaceStats(ws, { priorSample, targetRecall });
      if (io.json) printJson(io, s);
      else io.out(formatStats(s));
      return 0;
    }, { readOnly: true });
  },
};
