// Cross-validated ranking quality for the rare label `yes` on the paper's 959 labeled review
// comments: the trainer's default pipeline (hashing representation + head, fitted exactly as a
// training run fits it) against two yardsticks on the same seeded stratified folds: TF-IDF over word
// and character n-grams with L2-regularized logistic regression, C chosen by inner folds (see
// _tfidfLogistic.ts), and the bootstrap rule M1.
//
// --select runs the procedure that chose the representation's and the head's defaults (nested
// cross-validation): in every outer fold each candidate of CANDIDATES is scored by inner folds of
// the outer training part alone (its best mean inner ROC-AUC over the L2 path), one is picked by the
// one-standard-error rule, and the picked candidate's outer-fold figures are what the procedure
// scores; then the same inner choice on all reviews names the candidate that becomes the default.
//
// Usage: npm run bench -- crossval [--folds 5] [--seed 1] [--select] [--dim 4096] [--weighting balanced|none]
//        [--char-min N] [--char-max N] [--word-weight W] [--rule-weight W] [--hidden H --epochs N --lr LR] [--no-peer]
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_LABELS } from '../src/core/labels';
import { precisionAtK, rocAuc } from '../src/core/metrics';
import { Backend } from '../python-free-train/backend';
import type { HashingConfig } from '../python-free-train/features/representation';
import { crossValFolds, crossValidate, foldRows, type CrossValResult, type FoldResult } from '../test/helpers/crossval';
import { gatherLabels, gatherRows } from '../python-free-train/trainer/fit';
import { fitHashing, readLabeledJsonl, type LabeledText } from '../test/helpers/inMemoryTrainer';
import { TRAINING_DEFAULTS } from '../python-free-train/trainer/job';
import { L2_DEFAULTS, fitRegularizedHead } from '../python-free-train/trainer/regularized';
import { findPaperData, HOW_TO_GET, PAPER_DATA_FILE } from '../scripts/paper-data';
import { C_GRID, TFIDF_PEER, TfidfVectorizer, decision, fitLogisticCv, sparseSubset } from './_tfidfLogistic';

/** The paper's labeled reviews: beside the project or in the cache `npm run fetch-paper-data` fills. */
const DATA = findPaperData() ?? path.resolve(__dirname, '..', '..', 'shared', 'data', PAPER_DATA_FILE);

interface Candidate { name: string; hashing: Partial<HashingConfig>; classWeighting: 'none' | 'balanced' }

/**
 * What --select chooses among, in order of the cost of scoring a pool (hashing 3-5-grams takes
 * about twice as long as 4-grams, 2-5-grams about two and a half times): character n-gram ranges
 * (the former default 4-grams, 3-5, and the yardstick's 2-5) times class weighting (free; the former
 * default first). The width stays 4096: a fixed rule, set by the scoring speed and the memory of
 * the labeled feature rows, not by this file.
 */
const CANDIDATES: Candidate[] = [
  { name: 'char 4, balanced', hashing: { charNgramMin: 4, charNgramMax: 4 }, classWeighting: 'balanced' },
  { name: 'char 4, unweighted', hashing: { charNgramMin: 4, charNgramMax: 4 }, classWeighting: 'none' },
  { name: 'char 3-5, balanced', hashing: { charNgramMin: 3, charNgramMax: 5 }, classWeighting: 'balanced' },
  { name: 'char 3-5, unweighted', hashing: { charNgramMin: 3, charNgramMax: 5 }, classWeighting: 'none' },
  { name: 'char 2-5, balanced', hashing: { charNgramMin: 2, charNgramMax: 5 }, classWeighting: 'balanced' },
  { name: 'char 2-5, unweighted', hashing: { charNgramMin: 2, charNgramMax: 5 }, classWeighting: 'none' },
];

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => { const m = mean(xs); return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1)); };
const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
const spread = (xs: readonly number[]) => ({ mean: r4(mean(xs)), sd: r4(sd(xs)), min: r4(Math.min(...xs)), max: r4(Math.max(...xs)) });

interface PeerFold { fold: number; rocAuc: number; precisionAtK: number; c: number }

/** The yardstick on the same folds: vocabulary and idf from the unlabeled texts, C by 5 inner folds of each training part. */
function peerCrossValidation(items: readonly LabeledText[], unlabeledTexts: readonly string[], folds: number, seed: number): { vocabulary: number; perFold: PeerFold[] } {
  const { kept, y, fold } = crossValFolds(items, folds, seed);
  const target = MODEL_LABELS.indexOf('yes');
  const vectorizer = TfidfVectorizer.fit(unlabeledTexts, TFIDF_PEER);
  const x = vectorizer.transform(kept.map((r) => r.body));
  const positive = Array.from(y, (c) => c === target);
  const perFold: PeerFold[] = [];
  for (let f = 0; f < folds; f++) {
    const { trainRows, testRows } = foldRows(fold, f);
    const fit = fitLogisticCv(sparseSubset(x, trainRows), trainRows.map((i) => positive[i]!), { innerFolds: 5, seed: seed + f });
    const score = decision(fit.model, sparseSubset(x, testRows));
    const held = testRows.map((i) => positive[i]!);
    perFold.push({ fold: f, rocAuc: rocAuc(score, held), precisionAtK: precisionAtK(score, held), c: fit.c });
  }
  return { vocabulary: vectorizer.size, perFold };
}

