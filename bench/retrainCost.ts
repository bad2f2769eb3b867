// What a retrain costs with an ensemble: the product's own retrain (the trainer process, through
// the CLI's client) on a workspace whose pool is the paper's 959 labeled reviews (all labeled)
// plus unlabeled copies of their texts under new ids up to --rows, once with rare-label (the head
// alone) and once with the ensemble strategy (the head and --members bootstrap members), in
// alternating order --repeats times. Reports the trainer's own phase timings (training, ensemble,
// scoring, total) per strategy and the ensemble's cost as a multiple of rare-label's.
// Usage: npm run bench -- retrainCost [--rows 100000] [--members 5] [--repeats 2]. Prints JSON.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { main } from '../src/cli/main';
import { DEFAULT_ENSEMBLE_SIZE } from '../src/core/defaults';
import { Workspace } from '../src/store/workspace';
import { readLabeledJsonl } from '../test/helpers/inMemoryTrainer';
import { findPaperData, HOW_TO_GET } from '../scripts/paper-data';

interface Record { durationsMs: { [phase: string]: number }; ensemble?: { members: number }; scoredRows: number }

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  if (code !== 0) throw new Error(`secreview ${argv.join(' ')} failed (${code}): ${err.join('\n')}`);
  return { code, out: out.join('\n') };
}

async function run(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '100000' }, members: { type: 'string', default: String(DEFAULT_ENSEMBLE_SIZE) }, repeats: { type: 'string', default: '2' } } });
  const rows = Number(values.rows), members = Number(values.members), repeats = Number(values.repeats);
  const data = findPaperData();
  if (!data) throw new Error(`the paper's labeled reviews are missing: ${HOW_TO_GET}`);
  const labeled = readLabeledJsonl(data, 'tag_post_qa');
  const folder = mkdtempSync(path.join(os.tmpdir(), 'secreview-retrain-cost-'));
  try {
    const file = path.join(folder, 'pool.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < Math.max(rows, labeled.length); i++) {
      const r = labeled[i % labeled.length]!;
      const id = i < labeled.length ? r.id : `${r.id}${String(i).padStart(9, '0')}`;
      lines.push(JSON.stringify({ id, body: i < labeled.length ? r.body : `${r.body} (${i})`, html_url: `https://github.com/o/r/pull/1#discussion_r${id}`, diff_hunk: '@@' }));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const ws = await Workspace.init(folder, { owner: 'retrain cost bench' });
    await ws.importFiles([file]);
    await ws.db.setLabels(labeled.map((r) => ({ reviewId: r.id, label: r.label, source: 'bench' })));
    const poolRows = ws.pool.size;
    await ws.close();
    const t0 = performance.now();
    const runs: { strategy: string; durationsMs: Record['durationsMs'] }[] = [];
    for (let k = 0; k < repeats; k++) {
      // Alternate which goes first, so drift in the machine's load falls on both.
      const order = k % 2 ? ['ensemble', 'rare'] : ['rare', 'ensemble'];
      for (const strategy of order) {
        const r = await cli(folder, 'train', '--json', '--strategy', strategy, '--size', '200', ...(strategy === 'ensemble' ? ['--ensemble-size', String(members)] : []));
        const record = (JSON.parse(r.out) as { model: Record }).model;
        runs.push({ strategy, durationsMs: record.durationsMs });
      }
    }
    const mean = (strategy: string, phase: string) => {
      const xs = runs.filter((r) => r.strategy === strategy).map((r) => r.durationsMs[phase] ?? 0);
      return Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
    };
    const phases = ['featurizing', 'training', 'ensemble', 'scoring', 'total'];
    const per = (s: string) => Object.fromEntries(phases.map((p) => [p, mean(s, p)]));
    console.log(JSON.stringify({
      benchmark: 'retrainCost', poolRows, labeled: labeled.length, members, repeats, loadAverage: os.loadavg().map((v) => Math.round(v * 10) / 10),
      msPerPhase: { rare: per('rare'), ensemble: per('ensemble') },
      ensembleTotalOverRare: Math.round((mean('ensemble', 'total') / mean('rare', 'total')) * 100) / 100,
      ensembleExtraMs: { fitting: mean('ensemble', 'ensemble'), scoring: mean('ensemble', 'scoring') - mean('rare', 'scoring') },
      runs, seconds: Math.round((performance.now() - t0) / 100) / 10,
    }));
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

run().catch((e: unknown) => { console.error(e); process.exit(1); });
