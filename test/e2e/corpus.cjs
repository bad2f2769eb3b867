// Test inputs generated at run time: a corpus of hostile review bodies and a large synthetic pool.
'use strict';
const fs = require('fs');

const FLAG = 'window.__pwned=true';

/** One review per attack; every body mentions "security" so the keyword rule proposes it. */
function makeHostileCorpus(file) {
  const mk = (n, kind, body, extra = {}) => ({
    id: 7700000000 + n, kind, expect: extra.expect, plain: extra.plain,
    record: {
      id: 7700000000 + n, pull_request_review_id: 5500000000 + n, body,
      html_url: extra.htmlUrl || `https://github.com/hostile/repo/pull/${n}#discussion_r${7700000000 + n}`,
      pull_request_url: `https://api.github.com/repos/hostile/repo/pulls/${n}`,
      path: extra.path || 'src/app.js', user: { login: extra.login || 'mallory' },
      diff_hunk: extra.diffHunk || '@@ -1,2 +1,2 @@\n const a = 1;\n-run(input)\n+run(sanitize(input))',
      commit_id: 'c'.repeat(40), original_commit_id: 'c'.repeat(40), line: 2, original_line: 2, created_at: '2024-01-01T00:00:00Z',
    },
  });
  const big = Array.from({ length: 20000 }, (_, i) => `Line ${i} of a very long security review comment with **markdown** and \`code\`.`).join('\n');
  const cases = [
    mk(1, 'script', `A security issue <script>${FLAG}</script> and <SCRIPT SRC=https://evil.example/x.js></SCRIPT>`),
    mk(2, 'handlers', `A security hole: <img src=x onerror="${FLAG}"> <svg onload="${FLAG}"></svg> <div onmouseover="${FLAG}">hover</div> <body onload="${FLAG}">`),
    mk(3, 'javascript-links', `security link [click me](javascript:${FLAG}) <a href="javascript:${FLAG}">a</a> [data](data:text/html,<script>${FLAG}</script>) [vb](vbscript:msgbox) <javascript:alert(1)>`),
    mk(4, 'remote-images', `security tracker ![pixel](https://evil.example/pixel.png) <img src="https://evil.example/img.png"> ![svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9ImFsZXJ0KDEpIi8+) [![nested](https://attacker.test/a.png)](https://attacker.test/)`),
    mk(5, 'css-escapes', `security <style>body{display:none} * {background:url(https://evil.example/css.png)}</style> <div style="position:fixed;top:0;left:0;width:9999px;height:9999px;background:url(\\68ttps://evil.example/bg)">cover</div> <link rel=stylesheet href=https://evil.example/s.css>`),
    mk(6, 'mxss', `security <math><mtext><table><mglyph><style><img src=x onerror=${FLAG}></style></mglyph></table></mtext></math> <scr<script>ipt>${FLAG}</scr</script>ipt> <iframe src="https://evil.example/frame"></iframe> <object data="https://evil.example/o"></object> <!-- <img src=x onerror=${FLAG}> -->`),
    mk(7, 'huge', `Security review of a huge generated file.\n\n${big}\n${big}`.slice(0, 1024 * 1024)),
    mk(8, 'long-line', `security ${'A'.repeat(200000)} ${'https://evil.example/' + 'b'.repeat(5000)}`),
    mk(9, 'bidi', `security: access check \u202E } \u2066if (isAdmin)\u2069 \u2067begin\u2069 admins only \u202C with zero\u200Bwidth\u200D and \uFEFF BOM and \u0007 bell`, { path: 'src/\u202Egnp.js', login: '\u202Emallory' }),
    mk(10, 'deep-nesting', `security ${'>'.repeat(3000)} deep\n\n${Array.from({ length: 400 }, (_, i) => ' '.repeat(i * 2) + '- item').join('\n')}\n\n${'['.repeat(5000)}x${']'.repeat(5000)}\n${'*'.repeat(20000)}`),
    mk(11, 'html-in-metadata', 'security problem in the file name and author', {
      path: '<img src=x onerror=window.__pwned=true>.js', login: `<script>${FLAG}</script>`,
      diffHunk: `@@ -1,1 +1,2 @@\n-<script>${FLAG}</script>\n+<img src=https://evil.example/d.png onerror=${FLAG}>\n+\u202Eevil`,
    }),
    // Text a markdown renderer would drop: the panel must show it (as plain text, with a notice, when need be).
    mk(13, 'hidden-by-nesting', `security text before\n\n${'>'.repeat(25)} hidden payload\n\nafter words`, { expect: ['hidden payload', 'after words'], plain: true }),
    mk(14, 'deep-list', `security list\n\n${Array.from({ length: 25 }, (_, i) => ' '.repeat(i * 2) + `- item${i}`).join('\n')}`, { expect: ['item0', 'item24'], plain: true }),
    mk(15, 'nul-and-extra-cells', `security nul\u0000here\n\n| a | b |\n|---|---|\n| 1 | 2 | extracell |`, { expect: ['U+0000', 'extracell'], plain: true }),
    mk(16, 'link-target', 'security [innocent text](https://evil.example/steal?token=s3cr3t "hover title") [ref]\n\n[ref]: https://evil.example/ref', { expect: ['evil.example/steal?token=s3cr3t', 'hover title', '[ref]: https://evil.example/ref'] }),
    mk(17, 'javascript-url', 'security review whose own link is a script', { htmlUrl: `javascript:window.__pwned=true//#discussion_r${7700000017}` }),
    mk(12, 'table-overflow', `security table\n\n| ${Array.from({ length: 200 }, (_, i) => `col${i}`).join(' | ')} |\n| ${Array.from({ length: 200 }, () => '---').join(' | ')} |\n| ${Array.from({ length: 200 }, () => 'x'.repeat(30)).join(' | ')} |`),
  ];
  fs.writeFileSync(file, cases.map((c) => JSON.stringify(c.record)).join('\n') + '\n');
  return cases.map((c) => ({ id: String(c.id), kind: c.kind, body: c.record.body, expect: c.expect || [], plain: !!c.plain }));
}

