/**
 * The labeling webview's own code (bundled from webview/labeling/main.ts, with the panel's
 * stylesheet) in Debian's chromium, driven by playwright-core from the end-to-end tools
 * (`bash test/e2e/setup.sh`). The test plays the host: what the webview posts is collected in
 * `window.__posted`, and `post` delivers host messages as VS Code does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { LABEL_INFO } from '../../src/core/labels';
import type { HostToWebview, LabelGuideline } from '../../src/protocol/webview';
import { repoRoot } from './tmp';

const e2eDir = process.env.E2E_DIR ?? path.join(repoRoot, '.e2e');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export type Browser = { newPage(o?: object): Promise<Page>; close(): Promise<void> };
/** The part of playwright's Page used here; browser-side code is passed as source text (no DOM types in this tsconfig). */
export type Page = {
  setContent(html: string): Promise<void>;
  addScriptTag(o: { content: string }): Promise<unknown>;
  evaluate(expression: string): Promise<unknown>;
  waitForFunction(expression: string, arg?: unknown, o?: { timeout?: number }): Promise<unknown>;
  keyboard: { press(key: string): Promise<void> };
};

function playwright(): { chromium: { launch(o: object): Promise<Browser> } } | undefined {
  try {
    return createRequire(path.join(e2eDir, 'pw', 'index.js'))('playwright-core');
  } catch {
    return undefined;
  }
}

const pw = playwright();
const missing = !pw ? 'playwright-core' : !existsSync(chromiumPath) ? chromiumPath : undefined;
/** Why the webview tests cannot run here (false when they can); CI installs the tools, so there a missing one fails. */
export const skipWebview = missing && process.env.CI !== 'true' ? `needs ${missing}: run bash test/e2e/setup.sh` : false;

export async function launchChromium(): Promise<Browser> {
  if (!pw) throw new Error(`playwright-core is not installed in ${e2eDir} (bash test/e2e/setup.sh)`);
  if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing (bash scripts/install-system-deps.sh)`);
  return pw.chromium.launch({ executablePath: chromiumPath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}

export function guidelines(): LabelGuideline[] {
  return LABEL_INFO.map((l) => ({ id: l.id, key: l.key, title: l.title, description: l.description }));
}

/** A page running the labeling webview, its messages to the host collected in `window.__posted`. */
export async function openWebview(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const bundle = await esbuild.build({
    entryPoints: [path.join(repoRoot, 'webview', 'labeling', 'main.ts')], bundle: true, write: false,
    platform: 'browser', target: 'es2022', format: 'iife', loader: { '.css': 'text' }, logLevel: 'silent',
  });
  const css = readFileSync(path.join(repoRoot, 'media', 'labeling.css'), 'utf8');
  await page.setContent(`<!DOCTYPE html><html><head><style>${css}</style></head><body><div id="app"></div></body></html>`);
  // What VS Code gives a webview: a message channel to the host (here: a list the test reads).
  await page.addScriptTag({ content: 'window.__posted = []; window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => {} });' });
  await page.addScriptTag({ content: bundle.outputFiles[0]!.text });
  return page;
}

/** Delivers a message from the host. */
export async function post(page: Page, message: HostToWebview): Promise<void> {
  await page.evaluate(`window.postMessage(${JSON.stringify(message)}, '*')`);
}

/**
 * Delivers an `upcoming` view and waits until the webview holds it: a message event is a task of
 * its own, so a key pressed right after `post` could otherwise act before it arrives.
 */
export async function postUpcoming(page: Page, message: Extract<HostToWebview, { type: 'upcoming' }>): Promise<void> {
  await post(page, message);
  await page.waitForFunction(`document.body.dataset.upcomingAfter === ${JSON.stringify(message.after)}`, undefined, { timeout: 60000 });
}

/** Delivers a `show` and waits until the webview has painted it. */
export async function showAndWait(page: Page, message: Extract<HostToWebview, { type: 'show' }>): Promise<void> {
  await post(page, message);
  await page.waitForFunction(`document.body.dataset.renderedSeq === '${message.seq}'`, undefined, { timeout: 60000 });
}
