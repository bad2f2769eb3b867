import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildDashboard, DEFAULT_PROBES, strategyYields, type DashboardInput } from '../../../src/core/dashboard';
import { kneeStopping, poolPrevalence, positivesLeft, targetRecallStopping, yieldFactor } from '../../../src/core/estimates';
import { LABELS, type Label } from '../../../src/core/labels';
import { teamAgreement } from '../../../src/core/agreement';
import { emptyCounts, identificationRates, type LabeledItem } from '../../../src/core/metrics';
import { lineChart } from '../../../src/core/svgChart';
import { etaToTarget, expectOpenBatch, labelingPace } from '../../../src/core/pace';

// Iteration 1: 4 yes, 6 no, 1 broken; iteration 2: 1 yes, 3 no, 1 bot.
const items: LabeledItem[] = ([
  ...Array<Label>(4).fill('yes'), ...Array<Label>(6).fill('no'), 'broken',
] as Label[]).map((label): LabeledItem => ({ label, iteration: 1 })).concat(
  (['yes', 'no', 'no', 'no', 'bot'] as Label[]).map((label) => ({ label, iteration: 2 })),
);

const labels = new Map<string, Label>([['r1', 'yes'], ['r2', 'no'], ['r3', 'broken'], ['r5', 'no'], ['r6', 'yes']]);
const batches: DashboardInput['batches'] = [
  { id: 'b1', items: [{ reviewId: 'r1', strategy: 'rare' }, { reviewId: 'r2', strategy: 'rare' }, { reviewId: 'r3', strategy: 'rare' }, { reviewId: 'r4', strategy: 'rare' }, { reviewId: 'r5', strategy: 'random' }] },
  // r1 proposed again by the same strategy counts once.
  { id: 'b2', items: [{ reviewId: 'r1', strategy: 'rare' }, { reviewId: 'r6', strategy: 'random' }] },
];

function input(overrides: Partial<DashboardInput> = {}): DashboardInput {
  const byLabel = emptyCounts();
  for (const it of items) byLabel[it.label]++;
  const sample = poolPrevalence({ positives: 1, sampled: 2 });
  const gain = [1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5];
  return {
    stats: {
      pool: 100, labeled: items.length, byLabel, iterations: identificationRates(items), randomSample: sample,
      estimates: {
        positivesLeft: positivesLeft(100, 5, sample), yieldFactor: yieldFactor(5 / 14, sample.mean),
        knee: kneeStopping(gain, { minLabels: 10 }), targetRecall: targetRecallStopping(100, 5, sample),
      },
    },
    batches,
    labelOf: (id) => labels.get(id),
    models: [{
      version: 'v1', createdAt: '2026-01-01T00:00:00Z', representation: 'hashing', selectedEpoch: 2,
      epochs: [
        { epoch: 1, trainLoss: 0.9, testLoss: 0.8, precisionAtK: 0.25, k: 4 },
        { epoch: 2, trainLoss: 0.5, testLoss: 0.6, precisionAtK: 0.75, k: 4 },
        { epoch: 3, trainLoss: 0.3, testLoss: 0.7, precisionAtK: 0.5, k: 4 },
      ],
    }, { version: 'v2', createdAt: '2026-01-02T00:00:00Z', representation: 'hashing', selectedEpoch: 1, epochs: [{ epoch: 1, trainLoss: 0.4, testLoss: 0.5, precisionAtK: 1, k: 4 }] }],
    probes: ['sql injection here', 'rename this'],
    probeResults: new Map([['v1', [0.9, 0.1]]]),
    probesPending: new Set(['v2']),
    ...overrides,
  };
}

