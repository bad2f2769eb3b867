import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CWE_CHOICES, CWE_SUGGESTION_MAX, cweSuggestions, cweTitle, isCweId, parseCweId, parseCweList, sortCwe } from '../../../src/core/cwe';

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
