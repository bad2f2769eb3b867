// The esbuild configuration of every bundle: used by build.mjs, and by the test that reads what
// the extension bundle contains (test/unit/architecture.test.ts).
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const at = (p) => path.join(root, p);

/** Node-side bundles: CommonJS, Node 20, native onnxruntime stays outside the bundle. */
export const nodeBundles = [
  { in: 'src/extension/extension.ts', out: 'dist/extension.js', external: ['vscode', 'onnxruntime-node'] },
  { in: 'src/cli/main.ts', out: 'dist/cli.js', external: ['onnxruntime-node'], banner: '#!/usr/bin/env node' },
  { in: 'python-free-train/trainer.ts', out: 'dist/trainer.js', external: ['onnxruntime-node'] },
  // Worker threads of the simulation study (started by the CLI and the extension).
  { in: 'src/simulation/worker.ts', out: 'dist/simulation-worker.js', external: ['onnxruntime-node'] },
  // Worker threads of the trainer that hash pool texts in parallel.
  { in: 'python-free-train/features/featurizerWorker.ts', out: 'dist/featurizer-worker.js', external: ['onnxruntime-node'] },
];

/** `dist/x.js` in the sources' terms, written under `outDir` (default: the repository's dist/). */
const outAt = (p, outDir) => (outDir ? path.join(outDir, path.relative('dist', p)) : at(p));

/** esbuild options of a node bundle. `sourcemap: false` and `outDir` are what a package build uses. */
export function nodeBundleConfig(b, { minify = false, sourcemap = true, outDir } = {}) {
  return {
    entryPoints: [at(b.in)], outfile: outAt(b.out, outDir), bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    external: b.external, sourcemap, minify, logLevel: 'warning',
    banner: b.banner ? { js: b.banner } : undefined,
    // lowdb and other ESM-only packages reference import.meta.url; give CommonJS a stand-in.
    define: { 'import.meta.url': 'importMetaUrl' },
    inject: [at('scripts/import-meta-url.js')],
  };
}

/** Every `webview/<name>/main.ts` becomes `dist/webview/<name>.js` for the browser. */
export function webviewBundleConfigs({ minify = false, sourcemap = true, outDir } = {}) {
  if (!existsSync(at('webview'))) return [];
  return readdirSync(at('webview'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(at(`webview/${d.name}/main.ts`)))
    .map((d) => ({
      entryPoints: [at(`webview/${d.name}/main.ts`)], outfile: outAt(`dist/webview/${d.name}.js`, outDir), bundle: true,
      platform: 'browser', target: 'es2022', format: 'iife', sourcemap, minify, logLevel: 'warning', loader: { '.css': 'text' },
    }));
}
