// Builds the extension's per-platform packages (VSIX), checks what each holds, and prints its size.
// Usage: npm run package [-- --target T]... [--out DIR]     (node --import tsx scripts/package.ts ...)
//
// Every package holds the production bundles (minified, no source maps), media, the demo data, the
// manifest with its strings, README, CHANGELOG and LICENSE: the list `.vscodeignore` names. Of
// onnxruntime-node's native libraries it holds only its own platform's, once (the npm package
// carries five platforms, 287 MB, and macOS's library twice). The targets onnxruntime-node has no
// library for (macOS on Intel, Alpine) get a package without onnxruntime: labeling, import, crawl,
// dashboard and export work there, and Retrain says why it cannot train and what to do instead.
//
// Each target is staged in its own folder and packed there by vsce, so a package can never pick up
// another platform's library, a stale build or a source map. The packaged README is README.md with
// its SVG figures turned into links (the Marketplace refuses SVG images).
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

/** The parts of vsce's API (untyped JavaScript) this script uses. */
interface Vsce {
  PackageManager: { Npm: number };
  listFiles(o: { cwd: string; packageManager: number }): Promise<string[]>;
  createVSIX(o: { cwd: string; target: string; packagePath: string; dependencies: boolean; githubBranch: string }): Promise<void>;
}
interface ZipEntry { fileName: string }
interface ZipFile {
  on(event: 'entry', f: (e: ZipEntry) => void): void;
  on(event: 'end', f: () => void): void;
  on(event: 'error', f: (e: Error) => void): void;
  readEntry(): void;
  openReadStream(e: ZipEntry, f: (err: Error | null, stream: NodeJS.ReadableStream) => void): void;
}
interface Yauzl { open(file: string, o: { lazyEntries: boolean }, f: (err: Error | null, zip: ZipFile) => void): void }
interface Manifest { name: string; version: string; dependencies: Record<string, string>; contributes: { commands: { command: string }[] }; [key: string]: unknown }

/** vsce target -> onnxruntime-node's `bin/napi-v6/<platform>/<arch>`, or null where it publishes none. */
export const TARGETS: Record<string, string | null> = {
  'linux-x64': 'linux/x64',
  'linux-arm64': 'linux/arm64',
  'darwin-arm64': 'darwin/arm64',
  'win32-x64': 'win32/x64',
  'win32-arm64': 'win32/arm64',
  'darwin-x64': null,
  'alpine-x64': null,
  'alpine-arm64': null,
};
/** The size every package must stay under (bytes). */
export const MAX_BYTES = 30 * 1024 * 1024;
const RUNTIME_BIN = 'node_modules/onnxruntime-node/bin/napi-v6/';

