// Active-learning replay on the paper's 959 labeled review comments: the file is the pool, and a
// label is revealed only when its review is proposed. Every strategy starts from the same M1
// bootstrap batch (M1 candidates in a seeded random order), then retrains the trainer's pipeline
// (hashing representation + head, best epoch by test loss) after every batch and proposes the next
// one. Yield = `yes` reviews found against labels spent. Arms of a seed are paired (same start, same
// training seeds), so each arm's gain over rare-label at the budget comes with a 90% interval from
// resampling seeds. Prints JSON; writes an SVG plot.
// Arms: the paper's (rare-label, entropy, the 45/45/10 mixture, random) and the batch-mode ones:
// diverse (determinantal trade-off in the model's hashing features, or in `textFeatures` as `next`
// and Retrain do), an ensemble of M heads trained as the trainer trains them (each on a stratified
// bootstrap resample of the labels; mean p(yes), Thompson slots, UCB), half-size batches at the
// same budget, and the head without the final refit on every label.
// Usage: npm run bench -- replay [--seeds 3] [--batch 50] [--budget 500] [--epochs 12] [--members 5] [--arms ucb,half-batches] [--hidden 64] [--svg docs/replay.svg]
// (--hidden gives the head hidden layers, a network as RoBERTa's head is, in place of the trainer's linear head)
// (--arms takes the arms' ids: rare-label, entropy, mixture, random, diverse, diverse-text, ensemble,
// thompson, ucb, auto, half-batches, no-refit; rare-label, the yardstick, always runs; auto is the
// default of next and Retrain: the ensemble over a head with hidden layers, rare label over the linear one)
import { mkdirSync, writeFileSync } from 'node:fs';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { matchesM1 } from '../src/core/bootstrap';
import { fingerprint64, hashUniform } from '../src/core/hash';
import { MODEL_LABELS } from '../src/core/labels';
import { DEFAULT_ENSEMBLE_SIZE } from '../src/core/defaults';
import { ensembleSizeOf } from '../src/protocol/trainer';
import { parseMixture, selectBatch, formatMixture } from '../src/core/selection';
import { bootstrapInterval, meanAt } from '../src/core/stats';
import { TextFeaturizer } from '../src/core/textFeatures';
import { meanInterval, type Series } from '../src/simulation/aggregate';
import { lineChart } from '../src/simulation/svg';
import { Backend } from '../python-free-train/backend';
import { gatherLabels, gatherRows } from '../python-free-train/trainer/fit';
import { classOf, fitHashing, readLabeledJsonl, trainOnFeatures } from '../test/helpers/inMemoryTrainer';
import { findPaperData, HOW_TO_GET, PAPER_DATA_FILE } from '../scripts/paper-data';

const root = path.resolve(__dirname, '..');
/** The paper's labeled reviews: beside the project or in the cache `npm run fetch-paper-data` fills. */
const DATA = findPaperData() ?? path.resolve(__dirname, '..', '..', 'shared', 'data', PAPER_DATA_FILE);

interface Arm {
  /** What `--arms` picks it by (no commas). */
  id: string;
  name: string;
  mixture: string;
  /** Batch size as a share of --batch (smaller increments at the same budget). */
  batchShare?: number;
  /** Whether the model that ranks is refit on every label at the strength the split selected (default: the trainer's, yes). */
  refit?: boolean;
  /** diverse compares rows by `textFeatures` (what `next` and Retrain use), not the model's hashing features. */
  textFeatures?: boolean;
}

const ARMS: Arm[] = [
  { id: 'rare-label', name: 'rare-label', mixture: 'rare' },
  { id: 'entropy', name: 'entropy', mixture: 'entropy' },
  { id: 'mixture', name: 'mixture 45/45/10', mixture: 'rare:0.45,entropy:0.45,random:0.1' },
  { id: 'random', name: 'random', mixture: 'random' },
  { id: 'diverse', name: 'diverse', mixture: 'diverse' },
  { id: 'diverse-text', name: 'diverse (text features)', mixture: 'diverse', textFeatures: true },
  { id: 'ensemble', name: 'ensemble', mixture: 'ensemble' },
  { id: 'thompson', name: 'thompson', mixture: 'thompson' },
  { id: 'ucb', name: 'ucb', mixture: 'ucb' },
  { id: 'auto', name: 'auto (the default)', mixture: 'auto' },
  { id: 'half-batches', name: 'rare-label, half batches', mixture: 'rare', batchShare: 0.5 },
  { id: 'no-refit', name: 'rare-label, split\'s head (no refit)', mixture: 'rare', refit: false },
];

interface Point { labeled: number; yes: number }

