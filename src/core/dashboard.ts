/**
 * The dashboard's content, computed from plain workspace data (no I/O): identification rates per
 * label per iteration, per iteration and cumulative (the paper's Figure 9); the yield of each
 * candidate-selection strategy; training curves per model version with the kept epoch (Figure 8);
 * the probe sentences' probability of `yes` under each model (Table 2); label counts; and the
 * stopping estimates with their plain-language explanations. Every chart comes with its text
 * alternative (a description and a data table), so what a screen reader hears is tested here.
 */
import { prevalenceHeadline, type KneeResult, type PoolPrevalence, type PositivesLeft, type TargetRecallResult } from './estimates';
import { LABELS, MODEL_LABELS, TARGET_LABEL, type Label } from './labels';
import type { IterationRates, LabelCounts } from './metrics';
import type { NearDuplicateStats } from './nearDuplicates';
import { formatDuration, type TimeStats } from './pace';
import type { ChartMarker, ChartSeries } from './svgChart';
import { formatCoefficient, type TeamAgreement } from './agreement';

/** Example probes in the spirit of the paper's Table 2 (the setting `secreview.dashboard.probes` replaces them). */
export const DEFAULT_PROBES: readonly string[] = [
  'This could lead to a SQL injection if the name comes from the request.',
  'Please sanitize this input before rendering it, otherwise we are open to XSS.',
  'Can you rename this variable to something more descriptive?',
  'Nit: missing newline at the end of the file.',
];

/** Labels counted by identification rates (broken links and bot comments are left out, as in the paper). */
const RATE_LABELS: readonly Label[] = MODEL_LABELS;
const EXCLUDED: ReadonlySet<Label> = new Set<Label>(['broken', 'bot']);

export interface DashboardStatsInput {
  pool: number;
  labeled: number;
  byLabel: LabelCounts;
  iterations: readonly IterationRates[];
  randomSample?: PoolPrevalence;
  estimates: { positivesLeft?: PositivesLeft; yieldFactor?: number; knee: KneeResult; targetRecall?: TargetRecallResult };
  time?: TimeStats;
  nearDuplicates?: NearDuplicateStats;
  agreement?: TeamAgreement;
  disagreements?: number;
  cwe?: readonly { id: string; title?: string; reviews: number }[];
}

export interface DashboardInput {
  /** What `workspaceStats` returns (structurally). */
  stats: DashboardStatsInput;
  batches: readonly { id: string; items: readonly { reviewId: string; strategy: string }[] }[];
  /** Current label of a review, if any. */
  labelOf: (reviewId: string) => Label | undefined;
  /** Records per epoch, or per candidate L2 strength (`l2`, with the inner folds' `innerRocAuc`) for the regularized linear head. */
  models: readonly { version: string; createdAt: string; representation: string; selectedEpoch: number; epochs: readonly { epoch: number; trainLoss: number; testLoss: number; precisionAtK: number; k?: number; l2?: number; innerRocAuc?: number }[] }[];
  probes: readonly string[];
  /** Per model version: the probes' probabilities of `yes` (in probe order), or why there are none. */
  probeResults: ReadonlyMap<string, readonly number[] | { error: string }>;
  /** Versions whose probe probabilities are still being computed. */
  probesPending?: ReadonlySet<string>;
}

export interface DataTable { caption: string; columns: string[]; rows: string[][] }

export interface DashboardChart {
  /** Unique on the page (element ids). */
  id: string;
  title: string;
  description: string;
  xLabel: string;
  yLabel: string;
  /** y values are shares (formatted as percentages). */
  percent: boolean;
  series: ChartSeries[];
  markers: ChartMarker[];
  table: DataTable;
}

export interface StrategyYield {
  strategy: string;
  /** Distinct reviews the strategy proposed. */
  proposed: number;
  /** Of those, labeled (broken links and bot comments not counted). */
  labeled: number;
  /** Labeled broken or bot: left out of the share, as in identification rates. */
  excluded: number;
  yes: number;
  /** yes / labeled, or null before any label. */
  share: number | null;
}

export interface ModelCurves { version: string; representation: string; createdAt: string; selectedEpoch: number; chart: DashboardChart }

