import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matches, parseQuery, parseReviewReference, queryOfUrl, queryRanges, QueryError, rawLinePrefilter, regexRanges, type SearchableReview } from '../../../src/core/search';

const review = (over: Partial<SearchableReview> = {}): SearchableReview => ({
  id: '42', repo: 'apache/kafka', pull: 7, path: 'src/main/java/Auth.java', body: 'This could allow SQL Injection through the name parameter.', ...over,
});

test('words and phrases must all occur, in any field, case-insensitively', () => {
  assert.ok(matches(parseQuery('sql injection'), review()));
  assert.ok(matches(parseQuery('"SQL injection" auth.java'), review()), 'a word may match the path');
  assert.ok(matches(parseQuery('kafka injection'), review()), 'a word may match the repository');
  assert.ok(!matches(parseQuery('"injection sql"'), review()), 'a phrase keeps its order');
  assert.ok(!matches(parseQuery('sql xss'), review()), 'every word is needed');
});

test('-word excludes; repo:, path:, body: restrict a word to a field; pull: and id: pick exactly', () => {
  assert.ok(!matches(parseQuery('injection -kafka'), review()));
  assert.ok(matches(parseQuery('injection -xss'), review()));
  assert.ok(matches(parseQuery('path:auth injection'), review()));
  assert.ok(!matches(parseQuery('body:auth'), review()), 'auth is only in the path');
  assert.ok(matches(parseQuery('repo:"apache/kafka" pull:7'), review()));
  assert.ok(!matches(parseQuery('repo:apache pull:8'), review()));
  assert.ok(matches(parseQuery('id:42'), review()));
  assert.ok(!matches(parseQuery('id:4'), review()), 'an id matches whole');
  assert.ok(matches(parseQuery('http://host'), review({ body: 'see http://host/x' })), 'an unknown qualifier is part of the word');
});

test('a /regular expression/ matches any field; case-insensitive unless flags are given', () => {
  assert.ok(matches(parseQuery('/sql\\s+inj/'), review()));
  assert.ok(!matches(parseQuery('/SQL inj/u'), review({ body: 'sql injection' })), 'explicit flags: no i');
  assert.ok(matches(parseQuery('/^src\\/main/'), review()), 'the path');
});

test('bad queries say what is wrong', () => {
  for (const [q, re] of [['', /empty/], ['   ', /empty/], ['/a(/', /not a valid regular expression/], ['/a/x', /unknown regular expression flag/],
    ['pull:abc', /pull: needs a number/], ['-secret', /only excludes/], ['"unclosed', /unclosed quote/], ['-pull:3 a', /not supported/]] as const) {
    assert.throws(() => parseQuery(q), (e: unknown) => e instanceof QueryError && re.test((e as Error).message), q);
  }
});

test('the raw-line prefilter never rejects a record that matches', () => {
  const bodies = ['Ünïcode SQL "quoted" injection', 'tab\there and a \\ backslash', 'SQL\ninjection', 'plain text', 'sql-injection'];
  const queries = ['sql injection', '"quoted"', 'tab', 'backslash', '\\', 'injection -plain', 'id:42', 'ünïcode', 'sql-injection', '/sql.injection/'];
  for (const body of bodies) {
    const r = review({ body });
    const line = JSON.stringify({ ...r, url: 'https://github.com/apache/kafka/pull/7#discussion_r42' });
    for (const q of queries) {
      const query = parseQuery(q);
      const pre = rawLinePrefilter(query);
      if (matches(query, r)) assert.ok(!pre || pre(line), `${q} on ${JSON.stringify(body)}`);
    }
  }
  assert.equal(rawLinePrefilter(parseQuery('/x/')), undefined, 'a regular expression is not pre-tested');
  assert.equal(rawLinePrefilter(parseQuery('path:x')) !== undefined, true);
  assert.ok(!rawLinePrefilter(parseQuery('xss'))!(JSON.stringify(review())), 'a line without the word is skipped');
});

test('ranges: where the query words or the expression occur in a body (for highlights)', () => {
  assert.deepEqual(queryRanges(parseQuery('sql injection'), 'SQL injection, sql!'), [[0, 3], [4, 13], [15, 18]]);
  assert.deepEqual(queryRanges(parseQuery('path:sql'), 'sql'), [], 'a word restricted to the path is not marked in the body');
  assert.deepEqual(queryRanges(parseQuery('-sql x'), 'sql x'), [[4, 5]], 'excluded words are not marked');
  assert.deepEqual(regexRanges(/a*/i, 'baaa b'), [[1, 4]], 'empty matches are skipped without looping');
  assert.equal(regexRanges(/a/, 'a'.repeat(5000), 10).length, 10, 'at most the limit');
});

test('Go to Review: ids, GitHub URLs of comments and pull requests, API URLs', () => {
  assert.deepEqual(parseReviewReference('1234567'), { kind: 'review', id: '1234567' });
  assert.deepEqual(parseReviewReference(' r1234567 '), { kind: 'review', id: '1234567' });
  assert.deepEqual(parseReviewReference('#discussion_r99'), { kind: 'review', id: '99' });
  assert.deepEqual(parseReviewReference('https://github.com/o/r/pull/5#discussion_r1234567890'), { kind: 'review', id: '1234567890' });
  assert.deepEqual(parseReviewReference('https://github.com/o/r/pull/5/files#r77'), { kind: 'review', id: '77' });
  assert.deepEqual(parseReviewReference('https://api.github.com/repos/o/r/pulls/comments/555'), { kind: 'review', id: '555' });
  assert.deepEqual(parseReviewReference('https://github.com/o/r/pull/5'), { kind: 'pull', repo: 'o/r', pull: 5 });
  assert.deepEqual(parseReviewReference('gen-abc'), { kind: 'review', id: 'gen-abc' }, 'a derived id as typed');
  assert.equal(parseReviewReference('').kind, 'invalid');
  assert.equal(parseReviewReference('https://example.com/x').kind, 'invalid');
  assert.equal(parseReviewReference('two words').kind, 'invalid');
});

test('a pasted GitHub URL as the whole query finds what it points to', () => {
  assert.equal(queryOfUrl('https://github.com/o/r/pull/5#discussion_r1234'), 'id:1234');
  assert.equal(queryOfUrl(' https://github.com/apache/kafka/pull/77 '), 'repo:"apache/kafka" pull:77');
  assert.ok(matches(parseQuery(queryOfUrl('https://github.com/apache/kafka/pull/7')!), review()));
  assert.equal(queryOfUrl('sql injection'), undefined);
  assert.equal(queryOfUrl('https://example.com/x'), undefined);
  assert.equal(queryOfUrl('see https://github.com/o/r/pull/5'), undefined, 'a URL among words is a word');
});
