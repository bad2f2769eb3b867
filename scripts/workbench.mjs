// Opens the labeling workbench on the demo data.
//   With VS Code desktop (`code` on PATH): code --extensionDevelopmentPath=<repo> <demo-workspace>
//   Otherwise: code-server 4.100.3 on 127.0.0.1 (installed by test/e2e/setup.sh when missing);
//   prints the URL to open in a browser and keeps running until Ctrl+C.
// The demo workspace is `demo-workspace/` in the repository: on first use it is initialized, the
// demo pool (demo/reviews.jsonl) imported and the first batch proposed by the keyword rule, with the
// `secreview` CLI, so the window opens ready to label. `--empty` leaves it without a workspace instead (to
// follow the Getting Started walkthrough from the start).
// Usage: node scripts/workbench.mjs [--port N] [--server] [--empty]   (--server forces code-server)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { prepareDemoFolder } from './demo-workspace.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const forceServer = args.includes('--server');
const portArg = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : undefined;
const workspace = path.join(root, 'demo-workspace');
const e2e = path.join(root, '.e2e');

function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    s.on('error', reject);
  });
}

prepareDemoFolder(workspace);
if (!existsSync(path.join(root, 'dist', 'extension.js'))) {
  const b = spawnSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

if (!args.includes('--empty') && !existsSync(path.join(workspace, '.secreview', 'labels.json'))) {
  const cli = (...a) => {
    const r = spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), ...a], { stdio: 'inherit', cwd: workspace });
    if (r.status !== 0) { console.error(`secreview ${a[0]} failed`); process.exit(r.status ?? 1); }
  };
  console.log('Preparing the demo workspace (init, import demo/reviews.jsonl, bootstrap batch)...');
  cli('init');
  cli('import', path.join(root, 'demo', 'reviews.jsonl'));
  cli('bootstrap', '--size', '50');
}

if (!forceServer && has('code')) {
  console.log(`Opening VS Code with the extension from ${root} on ${workspace}`);
  console.log('In the window: "Security Review: Open Labeling Panel" (keys 1-6 label, ? shows all keys).');
  const r = spawnSync('code', [`--extensionDevelopmentPath=${root}`, workspace], { stdio: 'inherit' });
  process.exit(r.status ?? 0);
}

const codeServer = path.join(e2e, 'cs', 'node_modules', '.bin', 'code-server');
if (!existsSync(codeServer)) {
  console.log([
    'VS Code desktop ("code") is not on the PATH, so the workbench opens in your browser from code-server 4.100.3 instead.',
    'Installing it into .e2e/ now (about 850 MB, a few minutes, once), with the Debian packages it needs when missing',
    '(ripgrep, libkrb5-dev, pkg-config; apt-get, as root). To skip this, install VS Code and run "npm run demo" again,',
    'or stop here (Ctrl+C) and use the demo workspace with the secreview CLI.',
  ].join('\n'));
  const r = spawnSync('bash', [path.join(root, 'test', 'e2e', 'setup.sh'), '--workbench'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

// The extension as an unpacked folder in a private extensions directory (node_modules linked for the trainer).
const state = path.join(e2e, 'workbench');
const pkg = (await import(path.join(root, 'package.json'), { with: { type: 'json' } })).default;
const ext = path.join(state, 'exts', `${pkg.publisher}.${pkg.name}-${pkg.version}`);
rmSync(ext, { recursive: true, force: true });
mkdirSync(ext, { recursive: true });
for (const item of ['package.json', 'package.nls.json', 'dist', 'media', 'demo', 'README.md']) {
  if (existsSync(path.join(root, item))) cpSync(path.join(root, item), path.join(ext, item), { recursive: true });
}
symlinkSync(path.join(root, 'node_modules'), path.join(ext, 'node_modules'));
const userDir = path.join(state, 'user-data');
mkdirSync(path.join(userDir, 'User'), { recursive: true });
const settingsFile = path.join(userDir, 'User', 'settings.json');
if (!existsSync(settingsFile)) {
  writeFileSync(settingsFile, JSON.stringify({
    'telemetry.telemetryLevel': 'off', 'update.mode': 'none', 'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false, 'workbench.startupEditor': 'none', 'security.workspace.trust.enabled': false,
  }, null, 2));
}

const port = portArg ?? await freePort();
const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`;
const child = spawn(codeServer, ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
  '--disable-workspace-trust', '--extensions-dir', path.join(state, 'exts'), '--user-data-dir', userDir], {
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, XDG_CONFIG_HOME: path.join(state, 'config'), XDG_DATA_HOME: path.join(state, 'data') },
});
for (let i = 0; i < 120; i++) {
  const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
  if (up) break;
  await new Promise((r) => setTimeout(r, 250));
}
console.log(`\nSecurity Review labeling workbench (code-server, VS Code 1.100.3):\n\n  ${url}\n`);
console.log('Open it in a browser, then run "Security Review: Open Labeling Panel" from the command palette (F1):');
console.log('keys 1-6 label, Backspace undoes, ? shows all keys. Ctrl+C stops the server.');
const stop = () => { child.kill('SIGTERM'); };
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code) => process.exit(code ?? 0));