/**
 * A candidate's inner score on rows `rows`: its best mean ROC-AUC over the L2 path, from inner folds
 * of those rows alone (what the trainer's own strength choice would see), and the standard error of
 * that mean (the spread of its folds' ROC-AUC over the square root of their number).
 */
async function innerScore(candidate: Candidate, x: Float32Array, dim: number, y: Int32Array, rows: readonly number[], seed: number, backend: Backend): Promise<{ mean: number; se: number }> {
  const fit = await fitRegularizedHead(
    { xTrain: gatherRows(x, dim, rows), yTrain: gatherLabels(y, rows), xTest: new Float32Array(0), yTest: new Int32Array(0) }, dim,
    { seed, classes: MODEL_LABELS.length, targetClass: MODEL_LABELS.indexOf('yes'), classWeighting: candidate.classWeighting, backend },
  );
  await fit.model.release();
  const best = fit.scores[fit.selectedEpoch - 1]!;
  return { mean: best.innerRocAuc!, se: sd(best.foldRocAuc) / Math.sqrt(best.foldRocAuc.length) };
}

/**
 * The one-standard-error rule (Hastie, Tibshirani and Friedman, The Elements of Statistical
 * Learning, 7.10): the first candidate, in CANDIDATES' order of scoring cost (the former default
 * first among equals), whose inner score is within one standard error of the best one's. A costlier
 * representation must beat the cheaper one by more than the noise of the inner estimate.
 */
function oneStandardError(scores: readonly { mean: number; se: number }[]): number {
  const best = scores.reduce((b, s, i) => (s.mean > scores[b]!.mean ? i : b), 0);
  return scores.findIndex((s) => s.mean >= scores[best]!.mean - scores[best]!.se);
}

