/**
 * The labeling panel's UI. Keyboard first: keys are handled here (and stopped, so the workbench does
 * not act on them twice); every action is a message to the host, which answers with the next view
 * only after the label is on disk. While labeling a batch the host sends the review that follows
 * ahead (`upcoming`), and a label key shows it at once while the label is written: the status line
 * says "Saving" until the host's answer says it is on disk, and a failed write brings the labeled
 * review back with the error. Untrusted text arrives as host-rendered HTML and is sanitized again
 * before insertion; everything else is set as text.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-bar/index.js';
import type { BatchProgress, CandidateView, CodingsView, GroupOffer, HostToWebview, LabelGuideline, LabelingPanelState, NearDuplicatesView, PanelMode, SecondOpinionView, WebviewToHost } from '../../src/protocol/webview';
import type { Label } from '../../src/core/labels';
import { PANEL_ACTION_KEYS, PANEL_KEYS } from '../../src/core/defaults';
import { sanitizeToFragment } from '../shared/sanitize';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): LabelingPanelState | undefined;
  setState(state: LabelingPanelState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;

let guidelines: LabelGuideline[] = [];
let candidate: CandidateView | null = null;
/** The progress the host sent last: what is on disk. */
let progress: BatchProgress | undefined;
let groupOffer: GroupOffer | undefined;
let mode: PanelMode = 'label';
let readOnlyReason: string | undefined;
let nextRequestId = 1;
/** performance.now() of the key that asked for the next view, to report keypress-to-paint latency. */
let pendingKeyAt: number | undefined;
/**
 * True from a label/undo/skip/mode request until the host's `show` that answers it (same request
 * id): keys typed meanwhile wait in `queuedKeys`. A `show` that another event posted meanwhile
 * (an import, new opinions) is painted but does not release them.
 */
let awaitingShow = false;
let awaitedRequest: number | undefined;
/** When the awaited request's key was pressed. */
let awaitedAt = 0;
const queuedKeys: KeyboardEvent[] = [];
/** What the awaited request asked for, to announce its outcome with the view that answers it. */
type Action = { kind: 'label'; label: Label; reviewId: string } | { kind: 'undo' } | { kind: 'skip' } | { kind: 'mode' };
let awaitedAction: Action | undefined;
/** After this long without an answer a request is given up on (keys are free again), and a label says it is not confirmed yet. */
const STALE_REQUEST_MS = 5000;
/** Labels sent and not yet answered, by request ("‹label› for review N"); the status line speaks of the last one. */
const unconfirmed = new Map<number, string>();
let lineRequest: number | undefined;

/** The view a label on review `after` leads to, sent ahead by the host; its DOM is built while the panel is idle. */
interface Upcoming { after: string; candidate: CandidateView; dom?: HTMLElement }
let upcoming: Upcoming | undefined;
/**
 * A label whose next review is on screen before the host's answer: `review` (and the offer and
 * upcoming view that went with it) comes back if the write fails. One at a time: keys typed
 * before the answer wait for it, as after any request.
 */
let ahead: { requestId: number; review: CandidateView; offer: GroupOffer | undefined; upcoming: Upcoming } | undefined;

/**
 * A polite live region, outside the re-rendered app so screen readers keep tracking it: it says
 * the label just given and which review comes next (the view itself changes silently otherwise).
 */
const announcer = document.createElement('div');
announcer.id = 'announce';
announcer.className = 'sr-only';
announcer.setAttribute('role', 'status');
announcer.setAttribute('aria-live', 'polite');
announcer.setAttribute('aria-atomic', 'true');
document.body.append(announcer);

function announce(action: Action | undefined, msg: Extract<HostToWebview, { type: 'show' }>): void {
  const c = msg.candidate;
  const done = action?.kind === 'label' ? `Labeled ${msg.guidelines.find((g) => g.id === action.label)?.title ?? action.label}.`
    : action?.kind === 'undo' ? 'Label undone.' : action?.kind === 'skip' ? 'Skipped.' : '';
  const where = c ? `${action?.kind === 'undo' ? 'Back to' : 'Now'} review ${c.index && c.batchSize ? `${c.index} of ${c.batchSize}` : c.reviewId}, ${c.meta.repo}${c.meta.path ? `, ${c.meta.path}` : ''}${c.currentLabel ? `, labeled ${c.currentLabel}` : ''}.`
    : msg.emptyMessage ?? 'Nothing to label.';
  announcer.textContent = `${done} ${where}`.trim();
}

