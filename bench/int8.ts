/**
 * What dynamic int8 does to the ranking that decides which reviews a person sees. One encoder,
 * fp32 and int8, embeds a pool; the classification head (as the trainer fits it over cached
 * embeddings: dense -> tanh -> out, the same split, seed and epochs) is fitted on the demo's
 * intended labels; both rank the rest of the pool by p(yes) and propose the next batch with the
 * default mixture. Prints JSON:
 * - spearman: rank correlation of p(yes) over the unlabeled pool, int8 against fp32;
 * - top1PercentOverlap: share of fp32's top 1% by p(yes) that int8 also has in its top 1%;
 * - nextBatchOverlap: share of fp32's next batch (default mixture and size) that int8 also proposes;
 *   `ownHead`: each precision fits its own head on its own embeddings (what a user gets),
 *   `fp32Head`: fp32's head scores int8's embeddings (the encoder's error alone);
 * - fp16Floor: the same comparison for fp32 embeddings rounded to fp16 (what the embedding cache
 *   stores, so what a second training run reads), with their own head: the noise the ranking
 *   already lives with;
 * - embedding error (max abs, smallest cosine) and the speed ratio int8 / fp32 on the pool texts
 *   (dynamic padding, measured in this process one after the other);
 * - meetsTarget: top-1% overlap >= 95% and next-batch overlap >= 95% (ownHead).
 * The pool: demo/reviews.jsonl (every second review labeled with demo/expected-labels.json, the
 * others unlabeled) plus, when present, the paper's 959 texts (../shared/data/, unlabeled).
 * Options: --model DIR (a Hugging Face RoBERTa folder; default a random roberta-base-sized model,
 *          since no pretrained weights can be downloaded here), --layers N (random model, default 12),
 *          --threads N (default 2), --batch N (next-batch size, default 200), --epochs N (default 20),
 *          --seed S (default 1), --no-paper (demo texts only); int8 variants to compare:
 *          --activations per-row|per-tensor (default per-row), --weight-levels N (default 63: 7 bits;
 *          127 saturates int16 sums on AVX2 CPUs without VNNI).
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODEL_LABELS, type ModelLabel } from '../src/core/labels';
import { parseMixture, selectBatch } from '../src/core/selection';
import { DEFAULT_BATCH_SIZE } from '../src/core/defaults';
import { DEFAULT_TRAIN_OPTIONS } from '../src/train/retrain';
import { Backend } from '../python-free-train/backend';
import type { RobertaConfig } from '../python-free-train/roberta/config';
import { type Precision, RobertaEncoder } from '../python-free-train/roberta/encoder';
import { randomRobertaWeights, robertaTokenizerJson } from '../test/helpers/robertaFixtures';
import { floatToHalf, halfToFloat } from '../python-free-train/roberta/safetensors';
import { MLP_HEAD_CONFIG } from '../python-free-train/roberta/headBridge';
import { loadRobertaModel } from '../python-free-train/roberta/model';
import type { ActivationQuantization } from '../python-free-train/roberta/quantize';
import { RobertaTokenizer } from '../python-free-train/roberta/tokenizer';
import type { RobertaWeights } from '../python-free-train/roberta/weights';
import { fitHead, gatherLabels, gatherRows } from '../python-free-train/trainer/fit';
import { TRAINING_DEFAULTS } from '../python-free-train/trainer/job';
import { stratifiedSplit } from '../python-free-train/trainer/split';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : undefined; };
const num = (name: string, fallback: number): number => {
  const v = opt(name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got "${v}"`);
  return n;
};
const threads = num('threads', 2), layers = num('layers', 12), batchSize = num('batch', DEFAULT_BATCH_SIZE);
const epochs = num('epochs', DEFAULT_TRAIN_OPTIONS.epochs), seed = num('seed', DEFAULT_TRAIN_OPTIONS.seed);
const modelDir = opt('model');
const root = path.resolve(__dirname, '..');
const PAPER = path.resolve(root, '../shared/data/paper-labels-it1-5.jsonl');
const usePaper = !args.includes('--no-paper') && existsSync(PAPER);
const TARGET = 0.95;
const quantize = {
  ...(opt('activations') ? { activations: opt('activations') as ActivationQuantization } : {}),
  ...(opt('weight-levels') ? { weightLevels: num('weight-levels', 63) } : {}),
};

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;

interface PoolText { id: string; body: string; label?: ModelLabel }

function readPool(): PoolText[] {
  const intended = JSON.parse(readFileSync(path.join(root, 'demo', 'expected-labels.json'), 'utf8')) as Record<string, string>;
  const pool: PoolText[] = [];
  readFileSync(path.join(root, 'demo', 'reviews.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).forEach((line, i) => {
    const r = JSON.parse(line) as { id: number; body: string };
    const label = intended[String(r.id)];
    const trainable = (MODEL_LABELS as readonly string[]).includes(label ?? '');
    pool.push({ id: String(r.id), body: r.body, ...(i % 2 === 0 && trainable ? { label: label as ModelLabel } : {}) });
  });
  if (usePaper) {
    for (const line of readFileSync(PAPER, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { review_comment_id?: unknown; body?: unknown };
      if (typeof r.body === 'string') pool.push({ id: `paper-${String(r.review_comment_id)}`, body: r.body });
    }
  }
  return pool;
}

/** Spearman's rank correlation (average ranks for ties). */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ranks = (x: ArrayLike<number>): Float64Array => {
    const order = Array.from({ length: x.length }, (_, i) => i).sort((i, j) => x[i]! - x[j]!);
    const r = new Float64Array(x.length);
    for (let s = 0; s < order.length;) {
      let e = s;
      while (e + 1 < order.length && x[order[e + 1]!] === x[order[s]!]) e++;
      for (let k = s; k <= e; k++) r[order[k]!] = (s + e) / 2;
      s = e + 1;
    }
    return r;
  };
  const ra = ranks(a), rb = ranks(b), n = a.length, mean = (n - 1) / 2;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) { num += (ra[i]! - mean) * (rb[i]! - mean); da += (ra[i]! - mean) ** 2; db += (rb[i]! - mean) ** 2; }
  return num / Math.sqrt(da * db);
}