async function selectDefaults(items: readonly LabeledText[], unlabeledTexts: readonly string[], folds: number, seed: number, dim: number, backend: Backend) {
  const { kept, y, fold } = crossValFolds(items, folds, seed);
  const outer: CrossValResult[] = [];
  const inner: { mean: number; se: number }[][] = []; // [candidate][outer fold, then all reviews]
  for (const c of CANDIDATES) {
    const hashing = { dim, ...c.hashing };
    outer.push(await crossValidate(items, unlabeledTexts, { folds, seed, epochs: 1, classWeighting: c.classWeighting, hashing, backend }));
    const rep = await fitHashing(unlabeledTexts, hashing);
    const x = await rep.featurize(kept.map((r) => r.body));
    const scores: { mean: number; se: number }[] = [];
    for (let f = 0; f < folds; f++) scores.push(await innerScore(c, x, rep.dim, y, foldRows(fold, f).trainRows, seed + f, backend));
    scores.push(await innerScore(c, x, rep.dim, y, Array.from(y, (_, i) => i), seed, backend));
    inner.push(scores);
    console.error(`${c.name}: outer ROC-AUC ${mean(outer.at(-1)!.perFold.map((p) => p.rocAuc)).toFixed(4)}; inner ${scores.map((s) => `${s.mean.toFixed(4)}±${s.se.toFixed(4)}`).join(' ')}`);
  }
  const pick = (column: number) => oneStandardError(inner.map((s) => s[column]!));
  const best = (column: number) => inner.reduce((b, s, i) => (s[column]!.mean > inner[b]![column]!.mean ? i : b), 0);
  const chosen = Array.from({ length: folds }, (_, f) => pick(f));
  const procedure = chosen.map((c, f) => outer[c]!.perFold[f]!);
  const bestOnly = Array.from({ length: folds }, (_, f) => outer[best(f)]!.perFold[f]!);
  return {
    rule: 'one standard error: the cheapest candidate whose best mean inner ROC-AUC is within one standard error of the best candidate\'s',
    candidates: CANDIDATES.map((c, i) => ({
      name: c.name, hashing: c.hashing, classWeighting: c.classWeighting,
      outerRocAuc: spread(outer[i]!.perFold.map((p) => p.rocAuc)),
      innerRocAucPerFold: inner[i]!.slice(0, folds).map((s) => ({ mean: r4(s.mean), se: r4(s.se) })), innerRocAucAll: { mean: r4(inner[i]![folds]!.mean), se: r4(inner[i]![folds]!.se) },
    })),
    chosenPerFold: chosen.map((c) => CANDIDATES[c]!.name),
    procedure: { rocAuc: spread(procedure.map((p) => p.rocAuc)), precisionAtK: spread(procedure.map((p) => p.precisionAtK)), perFold: procedure.map((p) => r4(p.rocAuc)) },
    bestInnerPerFold: Array.from({ length: folds }, (_, f) => CANDIDATES[best(f)]!.name),
    bestInnerProcedure: { rocAuc: spread(bestOnly.map((p) => p.rocAuc)), note: 'the same nested procedure taking the best inner score without the one-standard-error rule' },
    chosenOnAll: CANDIDATES[pick(folds)]!.name,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    folds: { type: 'string', default: '5' }, seed: { type: 'string', default: '1' }, select: { type: 'boolean', default: false },
    epochs: { type: 'string', default: '20' }, hidden: { type: 'string', default: '0' }, lr: { type: 'string', default: String(TRAINING_DEFAULTS.learningRate) },
    dim: { type: 'string', default: String(TRAINING_DEFAULTS.hashingDim) },
    'word-weight': { type: 'string' }, 'rule-weight': { type: 'string' }, 'char-min': { type: 'string' }, 'char-max': { type: 'string' },
    weighting: { type: 'string', default: TRAINING_DEFAULTS.classWeighting }, 'no-peer': { type: 'boolean', default: false },
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
  if (values.weighting !== 'none' && values.weighting !== 'balanced') throw new Error(`--weighting must be balanced or none, got ${values.weighting}`);
  const classWeighting = values.weighting;
  const t0 = performance.now();
  if (!existsSync(values.data!)) throw new Error(`${values.data} is missing: ${HOW_TO_GET}, or give --data FILE`);
  const all = readLabeledJsonl(values.data!, values.label!);
  const unlabeled = all.map((r) => r.body);
  const backend = await Backend.create({ device: 'cpu' });
  const cv = await crossValidate(all, unlabeled, { folds, seed, epochs, hidden, learningRate, classWeighting, hashing, backend });
  const peer = values['no-peer'] ? undefined : peerCrossValidation(all, unlabeled, folds, seed);
  const selection = values.select ? await selectDefaults(all, unlabeled, folds, seed, hashing.dim!, backend) : undefined;
  const summary = (k: keyof FoldResult) => spread(cv.perFold.map((p) => p[k] as number));
  const gap = peer ? cv.perFold.map((p, f) => p.rocAuc - peer.perFold[f]!.rocAuc) : [];
  console.log(JSON.stringify({
    benchmark: 'crossval', data: path.basename(values.data!), labelField: values.label,
    rows: cv.rows, excluded: all.length - cv.rows, yesCount: cv.positives, folds, seed,
    representation: { id: 'hashing', ...cv.hashing },
    head: hidden.length
      ? { fit: 'epochs', hidden, learningRate, epochs, optimizer: 'adamw', classWeighting, selection: 'lowest test loss on the 70/30 split' }
      : { fit: 'l2', hidden, classWeighting, strengths: L2_DEFAULTS.strengths, innerFolds: L2_DEFAULTS.innerFolds, selection: 'highest mean inner ROC-AUC on the 70% training split' },
    provider: backend.device,
    yes: { rocAuc: summary('rocAuc'), precisionAtK: summary('precisionAtK') },
    ...(peer ? {
      peer: {
        model: 'TF-IDF (word 1-2-grams + character 2-5-grams in words, sublinear tf, min df 2) + L2 logistic regression, C by 5 inner folds',
        vocabulary: peer.vocabulary, cGrid: C_GRID,
        rocAuc: spread(peer.perFold.map((p) => p.rocAuc)), precisionAtK: spread(peer.perFold.map((p) => p.precisionAtK)),
      },
      defaultMinusPeer: { rocAuc: spread(gap), foldsAtLeastPeer: gap.filter((d) => d >= 0).length },
    } : {}),
    m1: { rocAuc: summary('m1RocAuc'), precisionAtK: summary('m1PrecisionAtK'), note: 'M1 scores are 0/1; precision@k breaks ties by input order' },
    perFold: cv.perFold.map((p, f) => ({
      ...p, rocAuc: r4(p.rocAuc), precisionAtK: r4(p.precisionAtK), m1RocAuc: r4(p.m1RocAuc), m1PrecisionAtK: r4(p.m1PrecisionAtK),
      ...(peer ? { peerRocAuc: r4(peer.perFold[f]!.rocAuc), peerPrecisionAtK: r4(peer.perFold[f]!.precisionAtK), peerC: peer.perFold[f]!.c } : {}),
    })),
    ...(selection ? { selection } : {}),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  }, null, 1));
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
