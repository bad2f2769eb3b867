import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dateOfDay, dayNumber, searchQueryFor, seededShuffle } from '../../../src/github/sampling';
import { DEFAULT_SAMPLE } from '../../../src/github/spec';

test('seededShuffle is a reproducible permutation', () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const a = seededShuffle(items, 7);
  assert.deepEqual(seededShuffle(items, 7), a);
  assert.notDeepEqual(seededShuffle(items, 8), a);
  assert.notDeepEqual(a, items);
  assert.deepEqual([...a].sort((x, y) => x - y), items);
});

test('searchQueryFor writes the paper\'s filters as GitHub search qualifiers', () => {
  const q = searchQueryFor(DEFAULT_SAMPLE, 'Java', { from: '2015-03-01', to: '2015-03-07' });
  assert.equal(q, 'stars:>=100 language:Java created:2015-03-01..2015-03-07 is:public');
  const custom = searchQueryFor({ ...DEFAULT_SAMPLE, minStars: 5, includeForks: true, includeArchived: false, pushed: { from: '2023-01-01' } }, 'Visual Basic .NET', { from: '2020-01-01', to: '2020-01-01' });
  assert.equal(custom, 'stars:>=5 language:"Visual Basic .NET" created:2020-01-01..2020-01-01 pushed:2023-01-01..* fork:true archived:false is:public');
});

test('day numbers round-trip dates', () => {
  assert.equal(dateOfDay(dayNumber('2016-02-29')), '2016-02-29');
  assert.equal(dayNumber('1970-01-02'), 1);
});