async function main(): Promise<void> {
  const { values } = parseArgs({ options: {
    seeds: { type: 'string', default: '3' }, batch: { type: 'string', default: '50' }, budget: { type: 'string', default: '500' },
    epochs: { type: 'string', default: '12' }, svg: { type: 'string', default: 'docs/replay.svg' }, data: { type: 'string', default: DATA },
    members: { type: 'string', default: String(DEFAULT_ENSEMBLE_SIZE) }, arms: { type: 'string' }, hidden: { type: 'string', default: '' },
  } });
  const seeds = Number(values.seeds), batch = Number(values.batch), budget = Number(values.budget), epochs = Number(values.epochs);
  const members = Number(values.members);
  // The head's hidden layers (e.g. --hidden 64): none is the trainer's default linear head.
  const hidden = values.hidden ? values.hidden.split(',').map(Number) : [];
  if (hidden.some((h) => !(Number.isInteger(h) && h > 0))) throw new Error(`--hidden takes layer widths such as 64 or 128,32, got ${values.hidden}`);
  const wanted = values.arms?.split(',').map((a) => a.trim());
  const unknown = wanted?.filter((w) => !ARMS.some((a) => a.id === w));
  if (unknown?.length) throw new Error(`unknown arm ${unknown.join(', ')}; arms: ${ARMS.map((a) => a.id).join(', ')}`);
  const STRATEGIES = wanted ? ARMS.filter((a) => a.id === 'rare-label' || wanted.includes(a.id)) : ARMS;
  const headText = hidden.length
    ? `a head with hidden layers of ${hidden.join(', ')} (ReLU) fitted by AdamW for ${epochs} epochs, the epoch of lowest test loss kept`
    : 'the trainer\'s linear head (L2 strength by inner folds, refit on every label)';
  const t0 = performance.now();
  if (!existsSync(values.data!)) throw new Error(`${values.data} is missing: ${HOW_TO_GET}, or give --data FILE`);
  const all = readLabeledJsonl(values.data!, 'tag_post_qa');
  const n = all.length;
  const yesTotal = all.filter((r) => r.label === 'yes').length;
  const rep = await fitHashing(all.map((r) => r.body)); // idf from the pool's text only
  const x = await rep.featurize(all.map((r) => r.body));
  const dim = rep.dim;
  const textFeaturizer = new TextFeaturizer();
  const text = all.map((r) => textFeaturizer.vector(r.body));
  const cls = Int32Array.from(all.map((r) => classOf(r.label)));
  const bodyKey = all.map((r) => fingerprint64(r.body));
  const ids = all.map((r) => r.id);
  const backend = await Backend.create({ device: 'cpu' });
  let trainings = 0;

  const runs: { strategy: string; seed: number; curve: Point[] }[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    // M1 bootstrap batch: candidates in a seeded random order, shared by every strategy of this seed.
    const m1 = all.map((r, i) => i).filter((i) => matchesM1(all[i]!.body)).sort((a, b) => hashUniform(ids[a]!, seed) - hashUniform(ids[b]!, seed));
    const start = m1.slice(0, batch);
    for (const s of STRATEGIES) {
      const mixture = parseMixture(s.mixture);
      // Members as the trainer fits them: for the ensemble strategies, and for auto over a network head.
      const armMembers = ensembleSizeOf({ representation: 'hashing', hidden }, mixture) ? members : 0;
      const labeled = new Set<number>(start);
      const curve: Point[] = [{ labeled: 0, yes: 0 }, { labeled: labeled.size, yes: start.filter((i) => all[i]!.label === 'yes').length }];
      const step = Math.max(1, Math.round(batch * (s.batchShare ?? 1)));
      while (labeled.size < Math.min(budget, n)) {
        let probs: Float32Array | undefined;
        let memberProbs: Float32Array[] | undefined;
        if (s.mixture !== 'random') {
          const rows = [...labeled].filter((i) => cls[i]! >= 0).sort((a, b) => a - b);
          const xs = gatherRows(x, dim, rows), ys = gatherLabels(cls, rows);
          // The same head as rare-label's (same seed); an ensemble's members are fitted beside it.
          const model = await trainOnFeatures(xs, ys, dim, { epochs, seed, backend, hidden, ...(s.refit === undefined ? {} : { refitAll: s.refit }), ...(armMembers ? { members: armMembers } : {}) });
          trainings += 1 + armMembers;
          probs = await model.predict(x, n);
          memberProbs = armMembers ? await model.predictMembers(x, n) : undefined;
          await model.release();
        }
        const labeledBodies = new Set([...labeled].map((i) => bodyKey[i]!));
        const picks = selectBatch({
          rowCount: n, probs, members: memberProbs, classes: MODEL_LABELS, idOf: (r) => ids[r]!, isExcluded: (r) => labeled.has(r),
          featuresOf: s.textFeatures ? (r) => text[r]! : (r) => x.subarray(r * dim, (r + 1) * dim),
          bodyKeyOf: (r) => bodyKey[r]!, excludedBodies: labeledBodies,
          mixture, size: Math.min(step, budget - labeled.size), seed: seed * 1000 + curve.length,
        });
        if (!picks.length) break;
        for (const p of picks) labeled.add(p.row);
        curve.push({ labeled: labeled.size, yes: [...labeled].filter((i) => all[i]!.label === 'yes').length });
      }
      runs.push({ strategy: s.name, seed, curve });
    }
  }

  // Mean curves with 90% t intervals over seeds, at the common label counts.
  const series: Series[] = STRATEGIES.map((s) => {
    const mine = runs.filter((r) => r.strategy === s.name);
    const xs = [...new Set(mine.flatMap((r) => r.curve.map((p) => p.labeled)))].sort((a, b) => a - b);
    return {
      name: s.name, runs: mine.length,
      points: xs.map((lx) => ({ x: lx, ...meanInterval(mine.map((r) => r.curve.find((p) => p.labeled === lx)?.yes ?? NaN)) })),
    };
  });
  const svgPath = path.resolve(root, values.svg!);
  mkdirSync(path.dirname(svgPath), { recursive: true });
  writeFileSync(svgPath, lineChart({
    title: `Active-learning replay on the paper's 959 labeled reviews${hidden.length ? `, head with hidden layers ${hidden.join(', ')}` : ''}`,
    description: `Security defects ("yes") found against labels spent, per candidate-selection strategy (mixture 45/45/10: 45% rare-label, 45% entropy, 10% random; ensemble, thompson and ucb over ${members} heads), with ${headText}, starting from an M1 bootstrap batch of ${batch}, then batches of ${batch}; mean of ${seeds} seeds with 90% bands. The pool holds ${yesTotal} yes reviews.`,
    xLabel: 'labels spent', yLabel: '"yes" reviews found', series,
    note: `${seeds} seeds; pool ${n} reviews, ${yesTotal} yes`,
  }));

  const at = (name: string, lx: number) => series.find((s) => s.name === name)!.points.find((p) => p.x === lx)?.mean;
  const final = Math.max(...series.flatMap((s) => s.points.map((p) => p.x)));
  // Paired by seed: each arm's yes at the budget against rare-label's on the same seeds.
  const yesAt = (name: string) => Float64Array.from({ length: seeds }, (_, k) => runs.find((r) => r.strategy === name && r.seed === k + 1)!.curve.find((p) => p.labeled === final)?.yes ?? NaN);
  const base = yesAt('rare-label');
  const paired = STRATEGIES.map((s) => {
    const mine = yesAt(s.name);
    const gain = (idx: ArrayLike<number>) => meanAt(mine, idx) / meanAt(base, idx) - 1;
    const ci = bootstrapInterval(seeds, gain, { resamples: 4000 });
    return {
      strategy: s.name, yes: round2(meanAt(mine, Int32Array.from({ length: seeds }, (_, k) => k))),
      gain: round3(gain(Int32Array.from({ length: seeds }, (_, k) => k))), gainInterval90: [round3(ci.lo), round3(ci.hi)],
      seedsBetter: mine.filter((v, k) => v > base[k]!).length, seedsWorse: mine.filter((v, k) => v < base[k]!).length,
    };
  });
  console.log(JSON.stringify({
    benchmark: 'replay', data: path.basename(values.data!), pool: n, yesInPool: yesTotal,
    start: `M1 bootstrap batch of ${batch}`, batch, budget, seeds, epochs, representation: { id: 'hashing', dim }, head: hidden.length ? { hidden } : 'linear (regularized)',
    provider: backend.device, trainings,
    yesFoundAtBudget: Object.fromEntries(STRATEGIES.map((s) => [s.name, at(s.name, final)])),
    yieldAtBudget: Object.fromEntries(STRATEGIES.map((s) => [s.name, Math.round(((at(s.name, final) ?? 0) / final) * 1000) / 1000])),
    pairedGainOverRareLabel: paired,
    members,
    mixtures: Object.fromEntries(STRATEGIES.map((s) => [s.name, formatMixture(parseMixture(s.mixture))])),
    curves: series.map((s) => ({ strategy: s.name, points: s.points.map((p) => ({ labeled: p.x, yesMean: Math.round(p.mean * 100) / 100, lo: Number.isFinite(p.lo) ? Math.round(p.lo * 10) / 10 : null, hi: Number.isFinite(p.hi) ? Math.round(p.hi * 10) / 10 : null })) })),
    runs,
    svg: path.relative(root, svgPath),
    seconds: Math.round((performance.now() - t0) / 100) / 10,
  }));
}

const round2 = (v: number) => Math.round(v * 100) / 100;
const round3 = (v: number) => Math.round(v * 1000) / 1000;

main().catch((e: unknown) => { console.error(e); process.exit(1); });
