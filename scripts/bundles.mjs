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

/** esbuild options of a node bundle. */
export function nodeBundleConfig(b, { minify = false } = {}) {
  return {
    entryPoints: [at(b.in)], outfile: at(b.out), bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    external: b.external, sourcemap: true, minify, logLevel: 'warning',
    banner: b.banner ? { js: b.banner } : undefined,
    // lowdb and other ESM-only packages reference import.meta.url; give CommonJS a stand-in.
    define: { 'import.meta.url': 'importMetaUrl' },
    inject: [at('scripts/import-meta-url.js')],
  };
}

/** Every `webview/<name>/main.ts` becomes `dist/webview/<name>.js` for the browser. */
export function webviewBundleConfigs({ minify = false } = {}) {
  if (!existsSync(at('webview'))) return [];
  return readdirSync(at('webview'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(at(`webview/${d.name}/main.ts`)))
    .map((d) => ({
      entryPoints: [at(`webview/${d.name}/main.ts`)], outfile: at(`dist/webview/${d.name}.js`), bundle: true, platform: 'browser',
      target: 'es2022', format: 'iife', sourcemap: true, minify, logLevel: 'warning', loader: { '.css': 'text' },
    }));
}
