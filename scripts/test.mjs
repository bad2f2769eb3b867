// Runs the test suites with node:test (TypeScript through tsx).
// Usage: node scripts/test.mjs unit|integration|chaos|e2e|all [extra files or name filters]
//   deadcode     no unused file or export (knip; the compiler's noUnusedLocals covers locals)
//   unit         fast tests of pure code (test/unit)
//   integration  real files, real processes, loopback servers (test/integration)
//   chaos        the fault harness: built CLI processes SIGKILLed at random moments (test/chaos;
//                builds first; SECREVIEW_CHAOS_SEED, SECREVIEW_CHAOS_KILLS)
//   e2e          the extension in a real VS Code workbench (code-server + chromium; test/e2e/run.sh)
//   all          type check, build, then every suite above
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const [suite = 'unit', ...filters] = process.argv.slice(2);

function findTests(dir) {
  if (!existsSync(dir)) return [];
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/**
 * The paper's labeled data (../shared/data, or the cache `npm run fetch-paper-data` fills): found
 * once here and handed to the test processes; when it is missing, one line says how to get it.
 */
function paperData() {
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', "process.stdout.write(require('./scripts/paper-data.ts').findPaperData() ?? '')"], { cwd: root, encoding: 'utf8' });
  const file = r.status === 0 ? r.stdout.trim() : '';
  if (file) return { SECREVIEW_PAPER_DATA: file };
  if (process.env.CI === 'true') console.log('The paper\'s labeled data is missing (../shared/data or npm run fetch-paper-data): with CI=true the tests that read it run, and fail.');
  else console.log('The paper\'s labeled data is not here, so the tests that read it are skipped: get it with npm run fetch-paper-data.');
  return {};
}

function nodeTests(kind) {
  let files = findTests(path.join(root, 'test', kind));
  if (filters.length) files = files.filter((f) => filters.some((x) => f.includes(x)));
  if (!files.length) { console.log(`no ${kind} tests`); return; }
  const concurrency = kind === 'unit' ? [] : ['--test-concurrency=1'];
  run(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...concurrency, ...files], kind === 'integration' ? paperData() : {});
}

const steps = {
  typecheck: () => run('npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']) || run('npx', ['tsc', '-p', 'webview/tsconfig.json', '--noEmit']),
  build: () => run(process.execPath, ['scripts/build.mjs']),
  // Files no entry point reaches and exports nothing imports (knip.json names the entry points).
  deadcode: () => run('npx', ['knip', '--no-progress', '--include', 'files,exports,types']),
  unit: () => nodeTests('unit'),
  integration: () => nodeTests('integration'),
  // The harness runs the bundles (dist/cli.js, dist/trainer.js): `all` has just built them.
  chaos: () => { if (suite !== 'all') steps.build(); nodeTests('chaos'); },
  e2e: () => { if (existsSync(path.join(root, 'test/e2e/run.sh'))) run('bash', ['test/e2e/run.sh']); else console.log('no e2e suite'); },
};
const plan = suite === 'all' ? ['typecheck', 'deadcode', 'build', 'unit', 'integration', 'chaos', 'e2e'] : [suite];
for (const s of plan) {
  if (!steps[s]) { console.error(`unknown suite "${s}"; one of: ${Object.keys(steps).join(', ')}, all`); process.exit(2); }
  console.log(`\n=== ${s} ===`);
  steps[s]();
}