function parseArgs(argv: string[]): { targets: string[]; out: string } {
  const targets: string[] = [];
  let out = path.join(root, 'dist-vsix');
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--target') targets.push(argv[++i] ?? '');
    else if (argv[i] === '--out') out = path.resolve(argv[++i] ?? '');
    else throw new Error(`unknown argument "${argv[i]}"; usage: node scripts/package.mjs [--target T]... [--out DIR]`);
  }
  for (const t of targets) if (!(t in TARGETS)) throw new Error(`unknown target "${t}"; one of: ${Object.keys(TARGETS).join(', ')}`);
  return { targets: targets.length ? targets : Object.keys(TARGETS), out };
}

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.status ?? r.signal})`);
}

/** The files of one target: the universal list, narrowed to the target's onnxruntime library (one copy). */
export function filesForTarget(all: readonly string[], target: string, readFile: (f: string) => Buffer = (f) => readFileSync(path.join(root, f))): string[] {
  const own = TARGETS[target];
  const files = all.filter((f) => {
    if (!f.startsWith('node_modules/onnxruntime-')) return true;
    if (own === null) return false;
    return !f.startsWith(RUNTIME_BIN) || f.startsWith(`${RUNTIME_BIN}${own}/`);
  });
  // macOS: the package has libonnxruntime.1.dylib (what the binding links, @rpath) and the same
  // bytes again under the full version's name; ship one.
  const dylibs = files.filter((f) => f.startsWith(RUNTIME_BIN) && /\.dylib$/.test(f));
  const linked = dylibs.find((f) => /libonnxruntime\.\d+\.dylib$/.test(f));
  const sha = (f: string) => createHash('sha256').update(readFile(f)).digest('hex');
  const twins = linked ? new Set(dylibs.filter((f) => f !== linked && sha(f) === sha(linked))) : new Set();
  return files.filter((f) => !twins.has(f));
}

/** README.md with its SVG images as links to the figures. */
export function marketplaceReadme(text: string): string {
  return text.replace(/!\[([^\]]*)\]\(([^)\s]+\.svg)\)/gi, (_, alt: string, href: string) => `[Figure: ${alt || href}](${href})`);
}

/** Problems with a package's entries (paths inside the VSIX), empty when it holds what it should. */
export function contentProblems(entries: readonly string[], target: string, bytes: number): string[] {
  const problems: string[] = [];
  const files = entries.filter((e) => e.startsWith('extension/')).map((e) => e.slice('extension/'.length));
  const bad = files.filter((f) => /\.map$/.test(f) || /(^|\/)[^/]+\.ts$/.test(f) || /^(src|test|bench|scripts|python-free-train|webview|docs|\.e2e|\.secreview)\//.test(f));
  if (bad.length) problems.push(`holds sources, tests or source maps: ${bad.slice(0, 5).join(', ')}${bad.length > 5 ? ` and ${bad.length - 5} more` : ''}`);
  for (const need of ['package.json', 'package.nls.json', 'readme.md', 'changelog.md', 'LICENSE.txt', 'dist/extension.js', 'dist/trainer.js', 'dist/cli.js', 'dist/webview/labeling.js', 'dist/webview/dashboard.js', 'media/icon.png', 'demo/reviews.jsonl']) {
    if (!files.some((f) => f.toLowerCase() === need.toLowerCase())) problems.push(`lacks ${need}`);
  }
  const own = TARGETS[target];
  const runtime = files.filter((f) => f.startsWith(RUNTIME_BIN));
  const foreign = runtime.filter((f) => own === null || !f.startsWith(`${RUNTIME_BIN}${own}/`));
  if (foreign.length) problems.push(`holds other platforms' onnxruntime libraries: ${foreign.join(', ')}`);
  if (own !== null) {
    if (!files.includes(`${RUNTIME_BIN}${own}/onnxruntime_binding.node`)) problems.push(`lacks ${RUNTIME_BIN}${own}/onnxruntime_binding.node`);
    if (!files.includes('node_modules/onnxruntime-node/dist/index.js') || !files.includes('node_modules/onnxruntime-common/dist/cjs/index.js')) problems.push('lacks onnxruntime-node\'s JavaScript');
    const dylibs = runtime.filter((f) => f.endsWith('.dylib'));
    if (dylibs.length > 1) problems.push(`holds the macOS library more than once: ${dylibs.join(', ')}`);
  } else if (files.some((f) => f.startsWith('node_modules/'))) {
    problems.push('holds node_modules although this target has no onnxruntime library');
  }
  if (bytes >= MAX_BYTES) problems.push(`${(bytes / 1048576).toFixed(1)} MiB, over the ${MAX_BYTES / 1048576} MiB limit`);
  return problems;
}

/** Entry names and the manifest of a VSIX (a zip), read with vsce's own zip reader. */
function readVsix(file: string): Promise<{ entries: string[]; manifest: Manifest }> {
  // vsce's own zip reader, resolved from vsce (not a dependency of this project).
  const yauzl = createRequire(require.resolve('@vscode/vsce/package.json'))('yauzl') as Yauzl;
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true }, (err, zip) => {
      if (err) { reject(err); return; }
      const entries: string[] = [];
      let manifest: Manifest | undefined;
      zip.on('entry', (e) => {
        entries.push(e.fileName);
        if (e.fileName !== 'extension/package.json') { zip.readEntry(); return; }
        zip.openReadStream(e, (err2, stream) => {
          if (err2) { reject(err2); return; }
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => { manifest = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Manifest; zip.readEntry(); });
        });
      });
      zip.on('end', () => (manifest ? resolve({ entries, manifest }) : reject(new Error(`${file} has no extension/package.json`))));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

