/**
 * A test extension the end-to-end run installs beside Security Review Labeler: it runs the
 * integration suite inside the extension host (test/integration/extension/suite.ts) with the
 * extension's API, from the palette ("Security Review Tests: Run Extension Tests"), and writes the
 * results where SECREVIEW_EXTENSION_TEST_RESULTS says. The product itself carries no test command.
 */
import { renameSync, writeFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { SecreviewApi } from '../../../src/extension/api';
import { run, type ExtensionTestResult } from '../../integration/extension/suite';

const EXTENSION_ID = 'secreview.security-review-labeler';

export function activate(context: vscode.ExtensionContext): void {
  const channel = vscode.window.createOutputChannel('Security Review Tests');
  context.subscriptions.push(channel, vscode.commands.registerCommand('secreviewTests.run', async () => {
    const resultsPath = process.env.SECREVIEW_EXTENSION_TEST_RESULTS;
    if (!resultsPath) throw new Error('SECREVIEW_EXTENSION_TEST_RESULTS is not set');
    let results: ExtensionTestResult[];
    try {
      const api = await vscode.extensions.getExtension<SecreviewApi>(EXTENSION_ID)!.activate();
      results = await run(vscode, api, (line) => channel.appendLine(line));
    } catch (e) {
      results = [{ name: 'load and run the extension test suite', ok: false, ms: 0, error: (e as Error).stack ?? String(e) }];
    }
    writeFileSync(resultsPath + '.tmp', JSON.stringify(results, null, 2));
    renameSync(resultsPath + '.tmp', resultsPath);
    channel.appendLine(`extension tests: ${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed`);
  }));
}
