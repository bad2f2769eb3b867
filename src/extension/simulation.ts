/**
 * "Security Review: Run Simulation Study...": runs the paper's simulation (src/simulation) from the
 * command palette so a user can pick a candidate-selection strategy for the prevalence they expect
 * before labeling. Parameters from quick picks and input boxes; runs in worker threads under a
 * cancellable progress notification; results saved in the extension's storage (a folder per
 * configuration, so running the same study again resumes it); figures and the summary table shown
 * in a webview without scripts.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { CORRELATIONS, DEFAULT_CONFIG, parseArms, parseCorrelation, type SimulationConfig } from '../simulation/config';
import { resultsHtml } from '../simulation/html';
import { runStudy } from '../simulation/runner';

const COMMAND = 'secreview.runSimulation';

interface StudyChoice {
  config: SimulationConfig;
  runs: number;
}

function parseNumberList(text: string, integer: boolean): number[] | undefined {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  const values = parts.map(Number);
  if (!parts.length || values.some((v) => !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))) return undefined;
  return values;
}

async function askList(prompt: string, value: string, integer: boolean): Promise<number[] | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'Run Simulation Study', prompt, value, ignoreFocusOut: true,
    validateInput: (t) => (parseNumberList(t, integer) ? undefined : `Enter ${integer ? 'whole numbers' : 'numbers'} above 0, separated by commas`),
  });
  return text === undefined ? undefined : parseNumberList(text, integer);
}

/** Asks for the study's main parameters; undefined when the user cancels. */
async function askStudy(): Promise<StudyChoice | undefined> {
  const preset = await vscode.window.showQuickPick([
    { label: 'Compare strategies', description: 'rare-label, entropy, random, majority-label, a 90/10 rare/random mixture and the ensemble (the default of Retrain, with bootstrap members as Retrain fits them)', id: 'compare' },
    { label: 'Custom study...', description: 'choose every main parameter', id: 'custom' },
  ], { title: 'Run Simulation Study', placeHolder: 'What to simulate', ignoreFocusOut: true });
  if (!preset) return undefined;
  const runs = await askList('Runs (repetitions; more runs give narrower confidence bands)', '20', true);
  if (!runs) return undefined;
  const rows = await askList('Pool size (rows). The paper used 1,000,000; 200,000 is about five times faster', '200000', true);
  if (!rows) return undefined;
  const predictability = await askList('Predictability: standard deviation of the true logits (0.7 low, 1.0 normal, 1.3 high; a list is drawn per run)', '1.0', false);
  if (!predictability) return undefined;
  const prevalenceText = await vscode.window.showInputBox({
    title: 'Run Simulation Study', ignoreFocusOut: true, value: '',
    prompt: 'Share of positives you expect in your pool, e.g. 0.02 (empty: the paper\'s setting, about 1.7%)',
    validateInput: (t) => (t.trim() === '' || (Number(t) > 0 && Number(t) < 1) ? undefined : 'Enter a share between 0 and 1, e.g. 0.02, or leave empty'),
  });
  if (prevalenceText === undefined) return undefined;
  let config: SimulationConfig = {
    ...DEFAULT_CONFIG, rows: rows[0]!, predictability, strategies: [...DEFAULT_CONFIG.strategies, 'rare:0.9+random:0.1', 'ensemble@boot'],
    ...(prevalenceText.trim() ? { targetPrevalence: Number(prevalenceText) } : {}),
  };
  if (preset.id === 'custom') {
    const increment = await askList('Rows labeled per iteration (a list is drawn per run)', '200', true);
    if (!increment) return undefined;
    const iterations = await askList('Iterations per run', '20', true);
    if (!iterations) return undefined;
    const epochs = await askList('Training epochs per iteration (a list is drawn per run)', '10', true);
    if (!epochs) return undefined;
    const correlation = await vscode.window.showQuickPick(CORRELATIONS.map((c) => ({
      label: c, picked: c === 'none',
      description: c === 'none' ? 'independent inputs' : c === 'AAt' ? 'x (A A^T), as deployed' : 'Cholesky factor of a random correlation matrix, as the paper describes',
    })), { title: 'Correlation of the inputs (several are drawn per run)', canPickMany: true, ignoreFocusOut: true });
    if (!correlation?.length) return undefined;
    const strategies = await vscode.window.showInputBox({
      title: 'Run Simulation Study', ignoreFocusOut: true,
      prompt: 'Strategies, comma-separated: rare, entropy, random, majority, diverse, ensemble, thompson, ucb, or mixtures like rare:0.9+random:0.1; options after @, e.g. ensemble@boot (members as Retrain fits them; auto, Retrain\'s default over a network head, is the same), rare@inc40',
      value: config.strategies.join(','),
      validateInput: (t) => { try { parseArms(t); return undefined; } catch (err) { return (err as Error).message; } },
    });
    if (strategies === undefined) return undefined;
    config = { ...config, increment, iterations: iterations[0]!, epochs, correlation: correlation.map((c) => parseCorrelation(c.label)), strategies: parseArms(strategies) };
  }
  return { config, runs: runs[0]! };
}

/** A folder per configuration (not per run count), so the same study resumes and can be extended. */
function studyFolder(context: vscode.ExtensionContext, config: SimulationConfig): vscode.Uri {
  const key = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 12);
  return vscode.Uri.joinPath(context.globalStorageUri, 'simulations', key);
}

export function registerSimulationCommands(context: vscode.ExtensionContext, output: vscode.OutputChannel): void {
  context.subscriptions.push(vscode.commands.registerCommand(COMMAND, async () => {
    try {
      const choice = await askStudy();
      if (!choice) return;
      const folder = studyFolder(context, choice.config).fsPath;
      output.appendLine(`simulation: ${choice.runs} runs, ${choice.config.rows} rows, strategies ${choice.config.strategies.join(', ')} -> ${folder}`);
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Security Review: simulation study', cancellable: true }, async (progress, token) => {
        const abort = new AbortController();
        const sub = token.onCancellationRequested(() => abort.abort(new Error('simulation cancelled')));
        let reported = 0;
        try {
          return await runStudy({
            config: choice.config, runs: choice.runs, out: folder, signal: abort.signal,
            onProgress: (p) => {
              const fraction = p.total ? (100 * p.done) / p.total : 0;
              progress.report({ increment: Math.max(0, fraction - reported), message: `${p.done}/${p.total} runs: ${p.message}` });
              reported = Math.max(reported, fraction);
              if (p.message.includes('done')) output.appendLine(`simulation: ${p.message}`);
            },
          });
        } finally {
          sub.dispose();
        }
      });
      output.appendLine(`simulation: finished (${result.completed} runs computed, ${result.skipped} read from ${folder})`);
      const panel = vscode.window.createWebviewPanel('secreview.simulation', 'Simulation Study', vscode.ViewColumn.Active, { enableScripts: false, localResourceRoots: [] });
      panel.webview.html = resultsHtml(panel.webview.cspSource, result, folder, randomBytes(16).toString('base64'));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (/cancelled/.test(message)) {
        output.appendLine('simulation: cancelled; finished runs are kept and skipped when the same study runs again');
        void vscode.window.showInformationMessage('Simulation cancelled. Finished runs are kept: run the same study again to resume it.');
        return;
      }
      output.appendLine(`simulation: failed: ${err instanceof Error ? err.stack ?? message : message}`);
      void vscode.window.showErrorMessage(`Security Review: simulation failed: ${message}`, 'Show Log').then((pick) => { if (pick) output.show(); });
    }
  }));
}

