/**
 * The manifest and the code agree: every contributed command is registered somewhere in
 * src/extension, every registered command is contributed, and keybindings and menus only name
 * contributed commands (the extension-host suite checks the same at run time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { LABEL_INFO } from '../../../src/core/labels';

const root = path.resolve(import.meta.dirname, '../../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: { commands: { command: string }[]; keybindings: { command: string; key: string }[]; menus: Record<string, { command: string }[]> };
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function registeredCommands(): Set<string> {
  const ids = new Set<string>();
  for (const file of sources(path.join(root, 'src', 'extension'))) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:registerCommand|reg)\(\s*'(secreview\.[\w.]+)'/g)) ids.add(m[1]!);
    for (const m of text.matchAll(/const COMMAND = '(secreview\.[\w.]+)'/g)) ids.add(m[1]!);
    // Label commands are registered in a loop over LABEL_INFO.
    if (text.includes('`secreview.label.${info.id}`')) for (const l of LABEL_INFO) ids.add(`secreview.label.${l.id}`);
  }
  return ids;
}

test('every contributed command is registered and every registered command is contributed', () => {
  const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
  const registered = registeredCommands();
  assert.deepEqual([...contributed].filter((c) => !registered.has(c)), [], 'contributed but never registered');
  // The development command (extension-host tests) is contributed only by the end-to-end run's copy of the manifest.
  assert.deepEqual([...registered].filter((c) => !contributed.has(c) && !c.startsWith('secreview.dev.')), [], 'registered but not contributed');
  assert.deepEqual([...contributed].filter((c) => c.startsWith('secreview.dev.')), [], 'no development command in the production manifest');
});

test('keybindings and menus name contributed commands; the panel keys match the labels', () => {
  const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
  for (const k of pkg.contributes.keybindings) assert.ok(contributed.has(k.command), k.command);
  for (const items of Object.values(pkg.contributes.menus)) for (const m of items) assert.ok(contributed.has(m.command), m.command);
  for (const l of LABEL_INFO) {
    assert.ok(pkg.contributes.keybindings.some((k) => k.command === `secreview.label.${l.id}` && k.key === l.key), `key ${l.key} for ${l.id}`);
  }
  assert.ok(pkg.activationEvents.includes('onWebviewPanel:secreview.labeling'), 'the panel is restored after a reload');
});
