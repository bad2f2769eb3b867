/**
 * Integration tests that run INSIDE the extension host of a real workbench (code-server), after the
 * end-to-end scenario has labeled the demo workspace: commands against the real store, the diff
 * provider, the side bar, the status bar and the single-writer lock. Run by the end-to-end harness
 * extension (test/e2e/harness), started from the palette; results go to a JSON file.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type * as vscodeApi from 'vscode';
import type { SecreviewApi } from '../../../src/extension/api';
import { ReadOnlyError } from '../../../src/store/labelDb';
import type { LanguageModelClient } from '../../../src/core/secondOpinion';
import * as secondOpinion from '../../../src/extension/secondOpinion';
import { BatchesTreeProvider } from '../../../src/extension/batchesView';
import { Workspace } from '../../../src/store/workspace';
import { crawlAccount, diffAccount } from '../../../src/extension/github';
import { settings } from '../../../src/extension/settings';

type Vscode = typeof vscodeApi;

export interface ExtensionTestResult { name: string; ok: boolean; ms: number; error?: string }

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => T | undefined | false, what: string, timeout = 10000): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export async function run(vscode: Vscode, ext: SecreviewApi, log: (line: string) => void): Promise<ExtensionTestResult[]> {
  const results: ExtensionTestResult[] = [];
  const test = async (name: string, fn: () => Promise<void> | void) => {
    const t0 = Date.now();
    try {
      await fn();
      results.push({ name, ok: true, ms: Date.now() - t0 });
    } catch (e) {
      results.push({ name, ok: false, ms: Date.now() - t0, error: (e as Error).stack ?? String(e) });
    }
    log(`extension test ${results.at(-1)!.ok ? 'ok' : 'FAILED'}: ${name}`);
  };
  const session = () => {
    const s = ext.host.session();
    if ('missing' in s) throw new Error(s.missing);
    return s;
  };
  const labelsOnDisk = () => JSON.parse(readFileSync(session().ws.labelsFile, 'utf8')) as { events: { kind: string; reviewId: string; label: string | null; note?: string }[] };

  await test('every command in package.json is registered', async () => {
    const pkg = vscode.extensions.getExtension('secreview.security-review-labeler')?.packageJSON as { contributes: { commands: { command: string }[] } };
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = pkg.contributes.commands.map((c) => c.command).filter((c) => !registered.has(c));
    assert(missing.length === 0, `not registered: ${missing.join(', ')}`);
  });

  await test('the workspace is open for writing with the labels the browser made', () => {
    const s = session();
    assert(!s.ws.readOnly, `read-only: ${s.ws.readOnlyReason}`);
    assert(s.ws.db.current().size >= 9, `expected >= 9 labels, found ${s.ws.db.current().size}`);
  });

  await test('Undo Last Label (command) reverts on disk; labeling via the command re-applies it', async () => {
    const s = session();
    const before = s.ws.db.current().size;
    const lastSet = [...labelsOnDisk().events].reverse().find((e) => e.kind === 'set')!;
    await vscode.commands.executeCommand('secreview.undoLastLabel');
    assert(s.ws.db.current().size === before - 1, 'one label less in memory');
    const disk = labelsOnDisk();
    assert(disk.events.at(-1)!.kind === 'undo' && disk.events.at(-1)!.reviewId === lastSet.reviewId, 'the undo event is on disk');
    assert(s.currentId === lastSet.reviewId, 'the panel moved to the review whose label was undone');
    await vscode.commands.executeCommand(`secreview.label.${lastSet.label}`);
    assert(s.ws.db.labelOf(lastSet.reviewId)?.label === lastSet.label, 'the label is back');
    assert(labelsOnDisk().events.at(-1)!.reviewId === lastSet.reviewId, 'and on disk');
  });

  await test('relabeling a reviewed item from the side bar records a new event', async () => {
    const s = session();
    const [id, cur] = [...s.ws.db.current().entries()][0]!;
    const newLabel = cur.label === 'unclear' ? 'no' : 'unclear';
    const events = s.ws.db.events().length;
    await vscode.commands.executeCommand('secreview.openReview', id);
    assert(s.currentId === id, 'the panel shows the chosen review');
    await vscode.commands.executeCommand(`secreview.label.${newLabel}`);
    assert(s.ws.db.labelOf(id)?.label === newLabel, 'relabeled');
    assert(s.ws.db.events().length === events + 1 && s.ws.db.history(id).length >= 2, 'recorded as a new event, history kept');
    await vscode.commands.executeCommand('secreview.openReview', id);
    await vscode.commands.executeCommand(`secreview.label.${cur.label}`);
  });

  await test('Export Dataset... writes every labeled review with its history', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-export-'));
    const file = path.join(dir, 'out.jsonl');
    await vscode.commands.executeCommand('secreview.exportDataset', vscode.Uri.file(file), 'jsonl');
    assert(existsSync(file), 'export file written');
    const rows = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; label: string; history: unknown[]; body: string });
    assert(rows.length === session().ws.db.current().size, `one row per labeled review (${rows.length} vs ${session().ws.db.current().size})`);
    assert(rows.every((r) => r.label && r.body !== undefined && r.history.length >= 1), 'rows carry label, body and history');
  });

  await test('Show Statistics writes the workspace\'s report to the output channel', async () => {
    // The command resolves with the report it wrote (undefined had it failed: commands show errors, never reject).
    const text = await vscode.commands.executeCommand<string | undefined>('secreview.showStatistics');
    const s = session();
    assert(typeof text === 'string', 'the command wrote a report');
    const head = `Pool: ${s.ws.pool.size.toLocaleString('en-US')} reviews; labeled: ${s.ws.db.current().size.toLocaleString('en-US')}`;
    assert(text.includes(head), `the report starts with "${head}": ${text.slice(0, 300)}`);
  });

  await test('Open Diff serves both sides on the secreview-diff scheme and reveals the commented line', async () => {
    const s = session();
    const id = s.ws.db.batches()[0]!.items.find((it) => s.review(it.reviewId)?.diffHunk)!.reviewId;
    await vscode.commands.executeCommand('secreview.openDiff', id);
    const editor = await until(() => vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === 'secreview-diff' && e.document.uri.path.includes('/after/')), 'the diff editor');
    const text = editor.document.getText();
    assert(/partial, reconstructed from the review's diff hunk/.test(text), 'marked partial');
    const review = s.review(id)!;
    const line = review.originalLine ?? review.line;
    if (line !== undefined) {
      assert(editor.visibleRanges.some((r) => r.start.line <= line - 1 && r.end.line >= line - 1), `line ${line} is visible`);
    }
    const before = vscode.workspace.textDocuments.find((d) => d.uri.scheme === 'secreview-diff' && d.uri.path.includes('/before/'));
    assert(before, 'the before side is open too');
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  await test('status bar shows labels so far and batch progress', () => {
    const text = ext.status.item.text;
    assert(/\d+ labeled/.test(text) && /b0001 \d+\/\d+/.test(text), `status bar text: ${text}`);
  });

  await test('a second writer gets a read-only workspace that says why, and cannot write', async () => {
    const folder = session().ws.folder;
    const other = await Workspace.open(folder, { fallBackToReadOnly: true, owner: 'second window (test)' });
    try {
      assert(other.readOnly, 'opened read-only');
      assert(/VS Code window/.test(other.readOnlyReason ?? ''), `the reason names the holder: ${other.readOnlyReason}`);
      let refused = false;
      try {
        await other.db.setLabel({ reviewId: session().ws.db.batches()[0]!.items[0]!.reviewId, label: 'no' });
      } catch (e) {
        refused = e instanceof ReadOnlyError || /read-only/.test((e as Error).message);
      }
      assert(refused, 'writes are refused');
    } finally {
      await other.close();
    }
  });

  await test('the Batches view lists iterations and batches with counts', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.secreview');
    const s = session();
    const batch = s.ws.db.batches()[0]!;
    const labeled = batch.items.filter((it) => s.ws.db.labelOf(it.reviewId)).length;
    // The view's own provider: iterations at the top, their batches, each with its label counts.
    const tree = new BatchesTreeProvider(ext.host);
    const iterations = tree.getChildren();
    const first = iterations.find((n) => n.kind === 'iteration' && n.batches.some((b) => b.id === batch.id));
    assert(first, `an iteration node holds batch ${batch.id}: ${iterations.map((n) => String(tree.getTreeItem(n).label)).join(' | ')}`);
    const batchNode = tree.getChildren(first).find((n) => n.kind === 'batch' && n.batch.id === batch.id)!;
    const item = tree.getTreeItem(batchNode);
    assert(labeled >= 9 && String(item.description).startsWith(`${labeled}/${batch.items.length}`), `batch ${batch.id} shows ${labeled} labeled: ${String(item.description)}`);
    assert(tree.getChildren(batchNode).length === batch.items.length, 'one review node per item');
  });

  await test('Repair Workspace rebuilds a damaged pool index, reopens the workspace for writing and reports it', async () => {
    const before = session();
    const labels = readFileSync(before.ws.labelsFile, 'utf8');
    const records = Array.from({ length: before.ws.pool.size }, (_, row) => before.ws.pool.text(row));
    const index = path.join(before.ws.dir, 'pool', 'index.bin');
    const damaged = readFileSync(index);
    damaged.writeDoubleLE(7, 32 * 3);
    writeFileSync(index, damaged);
    await vscode.commands.executeCommand('secreview.repairWorkspace');
    const after = session();
    assert(after !== before && !after.ws.readOnly, `reopened for writing (${after.ws.readOnlyReason ?? 'writable'})`);
    assert(after.ws.pool.size === records.length && records.every((r, row) => after.ws.pool.text(row) === r), 'every review is back in order');
    assert(readFileSync(after.ws.labelsFile, 'utf8') === labels, 'labels untouched');
    assert(readdirSync(path.join(after.ws.dir, 'pool')).some((n) => n.startsWith('index.bin.damaged-')), 'the damaged index is kept aside');
  });

  await test('Retrain trains a model in the trainer process, records it and opens its batch with predictions', async () => {
    const s = session();
    const models = s.ws.db.models().length;
    const batches = s.ws.db.batches().length;
    // The device setting reaches the trainer (machine scope: set for the user, reset afterwards).
    await vscode.workspace.getConfiguration('secreview').update('train.device', 'cpu', vscode.ConfigurationTarget.Global);
    try {
      await vscode.commands.executeCommand('secreview.retrain');
    } finally {
      await vscode.workspace.getConfiguration('secreview').update('train.device', undefined, vscode.ConfigurationTarget.Global);
    }
    const state = ext.status.trainer;
    assert(s.ws.db.models().length === models + 1, `a model is recorded (trainer state ${state.state}${'detail' in state ? `: ${state.detail}` : ''})`);
    const model = s.ws.db.latestModel()!;
    const batch = s.ws.db.latestBatch()!;
    assert(s.ws.db.batches().length === batches + 1 && batch.modelVersion === model.version, 'the next batch comes from the new model');
    assert(s.batchId === batch.id, 'the panel moved to the new batch');
    // The default strategy, auto, over the hashing representation's linear head: no members, rare label.
    assert(model.ensemble === undefined && batch.strategy === 'rare (auto)' && batch.items.every((it) => it.strategy === 'rare'), `auto over a linear head trains no members and proposes by rare label: ${batch.strategy}, ${JSON.stringify(model.ensemble)}`);
    assert(state.state === 'done' && /model m\d+/.test(ext.status.item.text + ('detail' in state ? state.detail : '')), `status bar trainer state: ${JSON.stringify(state)}`);
    const device = model.device as { requested?: string; device?: string; detail?: string } | undefined;
    assert(device?.requested === 'cpu' && device.device === 'cpu', `the model records the device the setting asked for: ${JSON.stringify(device)}`);
    const tooltip = ext.status.item.tooltip as vscodeApi.MarkdownString | undefined;
    assert(tooltip?.value.includes(`Device: ${device.detail}`), `the status bar tooltip names the device: ${tooltip?.value}`);
    const view = s.view(batch.items[0]!.reviewId, 'open');
    assert(view?.prediction && view.prediction.probabilities.length === 4, 'the panel shows the model\'s predicted distribution');
    const sum = view.prediction.probabilities.reduce((a, b) => a + b, 0);
    assert(Math.abs(sum - 1) < 1e-3, `probabilities sum to 1 (${sum})`);
  });

  await test('Retrain with an ensemble strategy in the settings trains that many members and proposes by their mean', async () => {
    const s = session();
    const cfg = vscode.workspace.getConfiguration('secreview');
    const models = s.ws.db.models().length;
    // The person's own settings (the workspace has no folder settings, and a later test holds it so).
    await cfg.update('strategy.mixture', 'ensemble', vscode.ConfigurationTarget.Global);
    await cfg.update('strategy.ensembleSize', 3, vscode.ConfigurationTarget.Global);
    try {
      await vscode.commands.executeCommand('secreview.retrain');
    } finally {
      await cfg.update('strategy.mixture', undefined, vscode.ConfigurationTarget.Global);
      await cfg.update('strategy.ensembleSize', undefined, vscode.ConfigurationTarget.Global);
    }
    assert(s.ws.db.models().length === models + 1, `a model is recorded (trainer: ${JSON.stringify(ext.status.trainer)})`);
    const model = s.ws.db.latestModel()!;
    const ensemble = model.ensemble as { members?: number } | undefined;
    assert(ensemble?.members === 3, `the model records the ensemble size of the setting: ${JSON.stringify(ensemble)}`);
    const batch = s.ws.db.latestBatch()!;
    assert(batch.modelVersion === model.version && batch.strategy === 'ensemble' && batch.items.every((it) => it.strategy === 'ensemble'), `the batch is the ensemble's: ${batch.strategy}`);
  });

  await test('Export Model... writes the latest model\'s inference graph, label map, metrics and README', async () => {
    const model = session().ws.db.latestModel();
    assert(model, 'Retrain left a model');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-model-export-'));
    await vscode.commands.executeCommand('secreview.exportModel', vscode.Uri.file(dir));
    for (const f of ['model.onnx', 'label_map.json', 'metrics.json', 'README.md', 'representation.json']) assert(existsSync(path.join(dir, f)), `${f} written`);
    const map = JSON.parse(readFileSync(path.join(dir, 'label_map.json'), 'utf8')) as { id2label: Record<string, string> };
    assert(JSON.stringify(Object.values(map.id2label)) === JSON.stringify(['yes', 'no', 'unclear', 'language']), `label map ${JSON.stringify(map.id2label)}`);
    assert((JSON.parse(readFileSync(path.join(dir, 'metrics.json'), 'utf8')) as { version: string }).version === model.version, 'the latest model was exported');
    // A folder that is not empty gets a new subfolder instead of being mixed into.
    await vscode.commands.executeCommand('secreview.exportModel', vscode.Uri.file(dir));
    assert(existsSync(path.join(dir, `secreview-model-${model.version}`, 'model.onnx')), 'a second export goes into a subfolder');
  });

  await test('a workspace .vscode/settings.json cannot redirect the GitHub token to another server, nor set the annotator', async () => {
    const folder = session().ws.folder;
    const file = path.join(folder, '.vscode', 'settings.json');
    assert(!existsSync(file), 'the demo workspace has no folder settings yet');
    const planted = 'http://127.0.0.1:9/collect-tokens';
    const cfg = () => vscode.workspace.getConfiguration('secreview');
    mkdirSync(path.dirname(file), { recursive: true });
    // A repository's settings: the server the token goes to, the name on every label, and a setting a folder may set.
    writeFileSync(file, JSON.stringify({ 'secreview.crawl.apiUrl': planted, 'secreview.annotator': 'mallory', 'secreview.batch.size': 7 }));
    try {
      await until(() => cfg().get<number>('batch.size') === 7, 'VS Code to read the folder settings');
      assert(crawlAccount().apiUrl === 'https://api.github.com' && crawlAccount().provider === 'github', `the crawl would send the token to ${crawlAccount().apiUrl}`);
      assert(settings().annotator === 'e2e-annotator', `labels would be recorded as ${settings().annotator}`);
      // The same reader does follow the person's own settings (so the check above can fail).
      await cfg().update('crawl.apiUrl', 'https://ghe.example.test/api/v3', vscode.ConfigurationTarget.Global);
      try {
        assert(crawlAccount().apiUrl === 'https://ghe.example.test/api/v3' && crawlAccount().provider === 'github-enterprise', `user setting not followed: ${JSON.stringify(crawlAccount())}`);
      } finally {
        await cfg().update('crawl.apiUrl', undefined, vscode.ConfigurationTarget.Global);
      }
    } finally {
      rmSync(path.dirname(file), { recursive: true, force: true });
      await until(() => cfg().get<number>('batch.size') !== 7, 'the folder settings to go away');
    }
  });

  await test('sign-in asks for the least scope: none for public repositories, repo only after opting into private ones', async () => {
    assert(JSON.stringify(crawlAccount().scopes) === '[]' && JSON.stringify(diffAccount().scopes) === '[]', `default scopes ${JSON.stringify(diffAccount().scopes)}`);
    const gh = vscode.workspace.getConfiguration('secreview.github');
    await gh.update('privateRepositories', true, vscode.ConfigurationTarget.Global);
    try {
      assert(JSON.stringify(diffAccount().scopes) === '["repo"]' && JSON.stringify(crawlAccount().scopes) === '["repo"]', `opted-in scopes ${JSON.stringify(diffAccount().scopes)}`);
    } finally {
      await gh.update('privateRepositories', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  await test('the Hugging Face token stored with "Set Hugging Face Token" goes to the Hub as a bearer token', async () => {
    // The browser driver stored the token through the palette; a loopback server stands in for the Hub.
    const seen: { url: string; auth?: string }[] = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"Access to model test/gated-model is restricted."}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const cfg = vscode.workspace.getConfiguration('secreview');
    const ws = session().ws;
    const models = ws.db.models().length;
    const endpoint = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      await cfg.update('model.representation', 'roberta', vscode.ConfigurationTarget.Workspace);
      await cfg.update('model.id', 'test/gated-model', vscode.ConfigurationTarget.Workspace);
      await vscode.commands.executeCommand('secreview.retrain');
    } finally {
      if (endpoint === undefined) delete process.env.HF_ENDPOINT; else process.env.HF_ENDPOINT = endpoint;
      await cfg.update('model.representation', undefined, vscode.ConfigurationTarget.Workspace);
      await cfg.update('model.id', undefined, vscode.ConfigurationTarget.Workspace);
      server.close();
    }
    assert(seen.length > 0 && seen.every((r) => r.url.startsWith('/test/gated-model/')), `requests to the Hub: ${JSON.stringify(seen.map((r) => r.url))}`);
    assert(seen.every((r) => r.auth === 'Bearer hf_e2e_secret_0123456789'), `authorization sent: ${JSON.stringify(seen.map((r) => r.auth?.slice(0, 12)))}`);
    assert(ws.db.models().length === models, 'the refused download trained nothing');
  });

  await test('Second opinion without a language model says so and changes nothing', async () => {
    const ws = session().ws;
    const before = ws.db.opinions().length;
    const models = await vscode.lm.selectChatModels();
    if (models.length) return; // a model is available in this workbench: the branch cannot be checked here
    await vscode.commands.executeCommand('secreview.secondOpinion');
    assert(ws.db.opinions().length === before, 'no opinion recorded');
  });

  await test('Second opinion with a test model: votes stored, disagreements queued, adjudication keeps both values', async () => {
    const ws = session().ws;
    let requests = 0;
    // A test double that sees a potential security defect in every review.
    const client: LanguageModelClient = { name: 'test/double', async complete() { requests++; return 'The change may expose data.\nLABEL: yes'; } };
    const asked = [...ws.db.current().values()].filter((c) => c.label === 'yes' || c.label === 'no' || c.label === 'unclear');
    const host = { workspace: ws, changed: () => ext.host.changed(), openAdjudication: () => false };
    const queued = await secondOpinion.askSecondOpinion(host, ext.panelHost.log, { client, confirm: false, adjudicateAfter: false });
    const samples = vscode.workspace.getConfiguration('secreview').get<number>('secondOpinion.samples') ?? 16;
    assert(requests === asked.length * samples, `${requests} requests for ${asked.length} reviews x ${samples} samples`);
    const onDisk = JSON.parse(readFileSync(ws.labelsFile, 'utf8')) as { opinions: { reviewId: string; votes: { label?: string; reasoning: string }[]; majority?: string }[] };
    assert(onDisk.opinions.length >= asked.length && onDisk.opinions.every((o) => o.votes.length === samples && o.majority === 'yes'), 'votes and reasoning on disk');
    const disagreeing = asked.filter((c) => c.label !== 'yes').length;
    const queue = ws.db.adjudicationQueue('second-opinion');
    assert(queued === disagreeing && queue.length === disagreeing, `${queue.length} queued, ${disagreeing} expected`);
    assert(queue.length >= 2, `the demo labels leave at least two disagreements (${queue.length})`);

    // The palette command opens the labeling panel on the queue, showing the votes and reasoning.
    await vscode.commands.executeCommand('secreview.adjudicate');
    const s = session();
    const panel = await until(() => ext.labelingPanel(), 'the labeling panel');
    assert(s.mode === 'adjudicate', `the panel adjudicates (mode ${s.mode})`);
    const first = queue[0]!;
    assert(s.currentId === first.reviewId, `the first disagreement is shown (${s.currentId} vs ${first.reviewId})`);
    const view = s.view(first.reviewId, 'open');
    assert(view?.secondOpinion?.humanLabel === first.opinion.humanLabel && view.secondOpinion.majority === 'yes'
      && view.secondOpinion.counts[0]?.votes === samples && view.secondOpinion.reasons[0]?.text === 'The change may expose data.', `the view carries the opinion: ${JSON.stringify(view?.secondOpinion)}`);
    assert(s.progress().disagreements === disagreeing && s.progress().mode === 'adjudicate', 'progress counts the queue');

    // A label key decides: the event keeps the original beside the revised label; the next disagreement follows.
    const noteBefore = ws.db.labelOf(first.reviewId)?.note;
    await panel.label(first.reviewId, 'yes');
    const decided = ws.db.labelOf(first.reviewId)!;
    const ev = ws.db.events().at(-1)!;
    assert(ev.reviewId === first.reviewId && ev.previous === first.opinion.humanLabel && ev.label === 'yes' && ev.source === 'adjudication', 'the decision records the original and the revised label');
    assert(decided.label === 'yes' && decided.note === noteBefore, 'the label is revised and the note kept');
    assert(ws.db.adjudicationQueue().length === disagreeing - 1, 'the decided review leaves the queue');
    assert(s.currentId === queue[1]!.reviewId && s.progress().adjudicated === 1, 'the next disagreement is shown');

    // Undo brings the decision back into the queue and onto the screen.
    await panel.undo();
    assert(ws.db.labelOf(first.reviewId)?.label === first.opinion.humanLabel && ws.db.adjudicationQueue().length === disagreeing, 'undo restores the original label and the queue');
    assert(s.currentId === first.reviewId && s.progress().adjudicated === 0, 'undo shows the review again');
    // The rest is decided with the keyboard in the end-to-end driver; the panel stays on the queue.
  });

  return results;
}
