import assert from 'node:assert/strict';
import { test } from 'node:test';
import { aggregateSeries, bootstrapMeanInterval, meanInterval } from '../../../src/simulation/aggregate';
import { armMembers, parseArms, parseArmSpec, validateConfig, DEFAULT_CONFIG } from '../../../src/simulation/config';
import { armName, studyFigures, summarizeArms, summaryMarkdown } from '../../../src/simulation/figures';
import { rowsFromCsv, rowsToCsv, type IterationRow } from '../../../src/simulation/results';
import { stoppingPoint } from '../../../src/simulation/stopping';
import { lineChart, niceTicks } from '../../../src/simulation/svg';

test('90% interval of the mean is t-based', () => {
  const r = meanInterval([1, 2, 3, 4, 5]);
  // t(0.95, 4) = 2.131847; sd = 1.581139; half width = 2.131847 * 1.581139 / sqrt(5).
  assert.equal(r.mean, 3);
  assert.ok(Math.abs(r.hi - 3 - 1.507443) < 1e-5, `hi ${r.hi}`);
  assert.ok(Math.abs(3 - r.lo - 1.507443) < 1e-5);
  assert.ok(Number.isNaN(meanInterval([2]).lo), 'one run has no interval');
  assert.equal(meanInterval([1, NaN, 3]).n, 2, 'missing values are skipped');
});

test('series group by key and x, in the requested order', () => {
  const items = [{ g: 'b', x: 2, v: 1 }, { g: 'a', x: 1, v: 2 }, { g: 'a', x: 1, v: 4 }, { g: 'a', x: 2, v: 6 }];
  const s = aggregateSeries(items, (i) => i.g, (i) => i.x, (i) => i.v, 0.9, ['a', 'b']);
  assert.deepEqual(s.map((x) => x.name), ['a', 'b']);
  assert.deepEqual(s[0]!.points.map((p) => [p.x, p.n, p.mean]), [[1, 2, 3], [2, 1, 6]]);
  assert.equal(s[0]!.runs, 2);
});

test('the stopping rule waits until batches pay off, then stops after `patience` low batches', () => {
  const batch = (iteration: number, batchPositives: number) => ({ iteration, labeled: 100 * iteration, positives: 0, batchPositives });
  const yields = [0, 1, 5, 9, 8, 1, 0, 6].map((b, i) => batch(i + 1, b));
  // Batches of 100 with a 2% threshold: low = fewer than 2 positives. Iterations 1-2 are low but the model has not taken off yet.
  assert.equal(stoppingPoint(yields, 100, 0.02, 2).stopIteration, 7);
  assert.equal(stoppingPoint(yields, 100, 0.02, 3).stopIteration, 8, 'never fires: reports the last iteration');
  assert.equal(stoppingPoint(yields, 100, 0.02, 1).stopIteration, 6);
  assert.equal(stoppingPoint(yields, 100, 0.02, 2).labeledAtStop, 800);
});

test('arms parse single strategies and + mixtures, normalised', () => {
  assert.deepEqual(parseArms('rare, entropy-label,rare:0.9+random:0.1,rare:45%+entropy:45%+random:10%'),
    ['rare', 'entropy', 'rare:0.9+random:0.1', 'rare:0.45+entropy:0.45+random:0.1']);
  assert.throws(() => parseArms('rarest'), /unknown strategy/);
  assert.throws(() => validateConfig({ ...DEFAULT_CONFIG, rows: 1000 }), /needs a pool of at least/);
  assert.throws(() => validateConfig({ ...DEFAULT_CONFIG, predictability: [0] }), /predictability/);
});

const row = (run: number, arm: string, iteration: number, labeled: number, positives: number, batchPositives: number, loss: number): IterationRow => ({
  run, arm, predictability: 1, epochs: 10, correlation: 'none', increment: 100, iterations: 2, prevalence: 0.02, iteration, labeled,
  positives, rate: positives / labeled, loss, batchPositives, seconds: 1.5,
});
const rows = [
  row(0, 'rare', 1, 100, 2, 10, 0.1), row(0, 'rare', 2, 200, 12, 20, 0.09), row(0, 'rare', 3, 300, 32, NaN, NaN),
  row(0, 'rare:0.9+random:0.1', 1, 100, 2, 8, 0.1), row(0, 'rare:0.9+random:0.1', 2, 200, 10, 1, 0.1), row(0, 'rare:0.9+random:0.1', 3, 300, 11, NaN, NaN),
  row(1, 'rare', 1, 100, 3, 11, 0.12), row(1, 'rare', 2, 200, 14, 22, 0.08), row(1, 'rare', 3, 300, 36, NaN, NaN),
];

test('CSV rows round-trip, quoting mixture names and leaving missing values empty', () => {
  const text = rowsToCsv(rows);
  assert.match(text, /rare:0\.9\+random:0\.1/);
  const back = rowsFromCsv(text);
  assert.equal(back.length, rows.length);
  assert.deepEqual(back[2], rows[2]);
  assert.throws(() => rowsFromCsv('run,arm\n1,rare\n'), /missing column/);
});

