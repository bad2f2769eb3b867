import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../helpers/tmp';

/** Every import specifier in a TypeScript source file. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : d.name.endsWith('.ts') ? [p] : [];
  });
}

test('src/core is pure: no I/O, no VS Code, no onnxruntime, no database or GitHub client', () => {
  const files = tsFiles(path.join(repoRoot, 'src/core'));
  assert.ok(files.length > 5);
  for (const f of files) {
    for (const spec of importsOf(f)) {
      assert.ok(spec.startsWith('./'), `${path.relative(repoRoot, f)} imports "${spec}"; src/core may import only its own modules`);
    }
  }
});

test('onnxruntime-node is imported by one module only', () => {
  const roots = ['src', 'python-free-train', 'webview'].map((d) => path.join(repoRoot, d));
  const importers = roots.flatMap((r) => { try { return tsFiles(r); } catch { return []; } })
    .filter((f) => importsOf(f).some((s) => s === 'onnxruntime-node'));
  assert.ok(importers.length <= 1, `onnxruntime-node imported by ${importers.map((f) => path.relative(repoRoot, f)).join(', ')}`);
});
