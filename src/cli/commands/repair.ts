import { repairReportText, repairWorkspace } from '../../store/repair';
import { lockWaitMs, printJson } from '../workspace';
import type { CliCommand } from '../types';

export const repairCommand: CliCommand = {
  name: 'repair',
  summary: 'repair a damaged workspace (label database from backups, pool index and meta.json from reviews.jsonl)',
  usage: [
    'Usage: secreview repair',
    '',
    'Rebuilds pool/meta.json and pool/index.bin from pool/reviews.jsonl when they are missing, damaged',
    'or do not match it; restores a damaged or missing labels.json from the newest intact backup in',
    '.secreview/backups/ plus every complete record the damaged file still holds; makes read-only',
    'workspace files writable for their owner. Deletes nothing: every replaced file is moved aside',
    '(<file>.damaged-<time>). Reports what it did and what it could not recover; exits 0 when the',
    'workspace opens afterwards, 1 when it still does not.',
  ].join('\n'),
  options: {},
  async run(_args, io) {
    const report = await repairWorkspace(io.cwd, { owner: `secreview repair (pid ${process.pid})`, lockWaitMs: lockWaitMs(io) });
    if (io.json) printJson(io, report);
    else io.out(repairReportText(report));
    return report.opened ? 0 : 1;
  },
};
