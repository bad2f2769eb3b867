/**
 * Review bodies of deep and odd structure (quotes, lists, brackets, emphasis runs, tables,
 * HTML-looking text, references, controls, 1 MB bodies) plus seeded random mixtures of them, and
 * the test's own statement of what "shows the whole body" means: every word of the body appears in
 * the visible text, in order (markdown syntax aside), or the body is shown as plain text with a
 * notice. Written apart from the renderer's own check, so a shared mistake cannot pass unnoticed.
 */

export interface CorpusBody { name: string; body: string }

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Named hard cases: each one broke, or could break, a markdown renderer's promise to show all text. */
export function namedBodies(): CorpusBody[] {
  return [
    { name: 'quote 5000 deep', body: '>'.repeat(5000) + ' deep quote' },
    { name: 'quote 20 deep between text', body: 'before the quote\n\n' + '>'.repeat(20) + ' hidden payload\n\nafter the quote' },
    { name: 'quote 19 deep', body: '>'.repeat(19) + ' nearly hidden payload' },
    { name: 'quotes with spaces 30 deep', body: '> '.repeat(30) + 'spaced payload\n' + '> '.repeat(10) + 'shallower line' },
    { name: 'list 25 levels', body: range(25).map((i) => ' '.repeat(i * 2) + `- item${i}`).join('\n') },
    { name: 'list 400 levels', body: range(400).map((i) => ' '.repeat(i * 2) + `- level${i}`).join('\n') },
    { name: 'ordered list 12 levels', body: range(12).map((i) => ' '.repeat(i * 3) + `${i + 1}. numbered${i}`).join('\n') },
    { name: 'lists inside quotes', body: range(12).map((i) => '> '.repeat(i) + `- quoted item ${i}`).join('\n') },
    { name: 'brackets 5000', body: '['.repeat(5000) + 'inside' + ']'.repeat(5000) + ' outside' },
    { name: 'nested links and images', body: '[![nested image](https://attacker.test/a.png "img title")](https://attacker.test/ "link title") [a [b [c](https://x.test/c) d] e](https://x.test/e)' },
    { name: 'emphasis runs', body: '*'.repeat(20000) + ' stars ' + '_'.repeat(5000) + ' underscores ***bold italic*** **a *b* c** ~~struck~~ snake_case_name' },
    { name: 'emphasis nested 200', body: range(200).map(() => '*').join('') + 'core' + range(200).map(() => '*').join('') + ' **x'.repeat(300) },
    { name: 'table with extra cells', body: '| head1 | head2 |\n|---|---|\n| c1 | c2 | extracell |\n| only |' },
    { name: 'table 200 columns', body: `| ${range(200).map((i) => `col${i}`).join(' | ')} |\n| ${range(200).map(() => '---').join(' | ')} |\n| ${range(200).map((i) => `val${i}`).join(' | ')} |` },
    { name: 'table escaped pipes', body: 'a | b\n--|--\nx \\| y | z\n`p | q` | r' },
    { name: 'html-looking text', body: '<div onclick="steal()">click here</div> <!-- hidden comment words --> <![CDATA[ cdata words ]]> <?php echo "php words"; ?> <!DOCTYPE html> <template>template words</template> <textarea>textarea words</textarea> <script>alert("script words")</script>' },
    { name: 'html block', body: '<details>\n<summary>summary words</summary>\n\ninner details words\n</details>\n\n<style>body { display: none }</style> style words' },
    { name: 'character references', body: 'AT&T &amp; caf&eacute; &#65;&#x42;C &notanentity; &#0; &copy; 2024' },
    { name: 'link targets and titles', body: '[innocent text](https://evil.example/steal?token=secretvalue "hover title") then <https://auto.example/path> and www.linkify.example/x and mail@example.org' },
    { name: 'full reference link', body: 'see [the docs][label] here\n\n[label]: https://docs.example/full' },
    { name: 'reference definitions', body: 'see [ref] and [unused]\n\n[ref]: https://docs.example/page "Ref Title"\n[other]: https://other.example/unused "never used"\n> [quoted]: https://quoted.example/' },
    { name: 'fence info and unclosed fence', body: '```js title="secret info words"\nconst x = 1;\n```\n\n~~~\nunclosed fence words\n' },
    { name: 'headings and breaks', body: '# Heading one #\nSetext heading\n===\n\nline with hard break  \nnext line\\\nlast line\n\n***\n\n    indented code words' },
    { name: 'controls and hidden characters', body: 'nul\u0000here bell\u0007 esc\u001b zero\u200bwidth rtl\u202Eoverride\u202C bom\uFEFF end \u115Ffiller' },
    { name: 'backslash escapes', body: '\\*not emphasis\\* \\[not link\\](x) \\<not tag\\> \\# not heading \\\\ backslash' },
    { name: 'numbers and list markers', body: '1. first\n2) second\n\n10. tenth\n\nthe year 2024. And 3 items, 1.5 ratio.\n- 7 dashes\n+ plus 8' },
    { name: 'line endings', body: 'windows\r\nline\r\n\r\nold mac\rline\n' },
    { name: 'long unbroken run', body: 'start ' + 'A'.repeat(200000) + ' https://evil.example/' + 'b'.repeat(5000) + ' end' },
  ];
}

