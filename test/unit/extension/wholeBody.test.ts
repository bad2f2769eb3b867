/**
 * The labeling panel never hides text of a review: for deep and odd structures, 1 MB bodies and a
 * seeded random corpus, the rendered body's text holds every word of the body in order, or the body
 * is shown as plain text under a notice saying why (which must then hold every word as well).
 * The chromium test (test/integration/render) checks the same through the webview's own code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBody, MAX_RENDER_LIMIT } from '../../../src/extension/render/markdown';
import { megabyteBodies, missingWord, namedBodies, randomBodies, type CorpusBody } from '../../helpers/bodyCorpus';

/** What a browser would show of renderer HTML, without a browser: the text between the tags. */
function visibleText(html: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"' };
  return html.split(/<[^>]*>/).join('').replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => named[e] ?? "'");
}

function assertWhole(c: CorpusBody, limit?: number): ReturnType<typeof renderBody> {
  const r = renderBody(c.body, limit);
  const shown = c.body.slice(0, r.shown);
  const text = visibleText(r.html);
  const missing = missingWord(shown, text);
  assert.equal(missing, undefined, `${c.name}: "${missing?.word}" (word ${missing?.index}) is not shown; near ${JSON.stringify(missing?.near)}`);
  if (r.plainTextReason) assert.match(text, /^Shown as plain text: .+\./, `${c.name}: the notice says why`);
  return r;
}

test('deep and odd structures: every word is shown, or all of it as plain text with a notice', () => {
  const plain: string[] = [];
  for (const c of namedBodies()) if (assertWhole(c).plainTextReason) plain.push(c.name);
  // The structures markdown cannot show whole fall back; ordinary ones keep their formatting.
  for (const name of ['quote 5000 deep', 'quote 20 deep between text', 'list 25 levels', 'table with extra cells']) assert.ok(plain.includes(name), `${name} is shown as plain text`);
  for (const name of ['quote 19 deep', 'link targets and titles', 'reference definitions', 'character references', 'html-looking text']) assert.ok(!plain.includes(name), `${name} keeps its formatting`);
});

test('the plain-text notice names the reason: nesting too deep', () => {
  const r = renderBody('visible\n\n' + '>'.repeat(20) + ' hidden payload\n\nafter');
  assert.equal(r.plainTextReason, 'nesting too deep');
  assert.match(visibleText(r.html), /^Shown as plain text: nesting too deep\.[\s\S]*hidden payload[\s\S]*after/);
  const list = renderBody(Array.from({ length: 25 }, (_, i) => ' '.repeat(i * 2) + `- item${i}`).join('\n'));
  assert.equal(list.plainTextReason, 'nesting too deep');
  assert.equal((visibleText(list.html).match(/item\d+/g) ?? []).length, 25, 'all 25 items');
});

test('a seeded random corpus of mixed structures shows every word', () => {
  for (const c of randomBodies(400)) assertWhole(c);
});

test('1 MB bodies: the shown part holds every word, and "show more" up to the whole body', () => {
  for (const c of megabyteBodies()) {
    const first = assertWhole(c);
    assert.ok(first.shown < first.total, `${c.name} is cut at the default limit`);
    const whole = assertWhole(c, MAX_RENDER_LIMIT);
    assert.equal(whole.shown, whole.total, `${c.name}: show more reaches the end`);
  }
});

test('NUL is shown as a marker like other control characters, never as U+FFFD', () => {
  for (const body of ['a\u0000b', '`c\u0000d`', '```\ne\u0000f\n```', '> g\u0000h']) {
    const { html } = renderBody(body);
    assert.doesNotMatch(html, /\ufffd/, JSON.stringify(body));
    assert.match(html, /<span class="invisible-char" title="hidden character U\+0000">U\+0000<\/span>/, JSON.stringify(body));
  }
});

test('what markdown hides is shown beside it: link targets, titles, reference definitions, fence info', () => {
  const text = visibleText(renderBody('[innocent](https://evil.example/x?t=1 "hover") <https://a.example/b> www.c.example\n\n[r]: https://d.example "T"\n\n```js meta words\nx\n```').html);
  assert.match(text, /innocent \(https:\/\/evil\.example\/x\?t=1 "hover"\)/);
  assert.doesNotMatch(text, /https:\/\/a\.example\/b \(/, 'an autolink already shows its target');
  assert.match(text, /\[r\]: https:\/\/d\.example "T"/);
  assert.match(text, /js meta words/);
});
