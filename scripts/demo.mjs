// The README's main command: builds the project and runs the active-learning loop on the built-in
// synthetic demo data in ./demo-workspace, then opens the labeling workbench there.
//   1. secreview init; import demo/reviews.jsonl
//   2. secreview bootstrap: the first batch from the keyword rule M1
//   3. a simulated annotator labels that batch with the demo's intended labels (demo/expected-labels.json)
//   4. secreview train: a hashing model in the trainer process, scores the pool, proposes the next batch
//   5. the labeling workbench opens on the next batch (VS Code desktop, or code-server in the browser)
// Usage: npm run demo [-- --fresh] [--manual] [--no-workbench]
//   --fresh         start from an empty demo-workspace/
//   --manual        stop after the bootstrap batch: label it yourself in the workbench
//   --no-workbench  run the loop only (for scripts and CI)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { prepareDemoFolder } from './demo-workspace.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({ options: { fresh: { type: 'boolean' }, manual: { type: 'boolean' }, 'no-workbench': { type: 'boolean' } } });
const folder = path.join(root, 'demo-workspace');
const cli = path.join(root, 'dist', 'cli.js');

function run(title, args, { capture = false } = {}) {
  if (title) console.log(`\n> ${title}`);
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: folder, stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit', encoding: 'utf8' });
  if (r.status !== 0) {
    console.error(`demo: "secreview ${args.join(' ')}" failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  return r.stdout;
}

if (!existsSync(path.join(root, 'node_modules', 'esbuild'))) {
  console.error('Install the dependencies first: ONNXRUNTIME_NODE_INSTALL=skip npm ci   (no CUDA download; onnxruntime-node ships its CPU provider)');
  process.exit(1);
}
const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
if (values.fresh) rmSync(folder, { recursive: true, force: true });
prepareDemoFolder(folder);

run('secreview init', ['init']);
run('secreview import demo/reviews.jsonl', ['import', path.join(root, 'demo', 'reviews.jsonl')]);
let stats = JSON.parse(run('', ['stats', '--json'], { capture: true }));
if (!stats.batches) run('secreview bootstrap --size 40   (first batch: the keyword rule M1)', ['bootstrap', '--size', '40']);

if (!values.manual) {
  stats = JSON.parse(run('', ['stats', '--json'], { capture: true }));
  const first = stats.batchProgress[0];
  if (first && first.labeled < first.size && !stats.models) {
    const intended = JSON.parse(readFileSync(path.join(root, 'demo', 'expected-labels.json'), 'utf8'));
    const exported = spawnSync(process.execPath, ['-e', `
      const ws = require(${JSON.stringify(path.join(folder, '.secreview', 'labels.json'))});
      process.stdout.write(JSON.stringify(ws.batches[0].items.map((i) => i.reviewId)));`], { encoding: 'utf8' });
    const ids = JSON.parse(exported.stdout);
    console.log(`\n> a simulated annotator labels the ${ids.length} reviews of batch ${first.id} with the demo's intended labels`);
    const given = {};
    for (const id of ids) {
      const label = intended[id] ?? 'no';
      run('', ['label', id, label], { capture: true });
      given[label] = (given[label] ?? 0) + 1;
    }
    console.log(`labeled ${ids.length}: ${Object.entries(given).map(([l, n]) => `${l} ${n}`).join(', ')}`);
  }
  if (!stats.models) run('secreview train   (hashing model in the trainer process; scores the pool; proposes the next batch)', ['train', '--size', '30']);
}
run('secreview stats', ['stats']);

if (!values['no-workbench']) {
  console.log('\n> opening the labeling workbench on demo-workspace/');
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'workbench.mjs')], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 0);
} else if (existsSync(folder)) {
  console.log(`\nDemo workspace ready in ${folder}. Open it with "npm run workbench", or label with the CLI there.`);
}
