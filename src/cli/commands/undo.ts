import { withWorkspace, printJson } from '../workspace';
import type { CliCommand } from '../types';

export const undoCommand: CliCommand = {
  name: 'undo',
  summary: 'revert the most recent label (repeat to go further back)',
  usage: 'Usage: secreview undo\n\nRecords an undo event; the label returns to its previous value (or to unlabeled).',
  options: {},
  async run(_args, io) {
    return withWorkspace(io, 'undo', async (ws) => {
      const ev = await ws.db.undo();
      if (!ev) {
        if (io.json) printJson(io, { undone: null });
        else io.out('Nothing to undo.');
        return 0;
      }
      const target = ws.db.events()[ev.undoes! - 1]!;
      const now = ws.db.labelOf(ev.reviewId);
      if (io.json) printJson(io, { undone: target, now: now?.label ?? null });
      else io.out(`Undid ${target.label} on ${ev.reviewId}; it is now ${now ? now.label : 'unlabeled'}.`);
      return 0;
    });
  },
};
