import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etaToTarget, expectOpenBatch, formatDuration, labelingPace, median, timeLines, type TimedEvent } from '../../../src/core/pace';

const t0 = Date.parse('2026-12-01T09:00:00Z');
/** Events of one annotator at the given second offsets. */
const at = (annotator: string, seconds: number[], extra: Partial<TimedEvent> = {}): TimedEvent[] =>
  seconds.map((s) => ({ kind: 'set', at: new Date(t0 + s * 1000).toISOString(), annotator, ...extra }));

test('median seconds per label per annotator; gaps over the idle threshold are breaks', () => {
  const events = [
    ...at('ana', [0, 10, 22, 30, 2000, 2012]), // gaps 10, 12, 8, (1970: a break), 12
    ...at('ben', [5, 65, 125]), // gaps 60, 60
  ];
  const pace = labelingPace(events, { idleSeconds: 300 });
  const ana = pace.annotators.find((p) => p.annotator === 'ana')!;
  assert.equal(ana.labels, 6);
  assert.equal(ana.timed, 4);
  assert.equal(ana.medianSeconds, 11);
  assert.equal(ana.activeSeconds, 42);
  const ben = pace.annotators.find((p) => p.annotator === 'ben')!;
  assert.equal(ben.medianSeconds, 60);
  assert.equal(pace.annotators[0]!.annotator, 'ana', 'most labels first');
  assert.equal(pace.all.timed, 6);
  assert.equal(pace.all.medianSeconds, 12, 'median of 10, 12, 8, 12, 60, 60');
  // A lower threshold turns the 60 s gaps into breaks too.
  assert.equal(labelingPace(events, { idleSeconds: 30 }).annotators.find((p) => p.annotator === 'ben')!.medianSeconds, undefined);
});

test('imported labels time nothing; group labels are not typed but an undo or note is an action', () => {
  const events: TimedEvent[] = [
    ...at('ana', [0, 1, 2], { source: 'import:labels.jsonl' }),
    ...at('ana', [100]),
    ...at('ana', [101, 101, 101], { source: 'near-duplicate:5' }),
    ...at('ana', [130]),
    { kind: 'undo', at: new Date(t0 + 140 * 1000).toISOString(), annotator: 'ana' },
    ...at('ana', [145]),
  ];
  const ana = labelingPace(events).annotators[0]!;
  assert.equal(ana.labels, 3, 'typed labels only');
  // 130 follows the group labels at 101 (29 s), 145 follows the undo at 140 (5 s); 100 has no earlier typed action.
  assert.equal(ana.timed, 2);
  assert.equal(ana.medianSeconds, 17);
});

test('median', () => {
  assert.equal(median([]), undefined);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
});

test('the open batch: positives found plus the sum of p(yes) over the unlabeled items', () => {
  const e = expectOpenBatch({
    batchId: 'b0003', modelVersion: 'v2',
    items: [{ labeled: true, yes: true }, { labeled: true, yes: false }, { labeled: false, yes: false, pYes: 0.5 }, { labeled: false, yes: false, pYes: 0.25 }],
  });
  assert.deepEqual(e, { batchId: 'b0003', size: 4, labeled: 2, found: 1, scored: 2, expectedRemaining: 0.75, expectedTotal: 1.75, modelVersion: 'v2' });
  const partial = expectOpenBatch({ batchId: 'b1', modelVersion: 'v1', items: [{ labeled: false, yes: false, pYes: 0.5 }, { labeled: false, yes: false, pYes: Number.NaN }] });
  assert.equal(partial.expectedRemaining, undefined, 'no expectation when some unlabeled item has no score');
});

test('ETA: positives needed over the rate a label finds them, times the seconds a label takes', () => {
  const openBatch = expectOpenBatch({ batchId: 'b2', modelVersion: 'v1', items: Array.from({ length: 100 }, () => ({ labeled: false, yes: false, pYes: 0.05 })) });
  const eta = etaToTarget({ target: 20, found: 10, secondsPerLabel: 6, openBatch });
  assert.equal(eta.needed, 10);
  assert.equal(eta.rateSource, 'model');
  assert.ok(Math.abs(eta.ratePerLabel! - 0.05) < 1e-12);
  assert.equal(eta.labelsNeeded, 200);
  assert.equal(eta.seconds, 1200);
  assert.match(eta.explanation, /about 200 labels, about 20 min of labeling at 6\.0 s a label\. The open batch is expected to hold 5\.0 of them/);

  const recent = etaToTarget({ target: 13, found: 10, secondsPerLabel: 10, recent: { labels: 100, yes: 10 } });
  assert.equal(recent.rateSource, 'recent labels');
  assert.equal(recent.labelsNeeded, 30);
  assert.equal(recent.seconds, 300);

  assert.equal(etaToTarget({ target: 5, found: 7 }).needed, 0);
  assert.match(etaToTarget({ target: 5, found: 7 }).explanation, /reached/);
  assert.equal(etaToTarget({ target: 20, found: 10, recent: { labels: 5, yes: 1 } }).labelsNeeded, undefined, 'too few labels for a rate');
  assert.match(etaToTarget({ target: 20, found: 10, recent: { labels: 50, yes: 0 } }).explanation, /none are expected/);
  assert.match(etaToTarget({ target: 20, found: 10, recent: { labels: 50, yes: 5 } }).explanation, /time unknown/);
});

test('durations read like a person says them', () => {
  assert.equal(formatDuration(45), '45 s');
  assert.equal(formatDuration(12 * 60), '12 min');
  assert.equal(formatDuration(3 * 3600 + 20 * 60), '3 h 20 min');
  assert.equal(formatDuration(52 * 3600), '2 days 4 h');
});

test('the status bar tooltip: pace per annotator, the open batch\'s expectation, the ETA', () => {
  const pace = labelingPace([...at('ana', [0, 10, 22]), ...at('ben', [0])]);
  const openBatch = expectOpenBatch({ batchId: 'b0002', modelVersion: 'm0001', items: [{ labeled: true, yes: true }, { labeled: false, yes: false, pYes: 0.5 }, { labeled: false, yes: false, pYes: 0.25 }] });
  const lines = timeLines({ idleSeconds: 300, pace, annotator: 'ana', openBatch, eta: etaToTarget({ target: 3, found: 1, secondsPerLabel: 11, openBatch }) });
  assert.deepEqual(lines, [
    'Median time per label: ana 11.0 s (2 timed) (pauses over 5 min left out)',
    "Batch b0002: 1.8 potential security defects expected (1 found, 0.8 more in the 2 unlabeled, from model m0001's p(yes))",
    "ETA: 2 more potential security defects to reach 3: at 0.375 expected a label (model m0001's p(yes) over the 2 unlabeled reviews of batch b0002), about 6 labels, about 66 s of labeling at 11.0 s a label. The open batch is expected to hold 0.8 of them; the rest need further batches at that rate.",
  ]);
  assert.deepEqual(timeLines({ idleSeconds: 300, pace: labelingPace([]), annotator: 'all', eta: etaToTarget({ target: 10, found: 0 }) }),
    ['ETA: 10 more potential security defects to reach 10; no model and too few labels yet to estimate how long that takes.']);
});
