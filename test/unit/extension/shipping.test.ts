/**
 * What the manifest promises a person who installs the package: every string localizable, every
 * setting scoped so a repository cannot set what it must not (the GitHub server, who you are),
 * Restricted Mode declared with the settings it must ignore, and the polish a reviewer checks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../../..');
interface Setting { type: string; scope?: string; description?: string; markdownDescription?: string; enumDescriptions?: string[]; patternErrorMessage?: string; properties?: Record<string, Setting> }
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  displayName: string; description: string; repository?: { url: string }; bugs?: { url: string }; homepage?: string;
  scripts: Record<string, string>;
  capabilities: { untrustedWorkspaces: { supported: string | boolean; description: string; restrictedConfigurations: string[] }; virtualWorkspaces: { supported: boolean; description: string } };
  contributes: {
    commands: { command: string; title: string; category?: string; icon?: string }[];
    menus: Record<string, { command: string; when?: string }[]>;
    configuration: { title: string; properties: Record<string, Setting> };
    views: Record<string, { name: string; contextualTitle?: string }[]>;
    viewsContainers: { activitybar: { title: string }[] };
    viewsWelcome: { contents: string }[];
    walkthroughs: { title: string; description: string; steps: { title: string; description: string }[] }[];
  };
};
const nls = JSON.parse(readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;

/** Every user-visible string of the manifest, with where it is. */
function visibleStrings(): [string, string][] {
  const c = pkg.contributes;
  const out: [string, string][] = [['displayName', pkg.displayName], ['description', pkg.description],
    ['untrustedWorkspaces', pkg.capabilities.untrustedWorkspaces.description], ['virtualWorkspaces', pkg.capabilities.virtualWorkspaces.description],
    ['configuration.title', c.configuration.title]];
  for (const cmd of c.commands) out.push([`${cmd.command} title`, cmd.title], [`${cmd.command} category`, cmd.category ?? '']);
  for (const v of Object.values(c.views).flat()) out.push(['view', v.name], ['view contextualTitle', v.contextualTitle ?? '']);
  for (const v of c.viewsContainers.activitybar) out.push(['viewsContainer', v.title]);
  for (const w of c.viewsWelcome) out.push(['viewsWelcome', w.contents]);
  for (const w of c.walkthroughs) {
    out.push(['walkthrough', w.title], ['walkthrough', w.description]);
    for (const s of w.steps) out.push(['walkthrough step', s.title], ['walkthrough step', s.description]);
  }
  const setting = (name: string, s: Setting) => {
    for (const f of ['description', 'markdownDescription', 'patternErrorMessage'] as const) if (s[f]) out.push([`${name} ${f}`, s[f]]);
    for (const d of s.enumDescriptions ?? []) out.push([`${name} enumDescriptions`, d]);
    for (const [k, v] of Object.entries(s.properties ?? {})) setting(`${name}.${k}`, v);
  };
  for (const [k, v] of Object.entries(c.configuration.properties)) setting(k, v);
  return out;
}

test('every title and description is a %key% of package.nls.json, and every key there is used', () => {
  const used = new Set<string>();
  for (const [where, text] of visibleStrings()) {
    const m = /^%([\w.-]+)%$/.exec(text);
    assert.ok(m, `${where} is not localizable: ${JSON.stringify(text.slice(0, 60))}`);
    assert.ok(typeof nls[m[1]!] === 'string' && nls[m[1]!]!.length > 0, `${where}: ${m[1]} missing from package.nls.json`);
    used.add(m[1]!);
  }
  assert.deepEqual(Object.keys(nls).filter((k) => !used.has(k)), [], 'unused strings in package.nls.json');
});

test('every setting has a scope; what a repository must not set is machine or application scoped', () => {
  const props = pkg.contributes.configuration.properties;
  const valid = ['application', 'machine', 'machine-overridable', 'window', 'resource', 'language-overridable'];
  for (const [k, v] of Object.entries(props)) assert.ok(v.scope && valid.includes(v.scope), `${k} has scope ${v.scope}`);
  // The server the GitHub token is sent to, and the name recorded with every label.
  assert.equal(props['secreview.crawl.apiUrl']?.scope, 'machine');
  assert.equal(props['secreview.annotator']?.scope, 'application');
  assert.equal(props['secreview.github.privateRepositories']?.scope, 'application', 'a repository cannot widen what the sign-in asks for');
  // Settings that choose GPU devices belong to the machine, not to a repository.
  for (const k of Object.keys(props).filter((k) => /\.device$/.test(k))) assert.equal(props[k]!.scope, 'machine', k);
});

test('Restricted Mode: limited support, with every setting that picks a server, a model or an executable restricted', () => {
  const t = pkg.capabilities.untrustedWorkspaces;
  assert.equal(t.supported, 'limited');
  const props = pkg.contributes.configuration.properties;
  const picks = Object.keys(props).filter((k) => /apiUrl|Url$|\.path$|\.id$|\.revision$|executable|command/i.test(k));
  assert.ok(picks.includes('secreview.crawl.apiUrl') && picks.includes('secreview.model.path'), picks.join());
  for (const k of picks) assert.ok(t.restrictedConfigurations.includes(k), `${k} is not in restrictedConfigurations`);
  for (const k of t.restrictedConfigurations) assert.ok(props[k], `restricted setting ${k} does not exist`);
  assert.equal(pkg.capabilities.virtualWorkspaces.supported, false);
  assert.match(nls[pkg.capabilities.virtualWorkspaces.description.slice(1, -1)] ?? '', /file system/, 'the reason is given');
});

test('marketplace fields, packaging scripts, Explorer import, distinct icons, no unused context key', () => {
  assert.match(pkg.repository?.url ?? '', /^https:\/\/github\.com\//);
  assert.ok(pkg.bugs?.url && pkg.homepage);
  assert.match(pkg.scripts['vscode:prepublish'] ?? '', /build\.mjs --production/);
  assert.match(pkg.scripts.package ?? '', /scripts\/package\.ts/);
  const explorer = pkg.contributes.menus['explorer/context'] ?? [];
  const importEntry = explorer.find((m) => m.command === 'secreview.importIntoPool');
  assert.ok(importEntry?.when?.includes('\\.jsonl(\\.gz)?$'), JSON.stringify(importEntry));
  const when = new RegExp(importEntry!.when!.match(/=~ \/(.*)\/i/)![1]!, 'i');
  for (const name of ['reviews.jsonl', 'crawl.JSONL.gz']) assert.match(name, when);
  for (const name of ['reviews.json', 'notes.jsonl.txt', 'a.gz']) assert.doesNotMatch(name, when);
  const icon = (id: string) => pkg.contributes.commands.find((c) => c.command === id)?.icon;
  assert.ok(icon('secreview.showStatistics') && icon('secreview.showStatistics') !== icon('secreview.showDashboard'), 'Statistics and Dashboard look different');
  const sources = (dir: string): string[] => readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : [p];
  });
  const code = sources(path.join(root, 'src')).map((f) => readFileSync(f, 'utf8')).join('\n');
  for (const m of code.matchAll(/'setContext', '([\w.]+)'/g)) {
    assert.ok(JSON.stringify(pkg).includes(m[1]!), `context key ${m[1]} is set but no when clause reads it`);
  }
});
