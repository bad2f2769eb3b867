/** The per-platform packages: which files each target gets, the packaged README, the contents check. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentProblems, filesForTarget, marketplaceReadme, MAX_BYTES, TARGETS } from '../../../scripts/package';

const BIN = 'node_modules/onnxruntime-node/bin/napi-v6/';
const universal = [
  'package.json', 'package.nls.json', 'README.md', 'CHANGELOG.md', 'LICENSE', 'dist/extension.js', 'dist/trainer.js', 'dist/cli.js',
  'dist/webview/labeling.js', 'dist/webview/dashboard.js', 'media/icon.png', 'demo/reviews.jsonl',
  'node_modules/onnxruntime-node/package.json', 'node_modules/onnxruntime-node/dist/index.js', 'node_modules/onnxruntime-common/dist/cjs/index.js',
  `${BIN}linux/x64/onnxruntime_binding.node`, `${BIN}linux/x64/libonnxruntime.so.1`,
  `${BIN}linux/arm64/onnxruntime_binding.node`, `${BIN}linux/arm64/libonnxruntime.so.1`,
  `${BIN}darwin/arm64/onnxruntime_binding.node`, `${BIN}darwin/arm64/libonnxruntime.1.dylib`, `${BIN}darwin/arm64/libonnxruntime.1.30.0.dylib`,
  `${BIN}win32/x64/onnxruntime_binding.node`, `${BIN}win32/x64/onnxruntime.dll`, `${BIN}win32/x64/DirectML.dll`,
  `${BIN}win32/arm64/onnxruntime_binding.node`, `${BIN}win32/arm64/onnxruntime.dll`,
];
const sameBytes = () => Buffer.from('the same library');
const asVsix = (files: string[]) => files.map((f) => `extension/${f.replace(/^README\.md$/, 'readme.md').replace(/^CHANGELOG\.md$/, 'changelog.md').replace(/^LICENSE$/, 'LICENSE.txt')}`);

test('each target gets only its own onnxruntime library, macOS its library once', () => {
  for (const [target, dir] of Object.entries(TARGETS)) {
    const files = filesForTarget(universal, target, sameBytes);
    const runtime = files.filter((f) => f.startsWith(BIN));
    if (dir === null) {
      assert.deepEqual(files.filter((f) => f.startsWith('node_modules/')), [], `${target} ships no onnxruntime at all`);
    } else {
      assert.ok(runtime.length > 0 && runtime.every((f) => f.startsWith(`${BIN}${dir}/`)), `${target}: ${runtime.join(', ')}`);
      assert.ok(files.includes('node_modules/onnxruntime-node/dist/index.js'));
    }
    assert.ok(files.includes('dist/extension.js') && files.includes('demo/reviews.jsonl'), `${target} keeps the extension itself`);
    assert.deepEqual(contentProblems(asVsix(files), target, 1000), [], target);
  }
  const mac = filesForTarget(universal, 'darwin-arm64', sameBytes).filter((f) => f.endsWith('.dylib'));
  assert.deepEqual(mac, [`${BIN}darwin/arm64/libonnxruntime.1.dylib`], 'the library the binding links (@rpath/libonnxruntime.1.dylib)');
  const different = filesForTarget(universal, 'darwin-arm64', (f) => Buffer.from(f)).filter((f) => f.endsWith('.dylib'));
  assert.equal(different.length, 2, 'two different libraries are both kept');
});

test('the contents check refuses maps, sources, tests, other platforms\' libraries, a missing library and oversize', () => {
  const good = asVsix(filesForTarget(universal, 'linux-x64', sameBytes));
  assert.deepEqual(contentProblems(good, 'linux-x64', MAX_BYTES - 1), []);
  assert.match(contentProblems([...good, 'extension/dist/extension.js.map'], 'linux-x64', 1).join(), /source maps: dist\/extension\.js\.map/);
  assert.match(contentProblems([...good, 'extension/src/core/labels.ts'], 'linux-x64', 1).join(), /sources/);
  assert.match(contentProblems([...good, 'extension/test/unit/x.test.ts'], 'linux-x64', 1).join(), /tests/);
  assert.match(contentProblems([...good, `extension/${BIN}win32/x64/onnxruntime.dll`], 'linux-x64', 1).join(), /other platforms' onnxruntime libraries: .*win32\/x64/);
  assert.match(contentProblems(good.filter((f) => !f.endsWith('onnxruntime_binding.node')), 'linux-x64', 1).join(), /lacks .*linux\/x64\/onnxruntime_binding\.node/);
  assert.match(contentProblems(good, 'linux-x64', MAX_BYTES).join(), /over the 30 MiB limit/);
  assert.match(contentProblems(good, 'darwin-x64', 1).join(), /other platforms' onnxruntime libraries/);
  assert.match(contentProblems(good.filter((f) => f !== 'extension/package.nls.json'), 'linux-x64', 1).join(), /lacks package\.nls\.json/);
});

test('the packaged README links the SVG figures instead of showing them (the Marketplace refuses SVG images)', () => {
  const text = 'Intro\n![Yield curves](docs/replay.svg)\n![](docs/a.SVG) and ![photo](docs/p.png) [link](docs/x.svg)\n';
  const out = marketplaceReadme(text);
  assert.equal(out, 'Intro\n[Figure: Yield curves](docs/replay.svg)\n[Figure: docs/a.SVG](docs/a.SVG) and ![photo](docs/p.png) [link](docs/x.svg)\n');
  assert.doesNotMatch(out, /!\[[^\]]*\]\([^)]*\.svg\)/i);
});
