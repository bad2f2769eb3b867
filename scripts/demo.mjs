// The README's main command: builds the project, creates a labeling workspace from the built-in
// synthetic demo data, proposes the bootstrap batch, trains a model when the trainer is built,
// and opens the labeling workbench (VS Code, or code-server in the browser).
// Usage: npm run demo [-- --folder DIR] [--no-workbench] [--fresh]
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { values } = parseArgs({ options: { folder: { type: 'string' }, 'no-workbench': { type: 'boolean' }, fresh: { type: 'boolean' } } });
const folder = path.resolve(values.folder ?? path.join(root, 'demo-workspace'));
const cli = path.join(root, 'dist', 'cli.js');

function step(title, cmd, args, { allowFail = false } = {}) {
  console.log(`\n> ${title}`);
  const r = spawnSync(cmd, args, { cwd: folder, stdio: 'inherit' });
  if (r.status !== 0 && !allowFail) {
    console.error(`demo: "${title}" failed (exit ${r.status})`);
    process.exit(r.status ?? 1);
  }
  return r.status === 0;
}

const build = spawnSync(process.execPath, [path.join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
if (values.fresh) rmSync(folder, { recursive: true, force: true });
const { mkdirSync } = await import('node:fs');
mkdirSync(folder, { recursive: true });

const secreview = (title, ...args) => step(title, process.execPath, [cli, ...args]);
secreview('secreview init', 'init');
secreview('secreview import demo/reviews.jsonl', 'import', path.join(root, 'demo', 'reviews.jsonl'));
const hasBatch = spawnSync(process.execPath, [cli, 'stats', '--json'], { cwd: folder, encoding: 'utf8' });
const stats = JSON.parse(hasBatch.stdout || '{}');
if (!stats.batches) secreview('secreview bootstrap --size 40 (first batch from the keyword rule M1)', 'bootstrap', '--size', '40');
secreview('secreview stats', 'stats');

if (!values['no-workbench']) {
  const workbench = path.join(root, 'scripts', 'workbench.mjs');
  if (existsSync(workbench)) step('open the labeling workbench', process.execPath, [workbench, folder]);
  else console.log(`\nWorkspace ready in ${folder}. Open that folder in VS Code with this extension, or label with the CLI.`);
}
