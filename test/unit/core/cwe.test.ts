import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CWE_CHOICES, CWE_SUGGESTION_MAX, cwePickRows, cweSuggestions, cweTitle, isCweId, parseCweId, parseCweList, sortCwe } from '../../../src/core/cwe';

test('the quick pick offers the 2024 CWE Top 25 in rank order, then review-level weaknesses, without repeats', () => {
  const top = CWE_CHOICES.filter((c) => c.group === 'top25').map((c) => c.id);
  assert.equal(top.length, 25);
  assert.deepEqual(top.slice(0, 5), ['CWE-79', 'CWE-787', 'CWE-89', 'CWE-352', 'CWE-22']);
  assert.equal(new Set(CWE_CHOICES.map((c) => c.id)).size, CWE_CHOICES.length);
  assert.ok(CWE_CHOICES.some((c) => c.group === 'review' && c.id === 'CWE-327'), 'broken cryptography is offered');
  assert.equal(cweTitle('CWE-89'), 'SQL Injection');
  assert.equal(cweTitle('CWE-1321'), undefined, 'unlisted ids are valid, without a title');
});

test('typed CWE ids are normalized; anything else is refused naming the entry', () => {
  for (const s of ['CWE-89', 'cwe 89', 'cwe_89', '89', ' 089 ']) assert.equal(parseCweId(s), 'CWE-89', s);
  for (const s of ['', 'CWE-', 'CWE-0', 'sql', '89a', 'CWE-1234567']) assert.equal(parseCweId(s), undefined, s);
  assert.deepEqual(parseCweList('89, CWE-79 cwe-89;1321'), ['CWE-89', 'CWE-79', 'CWE-1321']);
  assert.deepEqual(parseCweList(''), []);
  assert.throws(() => parseCweList('89, xss'), /"xss" is not a CWE id/);
  assert.deepEqual(sortCwe(['CWE-1321', 'CWE-79', 'CWE-89', 'CWE-79']), ['CWE-79', 'CWE-89', 'CWE-1321']);
  assert.ok(isCweId('CWE-20') && !isCweId('cwe-20') && !isCweId(20));
});

test('the tag picker suggests the tags a review is rated likely for, likeliest first, ties by number, at most five', () => {
  const tags = ['CWE-20', 'CWE-22', 'CWE-79', 'CWE-89', 'CWE-502', 'CWE-798', 'CWE-1321'];
  assert.deepEqual(cweSuggestions(tags, [0.1, 0.6, 0.6, 0.9, 0.2, 0.19, 0.3]), [
    { id: 'CWE-89', p: 0.9 }, { id: 'CWE-22', p: 0.6 }, { id: 'CWE-79', p: 0.6 }, { id: 'CWE-1321', p: 0.3 }, { id: 'CWE-502', p: 0.2 },
  ]);
  assert.equal(cweSuggestions(tags, tags.map(() => 0.5)).length, CWE_SUGGESTION_MAX);
  assert.deepEqual(cweSuggestions(tags, tags.map(() => 0.05)), [], 'nothing below the threshold');
});

test('the tag picker lists typed tags, then the model\'s suggestions with p, then the Top 25 and review-level lists, each tag once', () => {
  const rows = cwePickRows(['CWE-1321', 'CWE-89', 'CWE-4242'], { model: 'm0007', tags: [{ id: 'CWE-798', p: 0.81 }, { id: 'CWE-4242', p: 0.5 }] });
  const headings = rows.flatMap((r, i) => ('heading' in r ? [{ at: i, heading: r.heading }] : []));
  assert.deepEqual(headings.map((h) => h.heading), ['Suggested by model m0007', 'CWE Top 25 (2024)', 'Common in code reviews']);
  assert.deepEqual(rows.slice(0, 4), [
    { id: 'CWE-1321', description: 'typed' },
    { heading: 'Suggested by model m0007' },
    { id: 'CWE-798', description: 'Use of Hard-coded Credentials · p = 0.81' },
    { id: 'CWE-4242', description: 'p = 0.50' },
  ], 'a typed tag the model suggests is listed once, among the suggestions; a listed one (CWE-89) stays in its list');
  const ids = rows.flatMap((r) => ('id' in r ? [r.id] : []));
  assert.equal(new Set(ids).size, ids.length, 'no tag twice');
  assert.equal(ids.length, CWE_CHOICES.length + 2, 'every listed tag, the typed one and the suggested unlisted one');
  const at89 = rows.findIndex((r) => 'id' in r && r.id === 'CWE-89');
  assert.ok(at89 > headings[1]!.at && at89 < headings[2]!.at, 'CWE-89 in the Top 25');
  assert.ok(!rows.slice(headings[1]!.at).some((r) => 'id' in r && r.id === 'CWE-798'), 'a suggested listed tag leaves its list');
  // Without suggestions: no such section.
  assert.ok(!cwePickRows([]).some((r) => 'heading' in r && r.heading.startsWith('Suggested')));
});