function send(message: WebviewToHost): void {
  vscode.postMessage(message);
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function isolated(text: string, cls = ''): HTMLElement {
  // <bdi> keeps right-to-left or override characters in one field from reordering its neighbours.
  return el('bdi', cls ? { class: cls } : {}, text);
}

function keyOf(label: Label): string {
  return guidelines.find((g) => g.id === label)?.key ?? '?';
}

/**
 * The parts that stay on screen from one candidate to the next (progress, label buttons, keys) are
 * built once and updated in place: rebuilding a dozen custom elements per keypress costs more than
 * the whole candidate view.
 */
interface Shell {
  signature: string;
  root: HTMLElement;
  position: HTMLElement;
  batchLine: HTMLElement;
  session: HTMLElement;
  /** Whether the last label is being written, on disk, or failed. */
  saveState: HTMLElement;
  adjudicate: HTMLElement;
  bar: HTMLElement;
  offer: HTMLElement;
  badges: Map<string, HTMLElement>;
  buttons: Map<string, HTMLElement>;
  slot: HTMLElement;
}
let shell: Shell | undefined;

function buildShell(): Shell {
  const position = el('strong', { id: 'position' });
  const batchLine = el('span', {});
  const session = el('span', { class: 'session', id: 'session-rate' });
  const saveState = el('span', { class: 'save-state', id: 'save-state' });
  const adjudicate = el('a', { class: 'adjudicate-link', id: 'adjudicate-link', tabindex: '0', role: 'button', hidden: '' });
  const bar = el('vscode-progress-bar' as 'div', { 'aria-label': 'batch progress' });
  const badges = new Map<string, HTMLElement>();
  const counts = el('div', { class: 'counts' }, ...guidelines.map((g) => {
    const badge = el('vscode-badge' as 'span', {}, '0');
    badges.set(g.id, badge);
    return el('span', { class: `count count-${g.id}`, title: g.title }, `${g.id} `, badge);
  }));
  const progress = el('div', { class: 'progress', id: 'progress' }, el('div', { class: 'progress-line' }, position, batchLine, saveState, session, adjudicate), bar, counts);
  const buttons = new Map<string, HTMLElement>();
  const labelRow = el('div', { class: 'labels', role: 'group', 'aria-label': 'labels' }, ...guidelines.map((g) => {
    const b = el('vscode-button' as 'button', { class: 'label-button', 'data-label': g.id, title: g.description, secondary: '' }, `${g.key} ${g.title}`);
    buttons.set(g.id, b);
    return b;
  }));
  const slot = el('div', { class: 'slot', id: 'slot' });
  const offer = el('div', { class: 'banner group-offer', id: 'group-offer', role: 'status', hidden: '' });
  const guide = renderGuidelines();
  guide.hidden = !guidelinesVisible;
  const keys = renderKeys();
  keys.hidden = !helpVisible;
  const K = (k: string) => el('kbd', {}, k.toUpperCase());
  const footer = el('div', { class: 'footer' }, el('span', { class: 'muted' }, 'Keys: ', ...guidelines.map((g) => el('span', {}, el('kbd', {}, g.key), ` ${g.id} `)),
    el('kbd', {}, '⌫'), ' undo ', K(PANEL_KEYS.skip), ' skip ', K(PANEL_KEYS.note), ' note ', K(PANEL_KEYS.openComment), ' GitHub ', K(PANEL_KEYS.diff), ' diff ',
    K(PANEL_KEYS.adjudicate), ' adjudicate ', K(PANEL_KEYS.nearDuplicates), ' near-duplicates ', K(PANEL_KEYS.cwe), ' CWE ', K(PANEL_KEYS.help), ' all keys'), keys, guide);
  const root = el('div', { class: 'root' }, progress, labelRow, offer, slot, footer);
  return { signature: JSON.stringify(guidelines), root, position, batchLine, session, saveState, adjudicate, bar, offer, badges, buttons, slot };
}

/** The status line of the last label: being written (`saving`), on disk (`saved`), or not saved (`failed`). */
function setSaveState(state: 'saving' | 'saved' | 'failed' | undefined, text = ''): void {
  document.body.dataset.saveState = state ?? '';
  if (!shell) return;
  shell.saveState.textContent = text;
  shell.saveState.className = state ? `save-state ${state}` : 'save-state';
}

function updateProgress(p: BatchProgress): void {
  if (!shell) return;
  const rate = p.sessionIdentificationRate === undefined ? 'n/a' : `${(100 * p.sessionIdentificationRate).toFixed(1)}%`;
  mode = p.mode;
  document.body.dataset.mode = p.mode;
  if (p.mode === 'search' && p.search) {
    const s = p.search;
    shell.position.textContent = `Search results: ${s.position ? `${s.position} of ${s.results}` : `${s.results} results`}`;
    shell.batchLine.textContent = ` for "${s.query}"; ${s.labeled}/${s.results} labeled${s.matched > s.results ? ` (${s.matched.toLocaleString()} matches, the first ${s.results} held)` : ''}`;
    shell.bar.setAttribute('value', String(s.labeled));
    shell.bar.setAttribute('max', String(Math.max(1, s.results)));
  } else if (p.mode === 'adjudicate') {
    const which = p.adjudicationSource === 'second-opinion' ? ' (second opinions)' : p.adjudicationSource === 'annotators' ? ' (between annotators)' : '';
    shell.position.textContent = `Adjudication${which}: ${p.disagreements} left, ${p.adjudicated} decided here.`;
    shell.batchLine.textContent = candidate?.disagreement
      ? ' The annotators\' labels differ: press the key of the final label.'
      : ' The language model\'s second opinion disagrees with your label: press the key of the final label.';
    shell.bar.setAttribute('value', String(p.adjudicated));
    shell.bar.setAttribute('max', String(Math.max(1, p.adjudicated + p.disagreements)));
  } else {
    shell.position.textContent = candidate?.index && candidate.batchSize ? `${candidate.index} of ${candidate.batchSize}` : `${p.done} of ${p.total} labeled`;
    shell.batchLine.textContent = p.batchId ? ` batch ${p.batchId}, iteration ${p.iteration ?? '?'}; ${p.done}/${p.total} labeled` : ' no batch';
    shell.bar.setAttribute('value', String(p.done));
    shell.bar.setAttribute('max', String(Math.max(1, p.total)));
  }
  shell.session.textContent = ` session: ${p.sessionPositive} yes of ${p.sessionLabeled} (identification rate ${rate}); ${p.totalLabeled} labeled in all`;
  shell.adjudicate.textContent = p.mode === 'adjudicate' ? 'A: back to the batch' : p.mode === 'search' ? 'Back to the batch'
    : `${p.disagreements} disagreement${p.disagreements === 1 ? '' : 's'}${p.adjudicationSource === 'second-opinion' ? ' (second opinions)' : p.adjudicationSource === 'annotators' ? ' (between annotators)' : ''}: A to adjudicate`;
  shell.adjudicate.toggleAttribute('hidden', p.mode === 'label' && p.disagreements === 0);
  for (const [id, badge] of shell.badges) badge.textContent = String(p.counts[id as Label] ?? 0);
}

function updateButtons(c: CandidateView | null): void {
  if (!shell) return;
  for (const [id, b] of shell.buttons) {
    const current = c?.currentLabel === id;
    b.classList.toggle('current', current);
    b.toggleAttribute('secondary', !current);
    b.toggleAttribute('disabled', !c || readOnlyReason !== undefined);
  }
}

function renderPrediction(c: CandidateView): HTMLElement | null {
  if (!c.prediction) return c.strategy ? el('div', { class: 'prediction muted' }, 'No model prediction: no trained model yet.') : null;
  const rows = c.prediction.labels.map((label, i) => {
    const p = c.prediction!.probabilities[i] ?? 0;
    const meter = el('span', { class: 'meter' }, el('span', { class: `meter-fill w${Math.round(p * 20) * 5}` }));
    return el('div', { class: 'prob' }, el('span', { class: 'prob-label' }, label), meter, el('span', { class: 'prob-value' }, p.toFixed(3)));
  });
  return el('div', { class: 'prediction', title: `model ${c.prediction.modelVersion}` }, el('div', { class: 'muted' }, `Model ${c.prediction.modelVersion} predicts:`), ...rows);
}

function titleOf(label: string): string {
  return guidelines.find((g) => g.id === label)?.title ?? label;
}

/** The disagreeing second opinion, with which key keeps the label and which takes the model's. */
function renderOpinion(o: SecondOpinionView): HTMLElement {
  const votes = o.counts.map((c) => `${c.label} ${c.votes}`).join(', ');
  const summary = el('div', { class: 'opinion-summary' },
    'You said ', el('strong', {}, o.humanLabel), `; ${o.model} voted ${votes || 'nothing usable'} in ${o.samples} samples`,
    o.majority ? ` (majority ${o.majority}, ${Math.round(o.agreement * 100)}%)` : '', o.failures ? `; ${o.failures} without an answer` : '', '.');
  const hint = el('div', { class: 'opinion-hint' },
    el('kbd', {}, keyOf(o.humanLabel)), ` keeps ${titleOf(o.humanLabel)}`,
    ...(o.majority && o.majority !== o.humanLabel ? [', ', el('kbd', {}, keyOf(o.majority)), ` changes it to ${titleOf(o.majority)}`] : []),
    '; any other label key records that label. Both values are kept in the history.');
  const reasons = o.reasons.length
    ? el('ul', { class: 'opinion-reasons' }, ...o.reasons.map((r) => el('li', {}, el('strong', {}, `${r.label}: `), isolated(r.text))))
    : null;
  return el('section', { class: 'opinion', id: 'second-opinion', 'aria-label': 'second opinion' },
    el('div', { class: 'opinion-title' }, `Second opinion (${o.at.slice(0, 10)})`), summary, reasons, hint);
}

/** The review's near-duplicates: how many, their labels, and the first few (a click shows one). */
function renderNearDuplicates(n: NearDuplicatesView): HTMLElement {
  const labels = n.labels.map((l) => `${l.label} ${l.count}`).join(', ');
  const title = `${n.total} near-duplicate${n.total === 1 ? '' : 's'}: ${n.unlabeled} without a label${labels ? `; labeled ${labels}` : ''}`;
  const items = n.members.map((m) => el('li', {},
    el('a', { class: 'nd-open', 'data-review': m.reviewId, tabindex: '0', role: 'link', title: `show review ${m.reviewId}` }, m.reviewId), ' ',
    el('span', { class: 'muted' }, isolated(m.repo), ' · ', isolated(m.path || '(no path)'),
      m.similarity === undefined ? '' : ` · ${Math.round(m.similarity * 100)}% similar`, ` · ${m.label ?? 'no label'}`),
    el('div', { class: 'nd-excerpt' }, isolated(m.excerpt))));
  return el('details', { class: 'near-duplicates', id: 'near-duplicates' },
    el('summary', {}, title),
    el('ul', {}, ...items),
    n.total > n.members.length ? el('div', { class: 'muted' }, `and ${n.total - n.members.length} more`) : null);
}

function updateOffer(): void {
  if (!shell) return;
  const o = groupOffer;
  shell.offer.toggleAttribute('hidden', !o);
  if (!o) { shell.offer.replaceChildren(); return; }
  const many = o.unlabeled === 1 ? 'near-duplicate' : 'near-duplicates';
  shell.offer.replaceChildren(
    o.shown ? `This review (${o.label}) has ${o.unlabeled} ${many} without a label: apply ${o.label} to all? ` : `The review you just labeled ${o.label} has ${o.unlabeled} ${many} without a label: apply ${o.label} to all? `,
    el('kbd', {}, PANEL_KEYS.nearDuplicates.toUpperCase()));
}

function renderDisagreement(d: CodingsView): HTMLElement {
  const list = el('ul', { class: 'codings' }, ...d.codings.map((c) => el('li', { 'data-annotator': c.annotator }, el('strong', {}, isolated(c.annotator)), `: ${titleOf(c.label)} (`, el('kbd', {}, keyOf(c.label)), ')')));
  return el('section', { class: 'opinion', id: 'disagreement', 'aria-label': 'disagreement between annotators' },
    el('div', { class: 'opinion-title' }, 'Annotators disagree'), list,
    el('div', { class: 'opinion-hint' }, 'Press the key of the final label: it is recorded as your decision, and every annotator\'s label is kept beside it.'));
}

function linkButton(text: string, url: string): HTMLElement {
  const a = el('a', { class: 'meta-link', 'data-href': url, tabindex: '0', role: 'link', title: url }, text);
  return a;
}

function renderCandidate(c: CandidateView): HTMLElement {
  const m = c.meta;
  const meta = el('div', { class: 'meta' },
    el('div', { class: 'meta-title' },
      linkButton(`${m.repo}`, `https://github.com/${m.repo}`), ' ',
      linkButton(`#${m.pull}`, m.pullUrl), m.prTitle ? el('span', { class: 'muted' }, ' ', isolated(m.prTitle)) : null),
    el('div', {}, el('span', { class: 'path' }, isolated(m.path || '(no file path)')), m.lineLabel ? el('span', { class: 'muted' }, ` ${m.lineLabel}`) : null),
    el('div', { class: 'muted' }, 'by ', isolated(m.author ?? 'unknown author'), m.createdAt ? ` on ${m.createdAt.slice(0, 10)}` : '', ' · ',
      linkButton('comment on GitHub', m.url)),
    el('div', { class: 'muted', id: 'provenance' },
      c.batchId ? `Batch ${c.batchId}, iteration ${c.iteration}, item ${c.index} of ${c.batchSize}; proposed by ${c.strategy ?? '?'}` : 'Not in a batch',
      c.score !== undefined ? ` (score ${formatScore(c.score)})` : '', c.modelVersion ? `, model ${c.modelVersion}` : ''));
  const body = el('div', { class: 'body', id: 'body', dir: 'auto' });
  body.append(sanitizeToFragment(c.bodyHtml));
  const more = c.bodyShown < c.bodyTotal
    ? el('div', { class: 'truncated', id: 'truncated' }, `Showing ${c.bodyShown.toLocaleString()} of ${c.bodyTotal.toLocaleString()} characters. `,
        el('vscode-button' as 'button', { id: 'show-more', secondary: '' }, 'Show more'))
    : null;
  const status = el('div', { class: 'label-status', id: 'label-status' },
    c.currentLabel ? `Labeled: ${c.currentLabel} (press a key to change it)` : 'Not labeled yet',
    c.currentLabel === 'yes' ? el('div', { class: 'muted', id: 'cwe' }, c.cwe?.length ? `CWE: ${c.cwe.map((t) => (t.title ? `${t.id} ${t.title}` : t.id)).join('; ')} (C to change)` : 'C adds CWE tags') : null,
    c.coders ? el('div', { class: 'muted', id: 'coders' }, `Double-coded by ${c.coders.join(' and ')}; you label as ${c.annotator ?? '?'}. The other labels stay hidden until all have labeled.`) : null,
    c.note ? el('div', { class: 'note', id: 'note' }, 'Note: ', isolated(c.note)) : null);
  const diff = el('div', { class: 'diff-pane', id: 'diff' });
  if (c.diffHtml) diff.append(sanitizeToFragment(c.diffHtml));
  else diff.append(el('p', { class: 'muted' }, 'No diff hunk recorded for this review. Press D to fetch the files from GitHub.'));
  return el('div', { class: 'candidate', 'data-review-id': c.reviewId },
    el('section', { class: 'left' }, meta, c.secondOpinion ? renderOpinion(c.secondOpinion) : null, c.disagreement ? renderDisagreement(c.disagreement) : null, renderPrediction(c), body, more, status,
      c.nearDuplicates ? renderNearDuplicates(c.nearDuplicates) : null),
    el('section', { class: 'right' }, el('div', { class: 'muted diff-title' }, `Diff${c.diffLanguage ? ` (${c.diffLanguage})` : ''}: D opens the full files`), diff));
}

function formatScore(s: number): string {
  return Math.abs(s) >= 0.001 || s === 0 ? s.toFixed(3) : s.toExponential(2);
}

function renderKeys(): HTMLElement {
  const keys: [string, string][] = [
    ...guidelines.map((g): [string, string] => [g.key, `${g.title} (and advance)`]),
    ['Backspace / Ctrl+Z', 'undo the last label (any review, across sessions)'], [PANEL_KEYS.skip, 'skip'], [PANEL_KEYS.note, 'add a note'],
    [PANEL_KEYS.openComment, 'open the comment on GitHub'], [PANEL_KEYS.diff, 'open the diff view'], [PANEL_KEYS.adjudicate, 'adjudicate disagreements (second opinions, annotators), or back to the batch'],
    [PANEL_KEYS.nearDuplicates, 'apply the label just given to its near-duplicates without a label'],
    [PANEL_KEYS.cwe, 'CWE tags of a yes label (Top 25, review-level, or any id); on an unlabeled review, yes with those tags'],
    [PANEL_KEYS.guidelines, 'labeling guidelines'], [PANEL_KEYS.help, 'show or hide these keys'],
  ];
  return el('div', { class: 'keys', id: 'keys' }, ...keys.map(([k, v]) => el('span', { class: 'key-hint' }, el('kbd', {}, k.length === 1 ? k.toUpperCase() : k), ` ${v}`)));
}

function renderGuidelines(): HTMLElement {
  return el('div', { class: 'guidelines', id: 'guidelines' },
    el('h3', {}, 'Labeling guidelines (Table 4)'),
    el('table', {}, ...guidelines.map((g) => el('tr', {}, el('td', {}, el('kbd', {}, g.key)), el('td', {}, el('strong', {}, g.title)), el('td', {}, g.description)))));
}

let helpVisible = false;
let guidelinesVisible = false;

/** Shows the host's view; `keepCandidate`: the candidate on screen is this view already (shown ahead), only the rest changes. */
function render(msg: Extract<HostToWebview, { type: 'show' }>, keepCandidate = false): void {
  guidelines = msg.guidelines;
  if (!keepCandidate) candidate = msg.candidate;
  groupOffer = msg.groupOffer;
  readOnlyReason = msg.readOnlyReason;
  progress = msg.progress;
  if (!shell || shell.signature !== JSON.stringify(guidelines)) {
    shell = buildShell();
    app.replaceChildren(shell.root);
    keepCandidate = false;
  }
  const banner = document.getElementById('readonly');
  if (readOnlyReason && !banner) shell.root.prepend(el('div', { class: 'banner readonly', id: 'readonly', role: 'alert' }, `Read-only: ${readOnlyReason}`));
  else if (!readOnlyReason) banner?.remove();
  updateProgress(msg.progress);
  updateButtons(candidate);
  updateOffer();
  if (!keepCandidate) shell.slot.replaceChildren(candidate ? renderCandidate(candidate) : el('div', { class: 'empty', id: 'empty' }, msg.emptyMessage ?? 'Nothing to label.'));
  vscode.setState({ reviewId: candidate?.reviewId, batchId: candidate?.batchId ?? msg.progress.batchId, mode: msg.progress.mode });
}

function toast(level: 'info' | 'warning' | 'error', text: string): void {
  const t = el('div', { class: `toast ${level}`, role: level === 'error' ? 'alert' : 'status' }, text);
  document.body.append(t);
  setTimeout(() => t.remove(), level === 'error' ? 8000 : 3000);
}

function act(e: KeyboardEvent): boolean {
  const key = e.key;
  const c = candidate;
  const at = e.timeStamp || performance.now();
  if ((key === 'z' || key === 'Z') && (e.ctrlKey || e.metaKey) && !e.shiftKey) return request({ type: 'undo', requestId: nextRequestId++ }, at);
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  if (key === 'Backspace') return request({ type: 'undo', requestId: nextRequestId++ }, at);
  const lower = key.toLowerCase();
  if (key === PANEL_KEYS.help) { helpVisible = !helpVisible; document.getElementById('keys')?.toggleAttribute('hidden', !helpVisible); return true; }
  if (lower === PANEL_KEYS.guidelines) { guidelinesVisible = !guidelinesVisible; document.getElementById('guidelines')?.toggleAttribute('hidden', !guidelinesVisible); return true; }
  if (lower === PANEL_KEYS.adjudicate) return request({ type: 'mode', requestId: nextRequestId++, mode: mode === 'adjudicate' ? 'label' : 'adjudicate' }, at);
  if (lower === PANEL_KEYS.nearDuplicates) {
    if (!groupOffer) { toast('info', 'No near-duplicates without a label to apply a label to.'); return true; }
    if (readOnlyReason) { toast('error', `Read-only: ${readOnlyReason}`); return true; }
    return request({ type: 'applyToGroup', requestId: nextRequestId++, reviewId: groupOffer.reviewId }, at);
  }
  const label = guidelines.find((g) => g.key === key)?.id;
  if (!c) return label !== undefined;
  if (label) {
    if (readOnlyReason) { toast('error', `Read-only: ${readOnlyReason}`); return true; }
    return labelShown(c, label, at);
  }
  switch (lower) {
    case PANEL_KEYS.skip: return request({ type: 'skip', requestId: nextRequestId++, reviewId: c.reviewId }, at);
    case PANEL_KEYS.note: send({ type: 'note', requestId: nextRequestId++, reviewId: c.reviewId }); return true;
    case PANEL_KEYS.cwe: send({ type: 'cwe', requestId: nextRequestId++, reviewId: c.reviewId }); return true;
    case PANEL_KEYS.openComment: send({ type: 'openComment', reviewId: c.reviewId }); return true;
    case PANEL_KEYS.diff: send({ type: 'openDiff', reviewId: c.reviewId }); return true;
    default: return false;
  }
}

/**
 * Requests that lead to a new view: later keys wait until it arrives, so each key acts on what is
 * shown. `at`: when the key was pressed (or the click made).
 */
function request(message: WebviewToHost & { requestId: number }, at: number): boolean {
  pendingKeyAt = at;
  awaitedAt = at;
  awaitingShow = true;
  awaitedRequest = message.requestId;
  awaitedAction = actionOf(message);
  send(message);
  if (message.type !== 'label') {
    lineRequest = undefined;
    setSaveState(undefined);
    return true;
  }
  const what = `${titleOf(message.label)} for review ${message.reviewId}`;
  unconfirmed.set(message.requestId, what);
  lineRequest = message.requestId;
  setSaveState('saving', `Saving ${what}…`);
  // A host that never answers must not leave "Saving…" standing as if all were well.
  setTimeout(() => {
    if (lineRequest !== message.requestId || !unconfirmed.has(message.requestId) || document.body.dataset.saveState !== 'saving') return;
    setSaveState('saving', `No answer from the extension after ${STALE_REQUEST_MS / 1000} s: ${what} is not confirmed on disk yet. If this stays, see the Security Review output.`);
    announcer.textContent = shell?.saveState.textContent ?? '';
  }, STALE_REQUEST_MS);
  return true;
}

function actionOf(m: WebviewToHost): Action | undefined {
  return m.type === 'label' ? { kind: 'label', label: m.label, reviewId: m.reviewId } : m.type === 'undo' ? { kind: 'undo' } : m.type === 'skip' ? { kind: 'skip' } : m.type === 'mode' ? { kind: 'mode' } : undefined;
}

/** A label on the shown review: the review that follows is shown at once when the host sent it ahead. */
function labelShown(c: CandidateView, label: Label, at: number): boolean {
  const next = upcoming?.after === c.reviewId && mode === 'label' && shell ? upcoming : undefined;
  const requestId = nextRequestId++;
  request({ type: 'label', requestId, reviewId: c.reviewId, label }, at);
  if (!next || !shell) return true;
  const t0 = performance.now();
  ahead = { requestId, review: c, offer: groupOffer, upcoming: next };
  upcoming = undefined;
  delete document.body.dataset.upcomingAfter;
  candidate = next.candidate;
  // The offer is about the review just left; the host's answer brings the one that holds now.
  groupOffer = undefined;
  if (progress) updateProgress(progress);
  updateButtons(candidate);
  updateOffer();
  shell.slot.replaceChildren(next.dom ?? renderCandidate(candidate));
  next.dom = undefined;
  const domDone = performance.now();
  pendingKeyAt = undefined;
  markPainted(at, t0, domDone, true);
  return true;
}

/** Runs `then` just after the next paint: the frame callback runs before it, a task queued from there after it. */
function afterPaint(then: (now: number) => void): void {
  requestAnimationFrame(() => setTimeout(() => then(performance.now()), 0));
}

/** Records the time from a key to the paint of the view it led to, and its parts (the DOM update, the wait for the paint). */
function markPainted(keyAt: number, t0: number, domDone: number, shownAhead: boolean): void {
  document.body.dataset.lastDomMs = (domDone - t0).toFixed(2);
  document.body.dataset.lastAhead = shownAhead ? '1' : '0';
  afterPaint((now) => {
    document.body.dataset.lastLatencyMs = (now - keyAt).toFixed(2);
    document.body.dataset.lastPaintWaitMs = (now - domDone).toFixed(2);
  });
}

/** A label whose write failed: the review shown ahead gives way to the labeled one again, with the error. */
function labelFailed(error: string | undefined): void {
  const back = ahead;
  ahead = undefined;
  const text = `${error ?? 'The label was NOT saved.'}${back ? ` Review ${back.review.reviewId} is shown again.` : ''}`;
  setSaveState('failed', text);
  announcer.textContent = text;
  if (!back || !shell) return;
  candidate = back.review;
  groupOffer = back.offer;
  upcoming = { after: back.review.reviewId, candidate: back.upcoming.candidate };
  document.body.dataset.upcomingAfter = upcoming.after;
  if (progress) updateProgress(progress);
  updateButtons(candidate);
  updateOffer();
  shell.slot.replaceChildren(renderCandidate(candidate));
}

/** Builds the upcoming view's DOM while the panel is idle, so the key that shows it only swaps it in. */
function prepare(u: Upcoming): void {
  requestIdleCallback(() => { if (upcoming === u && !u.dom) u.dom = renderCandidate(u.candidate); }, { timeout: 250 });
}

function isActionKey(e: KeyboardEvent): boolean {
  if ((e.ctrlKey || e.metaKey) && (e.key === 'z' || e.key === 'Z')) return true;
  if (e.ctrlKey || e.metaKey || e.altKey) return false;
  return e.key === 'Backspace' || e.key === '?' || /^[a-zA-Z0-9]$/.test(e.key) && (guidelines.some((g) => g.key === e.key) || PANEL_ACTION_KEYS.includes(e.key));
}

document.addEventListener('keydown', (e) => {
  if (e.repeat && e.key === 'Backspace') return;
  if (!isActionKey(e)) return; // everything else goes to the workbench as usual
  // Stop here: VS Code forwards unhandled webview keys to its keybinding service, which would act twice.
  e.preventDefault();
  e.stopPropagation();
  document.body.dataset.lastKey = e.key;
  if (awaitingShow) { if (queuedKeys.length < 20) queuedKeys.push(e); return; }
  act(e);
});

document.addEventListener('click', (e) => {
  const target = e.target as Element | null;
  const labelButton = target?.closest('[data-label]');
  if (labelButton && candidate && !awaitingShow) {
    if (readOnlyReason) { toast('error', `Read-only: ${readOnlyReason}`); return; }
    labelShown(candidate, labelButton.getAttribute('data-label') as Label, performance.now());
    return;
  }
  if (target?.closest('#adjudicate-link') && !awaitingShow) {
    request({ type: 'mode', requestId: nextRequestId++, mode: mode === 'label' ? 'adjudicate' : 'label' }, performance.now());
    return;
  }
  const nearDuplicate = target?.closest('[data-review]');
  if (nearDuplicate && !awaitingShow) {
    request({ type: 'openReview', requestId: nextRequestId++, reviewId: nearDuplicate.getAttribute('data-review') ?? '' }, performance.now());
    return;
  }
  if (target?.closest('#show-more') && candidate) {
    send({ type: 'showMore', reviewId: candidate.reviewId, limit: candidate.bodyShown * 4 });
    return;
  }
  const link = target?.closest('[data-href]');
  if (link) {
    e.preventDefault();
    send({ type: 'openLink', url: link.getAttribute('data-href') ?? '' });
  }
});

window.addEventListener('message', (event: MessageEvent<HostToWebview>) => {
  const msg = event.data;
  switch (msg.type) {
    case 'show': {
      const t0 = performance.now();
      // A view posted for another reason while a request is out does not answer it (a stale
      // request, over 5 s old, is given up rather than freezing the keys).
      const unanswered = awaitingShow && msg.requestId !== awaitedRequest && t0 - awaitedAt < STALE_REQUEST_MS;
      const answered = awaitingShow && !unanswered;
      // Where a keypress's time goes: the two trips between webview and host (key to this message, less the host's part).
      if (answered && msg.hostTiming) document.body.dataset.lastTransitMs = (t0 - awaitedAt - msg.hostTiming.hostMs).toFixed(2);
      // The host answers a label only once it is on disk (a view that ends a wait given up on says nothing about it).
      const replied = answered && msg.requestId === awaitedRequest;
      const saved = replied && awaitedAction?.kind === 'label' ? awaitedAction : undefined;
      const late = !replied && msg.requestId !== undefined ? unconfirmed.get(msg.requestId) : undefined;
      if (msg.requestId !== undefined) unconfirmed.delete(msg.requestId);
      if (saved) {
        document.body.dataset.lastSavedMs = (t0 - awaitedAt).toFixed(2);
        setSaveState('saved', `Saved ${titleOf(saved.label)} for review ${saved.reviewId}.`);
      } else if (late !== undefined && msg.requestId === lineRequest) {
        // The answer to a label whose wait was given up on: late, but it is on disk now.
        setSaveState('saved', `Saved ${late}.`);
      }
      // The answer to a label shown ahead: the review on screen stays when it is the host's view, unchanged.
      const keep = replied && ahead !== undefined && msg.progress.mode === 'label' && msg.candidate !== null && candidate !== null
        && msg.candidate.reviewId === candidate.reviewId && msg.candidate.version === candidate.version;
      if (answered) ahead = undefined;
      upcoming = undefined;
      delete document.body.dataset.upcomingAfter;
      render(msg, keep);
      const domDone = performance.now();
      const keyAt = unanswered ? undefined : pendingKeyAt;
      if (!unanswered) pendingKeyAt = undefined;
      if (keyAt !== undefined) markPainted(keyAt, t0, domDone, false);
      const seq = msg.seq;
      afterPaint((now) => {
        document.body.dataset.renderedSeq = String(seq);
        if (msg.hostTiming) document.body.dataset.lastHostTiming = JSON.stringify(msg.hostTiming);
        document.body.dataset.lastRenderMs = (now - t0).toFixed(2);
        send({ type: 'rendered', seq });
      });
      if (unanswered) return;
      if (awaitingShow || msg.candidate?.reason === 'open' || msg.candidate?.reason === 'restore') announce(awaitingShow ? awaitedAction : undefined, msg);
      awaitingShow = false;
      awaitedRequest = undefined;
      awaitedAction = undefined;
      const next = queuedKeys.shift();
      if (next) act(next);
      return;
    }
    case 'upcoming':
      upcoming = { after: msg.after, candidate: msg.candidate };
      document.body.dataset.upcomingAfter = msg.after;
      prepare(upcoming);
      return;
    case 'progress':
      progress = msg.progress;
      updateProgress(msg.progress);
      return;
    case 'bodyMore': {
      if (candidate?.reviewId !== msg.reviewId) return;
      candidate = { ...candidate, bodyHtml: msg.bodyHtml, bodyShown: msg.bodyShown, bodyTotal: msg.bodyTotal };
      const body = document.getElementById('body');
      body?.replaceChildren(sanitizeToFragment(msg.bodyHtml));
      const t = document.getElementById('truncated');
      if (t && msg.bodyShown >= msg.bodyTotal) t.remove();
      else if (t?.firstChild) t.firstChild.textContent = `Showing ${msg.bodyShown.toLocaleString()} of ${msg.bodyTotal.toLocaleString()} characters. `;
      return;
    }
    case 'ack':
      if (!msg.ok) {
        const what = unconfirmed.get(msg.requestId);
        unconfirmed.delete(msg.requestId);
        if (msg.requestId === awaitedRequest && awaitedAction?.kind === 'label') labelFailed(msg.error);
        else if (what !== undefined) {
          // A late failure of a label whose wait was given up on: said, though the panel has moved on.
          const text = `${msg.error ?? 'The label was NOT saved.'} (${what})`;
          setSaveState('failed', text);
          announcer.textContent = text;
          toast('error', text);
        }
        // A refusal of the request being waited for frees the keys (one of a request given up on is not an answer to the current one).
        if (msg.requestId === awaitedRequest) {
          awaitingShow = false; awaitedRequest = undefined; awaitedAction = undefined; queuedKeys.length = 0; pendingKeyAt = undefined;
        }
      }
      return;
    case 'notice':
      toast(msg.level, msg.text);
      return;
    case 'toggleHelp':
      helpVisible = !helpVisible;
      document.getElementById('keys')?.toggleAttribute('hidden', !helpVisible);
      return;
    case 'toggleGuidelines':
      guidelinesVisible = !guidelinesVisible;
      document.getElementById('guidelines')?.toggleAttribute('hidden', !guidelinesVisible);
      return;
  }
});

send({ type: 'ready', state: vscode.getState() });