const topK = (score: ArrayLike<number>, rows: readonly number[], k: number): Set<number> =>
  new Set([...rows].sort((i, j) => score[j]! - score[i]! || i - j).slice(0, k));
const overlap = (a: Set<number>, b: Set<number>): number => [...a].filter((x) => b.has(x)).length / Math.max(1, a.size);

async function main(): Promise<void> {
  const backend = await Backend.create({ device: 'cpu', threads });
  let model: { config: RobertaConfig; weights: RobertaWeights; tokenizer: RobertaTokenizer };
  if (modelDir) {
    model = await loadRobertaModel(path.resolve(modelDir));
  } else {
    const config: RobertaConfig = {
      hiddenSize: 768, numHiddenLayers: layers, numAttentionHeads: 12, intermediateSize: 3072, vocabSize: 50265,
      maxPositionEmbeddings: 514, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1, numLabels: 4, hiddenAct: 'gelu',
    };
    model = { config, weights: randomRobertaWeights(config, seed, 0.02, false), tokenizer: RobertaTokenizer.fromJson(robertaTokenizerJson(50256)) };
  }
  const pool = readPool();
  const texts = pool.map((p) => p.body);
  const H = model.config.hiddenSize;

  const embeddings: Partial<Record<Precision, Float32Array>> = {};
  const textsPerSecond: Partial<Record<Precision, number>> = {};
  for (const precision of ['fp32', 'int8'] as Precision[]) {
    const encoder = await RobertaEncoder.create(backend, model, { precision, batchSize: 32, quantize });
    await encoder.encode(texts.slice(0, 32));
    const t0 = process.hrtime.bigint();
    embeddings[precision] = (await encoder.encode(texts)).embeddings;
    textsPerSecond[precision] = texts.length / seconds(t0);
    await encoder.release();
  }
  const fp32 = embeddings.fp32!, int8 = embeddings.int8!;
  let maxAbs = 0, minCosine = 1;
  for (let t = 0; t < texts.length; t++) {
    let dot = 0, na = 0, nb = 0;
    for (let j = 0; j < H; j++) {
      const x = fp32[t * H + j]!, y = int8[t * H + j]!;
      maxAbs = Math.max(maxAbs, Math.abs(x - y)); dot += x * y; na += x * x; nb += y * y;
    }
    minCosine = Math.min(minCosine, dot / Math.sqrt(na * nb));
  }

  // The head as the trainer fits it over cached RoBERTa embeddings.
  const labeledRows = pool.flatMap((p, i) => (p.label ? [i] : []));
  const y = Int32Array.from(labeledRows, (i) => MODEL_LABELS.indexOf(pool[i]!.label!));
  const split = stratifiedSplit(y, TRAINING_DEFAULTS.testShare, seed);
  const head = MLP_HEAD_CONFIG(H, MODEL_LABELS.length);
  const fit = async (x: Float32Array) => {
    const labeledX = gatherRows(x, H, labeledRows);
    const r = await fitHead({
      xTrain: gatherRows(labeledX, H, split.train), yTrain: gatherLabels(y, split.train),
      xTest: gatherRows(labeledX, H, split.test), yTest: gatherLabels(y, split.test),
    }, H, {
      epochs, seed, hidden: [...head.hidden], activation: head.activation, learningRate: TRAINING_DEFAULTS.robertaLearningRate,
      miniBatch: TRAINING_DEFAULTS.miniBatch, weightDecay: TRAINING_DEFAULTS.weightDecay, classes: MODEL_LABELS.length,
      targetClass: MODEL_LABELS.indexOf('yes'), classWeighting: TRAINING_DEFAULTS.classWeighting, backend,
    });
    selectedEpochs.push(r.selectedEpoch);
    return r.model;
  };
  const selectedEpochs: number[] = [];
  const fp16 = fp32.map((v) => halfToFloat(floatToHalf(v)));
  const fp32Head = await fit(fp32), int8Head = await fit(int8), fp16Head = await fit(fp16);
  const C = MODEL_LABELS.length, yes = MODEL_LABELS.indexOf('yes');
  const probs = {
    fp32: await fp32Head.predict(fp32, texts.length),
    ownHead: await int8Head.predict(int8, texts.length),
    fp32Head: await fp32Head.predict(int8, texts.length),
    fp16: await fp16Head.predict(fp16, texts.length),
  };
  const unlabeled = pool.flatMap((p, i) => (p.label ? [] : [i]));
  const pYes = (p: Float32Array) => Float64Array.from(unlabeled, (i) => p[i * C + yes]!);
  const byRow = (p: Float32Array) => { const s = new Float64Array(pool.length); for (const i of unlabeled) s[i] = p[i * C + yes]!; return s; };
  const k = Math.max(1, Math.ceil(0.01 * unlabeled.length));
  const size = Math.min(batchSize, Math.floor(unlabeled.length / 5));
  const mixture = parseMixture(DEFAULT_TRAIN_OPTIONS.strategy);
  const batchOf = (p: Float32Array) => new Set(selectBatch({
    rowCount: pool.length, probs: p, classes: MODEL_LABELS, idOf: (row) => pool[row]!.id, isExcluded: (row) => !!pool[row]!.label,
    mixture, size, seed,
  }).map((x) => x.row));
  const reference = { top: topK(byRow(probs.fp32), unlabeled, k), batch: batchOf(probs.fp32) };
  const compare = (p: Float32Array) => {
    const top1 = overlap(reference.top, topK(byRow(p), unlabeled, k)), next = overlap(reference.batch, batchOf(p));
    return { spearman: round(spearman(pYes(probs.fp32), pYes(p))), top1PercentOverlap: round(top1), nextBatchOverlap: round(next), meetsTarget: top1 >= TARGET && next >= TARGET };
  };
  const ownHead = compare(probs.ownHead);
  process.stdout.write(`${JSON.stringify({
    benchmark: 'int8',
    model: modelDir ? { folder: modelDir, layers: model.config.numHiddenLayers, hidden: H } : { layers: model.config.numHiddenLayers, hidden: H, random: true, std: 0.02 },
    backend: backend.describe(), threads, int8: { activations: quantize.activations ?? 'per-row', weightLevels: quantize.weightLevels ?? 63 },
    pool: { texts: texts.length, labeled: labeledRows.length, unlabeled: unlabeled.length, paperTexts: usePaper, top1PercentItems: k, nextBatch: { size, mixture: DEFAULT_TRAIN_OPTIONS.strategy } },
    head: { epochs, seed, learningRate: TRAINING_DEFAULTS.robertaLearningRate, selectedEpoch: { fp32: selectedEpochs[0], int8: selectedEpochs[1], fp16: selectedEpochs[2] } },
    ownHead, fp32Head: compare(probs.fp32Head), fp16Floor: compare(probs.fp16),
    embeddings: { maxAbsDiff: round(maxAbs), minCosine: round(minCosine, 6) },
    textsPerSecond: { fp32: round(textsPerSecond.fp32!, 2), int8: round(textsPerSecond.int8!, 2) },
    speedRatioInt8OverFp32: round(textsPerSecond.int8! / textsPerSecond.fp32!, 2),
    target: { top1PercentOverlap: TARGET, nextBatchOverlap: TARGET },
    meetsTarget: ownHead.meetsTarget,
    note: `${threads} onnxruntime threads on a ${os.cpus().length}-core machine; load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`,
  }, null, 2)}\n`);
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
