import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderBody } from '../../../src/extension/render/markdown';
import { renderDiffHunk } from '../../../src/extension/render/diffHtml';
import { breakLongRuns, revealInvisibleText } from '../../../src/extension/render/reveal';

test('raw HTML, event handlers and scripts come out as text', () => {
  const { html } = renderBody('<script>alert(1)</script> <img src=x onerror=alert(1)> <b onclick="x()">b</b>');
  assert.doesNotMatch(html, /<script|<img|<b /i);
  assert.match(html, /&lt;script&gt;/);
});

test('links: only http(s)/mailto, never as href', () => {
  const { html } = renderBody('[a](javascript:alert(1)) [b](https://example.com/x) [c](data:text/html,hi) <mailto:a@b.c> [d](vbscript:x)');
  assert.doesNotMatch(html, /[\s<]href=/);
  assert.doesNotMatch(html, /data-href="(javascript|data|vbscript):/i);
  assert.match(html, /data-href="https:\/\/example.com\/x"/);
  assert.match(html, /data-href="mailto:a@b.c"/);
});

test('images become placeholders that load nothing', () => {
  const { html } = renderBody('![tracker](https://evil.example/p.png)');
  assert.doesNotMatch(html, /<img/i);
  assert.match(html, /image not loaded: tracker \(https:\/\/evil.example\/p.png\)/);
});

test('huge bodies are cut at the render limit and report it', () => {
  const body = 'line\n'.repeat(300_000);
  const r = renderBody(body);
  assert.ok(r.shown <= 100 * 1024 && r.shown > 90 * 1024);
  assert.equal(r.total, body.length);
});

test('bidi and zero-width characters are shown as visible markers', () => {
  const { html } = renderBody('access\u202Egranted\u200B ok');
  assert.doesNotMatch(html, /[\u202E\u200B]/);
  assert.match(html, /U\+202E/);
  assert.equal(revealInvisibleText('a\u2066b'), 'a\u27e6U+2066\u27e7b');
});

test('deep nesting is bounded', () => {
  const r = renderBody('>'.repeat(5000) + ' deep\n' + '- '.repeat(3000) + 'x');
  assert.ok((r.html.match(/<blockquote>/g) ?? []).length <= 25);
});

test('diff hunk rows carry line numbers, highlighting and the commented line', () => {
  const { html, language, commentedLines } = renderDiffHunk('@@ -1,2 +1,2 @@\n const a = 1;\n-eval(x)\n+safe(x) // <b>', 'src/a.ts', {});
  assert.equal(language, 'typescript');
  assert.equal(commentedLines, 1);
  assert.match(html, /class="diff-add diff-commented"/);
  assert.match(html, /hljs-keyword/);
  assert.match(html, /&lt;b&gt;/);
  assert.doesNotMatch(html, /<b>/);
});

test('long unbroken runs get break opportunities outside tags, entities intact', () => {
  const { html } = renderBody('x'.repeat(200) + ' [l](https://e.com/' + 'b'.repeat(300) + ')');
  assert.match(html, /x{64}<wbr>x{64}<wbr>/);
  assert.match(html, /data-href="https:\/\/e.com\/b{300}"/, 'attribute values untouched');
  assert.equal(breakLongRuns('&amp;' + 'y'.repeat(20), 12), '&amp;yyyyyyyy<wbr>yyyyyyyyyyyy', 'a run starts after & so an entity is never split');
  assert.equal(breakLongRuns('<span class="aaaaaaaaaaaaaaaaaaaa">z</span>', 12), '<span class="aaaaaaaaaaaaaaaaaaaa">z</span>');
});