export type ProbeCell = { probability: number } | { pending: true } | { error: string };

export interface Estimate { headline: string; explanation: string; stop?: boolean }

export interface DashboardData {
  pool: number;
  labeled: number;
  labelCounts: { label: Label; count: number }[];
  rates: { perIteration: DashboardChart; cumulative: DashboardChart } | null;
  strategies: StrategyYield[];
  models: ModelCurves[];
  probes: { versions: string[]; rows: { text: string; cells: ProbeCell[] }[] };
  estimates: { prevalence: Estimate; positivesLeft?: Estimate; yieldFactor?: Estimate; knee: Estimate; targetRecall?: Estimate; nearDuplicates?: Estimate };
  /** Time per label per annotator, the positives the open batch is expected to hold, and the ETA to the target. */
  time?: { pace: DataTable; openBatch?: Estimate; eta: Estimate };
  /** Agreement between annotators (double coding), absent until a review is coded twice. */
  agreement?: AgreementTables;
  /** Reviews per CWE tag among the `yes` labels, absent without tags. */
  cwe?: DataTable;
}

export interface AgreementTables { headline: string; coefficients: DataTable; confusion: DataTable }

/** The agreement section: one row per coefficient (overall, then per label) and the confusion matrix. */
export function agreementTables(a: TeamAgreement, disagreements: number): AgreementTables {
  const row = (what: string, pairs: number, c: Pick<TeamAgreement, 'percentAgreement' | 'kappa' | 'pabak' | 'ac1'>) =>
    [what, String(pairs), formatCoefficient(c.percentAgreement), formatCoefficient(c.kappa), formatCoefficient(c.pabak), formatCoefficient(c.ac1)];
  const used = a.categories.map((_, i) => i).filter((i) => a.confusion[i]!.some((n) => n > 0) || a.confusion.some((r) => r[i]! > 0));
  const [first, second] = a.annotators.length === 2 ? a.annotators : ['first coder by name', 'second coder'];
  return {
    headline: `${a.annotators.join(', ')}: ${a.reviews} review${a.reviews === 1 ? '' : 's'} coded twice or more, ${a.pairs} pair${a.pairs === 1 ? '' : 's'}; ${disagreements} disagreement${disagreements === 1 ? '' : 's'} awaiting adjudication.`,
    coefficients: {
      caption: 'Agreement between annotators, overall and per label (each label against the rest), with bootstrap 95% intervals',
      columns: ['Labels', 'Pairs', 'Percent agreement', "Cohen's kappa", 'PABAK', "Gwet's AC1"],
      rows: [row('all labels', a.pairs, a), ...a.perLabel.map((l) => row(l.label, l.pairsWithLabel, l))],
    },
    confusion: {
      caption: `Confusion matrix: rows ${first}, columns ${second}`,
      columns: [`${first} by ${second}`, ...used.map((j) => a.categories[j]!)],
      rows: used.map((i) => [a.categories[i]!, ...used.map((j) => String(a.confusion[i]![j]))]),
    },
  };
}

export const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const iterationName = (i: number) => (i === 0 ? 'imported' : String(i));

function rateChart(iterations: readonly IterationRates[], cumulative: boolean): DashboardChart {
  const what = cumulative ? 'cumulative' : 'per-iteration';
  const n = (it: IterationRates) => (cumulative ? it.cumulativeLabeled : it.labeled);
  const counts = (it: IterationRates) => (cumulative ? it.cumulativeCounts : it.counts);
  const rate = (it: IterationRates) => (cumulative ? it.cumulativeRate : it.rate);
  const last = iterations[iterations.length - 1]!;
  const summary = RATE_LABELS.map((l) => `${l} ${counts(last)[l]} (${pct(rate(last)[l])})`).join(', ');
  return {
    id: cumulative ? 'rates-cumulative' : 'rates-iteration',
    title: cumulative ? 'Identification rate, cumulative' : 'Identification rate per iteration',
    description: `Share of each label among the reviews labeled ${cumulative ? 'up to and including' : 'in'} each iteration (broken links and bot comments excluded), over ${iterations.length} iteration${iterations.length === 1 ? '' : 's'}. ` +
      `${cumulative ? 'Up to' : 'In'} iteration ${iterationName(last.iteration)}, of ${n(last)} labeled: ${summary}.`,
    xLabel: 'Iteration (0: imported labels)',
    yLabel: 'Identification rate',
    percent: true,
    series: RATE_LABELS.map((l) => ({ name: l, points: iterations.map((it) => ({ x: it.iteration, mean: rate(it)[l] })) })),
    markers: [],
    table: {
      caption: `Identification rate, ${what}: labels and shares per iteration`,
      columns: ['Iteration', 'Labeled', ...RATE_LABELS],
      rows: iterations.map((it) => [iterationName(it.iteration), String(n(it)), ...RATE_LABELS.map((l) => `${counts(it)[l]} (${pct(rate(it)[l])})`)]),
    },
  };
}

