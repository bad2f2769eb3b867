/** Where onnxruntime-node cannot run, training says why and what to do instead of failing deep inside. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { currentPlatform, onnxRuntimeDir, runtimeUnavailable, type RuntimePlatform } from '../../../src/train/runtimeSupport';

function runtimeWith(...platforms: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ort-'));
  for (const p of platforms) {
    mkdirSync(path.join(dir, 'bin', 'napi-v6', p), { recursive: true });
    writeFileSync(path.join(dir, 'bin', 'napi-v6', p, 'onnxruntime_binding.node'), '');
  }
  return dir;
}
const linux: RuntimePlatform = { platform: 'linux', arch: 'x64', musl: false };

test('this development checkout can train: its onnxruntime-node has the library for this machine', () => {
  assert.ok(onnxRuntimeDir(), 'onnxruntime-node resolves');
  assert.equal(runtimeUnavailable('training', currentPlatform()), undefined);
});

test('a platform onnxruntime-node publishes a library for, with the library installed, can train', () => {
  const dir = runtimeWith('linux/x64', 'darwin/arm64', 'win32/arm64');
  try {
    assert.equal(runtimeUnavailable('training', linux, dir), undefined);
    assert.equal(runtimeUnavailable('training', { platform: 'darwin', arch: 'arm64', musl: false }, dir), undefined);
    assert.equal(runtimeUnavailable('training', { platform: 'win32', arch: 'arm64', musl: false }, dir), undefined);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('macOS on Intel: says onnxruntime publishes no library there, what still works, and where to train', () => {
  const dir = runtimeWith('darwin/x64'); // even a stray file does not make an unpublished platform work
  try {
    const why = runtimeUnavailable('training', { platform: 'darwin', arch: 'x64', musl: false }, dir);
    assert.match(why ?? '', /^training cannot run on macOS on Intel \(darwin-x64\): .*publishes none for this platform/);
    assert.match(why ?? '', /labeling, the dashboard/);
    assert.match(why ?? '', /secreview train/);
    assert.match(why ?? '', /--shard.*merge-shards/);
    assert.equal(runtimeUnavailable('training', { platform: 'darwin', arch: 'x64', musl: false }, null), why);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('Alpine (musl): the glibc library does not count', () => {
  const dir = runtimeWith('linux/x64', 'linux/arm64');
  try {
    const why = runtimeUnavailable('exporting a model', { platform: 'linux', arch: 'arm64', musl: true }, dir);
    assert.match(why ?? '', /^exporting a model cannot run on Alpine or another musl Linux \(arm64\)/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a published platform whose library is missing (another platform\'s package): names the package to install', () => {
  const dir = runtimeWith('win32/x64');
  try {
    const why = runtimeUnavailable('training', linux, dir) ?? '';
    assert.match(why, /no onnxruntime library for Linux x64/);
    assert.match(why, /package for linux-x64/);
    assert.ok(why.includes(path.join(dir, 'bin', 'napi-v6', 'linux', 'x64', 'onnxruntime_binding.node')), why);
    assert.match(runtimeUnavailable('training', linux, null) ?? '', /the onnxruntime-node package/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