/** A pool of synthetic GitHub REST review comments, written with one sync write per 10k rows. */
function makeSpeedPool(file, size) {
  const words = 'the this input check value should handle error null user token request query escape buffer path file config test please rename why maybe nit return loop update'.split(' ');
  const exts = ['js', 'ts', 'py', 'go', 'java', 'c', 'rb', 'rs'];
  const fd = fs.openSync(file, 'w');
  let seed = 12345;
  const rnd = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff; };
  let chunk = [];
  for (let i = 0; i < size; i++) {
    const n = 6 + Math.floor(rnd() * 30);
    const body = Array.from({ length: n }, () => words[Math.floor(rnd() * words.length)]).join(' ') + (i % 97 === 0 ? ' security' : '') + ` #${i}`;
    const ext = exts[i % exts.length];
    const rec = {
      id: 8000000000 + i, body, path: `src/module${i % 500}/file${i % 37}.${ext}`,
      html_url: `https://github.com/org${i % 300}/repo${i % 1000}/pull/${1 + (i % 5000)}#discussion_r${8000000000 + i}`,
      user: { login: `dev${i % 2000}` }, commit_id: (i % 16).toString(16).repeat(40), line: 12,
      diff_hunk: `@@ -10,4 +10,5 @@ function f${i}() {\n   const x = read(input);\n-  use(x);\n+  const y = check(x);\n+  use(y);\n   return x;`,
      created_at: '2023-05-01T12:00:00Z',
    };
    chunk.push(JSON.stringify(rec));
    if (chunk.length === 10000) { fs.writeSync(fd, chunk.join('\n') + '\n'); chunk = []; }
  }
  if (chunk.length) fs.writeSync(fd, chunk.join('\n') + '\n');
  fs.closeSync(fd);
  return { size };
}

/**
 * The first word of `body` that `visible` does not show, in order (undefined: all shown). Markdown
 * syntax aside: character references, list numbers and hidden characters (shown as markers).
 */
function firstHiddenWord(body, visible) {
  const text = body.replace(/&(#[0-9]+|#x[0-9a-f]+|[a-z][a-z0-9]+);/gi, ' ').replace(/^(\s*(>+|[-+*]|\d+[.)])(?=\s|$))+/gm, ' ');
  let at = 0;
  for (const word of text.replace(/[\u115f\u1160\u17b4\u17b5\u3164]/g, ' ').match(/[\p{L}\p{N}\p{M}]+/gu) || []) {
    const found = visible.indexOf(word, at);
    if (found < 0) return word;
    at = found + word.length;
  }
  return undefined;
}

module.exports = { makeHostileCorpus, makeSpeedPool, firstHiddenWord };
