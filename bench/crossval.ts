// Cross-validated ranking quality of the trainer's pipeline (hashing representation + head) for the
// rare label `yes` on the paper's 959 labeled review comments, against the bootstrap rule M1.
// Seeded stratified k-fold; inside each training fold the trainer's own 70/30 split picks the epoch.
// Usage: npm run bench -- crossval [--folds 5] [--seed 1] [--epochs 20] [--hidden 0] [--lr 0.02]
//        [--dim 4096] [--word-weight W] [--rule-weight W] [--char-min N] [--char-max N] [--weighting balanced|none]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Backend } from '../python-free-train/backend';
import type { HashingConfig } from '../python-free-train/features/representation';
import { crossValidate, type FoldResult } from '../test/helpers/crossval';
import { readLabeledJsonl } from '../test/helpers/inMemoryTrainer';
import { TRAINING_DEFAULTS } from '../python-free-train/trainer/job';
import { findPaperData, HOW_TO_GET, PAPER_DATA_FILE } from '../scripts/paper-data';

/** The paper's labeled reviews: beside the project or in the cache `npm run fetch-paper-data` fills. */
const DATA = findPaperData() ?? path.resolve(__dirname, '..', '..', 'shared', 'data', PAPER_DATA_FILE);

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => { const m = mean(xs); return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)); };
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    folds: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' }, epochs: { type: 'string', default: '20' },
    hidden: { type: 'string', default: '0' }, lr: { type: 'string', default: String(TRAINING_DEFAULTS.learningRate) },
    dim: { type: 'string', default: String(TRAINING_DEFAULTS.hashingDim) },
    'word-weight': { type: 'string' }, 'rule-weight': { type: 'string' }, 'char-min': { type: 'string' }, 'char-max': { type: 'string' },
    weighting: { type: 'string', default: TRAINING_DEFAULTS.classWeighting },
    data: { type: 'string', default: DATA }, label: { type: 'string', default: 'tag_post_qa' },
  } });
  const folds = Number(values.folds), seed = Number(values.seed), epochs = Number(values.epochs);
  const hidden = Number(values.hidden) > 0 ? [Number(values.hidden)] : [];
  const learningRate = Number(values.lr);
  const hashing: Partial<HashingConfig> = { dim: Number(values.dim) };
  if (values['word-weight']) hashing.wordWeight = Number(values['word-weight']);
  if (values['rule-weight']) hashing.ruleWeight = Number(values['rule-weight']);
  if (values['char-min']) hashing.charNgramMin = Number(values['char-min']);
  if (values['char-max']) hashing.charNgramMax = Number(values['char-max']);
  const classWeighting = values.weighting === 'none' ? 'none' : 'balanced';
  const t0 = performance.now();
  if (!existsSync(values.data!)) throw new Error(`${values.data} is missing: ${HOW_TO_GET}, or give --data FILE`);
  const all = readLabeledJsonl(values.data!, values.label!);
  const backend = await Backend.create({ device: 'cpu' });
  const cv = await crossValidate(all, all.map((r) => r.body), { folds, seed, epochs, hidden, learningRate, classWeighting, hashing, backend });
  const summary = (k: keyof FoldResult) => ({ mean: r4(mean(cv.perFold.map((p) => p[k]))), sd: r4(sd(cv.perFold.map((p) => p[k]))) });
  console.log(JSON.stringify({
    benchmark: 'crossval', data: path.basename(values.data!), labelField: values.label,
    rows: cv.rows, excluded: all.length - cv.rows, yesCount: cv.positives,
    folds, seed, epochs, representation: { id: 'hashing', ...cv.hashing }, head: { hidden, learningRate, optimizer: 'adamw', classWeighting },
    provider: backend.device,
    yes: { rocAuc: summary('rocAuc'), precisionAtK: summary('precisionAtK') },
    m1: { rocAuc: summary('m1RocAuc'), precisionAtK: summary('m1PrecisionAtK'), note: 'M1 scores are 0/1; precision@k breaks ties by input order' },
    perFold: cv.perFold.map((p) => ({ ...p, rocAuc: r4(p.rocAuc), precisionAtK: r4(p.precisionAtK), m1RocAuc: r4(p.m1RocAuc), m1PrecisionAtK: r4(p.m1PrecisionAtK) })),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  }, null, 1));
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