interface Row { target: string; file: string; files: number; bytes: number; mib: number; training: boolean; problems: string[] }

async function main(): Promise<void> {
  const { targets, out } = parseArgs(process.argv.slice(2));
  const vsce = require('@vscode/vsce') as Vsce;
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Manifest;

  // The same step vsce runs before packing: production bundles into dist/.
  run('npm', ['run', '--silent', 'vscode:prepublish']);
  const all = await vsce.listFiles({ cwd: root, packageManager: vsce.PackageManager.Npm });

  const staging = path.join(out, '.staging');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const rows: Row[] = [];
  let failed = false;
  for (const target of targets) {
    const dir = path.join(staging, target);
    const files = filesForTarget(all, target);
    for (const f of files) {
      mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
      cpSync(path.join(root, f), path.join(dir, f));
    }
    writeFileSync(path.join(dir, 'README.md'), marketplaceReadme(readFileSync(path.join(root, 'README.md'), 'utf8')));
    // Already bundled: the staged manifest has no scripts for vsce to run and no development tools,
    // and depends only on what ships unbundled, which vsce finds with `npm list` in the stage.
    const { scripts: _scripts, devDependencies: _dev, dependencies, ...manifest } = pkg;
    const runtime = TARGETS[target] === null ? {} : { dependencies: { 'onnxruntime-node': dependencies['onnxruntime-node'] } };
    writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...manifest, ...runtime }, null, 2) + '\n');
    if (TARGETS[target] !== null) {
      // onnxruntime-node's other dependencies serve only its install-time downloader (not shipped).
      const ortFile = path.join(dir, 'node_modules/onnxruntime-node/package.json');
      const { scripts: _s, devDependencies: _d, dependencies: ortDeps, ...ort } = JSON.parse(readFileSync(ortFile, 'utf8')) as Manifest;
      writeFileSync(ortFile, JSON.stringify({ ...ort, dependencies: { 'onnxruntime-common': ortDeps['onnxruntime-common'] } }, null, 2) + '\n');
    }
    writeFileSync(path.join(dir, '.vscodeignore'), '# staged by scripts/package.mjs: every file here ships\n');
    const vsix = path.join(out, `${pkg.name}-${target}-${pkg.version}.vsix`);
    rmSync(vsix, { force: true });
    await vsce.createVSIX({ cwd: dir, target, packagePath: vsix, dependencies: TARGETS[target] !== null, githubBranch: 'main' });
    const bytes = statSync(vsix).size;
    const { entries, manifest: packed } = await readVsix(vsix);
    const problems = contentProblems(entries, target, bytes);
    if (packed.contributes.commands.some((c) => c.command.startsWith('secreview.dev.'))) problems.push('the manifest contributes a development command');
    failed ||= problems.length > 0;
    rows.push({ target, file: vsix.startsWith(root + path.sep) ? path.relative(root, vsix) : vsix, files: entries.filter((e) => e.startsWith('extension/')).length, bytes, mib: +(bytes / 1048576).toFixed(1), training: TARGETS[target] !== null, problems });
  }
  rmSync(staging, { recursive: true, force: true });

  console.log('\ntarget         size       files  training  package');
  for (const r of rows) console.log(`${r.target.padEnd(14)} ${`${r.mib} MiB`.padStart(9)}  ${String(r.files).padStart(5)}  ${(r.training ? 'yes' : 'no').padEnd(8)}  ${r.file}`);
  for (const r of rows) for (const p of r.problems) console.error(`package ${r.target}: ${p}`);
  writeFileSync(path.join(out, 'packages.json'), JSON.stringify(rows, null, 2) + '\n');
  if (failed) process.exit(1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === import.meta.filename) {
  main().catch((e: unknown) => { console.error(`package: ${(e as Error).message}`); process.exit(1); });
}
