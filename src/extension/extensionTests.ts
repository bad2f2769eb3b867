/**
 * Runs integration tests inside this extension host (the real `vscode` API in code-server). Only
 * when the end-to-end script sets SECREVIEW_EXTENSION_TESTS (a bundled suite) and
 * SECREVIEW_EXTENSION_TEST_RESULTS (where results go); the script's copy of the manifest then
 * contributes the command that the browser driver runs from the palette. The production manifest
 * does not: installed packages never show it.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as vscode from 'vscode';
import type { SecreviewApi } from './api';

export interface ExtensionTestResult { name: string; ok: boolean; ms: number; error?: string }
export interface ExtensionTestSuite { run(api: typeof vscode, extension: SecreviewApi, log: (line: string) => void): Promise<ExtensionTestResult[]> }

export function registerExtensionTests(context: vscode.ExtensionContext, api: SecreviewApi, log: (line: string) => void): void {
  const suitePath = process.env.SECREVIEW_EXTENSION_TESTS;
  const resultsPath = process.env.SECREVIEW_EXTENSION_TEST_RESULTS;
  if (!suitePath || !resultsPath) return;
  context.subscriptions.push(vscode.commands.registerCommand('secreview.dev.runExtensionTests', async () => {
    let results: ExtensionTestResult[];
    try {
      const suite = createRequire(__filename)(suitePath) as ExtensionTestSuite;
      results = await suite.run(vscode, api, log);
    } catch (e) {
      results = [{ name: 'load and run the extension test suite', ok: false, ms: 0, error: (e as Error).stack ?? String(e) }];
    }
    writeFileSync(resultsPath + '.tmp', JSON.stringify(results, null, 2));
    const { renameSync } = await import('node:fs');
    renameSync(resultsPath + '.tmp', resultsPath);
    log(`extension tests: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed`);
  }));
}
