import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWebviewToHost } from '../../../src/protocol/webview';

test('whole messages from the labeling webview pass the guard', () => {
  for (const m of [
    { type: 'ready' }, { type: 'ready', state: { reviewId: '12', mode: 'adjudicate' } },
    { type: 'label', requestId: 3, reviewId: '12', label: 'yes' }, { type: 'undo', requestId: 4 },
    { type: 'skip', requestId: 5, reviewId: '12' }, { type: 'note', requestId: 6, reviewId: '12' },
    { type: 'openComment', reviewId: '12' }, { type: 'openDiff', reviewId: '12' }, { type: 'openLink', url: 'https://example.com' },
    { type: 'showMore', reviewId: '12', limit: 2_000_000 }, { type: 'mode', requestId: 7, mode: 'label' }, { type: 'rendered', seq: 9 },
    { type: 'mode', requestId: 8, mode: 'search' }, { type: 'applyToGroup', requestId: 9, reviewId: '12' }, { type: 'openReview', requestId: 10, reviewId: '13' },
  ]) assert.deepEqual(parseWebviewToHost(m), { ok: true, message: m }, JSON.stringify(m));
});

test('a malformed request is refused with its request id, so the host can answer it', () => {
  assert.deepEqual(parseWebviewToHost({ type: 'label', requestId: 3, reviewId: '12', label: 'maybe' }),
    { ok: false, error: 'label: unknown label "maybe"; one of yes, no, unclear, broken, bot, language', requestId: 3 });
  const cases: [unknown, RegExp][] = [
    [{ type: 'label', requestId: 3, label: 'yes' }, /reviewId must be a non-empty string/],
    [{ type: 'label', requestId: '3', reviewId: '12', label: 'yes' }, /requestId must be a whole number/],
    [{ type: 'mode', requestId: 8, mode: 'review' }, /mode must be one of label, adjudicate, search/],
    [{ type: 'applyToGroup', requestId: 9 }, /reviewId must be a non-empty string/],
    [{ type: 'openReview', reviewId: '13' }, /requestId must be a whole number/],
    [{ type: 'showMore', reviewId: '12', limit: -1 }, /limit must be a positive whole number/],
    [{ type: 'ready', state: { mode: 'x' } }, /state has the wrong shape/],
    [{ type: 'probe', report: {} }, /unknown message type/],
    [null, /not an object/],
  ];
  for (const [m, error] of cases) {
    const r = parseWebviewToHost(m);
    assert.equal(r.ok, false, JSON.stringify(m));
    if (!r.ok) assert.match(r.error, error);
  }
  const r = parseWebviewToHost({ type: 'skip', requestId: 11 });
  assert.ok(!r.ok && r.requestId === 11);
});
