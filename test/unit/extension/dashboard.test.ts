/** The manifest's dashboard entries agree with the code: command, restore on reload, default probes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_PROBES } from '../../../src/core/dashboard';
import { DASHBOARD_VIEW_TYPE } from '../../../src/protocol/dashboard';

const root = path.resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: { commands: { command: string; category?: string }[]; configuration: { properties: Record<string, { type: string; default: unknown }> } };
};

test('Show Dashboard is contributed, and an open dashboard is restored after a reload', () => {
  const c = pkg.contributes.commands.find((x) => x.command === 'secreview.showDashboard');
  const nls = JSON.parse(readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
  assert.equal(c?.category, '%category%');
  assert.equal(nls.category, 'Security Review');
  assert.ok(pkg.activationEvents.includes(`onWebviewPanel:${DASHBOARD_VIEW_TYPE}`));
});

test('the probe setting defaults to the same sentences the code falls back to', () => {
  const p = pkg.contributes.configuration.properties['secreview.dashboard.probes'];
  assert.equal(p?.type, 'array');
  assert.deepEqual(p?.default, DEFAULT_PROBES);
});