/** Bodies of about a megabyte: markdown-rich, one line, and deep structure near the end. */
export function megabyteBodies(): CorpusBody[] {
  const mb = 1024 * 1024;
  const rich = range(20000).map((i) => `Line ${i} of a long **security** review with \`code\` and [a link](https://e.example/${i}).`).join('\n');
  const oneLine = range(200000).map((i) => `word${i}`).join(' ');
  const deepTail = range(15000).map((i) => `Line ${i} is ordinary text.`).join('\n') + '\n\n' + '>'.repeat(40) + ' payload at the end\n';
  return [
    { name: '1 MB markdown', body: rich.slice(0, mb) },
    { name: '1 MB one line', body: oneLine.slice(0, mb) },
    { name: 'deep quote after 400 KB', body: deepTail + 'x '.repeat(Math.max(0, (mb - deepTail.length) / 2)) },
  ];
}

/** Seeded random mixtures of structures: what a corpus nobody wrote by hand looks like. */
export function randomBodies(count: number, seed = 20): CorpusBody[] {
  let s = seed >>> 0;
  const rnd = () => { s = (s * 1664525 + 1013904223) >>> 0; return s / 2 ** 32; };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const words = ['token', 'secret', 'inject', 'überprüfen', '検証', 'null', 'x', 'r2d2', 'naïve', 'ПРОВЕРКА', '42', 'e\u0301t\u00e9'];
  const fragments: (() => string)[] = [
    () => '>'.repeat(1 + Math.floor(rnd() * 30)) + ' ',
    () => ' '.repeat(Math.floor(rnd() * 8)) + pick(['- ', '* ', '+ ', '1. ', '3) ']),
    () => pick(['*', '**', '***', '_', '__', '~~', '`', '```', '~~~']),
    () => pick(['[', ']', '(', ')', '![', '](', '<', '>', '|', '\\', '#', '&', ';']),
    () => pick(['\n', '\n\n', '\n    ', '  \n', '\n---\n', '\n===\n', '\n| a | b |\n|---|---|\n']),
    () => pick(['<div>', '</div>', '<!--', '-->', '<b>', '<br/>', '<![CDATA[', ']]>', '<?', '?>']),
    () => pick(['&amp;', '&#65;', '&#x263A;', '&nbsp;', '&bogus;', '&']),
    () => pick(['https://example.com/a?b=c', 'www.example.org', 'user@example.net', '[ref]: https://r.example/x "t"']),
    () => pick(['\u0000', '\u200b', '\u202e', '\ufeff', '\u0007']),
    () => pick(words),
  ];
  return range(count).map((i) => {
    const parts: string[] = [];
    const n = 5 + Math.floor(rnd() * 80);
    for (let k = 0; k < n; k++) parts.push(rnd() < 0.45 ? pick(words) + ' ' : pick(fragments)());
    return { name: `random ${i}`, body: parts.join('') };
  });
}

/**
 * The words a reader must see, in order. Markdown syntax aside: character references render as the
 * character they name, ordered-list numbers are drawn by the list, hidden characters are shown as
 * markers (so they separate words). Everything else that is a letter, digit or mark must be there.
 */
export function wordsOf(body: string): string[] {
  const out: string[] = [];
  for (const line of body.replace(/&(#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]+);/gi, ' ').split(/\r\n|\r|\n/)) {
    const withoutMarkers = line.replace(/^(\s*(>+|[-+*]|\d+[.)])(?=\s|$))+/, ' ');
    for (const w of withoutMarkers.split(/[^\p{L}\p{N}\p{M}]+/u)) {
      const cleaned = w.replace(/[\u115f\u1160\u17b4\u17b5\u3164]/g, ' ').trim();
      for (const part of cleaned.split(' ')) if (part) out.push(part);
    }
  }
  return out;
}

/** The first word of `body` missing from `visible` (in order), with where the search stood; undefined when all are there. */
export function missingWord(body: string, visible: string): { word: string; index: number; near: string } | undefined {
  const words = wordsOf(body);
  let at = 0;
  for (let i = 0; i < words.length; i++) {
    const found = visible.indexOf(words[i]!, at);
    if (found < 0) return { word: words[i]!, index: i, near: visible.slice(Math.max(0, at - 40), at + 40) };
    at = found + words[i]!.length;
  }
  return undefined;
}
