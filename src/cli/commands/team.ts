import { assignBatch } from '../../store/batches';
import { withWorkspace, printJson } from '../workspace';
import { CliError, optNumber, optString, type CliCommand } from '../types';

export const teamCommand: CliCommand = {
  name: 'team',
  summary: 'label as a team: one label log per annotator, double coding with an overlap, disagreements',
  usage: [
    'Usage: secreview team enable',
    '       secreview team assign <batchId> --annotators NAME,NAME[,...] [--overlap SHARE] [--seed N]',
    '       secreview team status',
    '',
    'enable   moves the label events of labels.json into .secreview/labels/<annotator>.jsonl (one',
    '         append-only log per person, so clones merge through git without conflicts); labels.json',
    '         is backed up first and keeps batches, models and second opinions. Commit the result once.',
    'assign   splits a batch among annotators; a share of it (--overlap, default 0.1) is coded by two,',
    '         chosen at random with a recorded seed. Each annotator sees only their own items.',
    'status   annotators, their labels, and disagreements waiting for adjudication.',
    'The annotator is $SECREVIEW_ANNOTATOR, else git\'s user.name, else the operating-system user.',
  ].join('\n'),
  options: { annotators: { type: 'string' }, overlap: { type: 'string' }, seed: { type: 'string' } },
  async run(args, io) {
    const [action, ...rest] = args.positionals;
    if (action === 'enable') {
      if (rest.length) throw new CliError('"secreview team enable" takes no further arguments');
      return withWorkspace(io, 'team enable', async (ws) => {
        const r = await ws.db.enableTeam();
        if (io.json) printJson(io, r);
        else io.out(r.migrated ? `Team mode: ${r.migrated} label events moved into ${r.logs.length} log${r.logs.length === 1 ? '' : 's'} (${r.logs.join(', ')}) in .secreview/labels/; commit .secreview/ now.` : `Team mode is on (logs: ${r.logs.join(', ') || 'none yet'}).`);
        return 0;
      });
    }
    if (action === 'assign') {
      const [batchId, ...extra] = rest;
      if (!batchId || extra.length) throw new CliError('give one batch id, e.g. "secreview team assign b0003 --annotators alice,bob --overlap 0.2"');
      const names = (optString(args, 'annotators') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      if (!names.length) throw new CliError('--annotators must name the annotators, separated by commas');
      const overlap = optNumber(args, 'overlap', 0.1, 0, 1);
      const seedText = optString(args, 'seed');
      const seed = seedText === undefined ? undefined : Number(seedText);
      if (seed !== undefined && !Number.isSafeInteger(seed)) throw new CliError(`--seed must be a whole number, got "${seedText}"`);
      return withWorkspace(io, 'team assign', async (ws) => {
        if (!ws.db.teamMode) throw new CliError('double coding needs team mode (each person\'s labels in their own log): run "secreview team enable" first');
        let batch;
        try {
          batch = await assignBatch(ws, batchId, { annotators: names, overlap, seed });
        } catch (e) {
          throw new CliError((e as Error).message);
        }
        const a = batch.assignment!;
        const per = new Map(a.annotators.map((n) => [n, 0]));
        let double = 0;
        for (const coders of Object.values(a.coders)) {
          if (coders.length > 1) double++;
          for (const c of coders) per.set(c, (per.get(c) ?? 0) + 1);
        }
        if (io.json) printJson(io, { batchId, annotators: a.annotators, overlap: a.overlap, seed: a.seed, doubleCoded: double, perAnnotator: Object.fromEntries(per) });
        else io.out(`Batch ${batchId}: ${batch.items.length} reviews, ${double} coded by two (seed ${a.seed}); ${[...per].map(([n, k]) => `${n} ${k}`).join(', ')}.`);
        return 0;
      });
    }
    if (action === 'status') {
      return withWorkspace(io, 'team status', async (ws) => {
        const per = new Map<string, number>();
        for (const c of ws.db.current().keys()) for (const k of ws.db.codings(c)) per.set(k.annotator, (per.get(k.annotator) ?? 0) + 1);
        const queue = ws.db.adjudicationQueue();
        const status = {
          teamMode: ws.db.teamMode, annotator: ws.db.annotator, labelsByAnnotator: Object.fromEntries([...per].sort()),
          disagreements: { annotators: queue.filter((q) => q.source === 'annotators').length, secondOpinion: queue.filter((q) => q.source === 'second-opinion').length },
        };
        if (io.json) printJson(io, status);
        else io.out([
          `Team mode: ${status.teamMode ? 'on' : 'off (run "secreview team enable")'}; you label as "${status.annotator}".`,
          `Labels in force per annotator: ${[...per].map(([n, k]) => `${n} ${k}`).join(', ') || 'none'}.`,
          `Waiting for adjudication: ${status.disagreements.annotators} between annotators, ${status.disagreements.secondOpinion} from second opinions.`,
        ].join('\n'));
        return 0;
      }, { readOnly: true });
    }
    throw new CliError(`unknown team action "${action ?? ''}"; use enable, assign or status`);
  },
};
