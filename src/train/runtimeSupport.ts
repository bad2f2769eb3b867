/**
 * Whether this installation can run onnxruntime-node, asked before a process that needs it starts
 * (the trainer, `predict`, `export-model`). onnxruntime-node 1.30 publishes native libraries for
 * Linux x64 and arm64 (glibc), macOS on Apple silicon, and Windows x64 and arm64; each per-platform
 * package of the extension carries only its own, and the packages for macOS on Intel and Alpine
 * carry none. Without this check the person would see a `require` stack from deep inside the
 * trainer instead of what to do.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export interface RuntimePlatform {
  platform: NodeJS.Platform;
  arch: string;
  /** Linux with musl libc (Alpine): onnxruntime-node's Linux libraries need glibc. */
  musl: boolean;
}

let current: RuntimePlatform | undefined;

export function currentPlatform(): RuntimePlatform {
  // A diagnostic report is the documented way to read the C library's version; it costs a few ms, so once.
  const header = () => (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return current ??= { platform: process.platform, arch: process.arch, musl: process.platform === 'linux' && !header()?.glibcVersionRuntime };
}

/** Where onnxruntime-node is installed, as the bundles beside this one would load it; undefined when absent. */
export function onnxRuntimeDir(from: string = __dirname): string | undefined {
  try {
    return path.dirname(createRequire(path.join(from, 'noop.js')).resolve('onnxruntime-node/package.json'));
  } catch {
    return undefined;
  }
}

/** The platforms onnxruntime-node ships a library for, as a person reads them. */
export const TRAINING_PLATFORMS = 'Linux x64 or arm64 (glibc), macOS on Apple silicon, or Windows x64 or arm64';

/** onnxruntime-node 1.30's native libraries: `bin/napi-v6/<platform>/<arch>`. */
const PUBLISHED = new Set(['linux/x64', 'linux/arm64', 'darwin/arm64', 'win32/x64', 'win32/arm64']);

function platformName(p: RuntimePlatform): string {
  if (p.platform === 'linux' && p.musl) return `Alpine or another musl Linux (${p.arch})`;
  const os = { darwin: 'macOS', win32: 'Windows', linux: 'Linux' }[p.platform as string] ?? p.platform;
  return p.platform === 'darwin' && p.arch === 'x64' ? 'macOS on Intel (darwin-x64)' : `${os} ${p.arch}`;
}

/**
 * Undefined when onnxruntime-node's native library for this platform is installed; else a message
 * that says why `what` (training, exporting a model, ...) cannot run here and what to do instead.
 * `runtimeDir`: the installed onnxruntime-node package, null when there is none.
 */
export function runtimeUnavailable(what: string, p: RuntimePlatform = currentPlatform(), runtimeDir: string | null = onnxRuntimeDir() ?? null): string | undefined {
  const published = PUBLISHED.has(`${p.platform}/${p.arch}`) && !(p.platform === 'linux' && p.musl);
  const binding = runtimeDir && path.join(runtimeDir, 'bin', 'napi-v6', p.platform, p.arch, 'onnxruntime_binding.node');
  if (published && binding && existsSync(binding)) return undefined;
  const elsewhere = 'Importing, crawling, labeling, the dashboard and exporting the dataset work here. '
    + `To train, open this folder on a machine with ${TRAINING_PLATFORMS} and retrain there (or run "secreview train" in the folder), `
    + 'or score the pool in shards on such machines ("secreview embed/score --shard", then "secreview merge-shards"; see docs/scale-out.md).';
  if (published) {
    return `${what} cannot run: this installation has no onnxruntime library for ${platformName(p)} (looked for ${binding ?? 'the onnxruntime-node package'}). `
      + `Install the extension's package for ${p.platform}-${p.arch}, or run "npm ci" in a development checkout. ${elsewhere}`;
  }
  return `${what} cannot run on ${platformName(p)}: it needs onnxruntime-node's native library, and onnxruntime-node publishes none for this platform, so this installation carries none. ${elsewhere}`;
}