test('identification rates per iteration and cumulative, with broken and bot left out', () => {
  const d = buildDashboard(input());
  assert.ok(d.rates);
  const per = d.rates.perIteration, cum = d.rates.cumulative;
  assert.deepEqual(per.table.columns, ['Iteration', 'Labeled', 'yes', 'no', 'unclear', 'language']);
  assert.deepEqual(per.table.rows, [
    ['1', '10', '4 (40.0%)', '6 (60.0%)', '0 (0.0%)', '0 (0.0%)'],
    ['2', '4', '1 (25.0%)', '3 (75.0%)', '0 (0.0%)', '0 (0.0%)'],
  ]);
  // Cumulative: 5 yes of 14 = 35.7%, 9 no of 14 = 64.3%.
  assert.deepEqual(cum.table.rows[1], ['2', '14', '5 (35.7%)', '9 (64.3%)', '0 (0.0%)', '0 (0.0%)']);
  const yes = per.series.find((s) => s.name === 'yes')!;
  assert.deepEqual(yes.points.map((p) => [p.x, p.mean]), [[1, 0.4], [2, 0.25]]);
  assert.match(cum.description, /Up to iteration 2, of 14 labeled: yes 5 \(35\.7%\)/);
  assert.notEqual(per.id, cum.id);
});

test('strategy yield counts each proposed review once and leaves broken/bot out of the share', () => {
  assert.deepEqual(strategyYields(batches, (id) => labels.get(id)), [
    { strategy: 'rare', proposed: 4, labeled: 2, excluded: 1, yes: 1, share: 0.5 },
    { strategy: 'random', proposed: 2, labeled: 2, excluded: 0, yes: 1, share: 0.5 },
  ]);
  assert.deepEqual(strategyYields([{ id: 'b', items: [{ reviewId: 'x', strategy: 'entropy' }] }], () => undefined),
    [{ strategy: 'entropy', proposed: 1, labeled: 0, excluded: 0, yes: 0, share: null }]);
});

test('training curves mark the kept epoch and list every epoch', () => {
  const [m] = buildDashboard(input()).models;
  assert.ok(m);
  assert.deepEqual(m.chart.markers, [{ x: 2, label: 'kept: epoch 2' }]);
  assert.deepEqual(m.chart.table.columns, ['Epoch', 'Training loss', 'Test loss', 'precision@4', 'Kept']);
  assert.deepEqual(m.chart.table.rows[1], ['2', '0.500', '0.600', '0.750', 'kept']);
  assert.equal(m.chart.table.rows[0]![4], '');
  assert.match(m.chart.description, /kept epoch 2 has test loss 0\.600 and precision@4 0\.750/);
  assert.deepEqual(m.chart.series.map((s) => s.name), ['test loss', 'precision@4', 'training loss']);
});

test('a regularized linear head shows its regularization path: one point per L2 strength, the kept one marked', () => {
  const epochs = [
    { epoch: 1, trainLoss: 0.9, testLoss: 0.85, precisionAtK: 0.25, k: 4, l2: 10, innerRocAuc: 0.7 },
    { epoch: 2, trainLoss: 0.6, testLoss: 0.7, precisionAtK: 0.5, k: 4, l2: 1, innerRocAuc: 0.8 },
    { epoch: 3, trainLoss: 0.3, testLoss: 0.75, precisionAtK: 0.5, k: 4, l2: 0.1, innerRocAuc: 0.78 },
  ];
  const [m] = buildDashboard(input({ models: [{ version: 'v3', createdAt: '2026-01-03T00:00:00Z', representation: 'hashing', selectedEpoch: 2, epochs }] })).models;
  assert.ok(m);
  assert.equal(m.chart.title, 'Regularization of model v3');
  assert.deepEqual(m.chart.series[0]!.points.map((p) => p.x), [-1, 0, 1], 'strongest penalty left, on a log scale');
  assert.deepEqual(m.chart.markers, [{ x: 0, label: 'kept: L2 1' }]);
  assert.deepEqual(m.chart.table.columns, ['L2 strength', 'Training loss', 'Test loss', 'precision@4', 'Inner ROC-AUC', 'Kept']);
  assert.deepEqual(m.chart.table.rows[1], ['1', '0.600', '0.700', '0.500', '0.800', 'kept']);
  assert.match(m.chart.description, /kept strength 1 \(highest ROC-AUC over inner folds of the training split, 0\.800\) has test loss 0\.700 and precision@4 0\.500/);
  assert.deepEqual(m.chart.series.map((s) => s.name), ['test loss', 'precision@4', 'training loss', 'inner ROC-AUC']);
});

