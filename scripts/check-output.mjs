// Fails when a log holds a line that reads like a failure on a healthy machine (.ci/known-noise.txt).
// Usage: node scripts/check-output.mjs [--patterns FILE] LOG...
// Prints each offending line as LOG:LINE: text (matches /pattern/) and exits 1; exits 0 when clean.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
let patternsFile = path.join(root, '.ci', 'known-noise.txt');
if (args[0] === '--patterns') { patternsFile = args[1]; args.splice(0, 2); }
if (!args.length) { console.error('usage: node scripts/check-output.mjs [--patterns FILE] LOG...'); process.exit(2); }

const patterns = readFileSync(patternsFile, 'utf8').split('\n').map((l, i) => ({ source: l.trim(), line: i + 1 }))
  .filter((p) => p.source && !p.source.startsWith('#'))
  .map((p) => {
    try { return new RegExp(p.source); } catch (e) { console.error(`${patternsFile}:${p.line}: not a regular expression: ${e.message}`); process.exit(2); }
  });

let found = 0;
for (const log of args) {
  // Terminal status lines are rewritten with \r: each rewrite is a line a person saw.
  readFileSync(log, 'utf8').split(/\r?\n|\r/).forEach((text, i) => {
    const clean = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
    const hit = patterns.find((re) => re.test(clean));
    if (hit) { found++; console.log(`${log}:${i + 1}: ${clean.slice(0, 300)}   (matches /${hit.source}/)`); }
  });
}
if (found) {
  console.log(`${found} line${found === 1 ? '' : 's'} that read like a failure (patterns: ${path.relative(process.cwd(), patternsFile)})`);
  process.exit(1);
}
console.log(`no known-noise lines in ${args.length} log${args.length === 1 ? '' : 's'}`);
