/**
 * Highlights in the panel's review text: M1's matches, the person's patterns and the search's words
 * become <mark> elements around text the renderer already escaped; hostile bodies stay text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuery } from '../../../src/core/search';
import { highlightHtml, m1Highlighter, patternHighlighter, searchHighlighter } from '../../../src/extension/render/highlight';
import { renderBody } from '../../../src/extension/render/markdown';
import { textOfHtml } from '../../../src/extension/render/visibleText';

const marks = (html: string) => [...html.matchAll(/<mark class="([^"]*)"[^>]*>(.*?)<\/mark>/g)].map((m) => [m[1], m[2]]);

test('M1 marks whole words where the rule fires, not inside paths or identifiers', () => {
  const { html } = renderBody('This is insecure: see src/security/Auth.java and isSecure() for the security check.', undefined, [m1Highlighter()]);
  assert.deepEqual(marks(html), [['hl hl-m1', 'insecure'], ['hl hl-m1', 'security']]);
});

test('patterns and search words are marked; overlaps become one mark with both kinds', () => {
  const h = [patternHighlighter(/token\w*/i), searchHighlighter(parseQuery('"leaks the token" path:x'))];
  const { html } = renderBody('This leaks the tokens to the log.', undefined, h);
  assert.deepEqual(marks(html), [['hl hl-search hl-pattern', 'leaks the tokens']]);
  assert.match(html, /title="search: &quot;leaks the token&quot; path:x; your bootstrap pattern \/token\\w\*\/i"/);
});

test('hostile bodies: markup in the text stays escaped text, a match never opens a tag, and attributes are never marked', () => {
  const body = '<script>alert("secure")</script> [x](https://e.example/"secure") <img src=x onerror=alert(1)> insecure &amp; "quoted"';
  const plain = renderBody(body);
  const { html } = renderBody(body, undefined, [m1Highlighter(), patternHighlighter(/script|img|onerror|href|amp|quot/i), searchHighlighter(parseQuery('/[<>"&]/'))]);
  assert.doesNotMatch(html, /<script|<img|onerror=|\shref=/i);
  assert.equal(textOfHtml(html), textOfHtml(plain.html), 'highlighting changes no character of what is read');
  for (const [, inner] of marks(html)) assert.doesNotMatch(inner!, /<(?!\/?mark)/, 'a mark holds text only');
  // The link's data-href attribute is untouched.
  assert.match(html, /data-href="https:\/\/e\.example\/%22secure%22"|data-href="https:\/\/e\.example\/&quot;secure&quot;"/);
});

test('a body shown as plain text is marked too, but not the notice that says so', () => {
  const deep = '>'.repeat(200) + ' secure';
  const { html, plainTextReason } = renderBody(deep, undefined, [m1Highlighter()]);
  if (plainTextReason === undefined) return; // the renderer handled it as markdown: nothing to check here
  assert.equal(marks(html).length, 1);
  assert.doesNotMatch(html.split('</p>')[0]!, /<mark/);
});

test('without highlighters or matches the HTML is unchanged', () => {
  const html = renderBody('nothing to see').html;
  assert.equal(highlightHtml(html, []), html);
  assert.equal(highlightHtml(html, [m1Highlighter()]), html);
});
