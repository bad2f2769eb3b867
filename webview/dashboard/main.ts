/**
 * The dashboard's UI: draws what the host sends (src/core/dashboard.ts) as SVG charts with a
 * data table under each, and tables for label counts, strategy yields, probes and estimates. All
 * text is set as text; the SVG comes from the shared chart writer, which escapes every string.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import type { DashboardChart, DashboardData, DataTable, Estimate, ProbeCell } from '../../src/core/dashboard';
import { lineChart } from '../../src/core/svgChart';
import type { DashboardHostToWebview, DashboardWebviewToHost } from '../../src/protocol/dashboard';

interface VsCodeApi {
  postMessage(message: DashboardWebviewToHost): void;
  setState(state: Record<string, never>): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
// A state (even empty) makes the workbench keep the panel for the serializer after a reload.
vscode.setState({});

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function table(t: DataTable, cls = ''): HTMLTableElement {
  return el('table', cls ? { class: cls } : {},
    el('caption', {}, t.caption),
    el('thead', {}, el('tr', {}, ...t.columns.map((c) => el('th', { scope: 'col' }, c)))),
    el('tbody', {}, ...t.rows.map((r) => el('tr', {}, ...r.map((c, i) => (i === 0 ? el('th', { scope: 'row' }, c) : el('td', {}, c)))))),
  );
}

function chart(c: DashboardChart): HTMLElement {
  const svgText = lineChart({
    title: c.title, description: c.description, xLabel: c.xLabel, yLabel: c.yLabel, series: c.series, markers: c.markers,
    yFormat: c.percent ? (v) => `${Math.round(v * 100)}%` : undefined, width: 560, height: 340, idPrefix: c.id, xIntegers: true, yRange: c.percent ? [0, 1] : undefined,
  });
  const doc = new DOMParser().parseFromString(svgText, 'image/svg+xml');
  const svg = document.importNode(doc.documentElement, true);
  const figure = el('figure', { class: 'chart-figure', 'data-chart': c.id });
  figure.append(svg, el('figcaption', { class: 'muted' }, c.description),
    el('details', { class: 'data' }, el('summary', {}, 'Data table'), table(c.table)));
  return figure;
}

function section(title: string, id: string, ...children: (Node | string | null | undefined)[]): HTMLElement {
  return el('section', { 'aria-labelledby': `${id}-h`, id }, el('h2', { id: `${id}-h` }, title), ...children);
}

function estimate(name: string, e: Estimate | undefined, id: string): HTMLElement | null {
  if (!e) return null;
  const cls = e.stop === undefined ? 'estimate' : e.stop ? 'estimate stop' : 'estimate go';
  return el('div', { class: cls, 'data-estimate': id },
    el('div', { class: 'estimate-head' }, el('strong', {}, `${name}: `), e.headline),
    el('p', { class: 'muted' }, e.explanation));
}

function probeCell(c: ProbeCell): HTMLElement {
  if ('probability' in c) return el('td', { class: 'num' }, c.probability.toFixed(3));
  if ('pending' in c) return el('td', { class: 'muted' }, 'computing...');
  return el('td', { class: 'muted', title: c.error }, 'unavailable');
}

function render(d: DashboardData, generatedAt: string): void {
  const counts = el('table', { class: 'counts' },
    el('caption', {}, 'Current labels'),
    el('thead', {}, el('tr', {}, ...d.labelCounts.map((c) => el('th', { scope: 'col' }, c.label)))),
    el('tbody', {}, el('tr', {}, ...d.labelCounts.map((c) => el('td', { class: 'num', 'data-label': c.label }, String(c.count))))),
  );
  const strategies = d.strategies.length
    ? table({
      caption: 'Share of "yes" among the labeled reviews each strategy proposed (broken links and bot comments left out)',
      columns: ['Strategy', 'Proposed', 'Labeled', 'yes', 'Share of yes', 'Broken or bot'],
      rows: d.strategies.map((s) => [s.strategy, String(s.proposed), String(s.labeled), String(s.yes), s.share === null ? 'n/a' : pct(s.share), String(s.excluded)]),
    }, 'strategies')
    : el('p', { class: 'muted' }, 'No batches yet.');
  const probes = d.probes.versions.length
    ? el('table', { class: 'probes' },
      el('caption', {}, 'Probability of "yes" for each probe sentence, per model version'),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Probe'), ...d.probes.versions.map((v) => el('th', { scope: 'col' }, v)))),
      el('tbody', {}, ...d.probes.rows.map((r) => el('tr', {}, el('th', { scope: 'row', class: 'probe-text' }, r.text), ...r.cells.map(probeCell)))))
    : el('p', { class: 'muted' }, 'No model trained yet: retrain to see how models rate the probe sentences.');
  // Why no model could score them (Restricted Mode, no onnxruntime here), said once under the table.
  const reasons = [...new Set(d.probes.rows.flatMap((r) => r.cells.flatMap((c) => ('error' in c ? [c.error] : []))))];
  const probeNote = reasons.length ? el('p', { class: 'muted', id: 'probe-note' }, `Unavailable: ${reasons.join('; ')}`) : null;
  const editProbes = el('vscode-button' as 'button', { id: 'edit-probes', secondary: '' }, 'Edit probe sentences...');
  editProbes.addEventListener('click', () => vscode.postMessage({ type: 'editProbes' }));

  // A redraw (after every label) keeps the reader's place: open data tables and the scroll position.
  const open = new Set(Array.from(document.querySelectorAll('figure[data-chart] details[open]')).map((d) => d.closest('figure')!.getAttribute('data-chart')));
  const scroll = window.scrollY;
  app.replaceChildren(
    el('header', {}, el('h1', {}, 'Security Review Dashboard'),
      el('p', { class: 'muted' }, `${d.labeled.toLocaleString('en-US')} of ${d.pool.toLocaleString('en-US')} reviews labeled; updated ${new Date(generatedAt).toLocaleTimeString()}.`)),
    section('Labels', 'labels', counts),
    ...(d.cwe ? [section('CWE tags', 'cwe', table(d.cwe, 'cwe'))] : []),
    ...(d.agreement ? [section('Agreement between annotators', 'agreement',
      el('p', { id: 'agreement-headline' }, d.agreement.headline), table(d.agreement.coefficients, 'agreement'), table(d.agreement.confusion, 'confusion'))] : []),
    section('Identification rate per label', 'rates',
      d.rates ? el('div', { class: 'charts' }, chart(d.rates.perIteration), chart(d.rates.cumulative)) : el('p', { class: 'muted' }, 'No labels yet.')),
    section('Estimates', 'estimates',
      estimate('Prevalence of "yes" in the pool', d.estimates.prevalence, 'prevalence'),
      estimate('Yield against random sampling', d.estimates.yieldFactor, 'yield'),
      estimate('Left to find', d.estimates.positivesLeft, 'left'),
      estimate('Knee stopping rule', d.estimates.knee, 'knee'),
      estimate('Target-recall stopping rule', d.estimates.targetRecall, 'target-recall'),
      estimate('Near-duplicates', d.estimates.nearDuplicates, 'near-duplicates')),
    section('Time and ETA', 'time', ...(d.time
      ? [estimate('Expected in the open batch', d.time.openBatch, 'open-batch'), estimate('ETA', d.time.eta, 'eta'),
        d.time.pace.rows.length ? table(d.time.pace, 'pace') : el('p', { class: 'muted' }, 'No label typed yet.')]
      : [el('p', { class: 'muted' }, 'No labels yet.')])),
    section('Yield per candidate-selection strategy', 'strategies', strategies),
    section('Training curves', 'models',
      d.models.length ? el('div', { class: 'charts' }, ...d.models.map((m) => chart(m.chart))) : el('p', { class: 'muted' }, 'No model trained yet.')),
    section('Probe sentences', 'probes', probes, probeNote, el('p', {}, editProbes)),
  );
  for (const id of open) document.querySelector(`figure[data-chart="${id}"] details`)?.setAttribute('open', '');
  window.scrollTo(0, scroll);
}

window.addEventListener('message', (e: MessageEvent<DashboardHostToWebview>) => {
  const m = e.data;
  if (m.type === 'data') render(m.data, m.generatedAt);
  else if (m.type === 'empty') app.replaceChildren(el('h1', {}, 'Security Review Dashboard'), el('p', { class: 'empty' }, m.message));
});

vscode.postMessage({ type: 'ready' });
