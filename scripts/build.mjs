// Bundles the extension host code, the CLI, the trainer process and the webviews with esbuild.
// Usage: node scripts/build.mjs [--watch] [--minify] [--production] [--out DIR]
//   --production  what a package ships: minified, without source maps (the `vscode:prepublish` step)
//   --out DIR     write the bundles to DIR instead of dist/ (the packaging script builds into its staging folder)
import * as esbuild from 'esbuild';
import { existsSync, readdirSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { nodeBundleConfig, nodeBundles, root, webviewBundleConfigs } from './bundles.mjs';

const args = process.argv.slice(2);
const watch = args.includes('--watch');
const production = args.includes('--production');
const minify = production || args.includes('--minify');
const sourcemap = !production;
const outIndex = args.indexOf('--out');
const outDir = outIndex >= 0 ? path.resolve(args[outIndex + 1] ?? '') : path.join(root, 'dist');
const options = { minify, sourcemap, outDir };

const configs = [
  ...nodeBundles.filter((b) => existsSync(path.join(root, b.in))).map((b) => nodeBundleConfig(b, options)),
  ...webviewBundleConfigs(options),
];

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
