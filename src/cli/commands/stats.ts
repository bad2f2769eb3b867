import { formatStats, workspaceStats } from '../../store/stats';
import { withWorkspace, printJson } from '../workspace';
import { DEFAULT_IDLE_SECONDS, DEFAULT_TARGET_STEP } from '../../core/defaults';
import { CliError, optInt, optNumber, optString, type CliCommand } from '../types';

export const statsCommand: CliCommand = {
  name: 'stats',
  summary: 'pool size, labels per label, identification rates per iteration, batches',
  usage: [
    'Usage: secreview stats [--json] [--prior-sample K/N] [--target-recall R] [--target-positives N] [--idle-seconds S]',
    '',
    'Reads the workspace without locking it, so it also works while VS Code has it open.',
    '  --prior-sample K/N   an earlier random sample (K defects in N reviews) folded into the prevalence estimate',
    '  --target-recall R    recall the target-recall stopping rule aims for (default 0.8)',
    `  --target-positives N potential security defects the ETA counts to (default: ${DEFAULT_TARGET_STEP} more than found)`,
    `  --idle-seconds S     a gap between two labels longer than this is a break, not labeling time (default ${DEFAULT_IDLE_SECONDS})`,
    '',
    'Also: near-duplicate groups (reviews not signed yet stay alone: the window or a command that writes',
    'the workspace signs them) and the median time per label of each annotator ($SECREVIEW_ANNOTATOR or',
    'your user name picks whose the ETA uses).',
  ].join('\n'),
  options: { 'prior-sample': { type: 'string' }, 'target-recall': { type: 'string' }, 'target-positives': { type: 'string' }, 'idle-seconds': { type: 'string' } },
  async run(args, io) {
    const prior = optString(args, 'prior-sample');
    const m = prior === undefined ? undefined : /^(\d+)\/(\d+)$/.exec(prior.trim());
    if (prior !== undefined && (!m || Number(m[1]) > Number(m[2]))) throw new CliError(`--prior-sample must look like K/N with K <= N (e.g. 0/100), got "${prior}"`);
    const priorSample = m ? { positives: Number(m[1]), sampled: Number(m[2]) } : undefined;
    const targetRecall = optNumber(args, 'target-recall', 0.8, 0.01, 1);
    const targetPositives = optInt(args, 'target-positives', 0, 1, 100_000_000) || undefined;
    const idleSeconds = optNumber(args, 'idle-seconds', DEFAULT_IDLE_SECONDS, 1, 86_400);
    return withWorkspace(io, 'stats', async (ws) => {
      const s = workspaceStats(ws, { priorSample, targetRecall, targetPositives, idleSeconds, nearDuplicates: await ws.nearDuplicates.groups({ signal: io.signal }) });
      if (io.json) printJson(io, s);
      else io.out(formatStats(s));
      return 0;
    }, { readOnly: true });
  },
};
