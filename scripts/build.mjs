// Bundles the extension host code, the CLI, the trainer process and the webviews with esbuild.
// Usage: node scripts/build.mjs [--watch] [--minify]
import * as esbuild from 'esbuild';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { nodeBundleConfig, nodeBundles, root, webviewBundleConfigs } from './bundles.mjs';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');

const configs = [
  ...nodeBundles.filter((b) => existsSync(path.join(root, b.in))).map((b) => nodeBundleConfig(b, { minify })),
  ...webviewBundleConfigs({ minify }),
];

mkdirSync(path.join(root, 'dist'), { recursive: true });
if (watch) {
  for (const c of configs) (await esbuild.context(c)).watch();
  console.log(`watching ${configs.length} bundles`);
} else {
  const t0 = Date.now();
  await Promise.all(configs.map((c) => esbuild.build(c)));
  console.log(`built ${configs.length} bundles in ${Date.now() - t0} ms`);
}