test('probe table: one column per model version, pending and missing cells said so', () => {
  const d = buildDashboard(input());
  assert.deepEqual(d.probes.versions, ['v1', 'v2']);
  assert.deepEqual(d.probes.rows[0], { text: 'sql injection here', cells: [{ probability: 0.9 }, { pending: true }] });
  const failed = buildDashboard(input({ probeResults: new Map([['v1', { error: 'no model file' }]]), probesPending: new Set() }));
  assert.deepEqual(failed.probes.rows[1]!.cells, [{ error: 'no model file' }, { error: 'not computed' }]);
  assert.ok(DEFAULT_PROBES.length >= 3 && DEFAULT_PROBES.length <= 4);
});

test('label counts and estimates with their explanations', () => {
  const d = buildDashboard(input());
  assert.deepEqual(d.labelCounts, [{ label: 'yes', count: 5 }, { label: 'no', count: 9 }, { label: 'unclear', count: 0 }, { label: 'broken', count: 1 }, { label: 'bot', count: 1 }, { label: 'language', count: 0 }]);
  // Beta(1 + 1, 1 + 1): mean 50%; yield 5/14 / 0.5 = 0.714.
  assert.match(d.estimates.prevalence.headline, /^mean 50\.0%, most likely 50\.0% \(95%: \d+\.\d% to \d+\.\d%\)$/);
  assert.match(d.estimates.prevalence.explanation, /1 of 2 randomly chosen reviews/);
  assert.equal(d.estimates.yieldFactor?.headline, '0.7x random sampling');
  assert.match(d.estimates.yieldFactor!.explanation, /^5 of the reviews labeled so far .*\(35\.7%.*0\.7 times the 50\.0%/);
  // 0.5 * 100 - 5 = 45 left.
  assert.equal(d.estimates.positivesLeft?.headline, 'about 45 left');
  assert.equal(d.estimates.knee.stop, false);
  assert.ok(d.estimates.knee.explanation.length > 20);
  assert.match(d.estimates.targetRecall!.headline, /^keep labeling/);
});

test('without labels or random sample: no rate charts, prevalence unknown with advice', () => {
  const d = buildDashboard(input({
    stats: { pool: 10, labeled: 0, byLabel: emptyCounts(), iterations: [], estimates: { knee: kneeStopping([]) } },
    batches: [], models: [], probeResults: new Map(),
  }));
  assert.equal(d.rates, null);
  assert.equal(d.estimates.prevalence.headline, 'unknown');
  assert.match(d.estimates.prevalence.explanation, /random share/);
  assert.equal(d.estimates.yieldFactor, undefined);
  assert.deepEqual(d.probes.rows[0]!.cells, []);
});

test('charts drawn from dashboard data carry their text alternative and distinct ids', () => {
  const c = buildDashboard(input()).rates!.cumulative;
  const svg = lineChart({ ...c, idPrefix: c.id, markers: [{ x: 1, label: 'k<1' }] });
  assert.match(svg, /role="img" aria-labelledby="rates-cumulative-title rates-cumulative-desc"/);
  assert.match(svg, /<title id="rates-cumulative-title">Identification rate, cumulative<\/title>/);
  assert.match(svg, /<desc id="rates-cumulative-desc">Share of each label/);
  assert.match(svg, /k&lt;1/);
});

test('chart options for the dashboard: whole-number x ticks, fixed share range, edge markers stay inside', () => {
  const svg = lineChart({
    title: 't', description: 'd', xLabel: 'x', yLabel: 'y', xIntegers: true, yRange: [0, 1],
    series: [{ name: 's', points: [{ x: 1, mean: 0.2 }, { x: 2, mean: 0.3 }] }], markers: [{ x: 2, label: 'kept: epoch 2' }],
  });
  const xTicks = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle" class="chart-text">([\d.]+)<\/text>/g)].map((m) => m[1]);
  assert.deepEqual(xTicks, ['1', '2']);
  assert.match(svg, />1<\/text>/);
  assert.match(svg, /text-anchor="end" class="chart-text">kept: epoch 2</);
});

test('time and ETA, and near-duplicate groups, with their sentences', () => {
  const pace = labelingPace([
    ...[0, 10, 20, 32].map((s) => ({ kind: 'set' as const, at: new Date(Date.UTC(2026, 11, 1, 9, 0, s)).toISOString(), annotator: 'ana' })),
  ]);
  const openBatch = expectOpenBatch({ batchId: 'b0002', modelVersion: 'v1', items: [{ labeled: true, yes: true }, { labeled: false, yes: false, pYes: 0.5 }, { labeled: false, yes: false, pYes: 0.25 }] });
  const base = input();
  const d = buildDashboard({
    ...base,
    stats: {
      ...base.stats,
      time: { idleSeconds: 300, pace, annotator: 'ana', openBatch, eta: etaToTarget({ target: 7, found: 5, secondsPerLabel: 10, openBatch }) },
      nearDuplicates: { groups: 3, reviewsInGroups: 9, redundant: 6, largest: 4, unsigned: 0, labeledGroups: 1, unlabeledInLabeledGroups: 2, conflictingGroups: 1 },
    },
  });
  assert.deepEqual(d.time!.pace.rows, [['ana', '4', '3', '10.0', '0.0']]);
  assert.equal(d.time!.openBatch!.headline, '1.8 expected');
  assert.match(d.time!.openBatch!.explanation, /1 potential security defects among 1 of 3 labeled; the sum of model v1's p\(yes\) over the 2 unlabeled reviews expects 0\.8 more/);
  // 2 more at 0.375 a label: 6 labels of 10 s.
  assert.equal(d.time!.eta.headline, 'about 60 s to 7');
  assert.equal(d.estimates.nearDuplicates!.headline, '3 groups of 9 reviews');
  assert.match(d.estimates.nearDuplicates!.explanation, /6 beyond the first of each group; the largest has 4\. 1 group has a label; 2 of its reviews have none yet .* 1 group carries different labels\./);
  assert.equal(buildDashboard(input()).time, undefined, 'no time section without time stats');
});

test('agreement between annotators: a table of every coefficient with its interval, the confusion matrix of the labels used, and CWE counts', () => {
  // ann and ben agree on 8 no and 1 yes; ben says no where ann says yes once.
  const coded = [
    ...Array.from({ length: 8 }, () => ({ codings: [{ annotator: 'ben', label: 'no' }, { annotator: 'ann', label: 'no' }] })),
    { codings: [{ annotator: 'ann', label: 'yes' }, { annotator: 'ben', label: 'yes' }] },
    { codings: [{ annotator: 'ann', label: 'yes' }, { annotator: 'ben', label: 'no' }] },
  ];
  const agreement = teamAgreement(coded, LABELS, { resamples: 200 })!;
  assert.deepEqual(agreement.annotators, ['ann', 'ben']);
  const base = input();
  const d = buildDashboard({ ...base, stats: { ...base.stats, agreement, disagreements: 1, cwe: [{ id: 'CWE-89', title: 'SQL Injection', reviews: 3 }] } });
  assert.equal(d.agreement!.headline, 'ann, ben: 10 reviews coded twice or more, 10 pairs; 1 disagreement awaiting adjudication.');
  const rows = d.agreement!.coefficients.rows;
  assert.deepEqual(rows.map((r) => r[0]), ['all labels', 'yes', 'no']);
  assert.match(rows[0]![2]!, /^0\.900 \(95% CI 0\.\d{3} to 1\.000\)$/, 'percent agreement with its interval');
  assert.deepEqual(d.agreement!.confusion.columns, ['ann by ben', 'yes', 'no']);
  assert.deepEqual(d.agreement!.confusion.rows, [['yes', '1', '1'], ['no', '0', '8']]);
  assert.deepEqual(d.cwe!.rows, [['CWE-89', 'SQL Injection', '3']]);
  assert.equal(buildDashboard(input()).agreement, undefined, 'no section before a review is coded twice');
});