/** Share of `yes` among the labeled reviews each strategy proposed (a review counts once per strategy). */
export function strategyYields(batches: DashboardInput['batches'], labelOf: (id: string) => Label | undefined): StrategyYield[] {
  const seen = new Map<string, Set<string>>();
  for (const b of batches) {
    for (const it of b.items) {
      let s = seen.get(it.strategy);
      if (!s) seen.set(it.strategy, (s = new Set()));
      s.add(it.reviewId);
    }
  }
  return [...seen].map(([strategy, ids]) => {
    let labeled = 0, excluded = 0, yes = 0;
    for (const id of ids) {
      const l = labelOf(id);
      if (!l) continue;
      if (EXCLUDED.has(l)) { excluded++; continue; }
      labeled++;
      if (l === TARGET_LABEL) yes++;
    }
    return { strategy, proposed: ids.size, labeled, excluded, yes, share: labeled ? yes / labeled : null };
  });
}

function modelCurves(m: DashboardInput['models'][number], index: number): ModelCurves {
  const kept = m.epochs.find((e) => e.epoch === m.selectedEpoch);
  const k = kept?.k ?? m.epochs.find((e) => e.k !== undefined)?.k;
  const pak = k !== undefined ? `precision@${k}` : 'precision@k';
  const f = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(3) : 'n/a');
  const base = { version: m.version, representation: m.representation, createdAt: m.createdAt, selectedEpoch: m.selectedEpoch };
  if (m.epochs.length && m.epochs.every((e) => e.l2 !== undefined)) {
    // The regularized linear head: one fit per L2 strength, plotted on a log scale, strongest left.
    const x = (e: { l2?: number }) => Math.log10(1 / e.l2!);
    return {
      ...base,
      chart: {
        id: `model-${index}`,
        title: `Regularization of model ${m.version}`,
        description: `Model ${m.version} (${m.representation}): a linear head fitted for ${m.epochs.length} L2 strengths; ` +
          (kept ? `the kept strength ${kept.l2} (highest ROC-AUC over inner folds of the training split, ${f(kept.innerRocAuc)}) has test loss ${f(kept.testLoss)} and ${pak} ${f(kept.precisionAtK)}.` : 'the kept strength has no recorded metrics.'),
        xLabel: 'log10 of 1 / L2 strength (weaker penalty to the right)',
        yLabel: 'Loss / precision',
        percent: false,
        series: [
          { name: 'test loss', points: m.epochs.map((e) => ({ x: x(e), mean: e.testLoss })) },
          { name: pak, points: m.epochs.map((e) => ({ x: x(e), mean: e.precisionAtK })) },
          { name: 'training loss', points: m.epochs.map((e) => ({ x: x(e), mean: e.trainLoss })) },
          { name: 'inner ROC-AUC', points: m.epochs.filter((e) => e.innerRocAuc !== undefined).map((e) => ({ x: x(e), mean: e.innerRocAuc! })) },
        ],
        markers: kept ? [{ x: x(kept), label: `kept: L2 ${kept.l2}` }] : [],
        table: {
          caption: `Model ${m.version}: loss and ${pak} per L2 strength`,
          columns: ['L2 strength', 'Training loss', 'Test loss', pak, 'Inner ROC-AUC', 'Kept'],
          rows: m.epochs.map((e) => [String(e.l2), f(e.trainLoss), f(e.testLoss), f(e.precisionAtK), f(e.innerRocAuc), e.epoch === m.selectedEpoch ? 'kept' : '']),
        },
      },
    };
  }
  return {
    ...base,
    chart: {
      id: `model-${index}`,
      title: `Training of model ${m.version}`,
      description: `Model ${m.version} (${m.representation}) trained for ${m.epochs.length} epoch${m.epochs.length === 1 ? '' : 's'}; ` +
        (kept ? `the kept epoch ${kept.epoch} has test loss ${f(kept.testLoss)} and ${pak} ${f(kept.precisionAtK)}.` : `the kept epoch ${m.selectedEpoch} has no recorded metrics.`),
      xLabel: 'Epoch',
      yLabel: 'Loss / precision',
      percent: false,
      series: [
        { name: 'test loss', points: m.epochs.map((e) => ({ x: e.epoch, mean: e.testLoss })) },
        { name: pak, points: m.epochs.map((e) => ({ x: e.epoch, mean: e.precisionAtK })) },
        { name: 'training loss', points: m.epochs.map((e) => ({ x: e.epoch, mean: e.trainLoss })) },
      ],
      markers: [{ x: m.selectedEpoch, label: `kept: epoch ${m.selectedEpoch}` }],
      table: {
        caption: `Model ${m.version}: loss and ${pak} per epoch`,
        columns: ['Epoch', 'Training loss', 'Test loss', pak, 'Kept'],
        rows: m.epochs.map((e) => [String(e.epoch), f(e.trainLoss), f(e.testLoss), f(e.precisionAtK), e.epoch === m.selectedEpoch ? 'kept' : '']),
      },
    },
  };
}

