// Does refitting the final model on every label help? Cross-validated on the paper's 959 labeled
// review comments: in each training fold the trainer's 70/30 split picks the epoch, then the head
// that ranks the held-out fold is either that split's model (the default) or a fresh head refit on
// the whole training fold for the picked number of epochs (`refitAll`). Same folds, same seeds:
// per fold the two ROC-AUCs for `yes` and precision@k are paired. Repeated over seeds.
// Usage: npm run bench -- refit [--folds 5] [--seeds 3] [--epochs 20] [--hidden 0,64]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Backend } from '../python-free-train/backend';
import { TRAINING_DEFAULTS } from '../python-free-train/trainer/job';
import { bootstrapInterval, meanAt } from '../src/core/stats';
import { crossValidate } from '../test/helpers/crossval';
import { readLabeledJsonl } from '../test/helpers/inMemoryTrainer';
import { findPaperData, HOW_TO_GET, PAPER_DATA_FILE } from '../scripts/paper-data';

const DATA = findPaperData() ?? path.resolve(__dirname, '..', '..', 'shared', 'data', PAPER_DATA_FILE);
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    folds: { type: 'string', default: '5' }, seeds: { type: 'string', default: '3' }, epochs: { type: 'string', default: '20' },
    hidden: { type: 'string', default: '0,64' }, data: { type: 'string', default: DATA },
  } });
  const folds = Number(values.folds), seeds = Number(values.seeds), epochs = Number(values.epochs);
  if (!existsSync(values.data!)) throw new Error(`${values.data} is missing: ${HOW_TO_GET}, or give --data FILE`);
  const all = readLabeledJsonl(values.data!, 'tag_post_qa');
  const backend = await Backend.create({ device: 'cpu' });
  const t0 = performance.now();
  const heads = [];
  for (const h of values.hidden!.split(',').map(Number)) {
    const hidden = h > 0 ? [h] : [];
    const pairs: { seed: number; fold: number; split: number; refit: number; splitP: number; refitP: number; epoch: number }[] = [];
    for (let seed = 1; seed <= seeds; seed++) {
      const common = { folds, seed, epochs, hidden, learningRate: TRAINING_DEFAULTS.learningRate, classWeighting: TRAINING_DEFAULTS.classWeighting, backend };
      const split = await crossValidate(all, all.map((r) => r.body), common);
      const refit = await crossValidate(all, all.map((r) => r.body), { ...common, refitAll: true });
      split.perFold.forEach((f, i) => pairs.push({
        seed, fold: f.fold, split: f.rocAuc, refit: refit.perFold[i]!.rocAuc, splitP: f.precisionAtK, refitP: refit.perFold[i]!.precisionAtK, epoch: f.selectedEpoch,
      }));
    }
    const diff = Float64Array.from(pairs, (p) => p.refit - p.split);
    const diffP = Float64Array.from(pairs, (p) => p.refitP - p.splitP);
    const every = Int32Array.from(pairs, (_, i) => i);
    const ci = bootstrapInterval(pairs.length, (idx) => meanAt(diff, idx), { resamples: 4000 });
    const ciP = bootstrapInterval(pairs.length, (idx) => meanAt(diffP, idx), { resamples: 4000 });
    heads.push({
      hidden, folds: pairs.length,
      rocAuc: { split: r4(meanAt(Float64Array.from(pairs, (p) => p.split), every)), refit: r4(meanAt(Float64Array.from(pairs, (p) => p.refit), every)),
        difference: r4(meanAt(diff, every)), interval90: [r4(ci.lo), r4(ci.hi)], foldsBetter: pairs.filter((p) => p.refit > p.split).length, foldsWorse: pairs.filter((p) => p.refit < p.split).length },
      precisionAtK: { split: r4(meanAt(Float64Array.from(pairs, (p) => p.splitP), every)), refit: r4(meanAt(Float64Array.from(pairs, (p) => p.refitP), every)),
        difference: r4(meanAt(diffP, every)), interval90: [r4(ciP.lo), r4(ciP.hi)] },
      meanSelectedEpoch: r4(pairs.reduce((a, p) => a + p.epoch, 0) / pairs.length),
    });
  }
  console.log(JSON.stringify({
    benchmark: 'refit', data: path.basename(values.data!), folds, seeds, epochs, provider: backend.device,
    note: 'interval90: percentile bootstrap over folds x seeds of the paired difference refit - split',
    heads, seconds: Math.round((performance.now() - t0) / 100) / 10,
  }, null, 1));
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
