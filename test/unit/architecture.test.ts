// The rooms and their doors: each import rule holds on the tree, and catches a graph that breaks it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { RULES, bundleViolations, importGraph, resolveSpecifier, type ImportGraph } from '../helpers/importRules';
import { repoRoot } from '../helpers/tmp';

const tree = importGraph(repoRoot, ['src', 'webview', 'python-free-train']);

/** A graph of the given files and their (repository-relative or package) imports. */
const graphOf = (edges: Record<string, string[]>): ImportGraph => new Map(Object.entries(edges));

/** A small tree that keeps every rule; each violation below adds one edge to it. */
const healthy: Record<string, string[]> = {
  'src/core/labels.ts': ['src/core/hash'],
  'src/core/hash.ts': [],
  'src/protocol/webview.ts': ['src/core/labels'],
  'webview/labeling/main.ts': ['src/protocol/webview', 'src/core/labels', 'webview/shared/sanitize', 'markdown-it'],
  'webview/shared/sanitize.ts': [],
  'src/extension/panel.ts': ['vscode', 'src/protocol/webview', 'src/store/labelDb'],
  'src/store/labelDb.ts': ['lowdb', 'node:fs'],
  'src/github/client.ts': ['@octokit/core'],
  'python-free-train/backend.ts': ['onnxruntime-node'],
  'python-free-train/trainer.ts': ['python-free-train/trainer/job', 'src/protocol/trainer'],
  'src/train/client.ts': ['src/protocol/trainer', 'node:child_process'],
};

const violations: Record<string, Record<string, string[]>> = {
  'src/core is pure: it imports only its own modules (no I/O, VS Code, onnxruntime, database or GitHub client)': { 'src/core/hash.ts': ['node:fs'] },
  'the webview imports only the webview, src/protocol and src/core (and browser packages)': { 'webview/shared/sanitize.ts': ['src/store/labelDb'] },
  'src/protocol imports only src/protocol and src/core': { 'src/protocol/webview.ts': ['src/core/labels', 'src/store/labelDb'] },
  'vscode is imported only under src/extension': { 'src/store/labelDb.ts': ['lowdb', 'vscode'] },
  'onnxruntime-node is imported by python-free-train/backend.ts alone': { 'src/simulation/ortEngine.ts': ['onnxruntime-node'] },
  'octokit is imported only under src/github': { 'src/cli/commands/crawl.ts': ['@octokit/plugin-retry'] },
  'lowdb is imported by the label database alone': { 'src/store/pool.ts': ['lowdb/node'] },
  'the training job runs in the trainer process alone': { 'src/cli/commands/train.ts': ['python-free-train/trainer/job'] },
};

describe('import rules', () => {
  for (const [rule, check] of Object.entries(RULES)) {
    test(rule, () => {
      assert.deepEqual(check(tree), []);
      assert.deepEqual(check(graphOf(healthy)), [], 'the small healthy graph keeps it');
      const broken = violations[rule];
      assert.ok(broken, `a violating graph for "${rule}"`);
      assert.ok(check(graphOf({ ...healthy, ...broken })).length > 0, 'a graph that breaks it is caught');
    });
  }

  test('a rule about an importer nobody has fails instead of passing vacuously', () => {
    const { 'python-free-train/backend.ts': _, ...noBackend } = healthy;
    assert.match(RULES['onnxruntime-node is imported by python-free-train/backend.ts alone']!(graphOf(noBackend)).join(), /checks nothing/);
  });

  test('relative specifiers resolve to repository paths', () => {
    assert.equal(resolveSpecifier('webview/labeling/main.ts', '../../src/core/labels'), 'src/core/labels');
    assert.equal(resolveSpecifier('src/cli/commands/train.ts', '../../../python-free-train/backend.ts'), 'python-free-train/backend');
  });
});

describe('the extension host never loads onnxruntime', () => {
  const forbidden = ['python-free-train/backend.ts'];
  test('the extension bundle holds neither onnxruntime-node nor backend.ts', async () => {
    const { nodeBundles, nodeBundleConfig } = await import(pathToFileURL(path.join(repoRoot, 'scripts/bundles.mjs')).href) as
      { nodeBundles: { in: string }[]; nodeBundleConfig: (b: unknown) => esbuild.BuildOptions };
    const extension = nodeBundles.find((b) => b.in === 'src/extension/extension.ts');
    assert.ok(extension);
    const result = await esbuild.build({ ...nodeBundleConfig(extension), write: false, metafile: true, sourcemap: false, logLevel: 'silent' });
    assert.ok(Object.keys(result.metafile.inputs).some((i) => i.endsWith('src/extension/extension.ts')));
    assert.deepEqual(bundleViolations(result.metafile, forbidden, ['onnxruntime-node']), []);
  });

  test('a bundle that holds them is caught', () => {
    const metafile = {
      inputs: { 'src/extension/extension.ts': {}, 'python-free-train/backend.ts': {} },
      outputs: { 'dist/extension.js': { imports: [{ path: 'vscode', external: true }, { path: 'onnxruntime-node', external: true }] } },
    };
    assert.deepEqual(bundleViolations(metafile, forbidden, ['onnxruntime-node']),
      ['bundles python-free-train/backend.ts', 'requires onnxruntime-node at run time']);
  });
});