function estimates(s: DashboardStatsInput): DashboardData['estimates'] {
  const p = s.randomSample;
  const e = s.estimates;
  const prevalence: Estimate = p && p.sampled > 0
    ? { headline: prevalenceHeadline(p), explanation: p.explanation }
    : { headline: 'unknown', explanation: p?.explanation ?? 'No randomly chosen reviews are labeled yet, so nothing is known about prevalence: include a random share in batches (e.g. random:0.1) to estimate it.' };
  const found = s.byLabel[TARGET_LABEL];
  const lastRate = s.iterations.length ? s.iterations[s.iterations.length - 1]!.cumulativeRate[TARGET_LABEL] : 0;
  return {
    prevalence,
    positivesLeft: e.positivesLeft && {
      headline: `about ${Math.round(e.positivesLeft.expectedLeft).toLocaleString('en-US')} left`,
      explanation: e.positivesLeft.explanation,
    },
    yieldFactor: e.yieldFactor !== undefined && Number.isFinite(e.yieldFactor) && p ? {
      headline: `${e.yieldFactor.toFixed(1)}x random sampling`,
      explanation: `${found} of the reviews labeled so far are potential security defects (${pct(lastRate)}, broken links and bot comments excluded), ` +
        `${e.yieldFactor.toFixed(1)} times the ${pct(p.mean)} that labeling randomly chosen reviews would be expected to find.`,
    } : undefined,
    knee: { headline: e.knee.shouldStop ? 'stop' : 'keep labeling', explanation: e.knee.explanation, stop: e.knee.shouldStop },
    targetRecall: e.targetRecall && {
      headline: `${e.targetRecall.shouldStop ? 'stop' : 'keep labeling'} (recall at least ${pct(e.targetRecall.conservativeRecall)} of ${pct(e.targetRecall.targetRecall)} target)`,
      explanation: e.targetRecall.explanation,
      stop: e.targetRecall.shouldStop,
    },
  };
}

