import { labelListText, parseLabel } from '../../core/labels';
import { parseCweList } from '../../core/cwe';
import { withWorkspace, printJson } from '../workspace';
import { CliError, optString, type CliCommand } from '../types';

export const labelCommand: CliCommand = {
  name: 'label',
  summary: 'set the label of a review',
  usage: `Usage: secreview label <reviewId> <label> [--note TEXT] [--cwe IDS]\n\nLabels: ${labelListText()} (names, keys or titles). Relabeling records a new event; the history is kept.\n--cwe tags a yes label with CWE ids, e.g. --cwe 89,CWE-79 (relabeling yes without --cwe keeps the tags).`,
  options: { note: { type: 'string' }, cwe: { type: 'string' } },
  async run(args, io) {
    const [reviewId, labelText, ...extra] = args.positionals;
    if (!reviewId || !labelText || extra.length) throw new CliError('give a review id and a label, e.g. "secreview label 837450308 yes"');
    const label = parseLabel(labelText);
    if (!label) throw new CliError(`unknown label "${labelText}"; use one of ${labelListText()}`);
    const cweText = optString(args, 'cwe');
    let cwe: string[] | undefined;
    try {
      cwe = cweText === undefined ? undefined : parseCweList(cweText);
    } catch (e) {
      throw new CliError(`--cwe: ${(e as Error).message}`);
    }
    if (cwe?.length && label !== 'yes') throw new CliError(`--cwe tags go on "yes" labels only, not on "${label}"`);
    return withWorkspace(io, 'label', async (ws) => {
      if (ws.pool.rowOf(reviewId) === undefined) throw new CliError(`no review with id "${reviewId}" in the pool`);
      // Attribute the label to the newest batch that proposed this review, if any.
      const batch = [...ws.db.batches()].reverse().find((b) => b.items.some((i) => i.reviewId === reviewId));
      const previous = ws.db.labelOf(reviewId);
      const ev = await ws.db.setLabel({ reviewId, label, note: optString(args, 'note'), batchId: batch?.id, cwe: cwe ?? (label === 'yes' ? previous?.cwe : undefined) });
      if (io.json) printJson(io, ev);
      else io.out(`${reviewId}: ${previous ? `${previous.label} -> ` : ''}${label}${ev.cwe ? ` ${ev.cwe.join(',')}` : ''}${ev.note ? ` (note: ${ev.note})` : ''} [iteration ${ev.iteration}${ev.batchId ? `, batch ${ev.batchId}` : ''}]`);
      return 0;
    });
  },
};
