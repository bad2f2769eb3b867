/** The simulation results as an HTML page for a VS Code webview (pure: no vscode import, so it is testable). */
import { armName, type ArmSummary } from './figures';
import type { StudyResult } from './runner';
import { escapeXml } from './svg';

export function summaryTable(arms: readonly ArmSummary[]): string {
  const p = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
  const rows = arms.map((a) => `<tr><th scope="row">${escapeXml(armName(a.arm))}</th><td>${a.runs}</td>` +
    `<td>${p(a.rate.mean)} (${p(a.rate.lo)} – ${p(a.rate.hi)})</td><td>${a.lift.toFixed(1)}</td>` +
    `<td>${a.positives.toFixed(1)} of ${a.labeled.toFixed(0)}</td><td>${a.stopIteration.toFixed(1)}</td><td>${a.positivesAtStop.toFixed(1)}</td></tr>`).join('\n');
  return `<table><caption>Identification rate after the last iteration (mean over runs, 90% confidence interval)</caption>
<thead><tr><th scope="col">strategy</th><th scope="col">runs</th><th scope="col">identification rate</th><th scope="col">× prevalence</th>
<th scope="col">positives found</th><th scope="col">stop rule: iteration</th><th scope="col">positives by then</th></tr></thead>
<tbody>${rows}</tbody></table>`;
}

/**
 * The results page for a webview: no scripts; figures inline as data: images; styles by nonce (a
 * fresh one per render, from the caller). `cspSource` is the webview's `cspSource`.
 */
export function resultsHtml(cspSource: string, result: Pick<StudyResult, 'config' | 'arms' | 'figures' | 'engine'>, folder: string, nonce: string): string {
  const csp = `default-src 'none'; img-src ${cspSource} data:; style-src ${cspSource} 'nonce-${nonce}'`;
  const c = result.config;
  const figures = result.figures.map((f) => `<figure><img src="data:image/svg+xml;base64,${Buffer.from(f.svg).toString('base64')}" alt="${escapeXml(f.title)}"><figcaption>${escapeXml(f.title)}</figcaption></figure>`).join('\n');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Simulation study</title>
<style nonce="${nonce}">
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 1em 2em; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid var(--vscode-panel-border, #8884); padding: 0.25em 0.6em; text-align: right; }
th[scope="row"] { text-align: left; }
caption { text-align: left; font-weight: bold; margin-bottom: 0.4em; }
figure { display: inline-block; margin: 0.5em; background: #fff; }
img { max-width: 100%; height: auto; }
figcaption { color: #333; font-size: 0.9em; padding: 0.2em 0.5em; }
code { font-family: var(--vscode-editor-font-family); }
</style></head>
<body>
<h1>Simulation study</h1>
<p>${result.arms[0]?.runs ?? 0} runs of ${c.rows.toLocaleString('en')} rows; predictability ${escapeXml(c.predictability.join(', '))}; increment ${escapeXml(c.increment.join(', '))} × ${c.labelBudget ? `budget ${c.labelBudget}` : `${c.iterations} iterations`}; epochs ${escapeXml(c.epochs.join(', '))}; correlation ${escapeXml(c.correlation.join(', '))}; seed ${c.seed}; engine ${result.engine}.
Stopping rule: stop after ${c.stopPatience} batches in a row below ${(c.stopYield * 100).toFixed(1)}% positives, once batches have paid off.</p>
${summaryTable(result.arms)}
${figures}
<p>CSV files and SVG figures: <code>${escapeXml(folder)}</code></p>
</body></html>`;
}