function nearDuplicatesEstimate(nd: NearDuplicateStats | undefined): Estimate | undefined {
  if (!nd) return undefined;
  const n = (x: number) => x.toLocaleString('en-US');
  return {
    headline: nd.groups ? `${n(nd.groups)} groups of ${n(nd.reviewsInGroups)} reviews` : 'none found',
    explanation: (nd.groups
      ? `${n(nd.groups)} groups of near-duplicate reviews (bodies alike but for numbers, names and layout) hold ${n(nd.reviewsInGroups)} reviews, ${n(nd.redundant)} beyond the first of each group; the largest has ${n(nd.largest)}.`
      : 'No two reviews of the pool are near-duplicates.') +
      (nd.labeledGroups ? ` ${n(nd.labeledGroups)} ${nd.labeledGroups === 1 ? 'group has' : 'groups have'} a label; ${n(nd.unlabeledInLabeledGroups)} of ${nd.labeledGroups === 1 ? 'its' : 'their'} reviews ${nd.unlabeledInLabeledGroups === 1 ? 'has' : 'have'} none yet (the panel offers to label them alike).` : '') +
      (nd.conflictingGroups ? ` ${n(nd.conflictingGroups)} ${nd.conflictingGroups === 1 ? 'group carries' : 'groups carry'} different labels.` : '') +
      (nd.unsigned ? ` ${n(nd.unsigned)} reviews are not compared yet.` : ''),
  };
}

function timeSection(t: TimeStats | undefined): DashboardData['time'] {
  if (!t) return undefined;
  const ob = t.openBatch;
  const eta = t.eta;
  return {
    pace: {
      caption: `Median seconds per label, per annotator (pauses over ${formatDuration(t.idleSeconds)} left out)`,
      columns: ['Annotator', 'Labels typed', 'Timed', 'Median seconds per label', 'Hours labeling'],
      rows: t.pace.annotators.map((p) => [p.annotator, String(p.labels), String(p.timed), p.medianSeconds === undefined ? 'n/a' : p.medianSeconds.toFixed(1), (p.activeSeconds / 3600).toFixed(1)]),
    },
    openBatch: ob && {
      headline: ob.expectedTotal === undefined ? `${ob.found} found` : `${ob.expectedTotal.toFixed(1)} expected`,
      explanation: `Batch ${ob.batchId}: ${ob.found} potential security defects among ${ob.labeled} of ${ob.size} labeled` + (ob.expectedRemaining !== undefined
        ? `; the sum of model ${ob.modelVersion}'s p(yes) over the ${ob.size - ob.labeled} unlabeled reviews expects ${ob.expectedRemaining.toFixed(1)} more.`
        : ob.size > ob.labeled ? '; the latest model has no scores for its unlabeled reviews.' : '.'),
    },
    eta: {
      headline: eta.needed === 0 ? 'target reached' : eta.seconds !== undefined ? `about ${formatDuration(eta.seconds)} to ${eta.target}` : `${eta.needed} more to ${eta.target}`,
      explanation: eta.explanation,
    },
  };
}

export function buildDashboard(input: DashboardInput): DashboardData {
  const { stats } = input;
  const versions = input.models.map((m) => m.version);
  return {
    pool: stats.pool,
    labeled: stats.labeled,
    labelCounts: LABELS.map((label) => ({ label, count: stats.byLabel[label] })),
    ...(stats.agreement ? { agreement: agreementTables(stats.agreement, stats.disagreements ?? 0) } : {}),
    ...(stats.cwe?.length ? { cwe: { caption: 'CWE tags of the "yes" labels: reviews per tag', columns: ['CWE', 'Weakness', 'Reviews'], rows: stats.cwe.map((t) => [t.id, t.title ?? '', String(t.reviews)]) } } : {}),
    rates: stats.iterations.length ? { perIteration: rateChart(stats.iterations, false), cumulative: rateChart(stats.iterations, true) } : null,
    strategies: strategyYields(input.batches, input.labelOf),
    models: input.models.map(modelCurves),
    probes: {
      versions,
      rows: input.probes.map((text, i) => ({
        text,
        cells: versions.map((v): ProbeCell => {
          const r = input.probeResults.get(v);
          if (r && 'error' in r) return { error: r.error };
          const p = r?.[i];
          if (p !== undefined) return { probability: p };
          return input.probesPending?.has(v) ? { pending: true } : { error: 'not computed' };
        }),
      })),
    },
    estimates: { ...estimates(stats), nearDuplicates: nearDuplicatesEstimate(stats.nearDuplicates) },
    time: timeSection(stats.time),
  };
}
