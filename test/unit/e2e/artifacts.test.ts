/**
 * test/e2e/run.sh with E2E_ONLY replaces only the screenshots of the scenarios it runs: the others
 * from an earlier run stay. The list of each scenario's files is checked against the driver's code.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { repoRoot, tempDir } from '../../helpers/tmp';

const { ARTIFACTS_OF, FAILURE_ARTIFACTS, scenariosOf, cleanArtifacts } = createRequire(__filename)(path.join(repoRoot, 'test', 'e2e', 'artifacts.cjs')) as {
  ARTIFACTS_OF: Record<string, string[]>;
  FAILURE_ARTIFACTS: string[];
  scenariosOf(only: string | undefined): string[];
  cleanArtifacts(dir: string, scenarios: string[]): string[];
};

test('E2E_ONLY=hostile deletes the hostile screenshot (and stale failure shots), nothing else', () => {
  const dir = tempDir('secreview-artifacts-');
  const all = [...Object.values(ARTIFACTS_OF).flat(), ...FAILURE_ARTIFACTS, 'notes.txt'];
  for (const f of all) writeFileSync(path.join(dir, f), 'x');
  const deleted = cleanArtifacts(dir, scenariosOf('hostile'));
  assert.deepEqual(deleted.sort(), ['hostile-body.png', ...FAILURE_ARTIFACTS].sort());
  assert.deepEqual(readdirSync(dir).sort(), all.filter((f) => !deleted.includes(f)).sort());
  assert.ok(existsSync(path.join(dir, 'labeling-panel-dark.png')) && existsSync(path.join(dir, 'speed.json')));
});

test('without E2E_ONLY every scenario runs and all its artifacts are replaced; an unknown scenario is an error', () => {
  assert.deepEqual(scenariosOf(undefined), Object.keys(ARTIFACTS_OF));
  assert.deepEqual(scenariosOf('main, speed'), ['main', 'speed']);
  assert.throws(() => scenariosOf('hostile,speeed'), /unknown scenario speeed; the scenarios are main, integration, hostile, dashboard, navigate, team, speed, installed, restricted/);
});

test('every file the driver writes is listed under a scenario, and run.sh deletes none itself', () => {
  const driver = readFileSync(path.join(repoRoot, 'test', 'e2e', 'driver.cjs'), 'utf8');
  const written = [...driver.matchAll(/path\.join\(ARTIFACTS, '([^']+)'\)/g)].map((m) => m[1]!);
  assert.ok(written.length >= 10, `found the driver's artifacts (${written.length})`);
  const listed = new Set([...Object.values(ARTIFACTS_OF).flat(), ...FAILURE_ARTIFACTS]);
  assert.deepEqual(written.filter((f) => !listed.has(f)), [], 'files the driver writes that no scenario lists');
  const runSh = readFileSync(path.join(repoRoot, 'test', 'e2e', 'run.sh'), 'utf8');
  assert.doesNotMatch(runSh, /rm [^\n]*artifacts/, 'run.sh leaves the artifacts to the driver');
});
