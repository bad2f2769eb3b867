/**
 * The demo workspace sits inside this repository; VS Code's git extension would ask, each time it
 * opens, whether to open the repository of a parent folder. The folder's settings turn that off
 * (a resource-scoped setting of the git extension that code-server 4.100.3 ships, checked there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, tempDir } from '../../helpers/tmp';

function prepare(folder: string): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { prepareDemoFolder } from ${JSON.stringify(path.join(repoRoot, 'scripts', 'demo-workspace.mjs'))}; prepareDemoFolder(${JSON.stringify(folder)});`], { encoding: 'utf8' });
  return { status: r.status, stderr: r.stderr };
}
const settingsOf = (folder: string) => JSON.parse(readFileSync(path.join(folder, '.vscode', 'settings.json'), 'utf8')) as Record<string, unknown>;

test('the demo folder tells VS Code not to open the parent repository, keeping the person\'s own settings', () => {
  const folder = path.join(tempDir('secreview-demo-'), 'demo-workspace');
  assert.equal(prepare(folder).status, 0);
  assert.deepEqual(settingsOf(folder), { 'git.openRepositoryInParentFolders': 'never' });
  writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify({ 'editor.fontSize': 15, 'git.openRepositoryInParentFolders': 'prompt' }));
  assert.equal(prepare(folder).status, 0);
  assert.deepEqual(settingsOf(folder), { 'editor.fontSize': 15, 'git.openRepositoryInParentFolders': 'never' });
  // Settings with comments are not rewritten: the person is told what to add.
  const commented = '{\n  // mine\n  "editor.fontSize": 15\n}\n';
  writeFileSync(path.join(folder, '.vscode', 'settings.json'), commented);
  const r = prepare(folder);
  assert.equal(readFileSync(path.join(folder, '.vscode', 'settings.json'), 'utf8'), commented);
  assert.match(r.stderr, /not plain JSON .* Add "git\.openRepositoryInParentFolders": "never" to it yourself/);
});

const gitExtension = path.join(repoRoot, '.e2e', 'cs', 'node_modules', 'code-server', 'lib', 'vscode', 'extensions', 'git', 'package.json');
test('the setting is the git extension\'s own, folder-scoped, with "never" among its values', { skip: existsSync(gitExtension) || process.env.CI === 'true' ? false : 'needs code-server in .e2e (bash test/e2e/setup.sh)' }, () => {
  const pkg = JSON.parse(readFileSync(gitExtension, 'utf8')) as { contributes: { configuration: { properties?: Record<string, { scope?: string; enum?: string[] }> } | { properties?: Record<string, { scope?: string; enum?: string[] }> }[] } };
  const sections = Array.isArray(pkg.contributes.configuration) ? pkg.contributes.configuration : [pkg.contributes.configuration];
  const setting = sections.map((c) => c.properties?.['git.openRepositoryInParentFolders']).find(Boolean);
  assert.ok(setting, 'git.openRepositoryInParentFolders exists');
  assert.equal(setting.scope, 'resource', 'a folder\'s settings can set it');
  assert.ok(setting.enum?.includes('never'));
});