test('arm summaries give the final rate with its interval and the stopping point', () => {
  const arms = summarizeArms(rows, { stopYield: 0.05, stopPatience: 1 });
  const rare = arms.find((a) => a.arm === 'rare')!;
  assert.equal(rare.runs, 2);
  assert.ok(Math.abs(rare.rate.mean - 34 / 300) < 1e-12);
  assert.ok(rare.rate.lo < rare.rate.mean && rare.rate.hi > rare.rate.mean);
  const mix = arms.find((a) => a.arm !== 'rare')!;
  assert.equal(mix.stopIteration, 2, 'one positive in a batch of 100 is below 5%');
  assert.match(summaryMarkdown(arms), /\| rare-label \| 2 \| 11\.3%/);
});

test('figures are SVG with a text alternative, axis labels and a legend', () => {
  const figs = studyFigures(rows);
  assert.deepEqual(figs.map((f) => f.file), ['identification-rate-by-strategy.svg', 'gain-over-rare-label.svg', 'loss-by-strategy.svg']);
  assert.deepEqual(studyFigures(rows.filter((r) => r.arm === 'rare')).map((f) => f.file), ['identification-rate-by-strategy.svg', 'loss-by-strategy.svg'], 'no gain without another arm');
  const svg = figs[0]!.svg;
  assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  assert.match(svg, /<title id="chart-title">Identification rate by candidate selection<\/title>/);
  assert.match(svg, /<desc id="chart-desc">[^<]*rare-label: 11\.3% at 300/);
  assert.match(svg, />labeled observations</);
  assert.match(svg, />identification rate \(rare label\)</);
  assert.match(svg, />rare:0\.9\+random:0\.1</, 'legend');
  assert.match(svg, /n = 1-2 runs/);
});

test('chart text is escaped and ticks are round numbers', () => {
  const svg = lineChart({ title: 'a < b & "c"', description: 'd', xLabel: 'x', yLabel: 'y', series: [] });
  assert.match(svg, /a &lt; b &amp; &quot;c&quot;/);
  assert.deepEqual(niceTicks(0, 0.113), [0, 0.025, 0.05, 0.075, 0.1, 0.125].filter((t) => t <= 0.113 + 1e-9));
  assert.deepEqual(niceTicks(200, 4200), [1000, 2000, 3000, 4000]);
});

test('arms take training options after @, in a canonical order, and reject unknown ones', () => {
  assert.deepEqual(parseArms('rare@warm@weighted, ucb@m8, rare@inc40, rare@early'), ['rare@weighted@warm', 'ucb@m8', 'rare@inc40', 'rare@early']);
  assert.deepEqual(parseArmSpec('thompson@m3').training, { weighted: false, warm: false, early: false, members: 3 });
  assert.equal(armMembers(parseArmSpec('ucb'), {}), 5);
  assert.equal(armMembers(parseArmSpec('ucb'), { ensembleSize: 7 }), 7);
  assert.equal(armMembers(parseArmSpec('rare@warm'), { ensembleSize: 7 }), 1);
  assert.throws(() => parseArms('rare@hot'), /unknown arm option "@hot"/);
  assert.throws(() => parseArms('rare@m4'), /no ensemble strategy/);
  assert.deepEqual(parseArms('ensemble@boot@m3, ucb@boot'), ['ensemble@m3@boot', 'ucb@boot']);
  assert.equal(parseArmSpec('thompson@boot').training.bootstrap, true);
  // auto over the simulation's network is the product's default form: the ensemble of bootstrap members.
  assert.deepEqual(parseArms('auto, auto:0.9+random:0.1@m3'), ['ensemble@boot', 'ensemble:0.9+random:0.1@m3@boot']);
  assert.throws(() => parseArms('rare@boot'), /@boot resamples ensemble members, but the arm has no ensemble strategy/);
  assert.throws(() => parseArms('rare,rare'), /given twice/);
  assert.throws(() => validateConfig({ ...DEFAULT_CONFIG, strategies: ['rare@inc300'] }), /not a multiple of its increment 300/);
  assert.equal(armName('rare@weighted@warm'), 'rare-label (weighted, warm)');
});

test('a rate interval is a percentile bootstrap: never below 0, even where the t interval is', () => {
  const rates = [0, 0, 0, 0.3, 0];
  assert.ok(meanInterval(rates).lo < 0, 'the t interval reaches below 0');
  const b = bootstrapMeanInterval(rates);
  assert.ok(b.lo >= 0 && b.lo <= b.mean && b.mean <= b.hi && b.hi <= 0.3, `${b.lo} ${b.hi}`);
  const arms = summarizeArms([row(0, 'rare', 3, 300, 0, NaN, NaN), row(1, 'rare', 3, 300, 0, NaN, NaN), row(2, 'rare', 3, 300, 90, NaN, NaN)], { stopYield: 0.05, stopPatience: 1 });
  assert.ok(arms[0]!.rate.lo >= 0);
});

test('by-parameter figures follow the values rare-label saw, not an arm\'s own increment', () => {
  const own = rows.filter((r) => r.arm === 'rare').map((r) => ({ ...r, arm: 'rare@inc40', increment: 40 }));
  assert.ok(!studyFigures([...rows, ...own]).some((f) => f.file === 'identification-rate-by-increment.svg'));
});
