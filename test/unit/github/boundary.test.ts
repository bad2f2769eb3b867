// One place talks to GitHub: octokit is imported under src/github only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../../..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : /\.(ts|mts|cts)$/.test(name) ? [p] : [];
  });
}

test('octokit is imported by src/github only', () => {
  const importers = ['src', 'webview', 'python-free-train']
    .flatMap((d) => { try { return sources(path.join(root, d)); } catch { return []; } })
    .filter((f) => /from\s+['"](octokit|@octokit\/[^'"]+)['"]|import\(\s*['"](octokit|@octokit\/)/.test(readFileSync(f, 'utf8')))
    .map((f) => path.relative(root, f).split(path.sep).join('/'));
  assert.ok(importers.length > 0);
  assert.deepEqual(importers.filter((f) => !f.startsWith('src/github/')), []);
});
