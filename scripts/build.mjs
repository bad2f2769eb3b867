// Bundles the extension host code, the CLI, the trainer process and the webviews with esbuild.
// Usage: node scripts/build.mjs [--watch] [--minify] [--production] [--out DIR]
//   --production  what a package ships: minified, without source maps (the `vscode:prepublish` step)
//   --out DIR     write the bundles to DIR instead of dist/ (the packaging script builds into its staging folder)
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const watch = args.includes('--watch');
const production = args.includes('--production');
const minify = production || args.includes('--minify');
const sourcemap = !production;
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? path.resolve(args[outIndex + 1] ?? '') : path.join(root, 'dist');
const at = (p) => path.join(root, p);
/** `dist/x.js` in the sources' terms, written under the chosen output folder. */
const out = (p) => path.join(outDir, path.relative('dist', p));

/** Node-side bundles: CommonJS, Node 20, native onnxruntime stays outside the bundle. */
const nodeBundles = [
  { in: 'src/extension/extension.ts', out: 'dist/extension.js', external: ['vscode', 'onnxruntime-node'] },
  { in: 'src/cli/main.ts', out: 'dist/cli.js', external: ['onnxruntime-node'], banner: '#!/usr/bin/env node' },
  { in: 'python-free-train/trainer.ts', out: 'dist/trainer.js', external: ['onnxruntime-node'] },
  // Worker threads of the simulation study (started by the CLI and the extension).
  { in: 'src/simulation/worker.ts', out: 'dist/simulation-worker.js', external: ['onnxruntime-node'] },
  // Worker threads of the trainer that hash pool texts in parallel.
  { in: 'python-free-train/features/featurizerWorker.ts', out: 'dist/featurizer-worker.js', external: ['onnxruntime-node'] },
];

/** Every `webview/<name>/main.ts` becomes `dist/webview/<name>.js` for the browser. */
const webviewEntries = existsSync(at('webview'))
  ? readdirSync(at('webview'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(at(`webview/${d.name}/main.ts`)))
      .map((d) => ({ in: `webview/${d.name}/main.ts`, out: `dist/webview/${d.name}.js` }))
  : [];

const configs = [];
for (const b of nodeBundles) {
  if (!existsSync(at(b.in))) continue;
  configs.push({
    entryPoints: [at(b.in)], outfile: out(b.out), bundle: true, platform: 'node', target: 'node20', format: 'cjs',
    external: b.external, sourcemap, minify, logLevel: 'warning',
    banner: b.banner ? { js: b.banner } : undefined,
    // lowdb and other ESM-only packages reference import.meta.url; give CommonJS a stand-in.
    define: { 'import.meta.url': 'importMetaUrl' },
    inject: [at('scripts/import-meta-url.js')],
  });
}
for (const w of webviewEntries) {
  configs.push({
    entryPoints: [at(w.in)], outfile: out(w.out), bundle: true, platform: 'browser', target: 'es2022', format: 'iife',
    sourcemap, minify, logLevel: 'warning', loader: { '.css': 'text' },
  });
}

mkdirSync(outDir, { recursive: true });
// A production build leaves no source map of an earlier build behind to be packed.
if (production) {
  for (const e of readdirSync(outDir, { recursive: true, withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.js.map')) rmSync(path.join(e.parentPath, e.name));
  }
}
if (watch) {
  for (const c of configs) (await esbuild.context(c)).watch();
  console.log(`watching ${configs.length} bundles`);
} else {
  const t0 = Date.now();
  await Promise.all(configs.map((c) => esbuild.build(c)));
  console.log(`built ${configs.length} bundles in ${Date.now() - t0} ms`);
}
