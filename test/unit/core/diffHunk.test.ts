import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commentedLineIndexes, parseDiffHunk, parseHunkHeader, reconstructSides } from '../../../src/core/diffHunk';

const HUNK = [
  '@@ -10,4 +10,5 @@ function login(user) {',
  '   const q = "SELECT * FROM users";',
  '-  db.query(q + user);',
  '+  const safe = escape(user);',
  '+  db.query(q + safe);',
  '   return true;',
  ' }',
].join('\n');

test('header: counts default to 1 and the section text is kept', () => {
  assert.deepEqual(parseHunkHeader('@@ -3 +4,2 @@'), { oldStart: 3, oldCount: 1, newStart: 4, newCount: 2, section: '' });
  assert.equal(parseHunkHeader('@@ -1,2 +1,2 @@ class A')?.section, 'class A');
  assert.equal(parseHunkHeader('not a header'), undefined);
});

test('numbers old and new lines through context, deletions and additions', () => {
  const [h] = parseDiffHunk(HUNK);
  assert.ok(h);
  assert.deepEqual(h.lines.map((l) => [l.kind, l.oldLine, l.newLine]), [
    ['context', 10, 10], ['del', 11, undefined], ['add', undefined, 11], ['add', undefined, 12], ['context', 12, 13], ['context', 13, 14],
  ]);
  assert.equal(h.lines[2]!.text, '  const safe = escape(user);');
});

test('several @@ sections, CRLF and the no-newline marker', () => {
  const hunks = parseDiffHunk('@@ -1,1 +1,1 @@\r\n-a\r\n+b\r\n\\ No newline at end of file\r\n@@ -20,1 +20,2 @@\r\n x\r\n+y\r\n');
  assert.equal(hunks.length, 2);
  assert.equal(hunks[0]!.lines[2]!.kind, 'meta');
  assert.deepEqual(hunks[1]!.lines.map((l) => l.newLine), [20, 21]);
});

test('a hunk without a header still parses from line 1', () => {
  const [h] = parseDiffHunk(' a\n+b');
  assert.deepEqual(h!.lines.map((l) => l.newLine), [1, 2]);
});

test('reconstructs partial before/after texts at their real line numbers', () => {
  const { before, after } = reconstructSides(parseDiffHunk(HUNK));
  const b = before.text.split('\n');
  const a = after.text.split('\n');
  assert.equal(b[9], '  const q = "SELECT * FROM users";');
  assert.equal(b[10], '  db.query(q + user);');
  assert.equal(a[10], '  const safe = escape(user);');
  assert.equal(a[13], '}');
  assert.equal(b[0], '', 'lines the hunk does not show are blank');
  assert.deepEqual(after.shown, [10, 11, 12, 13, 14]);
  assert.deepEqual(before.shown, [10, 11, 12, 13]);
});

test('commented lines: original range, then line, then the last hunk line', () => {
  const hunks = parseDiffHunk(HUNK);
  assert.deepEqual([...commentedLineIndexes(hunks, { originalLine: 12, originalStartLine: 11 })], [2, 3]);
  assert.deepEqual([...commentedLineIndexes(hunks, { line: 13 })], [4]);
  assert.deepEqual([...commentedLineIndexes(hunks, {})], [5]);
  assert.deepEqual([...commentedLineIndexes(hunks, { originalLine: 999 })], [5], 'numbers outside the hunk fall back');
});
