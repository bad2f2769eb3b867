/**
 * The project's import rules as functions of an import graph (file -> what it imports), so each
 * rule is checked on the real tree and shown to catch a violating graph.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Repository-relative file (forward slashes) -> its imports: repository-relative paths for relative specifiers, else the package or builtin name. */
export type ImportGraph = Map<string, string[]>;

/** Every import specifier of a TypeScript source: import/export ... from, require(), import(). */
export function specifiersOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2] ?? m[3]!);
}

function tsFiles(dir: string): string[] {
  let entries;
  try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return []; }
  return entries.flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? tsFiles(p) : /\.(ts|mts|cts)$/.test(d.name) ? [p] : [];
  });
}

/** The import graph of the TypeScript sources under `dirs` of `root`. */
export function importGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of dirs.flatMap((d) => tsFiles(path.join(root, d)))) {
    const rel = path.relative(root, file).split(path.sep).join('/');
    graph.set(rel, specifiersOf(readFileSync(file, 'utf8')).map((s) => resolveSpecifier(rel, s)));
  }
  return graph;
}

/** A relative specifier as a repository-relative path (extension dropped); packages as they are. */
export function resolveSpecifier(fromFile: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  return path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), spec)).replace(/\.(ts|js|mjs|cjs)$/, '');
}

/** A package or builtin, not a file of this repository. */
const isPackage = (spec: string) => !/^(src|webview|python-free-train|test|bench|scripts|demo|media)\//.test(spec) && !spec.startsWith('..');
const packageName = (spec: string) => (spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);

/** Who imports the package `pkg` (or a subpath of it). */
export function importersOf(graph: ImportGraph, pkg: string | RegExp): string[] {
  const hit = (s: string) => isPackage(s) && (typeof pkg === 'string' ? packageName(s) === pkg : pkg.test(packageName(s)));
  return [...graph].filter(([, imports]) => imports.some(hit)).map(([f]) => f);
}

/** Violations of "package `pkg` is imported only by files under one of `allowed` (paths or folder prefixes ending in /)"; at least one importer must exist. */
export function onlyImportedFrom(graph: ImportGraph, pkg: string | RegExp, allowed: readonly string[]): string[] {
  const importers = importersOf(graph, pkg);
  if (!importers.length) return [`nothing imports ${pkg}: the rule checks nothing`];
  return importers.filter((f) => !allowed.some((a) => (a.endsWith('/') ? f.startsWith(a) : f === a))).map((f) => `${f} imports ${pkg}`);
}

/** Violations of "files under `folder` import only what `may` allows (repository paths or package names)"; the folder must hold files. */
export function importsLimited(graph: ImportGraph, folder: string, may: (spec: string) => boolean): string[] {
  const files = [...graph.keys()].filter((f) => f.startsWith(folder));
  if (!files.length) return [`no sources under ${folder}: the rule checks nothing`];
  return files.flatMap((f) => graph.get(f)!.filter((s) => !may(s)).map((s) => `${f} imports ${s}`));
}

/** Violations of "the module `target` (a repository path without extension) is imported only by `allowed`"; it must have an importer. */
export function moduleImportedOnlyBy(graph: ImportGraph, target: string, allowed: readonly string[]): string[] {
  const importers = [...graph].filter(([, imports]) => imports.includes(target)).map(([f]) => f);
  if (!importers.length) return [`nothing imports ${target}: the rule checks nothing`];
  return importers.filter((f) => !allowed.includes(f)).map((f) => `${f} imports ${target}`);
}

/** The rules, each a list of violations (empty when kept). */
export const RULES: Record<string, (g: ImportGraph) => string[]> = {
  'src/core is pure: it imports only its own modules (no I/O, VS Code, onnxruntime, database or GitHub client)':
    (g) => importsLimited(g, 'src/core/', (s) => s.startsWith('src/core/')),
  'the webview imports only the webview, src/protocol and src/core (and browser packages)':
    (g) => importsLimited(g, 'webview/', (s) => s.startsWith('webview/') || s.startsWith('src/protocol/') || s.startsWith('src/core/') || (isPackage(s) && !s.startsWith('node:') && s !== 'vscode')),
  'src/protocol imports only src/protocol and src/core':
    (g) => importsLimited(g, 'src/protocol/', (s) => s.startsWith('src/protocol/') || s.startsWith('src/core/')),
  'vscode is imported only under src/extension': (g) => onlyImportedFrom(g, 'vscode', ['src/extension/']),
  'onnxruntime-node is imported by python-free-train/backend.ts alone': (g) => onlyImportedFrom(g, 'onnxruntime-node', ['python-free-train/backend.ts']),
  'octokit is imported only under src/github': (g) => onlyImportedFrom(g, /^(octokit|@octokit\/.*)$/, ['src/github/']),
  'lowdb is imported by the label database alone': (g) => onlyImportedFrom(g, 'lowdb', ['src/store/labelDb.ts']),
  // One job code path: the CLI and the extension reach training through the trainer client and protocol.
  'the training job runs in the trainer process alone': (g) => moduleImportedOnlyBy(g, 'python-free-train/trainer/job', ['python-free-train/trainer.ts']),
};

/** esbuild metafile inputs and external imports that a bundle must not contain. */
export function bundleViolations(metafile: { inputs: Record<string, unknown>; outputs: Record<string, { imports: { path: string; external?: boolean }[] }> },
  forbiddenInputs: readonly string[], forbiddenExternals: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of Object.keys(metafile.inputs)) if (forbiddenInputs.some((f) => input.endsWith(f))) out.push(`bundles ${input}`);
  for (const o of Object.values(metafile.outputs)) {
    for (const i of o.imports) if (i.external && forbiddenExternals.includes(i.path)) out.push(`requires ${i.path} at run time`);
  }
  return out;
}
