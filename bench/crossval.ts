// Cross-validated ranking quality of the trainer's pipeline (hashing representation + head) for the
// rare label `yes` on the paper's 959 labeled review comments, against the bootstrap rule M1.
// Seeded stratified k-fold; inside each training fold the trainer's own 70/30 split picks the epoch.
// Usage: npm run bench -- crossval [--folds 5] [--seed 1] [--epochs 20] [--hidden 0] [--lr 0.02] [--dim 4096]
import path from 'node:path';
import { parseArgs } from 'node:util';
import { matchesM1 } from '../src/core/bootstrap';
import { precisionAtK, rocAuc } from '../src/core/metrics';
import { MODEL_LABELS } from '../src/core/labels';
import { Backend } from '../python-free-train/backend';
import { classOf, fitHashing, readLabeledJsonl, trainOnFeatures } from '../python-free-train/trainer/inMemory';
import { gatherLabels, gatherRows } from '../python-free-train/trainer/fit';
import type { HashingConfig } from '../python-free-train/features/representation';
import { stratifiedFolds } from '../python-free-train/trainer/split';

const DATA = path.resolve(__dirname, '..', '..', 'shared', 'data', 'paper-labels-it1-5.jsonl');

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => { const m = mean(xs); return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)); };
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    folds: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' }, epochs: { type: 'string', default: '20' },
    hidden: { type: 'string', default: '0' }, lr: { type: 'string', default: '0.02' }, dim: { type: 'string', default: '4096' },
    'word-weight': { type: 'string' }, 'rule-weight': { type: 'string' }, weighting: { type: 'string', default: 'balanced' }, 'char-min': { type: 'string' }, 'char-max': { type: 'string' },
    data: { type: 'string', default: DATA }, label: { type: 'string', default: 'tag_post_qa' },
  } });
  const folds = Number(values.folds), seed = Number(values.seed), epochs = Number(values.epochs);
  const hidden = Number(values.hidden) > 0 ? [Number(values.hidden)] : [];
  const learningRate = Number(values.lr), dim = Number(values.dim);
  const t0 = performance.now();
  const all = readLabeledJsonl(values.data!, values.label!);
  const items = all.filter((r) => classOf(r.label) >= 0);
  const texts = items.map((r) => r.body);
  const y = Int32Array.from(items.map((r) => classOf(r.label)));
  const target = MODEL_LABELS.indexOf('yes');
  // The pool's unlabeled text fits the idf (labels are not used).
  const hashing: Partial<HashingConfig> = { dim };
  if (values['word-weight']) hashing.wordWeight = Number(values['word-weight']);
  if (values['rule-weight']) hashing.ruleWeight = Number(values['rule-weight']);
  if (values['char-min']) hashing.charNgramMin = Number(values['char-min']);
  if (values['char-max']) hashing.charNgramMax = Number(values['char-max']);
  const rep = await fitHashing(all.map((r) => r.body), hashing);
  const x = await rep.featurize(texts);
  const backend = await Backend.create({ device: 'cpu' });
  const fold = stratifiedFolds(y, folds, seed);
  const perFold: { fold: number; test: number; positives: number; rocAuc: number; precisionAtK: number; m1RocAuc: number; m1PrecisionAtK: number; selectedEpoch: number }[] = [];
  for (let f = 0; f < folds; f++) {
    const trainRows: number[] = [], testRows: number[] = [];
    for (let i = 0; i < y.length; i++) (fold[i] === f ? testRows : trainRows).push(i);
    const model = await trainOnFeatures(gatherRows(x, dim, trainRows), gatherLabels(y, trainRows), dim, { epochs, seed: seed + f, hidden, learningRate, backend, classWeighting: values.weighting === 'balanced' ? 'balanced' : 'none' });
    const probs = await model.predict(gatherRows(x, dim, testRows), testRows.length);
    await model.release();
    const score = testRows.map((_, i) => probs[i * MODEL_LABELS.length + target]!);
    const positive = testRows.map((r) => y[r] === target);
    const m1 = testRows.map((r) => (matchesM1(texts[r]!) ? 1 : 0));
    perFold.push({
      fold: f, test: testRows.length, positives: positive.filter(Boolean).length,
      rocAuc: r4(rocAuc(score, positive)), precisionAtK: r4(precisionAtK(score, positive)),
      m1RocAuc: r4(rocAuc(m1, positive)), m1PrecisionAtK: r4(precisionAtK(m1, positive)), selectedEpoch: model.selectedEpoch,
    });
  }
  const summary = (k: 'rocAuc' | 'precisionAtK' | 'm1RocAuc' | 'm1PrecisionAtK') => ({ mean: r4(mean(perFold.map((p) => p[k]))), sd: r4(sd(perFold.map((p) => p[k]))) });
  console.log(JSON.stringify({
    benchmark: 'crossval', data: path.basename(values.data!), labelField: values.label, rows: items.length,
    excluded: all.length - items.length, yesCount: y.filter((c) => c === target).length,
    folds, seed, epochs, representation: { id: 'hashing', ...rep.config }, head: { hidden, learningRate, optimizer: 'adamw', classWeighting: values.weighting },
    provider: backend.device,
    yes: { rocAuc: summary('rocAuc'), precisionAtK: summary('precisionAtK') },
    m1: { rocAuc: summary('m1RocAuc'), precisionAtK: summary('m1PrecisionAtK'), note: 'M1 scores are 0/1; precision@k breaks ties by input order' },
    perFold, seconds: Math.round((performance.now() - t0) / 100) / 10,
  }, null, 1));
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
