// Drives the labeling workbench in code-server with playwright-core and Debian's chromium.
// Each step is a named check; a failed step stops the scenario it belongs to (later steps depend on
// it) and is reported. Writes SUMMARY_FILE (default RUN_DIR/summary.json), screenshots and the speed
// figure to ARTIFACTS.
'use strict';
const { chromium } = require('playwright-core');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { makeHostileCorpus, makeSpeedPool, firstHiddenWord } = require('./corpus.cjs');
const { scenariosOf, cleanArtifacts } = require('./artifacts.cjs');

const BASE = process.env.CS_URL;
const RUN = process.env.RUN_DIR;
const REPO = process.env.REPO;
const ARTIFACTS = process.env.ARTIFACTS;
const POOL_SIZE = Number(process.env.E2E_POOL_SIZE || 1000000);
const t0 = Date.now();
const lap = (m) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}`);
const results = [];
/** The page whose state a failed step's screenshot shows. */
let shownPage;
/** Stored by the palette command in the development run; the extension-host suite checks where it is sent. */
const HF_TEST_TOKEN = 'hf_e2e_secret_0123456789';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function check(name, fn) {
  const start = Date.now();
  try {
    const detail = await fn();
    results.push({ name, ok: true, ms: Date.now() - start });
    lap(`ok   ${name}${detail ? ': ' + detail : ''}`);
    return true;
  } catch (e) {
    results.push({ name, ok: false, ms: Date.now() - start, error: String(e && e.stack || e) });
    lap(`FAIL ${name}: ${e && e.message || e}`);
    // The workbench as the failed step left it (the final failure.png shows only the end of the run).
    // Named after the step: the two workbenches of a run (run.sh) keep each other's.
    const shot = `failed-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60)}.png`;
    if (shownPage) await shownPage.screenshot({ path: path.join(ARTIFACTS, shot) }).catch(() => {});
    return false;
  }
}

function assert(cond, message) { if (!cond) throw new Error(message); }

async function waitFor(predicate, what, timeout = 20000, every = 150) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    try { last = await predicate(); if (last) return last; } catch (e) { last = e; }
    await sleep(every);
  }
  throw new Error(`timed out waiting for ${what}${last instanceof Error ? ` (${last.message})` : ''}`);
}

function readLabels(ws) {
  return JSON.parse(fs.readFileSync(path.join(ws, '.secreview', 'labels.json'), 'utf8'));
}
/** Current labels from the event log (same rule as the store: undo reverts the newest set in force). */
function currentLabels(data) {
  const per = new Map();
  const bySeq = new Map(data.events.map((e) => [e.seq, e]));
  for (const e of data.events) {
    if (e.kind === 'set') { const l = per.get(e.reviewId) || []; l.push(e.seq); per.set(e.reviewId, l); }
    else { const l = per.get(e.reviewId) || []; const i = l.lastIndexOf(e.undoes); if (i >= 0) l.splice(i, 1); }
  }
  const out = new Map();
  for (const [id, l] of per) if (l.length) out.set(id, bySeq.get(l[l.length - 1]));
  return out;
}

// ---- workbench helpers ---------------------------------------------------------------------------
async function blurWebview(page) {
  await page.evaluate(() => document.activeElement && document.activeElement.blur && document.activeElement.blur());
}
async function openPalette(page) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let i = 0; i < 6; i++) {
    await blurWebview(page);
    await page.keyboard.press(i % 2 ? 'Control+Shift+P' : 'F1');
    if (await input.waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false)) return input;
    await page.keyboard.press('Escape');
  }
  throw new Error('command palette did not open');
}
async function runCommand(page, title) {
  for (let attempt = 1; ; attempt++) {
    const input = await openPalette(page);
    await input.fill('>' + title);
    // Click the row whose label is exactly the title (Enter would take whichever row is on top).
    const row = page.locator(`.quick-input-list .monaco-list-row[aria-label^="${title.replace(/"/g, '\\"')}"]`).first();
    if (await row.waitFor({ timeout: 5000 }).then(() => true, () => false)) {
      await sleep(150);
      await row.click();
      return;
    }
    if (attempt >= 4) throw new Error('command not found in palette: ' + title);
    await page.keyboard.press('Escape');
  }
}
/**
 * Types `value` into the open quick input and accepts it. Enter goes to the box itself (a walkthrough
 * that re-renders when a command starts can take the focus away), and is pressed again while the box
 * still shows the value: accepted means the widget closed or the next prompt replaced the value.
 */
async function acceptInput(input, value, what) {
  for (let attempt = 1; ; attempt++) {
    await input.fill(value);
    await sleep(200);
    await input.press('Enter');
    const taken = await waitFor(async () => !(await input.isVisible()) || (await input.inputValue()) !== value, what, 3000, 50).then(() => true, () => false);
    if (taken || attempt === 3) return taken;
  }
}
/** Picks a quick-pick row by its label text (the quick input must be open). */
async function pick(page, text) {
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: text }).first();
  await row.waitFor({ timeout: 15000 });
  const input = page.locator('.quick-input-widget .quick-input-box input');
  if (!(await acceptInput(input, text, `the pick "${text}"`))) throw new Error(`the pick "${text}" was not taken`);
}
/**
 * Runs a command that asks for text and types `value` into its input box. A click on the palette row
 * can be lost while the widget animates (the palette closes and no input opens): the command is run
 * again, up to three times, until its input box shows.
 */
async function runCommandWithInput(page, title, value) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  for (let attempt = 1; ; attempt++) {
    await runCommand(page, title);
    if (await input.waitFor({ state: 'visible', timeout: 5000 }).then(() => true, () => false)) break;
    if (attempt >= 3) throw new Error(`${title}: its input box never showed`);
  }
  await acceptInput(input, value, `the input "${value}"`);
}
async function typeIntoInput(page, value) {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await acceptInput(input, value, `the input "${value}"`);
}
async function panelFrame(page, timeout = 30000) {
  return waitFor(async () => {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try { if (await f.$('.root')) return f; } catch { /* detached */ }
    }
    return undefined;
  }, 'the labeling panel', timeout, 200);
}
async function shownReviewId(frame) {
  return frame.evaluate(() => document.querySelector('.candidate')?.getAttribute('data-review-id') ?? null);
}
async function renderedSeq(frame) {
  return frame.evaluate(() => Number(document.body.dataset.renderedSeq || 0));
}
/** Presses a key inside the panel and waits for the next painted view; returns its latency (ms). */
async function pressInPanel(page, frame, key) {
  const before = await renderedSeq(frame);
  await frame.locator('.progress').first().click({ position: { x: 2, y: 2 } }).catch(() => {});
  await page.keyboard.press(key);
  try {
    await waitFor(async () => (await renderedSeq(frame)) > before, `the view after "${key}"`, 15000, 20);
  } catch (e) {
    const state = await frame.evaluate(() => ({ ...document.body.dataset, active: document.activeElement && document.activeElement.tagName, shown: document.querySelector('.candidate')?.getAttribute('data-review-id') })).catch((x) => String(x));
    throw new Error(`${e.message}; panel state ${JSON.stringify(state)}`);
  }
  return frame.evaluate(() => Number(document.body.dataset.lastLatencyMs));
}
/** Presses a key in the panel that opens something outside it (no new view follows). */
async function keyInPanel(frame, page, key) {
  await frame.locator('.progress').first().click({ position: { x: 2, y: 2 } }).catch(() => {});
  await page.keyboard.press(key);
}
async function openWorkbench(page, folder) {
  await page.goto(`${BASE}/?folder=${encodeURIComponent(folder)}`);
  await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90000 });
  await page.waitForSelector('.explorer-folders-view, .explorer-viewlet', { timeout: 90000 });
  // The extension activates by itself only where a workspace exists (workspaceContains activation).
  if (fs.existsSync(path.join(folder, '.secreview', 'labels.json'))) {
    await waitFor(() => page.locator('.statusbar-item', { hasText: /labeled/ }).count(), 'the extension to activate (status bar)', 60000);
  }
}
async function setTheme(page, frame, theme) {
  await runCommand(page, 'Preferences: Color Theme');
  // The theme list replaces the palette: wait for its rows, then click the theme's row.
  const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: new RegExp(`^\\s*${theme}(Default|\\s*$)`) }).first();
  await row.waitFor({ timeout: 15000 }).catch(async (e) => {
    await page.screenshot({ path: path.join(ARTIFACTS, 'theme-picker.fail.png') });
    const rows = await page.locator('.quick-input-widget .quick-input-list .monaco-list-row').allInnerTexts();
    throw new Error(`${e.message}; rows: ${JSON.stringify(rows.slice(0, 12))}`);
  });
  await row.click();
  const kind = /High Contrast/.test(theme) ? 'hc-black' : /Light/.test(theme) ? 'vs' : 'vs-dark';
  const bodyClass = { 'hc-black': 'vscode-high-contrast', vs: 'vscode-light', 'vs-dark': 'vscode-dark' }[kind];
  await waitFor(() => page.evaluate((k) => document.querySelector('.monaco-workbench')?.classList.contains(k), kind), `theme ${theme}`, 20000);
  await waitFor(() => frame.evaluate((c) => document.body.classList.contains(c), bodyClass), `panel theme ${theme}`, 10000);
  await sleep(500);
}
function median(xs) { const s = [...xs].sort((a, b) => a - b); return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN; }
function percentile(xs, p) { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : NaN; }

// ---- scenarios ---------------------------------------------------------------------------------------
async function mainScenario(page, ws) {
  let frame;
  const labeled = [];
  const latencies = [];
  const steps = [
    ['workbench loads with the extension', async () => { await openWorkbench(page, ws); }],
    ['Initialize Workspace from the palette creates .secreview/labels.json', async () => {
      await runCommand(page, 'Security Review: Initialize Workspace');
      await waitFor(() => fs.existsSync(path.join(ws, '.secreview', 'labels.json')), 'labels.json');
    }],
    ['Import Reviews... imports the demo data from the palette', async () => {
      await sleep(500);
      await runCommand(page, 'Security Review: Import Reviews...');
      await pick(page, 'Demo data');
      const meta = path.join(ws, '.secreview', 'pool', 'meta.json');
      const rows = await waitFor(() => { const m = JSON.parse(fs.readFileSync(meta, 'utf8')); return m.rows > 0 && m.rows; }, 'pool rows', 30000);
      return `${rows} reviews in the pool`;
    }],
    ['Propose Next Batch (bootstrap, size 30) opens the panel on its first candidate', async () => {
      await runCommand(page, 'Security Review: Propose Next Batch');
      await pick(page, 'Bootstrap');
      await typeIntoInput(page, '30');
      frame = await panelFrame(page);
      const id = await waitFor(() => shownReviewId(frame), 'a candidate');
      const data = readLabels(ws);
      assert(data.batches.length === 1 && data.batches[0].items.length > 10, `expected one batch of >10 items, got ${JSON.stringify(data.batches.map((b) => b.items.length))}`);
      assert(data.batches[0].items[0].reviewId === id, 'the panel shows the batch\'s first item');
      const text = await frame.locator('#body').innerText();
      assert(text.length > 0, 'the body is rendered');
      assert(await frame.locator('#diff table.diff tr.diff-commented').count() > 0, 'the diff hunk marks the commented line');
      return `first candidate ${id}`;
    }],
    ['label 10 candidates with keys 1-6; each label is on disk before the panel says it is saved', async () => {
      const keys = ['2', '2', '1', '2', '3', '2', '6', '1', '2', '5'];
      for (const key of keys) {
        const id = await shownReviewId(frame);
        const ms = await pressInPanel(page, frame, key);
        latencies.push(ms);
        const cur = currentLabels(readLabels(ws));
        const labelOfKey = { 1: 'yes', 2: 'no', 3: 'unclear', 4: 'broken', 5: 'bot', 6: 'language' }[key];
        assert(cur.get(id) && cur.get(id).label === labelOfKey, `review ${id} should be "${labelOfKey}" on disk when the panel says it is saved`);
        const said = await frame.locator('#save-state').innerText();
        assert(said.startsWith('Saved ') && said.includes(`review ${id}`), `the panel says the label of ${id} is saved: "${said}"`);
        assert((await shownReviewId(frame)) !== id, 'the panel advanced');
        labeled.push(id);
      }
      const progress = await frame.locator('#progress').innerText();
      assert(/10\/\d+ labeled/.test(progress), `progress shows 10 labeled: ${progress}`);
      return `median ${median(latencies).toFixed(1)} ms keypress to painted next candidate (demo pool)`;
    }],
    ['Backspace and Ctrl+Z undo the last two labels and go back', async () => {
      await pressInPanel(page, frame, 'Backspace');
      assert((await shownReviewId(frame)) === labeled[9], 'after one undo the 10th review is shown again');
      await pressInPanel(page, frame, 'Control+z');
      assert((await shownReviewId(frame)) === labeled[8], 'after two undos the 9th review is shown again');
      const data = readLabels(ws);
      const cur = currentLabels(data);
      assert(cur.size === 8, `8 labels in force after two undos, found ${cur.size}`);
      assert(data.events.filter((e) => e.kind === 'undo').length === 2, 'two undo events recorded');
    }],
    ['N adds a note that is saved with the label', async () => {
      const id = await shownReviewId(frame);
      await frame.locator('.progress').first().click({ position: { x: 2, y: 2 } });
      await page.keyboard.press('n');
      await typeIntoInput(page, 'looks like SQL built from user input');
      await sleep(300);
      frame = await panelFrame(page);
      await pressInPanel(page, frame, '1');
      const cur = currentLabels(readLabels(ws));
      assert(cur.get(id)?.label === 'yes' && cur.get(id)?.note === 'looks like SQL built from user input', `note saved with the label: ${JSON.stringify(cur.get(id))}`);
      labeled[8] = id;
    }],
    ['screenshots of the panel in the dark and light themes', async () => {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await setTheme(page, frame, 'Dark Modern');
      await page.screenshot({ path: path.join(ARTIFACTS, 'labeling-panel-dark.png') });
      await setTheme(page, frame, 'Light Modern');
      await page.screenshot({ path: path.join(ARTIFACTS, 'labeling-panel-light.png') });
      await setTheme(page, frame, 'Dark High Contrast');
      await page.screenshot({ path: path.join(ARTIFACTS, 'labeling-panel-high-contrast.png') });
      await setTheme(page, frame, 'Dark Modern');
    }],
    ['? shows the keys and G the guidelines (Table 4)', async () => {
      await frame.locator('.progress').first().click({ position: { x: 2, y: 2 } });
      await page.keyboard.press('?');
      await waitFor(() => frame.locator('#keys').isVisible(), 'the key list');
      await page.keyboard.press('g');
      await waitFor(() => frame.locator('#guidelines').isVisible(), 'the guidelines');
      const text = await frame.locator('#guidelines').innerText();
      assert(/Potential Security Defect/.test(text) && /written by a bot/.test(text), 'Table 4 texts shown');
      await page.keyboard.press('?');
      await page.keyboard.press('g');
    }],
    ['after a window reload the panel comes back on the same candidate', async () => {
      const before = await shownReviewId(frame);
      await page.reload();
      await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90000 });
      frame = await panelFrame(page, 60000);
      const after = await waitFor(() => shownReviewId(frame), 'a candidate after reload', 30000);
      assert(after === before, `expected ${before}, got ${after}`);
      const ro = await frame.locator('#readonly').count();
      assert(ro === 0, 'the reloaded window writes (the old window\'s lock was released)');
      return after;
    }],
    ['D opens the diff view (partial, from the diff hunk, offline) with the commented line', async () => {
      await frame.locator('.progress').first().click({ position: { x: 2, y: 2 } });
      await page.keyboard.press('d');
      await page.waitForSelector('.monaco-diff-editor', { timeout: 20000 });
      const tab = page.locator('.tab', { hasText: 'partial, from diff hunk' });
      await tab.first().waitFor({ timeout: 10000 });
      // Both sides are rendered (the marker line itself is checked in the extension-host suite:
      // the editor only renders the lines around the revealed commented line).
      await waitFor(() => page.locator('.monaco-diff-editor .editor.original .view-line').count(), 'the before side');
      await waitFor(() => page.locator('.monaco-diff-editor .editor.modified .view-line').count(), 'the after side');
      await page.screenshot({ path: path.join(ARTIFACTS, 'diff-view.png') });
      await runCommand(page, 'View: Close Editor');
    }],
    ['labels.json holds every label, undo and note', async () => {
      const data = readLabels(ws);
      const cur = currentLabels(data);
      assert(cur.size === 9, `9 labels in force, found ${cur.size}`);
      for (const id of labeled.slice(0, 9)) assert(cur.has(id), `review ${id} labeled`);
      assert(data.events.every((e) => e.annotator === 'e2e-annotator'), 'the annotator setting is recorded');
      assert(data.events.filter((e) => e.kind === 'set').every((e) => e.batchId === data.batches[0].id && e.iteration === 1), 'events carry batch and iteration');
      return `${data.events.length} events, ${cur.size} labels`;
    }],
    ['Set Hugging Face Token keeps the token in secret storage: not in settings, the workspace or the log', async () => {
      await runCommand(page, 'Security Review: Set Hugging Face Token');
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor({ state: 'visible', timeout: 15000 });
      assert(await input.getAttribute('type') === 'password', 'the token is typed into a password box');
      await typeIntoInput(page, HF_TEST_TOKEN);
      await toast(page, 'Hugging Face token stored');
      const leaks = [ws, path.join(RUN, 'dev', 'ud', 'User'), path.join(RUN, 'dev', 'ud', 'logs')].filter((d) => fs.existsSync(d)).flatMap((dir) => filesUnder(dir).map((f) => path.join(dir, f)))
        .filter((f) => { try { return fs.readFileSync(f, 'utf8').includes(HF_TEST_TOKEN); } catch { return false; } });
      assert(leaks.length === 0, `the token is in ${leaks.join(', ')}`);
      await runCommand(page, 'Notifications: Clear All Notifications');
    }],
    ['a second window on the same folder gets a read-only panel that says why and writes nothing', async () => {
      const page2 = await page.context().newPage();
      try {
        await openWorkbench(page2, ws);
        await runCommand(page2, 'Security Review: Open Labeling Panel');
        const f2 = await panelFrame(page2);
        const banner = await waitFor(() => f2.locator('#readonly').innerText().catch(() => ''), 'the read-only banner', 20000);
        assert(/VS Code window/.test(banner), `the banner names the window holding the lock: ${banner}`);
        const before = readLabels(ws).events.length;
        await f2.locator('.progress').first().click({ position: { x: 2, y: 2 } });
        await page2.keyboard.press('2');
        await sleep(800);
        assert(readLabels(ws).events.length === before, 'a label key in the read-only window writes nothing');
        return banner.slice(0, 100);
      } finally {
        await page2.close();
        await page.bringToFront();
      }
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return { ok: false, latencies };
  return { ok: true, latencies };
}

async function integrationSuite(page) {
  const file = path.join(RUN, 'extension-test-results.json');
  const ok = await check('extension-host integration suite runs from the palette', async () => {
    await runCommand(page, 'Security Review Tests: Run Extension Tests');
    await waitFor(() => fs.existsSync(file), 'extension test results', 180000, 500);
  });
  if (!ok) return;
  for (const r of JSON.parse(fs.readFileSync(file, 'utf8'))) {
    results.push({ name: `[extension host] ${r.name}`, ok: r.ok, ms: r.ms, error: r.error });
    lap(`${r.ok ? 'ok  ' : 'FAIL'} [extension host] ${r.name}${r.error ? ': ' + r.error.split('\n')[0] : ''}`);
  }
}

/**
 * After the extension-host suite queued second-opinion disagreements and opened the panel on them:
 * the opinion is on screen, a label key records the decision (original beside it), A goes back.
 */
async function adjudicationScenario(page, ws) {
  let frame;
  const steps = [
    ['adjudication in the panel shows the second opinion: your label, the votes and the reasoning', async () => {
      frame = await panelFrame(page);
      await waitFor(() => frame.evaluate(() => document.body.dataset.mode === 'adjudicate' && !!document.getElementById('second-opinion')), 'the second opinion in the panel');
      const id = await shownReviewId(frame);
      const human = currentLabels(readLabels(ws)).get(id).label;
      const text = await frame.locator('#second-opinion').innerText();
      assert(text.includes(`You said ${human}`) && text.includes('test/double voted yes 16 in 16 samples') && text.includes('The change may expose data.'), `opinion text: ${text}`);
      assert((await frame.locator('#adjudicate-link').innerText()).includes('back to the batch'), 'the way back is shown');
      await page.screenshot({ path: path.join(ARTIFACTS, 'labeling-panel-adjudication.png') });
      return `${id}: you said ${human}`;
    }],
    ['a label key records the decision with the original label beside it, and the next disagreement follows', async () => {
      const id = await shownReviewId(frame);
      const data = readLabels(ws);
      const human = currentLabels(data).get(id).label;
      const keep = { yes: '1', no: '2', unclear: '3' }[human];
      await pressInPanel(page, frame, keep);
      const after = readLabels(ws);
      const ev = after.events[after.events.length - 1];
      assert(after.events.length === data.events.length + 1, 'one event was written');
      assert(ev.reviewId === id && ev.source === 'adjudication' && ev.previous === human && ev.label === human, `event ${JSON.stringify(ev)}`);
      assert(await shownReviewId(frame) !== id, 'the panel moved on');
      return `kept ${human}`;
    }],
    ['after a window reload the panel comes back to the same disagreement, still adjudicating', async () => {
      const before = await shownReviewId(frame);
      await page.reload();
      await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90000 });
      frame = await panelFrame(page, 60000);
      await waitFor(() => frame.evaluate(() => document.body.dataset.mode === 'adjudicate' && !!document.getElementById('second-opinion')), 'the second opinion after reload', 30000);
      const after = await shownReviewId(frame);
      assert(after === before, `expected ${before}, got ${after}`);
      return after;
    }],
    ['A leaves adjudication for the batch', async () => {
      await pressInPanel(page, frame, 'a');
      assert(await frame.evaluate(() => document.body.dataset.mode) === 'label', 'back to labeling');
      assert(await frame.locator('#second-opinion').count() === 0, 'no opinion while labeling');
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

async function hostileScenario(page, ws, requests) {
  fs.mkdirSync(ws, { recursive: true });
  const corpus = makeHostileCorpus(path.join(ws, 'hostile.jsonl'));
  let frame;
  const steps = [
    ['hostile corpus: workspace, import and bootstrap batch', async () => {
      await openWorkbench(page, ws);
      await runCommand(page, 'Security Review: Initialize Workspace');
      await waitFor(() => fs.existsSync(path.join(ws, '.secreview', 'labels.json')), 'labels.json');
      await sleep(500);
      await runCommand(page, 'Security Review: Import Reviews...');
      await pick(page, 'hostile.jsonl');
      await waitFor(() => JSON.parse(fs.readFileSync(path.join(ws, '.secreview', 'pool', 'meta.json'), 'utf8')).rows === corpus.length, 'the hostile pool', 30000);
      await runCommand(page, 'Security Review: Propose Next Batch');
      await pick(page, 'Bootstrap');
      await typeIntoInput(page, String(corpus.length));
      frame = await panelFrame(page);
      await waitFor(() => shownReviewId(frame), 'a candidate');
    }],
    ['every hostile body renders inert: no script, no remote request, bounded layout, visible hidden characters', async () => {
      const seen = new Set();
      for (let i = 0; i < corpus.length; i++) {
        const id = await shownReviewId(frame);
        assert(id, 'a hostile candidate is shown');
        seen.add(id);
        const facts = await frame.evaluate(() => {
          const body = document.getElementById('body').getBoundingClientRect();
          return {
            pwned: window.__pwned === true,
            // Nothing inside the app's own tree may be able to run code, load something or restyle the page.
            dangerous: Array.from(document.querySelectorAll('#app script, #app iframe, #app object, #app embed, #app img, #app svg, #app math, #app link, #app style, #app [style], #app [href], #app [src]'))
              .concat(Array.from(document.querySelectorAll('#app *')).filter((e) => Array.from(e.attributes).some((a) => /^on/i.test(a.name))))
              .map((e) => e.outerHTML.slice(0, 120)),
            bodyRight: body.right, bodyHeight: body.height, viewW: window.innerWidth, viewH: window.innerHeight,
            scrollW: document.scrollingElement.scrollWidth,
            invisibleMarks: document.querySelectorAll('#body .invisible-char').length,
            truncated: !!document.getElementById('truncated'),
          };
        });
        const spec = corpus.find((c) => c.id === id);
        assert(!facts.pwned, `review ${id} (${spec && spec.kind}): a script ran`);
        assert(facts.dangerous.length === 0, `review ${id} (${spec && spec.kind}): active markup reached the DOM: ${JSON.stringify(facts.dangerous.slice(0, 3))}`);
        assert(facts.bodyRight <= facts.viewW + 1 && facts.scrollW <= facts.viewW + 1, `review ${id} (${spec && spec.kind}) escapes horizontally: ${JSON.stringify(facts)}`);
        assert(facts.bodyHeight <= facts.viewH * 0.6, `review ${id} (${spec && spec.kind}) is taller than its box: ${JSON.stringify(facts)}`);
        if (spec && spec.kind === 'bidi') assert(facts.invisibleMarks >= 4, 'bidi and zero-width characters are marked');
        // The whole body is on screen (the part before "show more" when it is cut), as markdown or as plain text.
        const visible = await frame.evaluate(() => ({ text: document.getElementById('body').innerText, cut: document.getElementById('truncated')?.innerText || '' }));
        const shownChars = /Showing ([\d,]+) of/.test(visible.cut) ? Number(/Showing ([\d,]+) of/.exec(visible.cut)[1].replace(/,/g, '')) : spec.body.length;
        const hidden = firstHiddenWord(spec.body.slice(0, shownChars), visible.text);
        assert(hidden === undefined, `review ${id} (${spec.kind}): "${hidden}" is not visible in the panel`);
        for (const phrase of spec.expect) assert(visible.text.includes(phrase), `review ${id} (${spec.kind}): "${phrase}" is not visible`);
        if (spec.plain) assert(/^Shown as plain text: /.test(visible.text), `review ${id} (${spec.kind}): the plain-text notice is shown`);
        if (spec && spec.kind === 'huge') {
          assert(facts.truncated, 'a 1 MB body is truncated with "show more"');
          const lat = await frame.evaluate(() => Number(document.body.dataset.lastLatencyMs || 0));
          lap(`  1 MB body painted ${lat.toFixed(1)} ms after the key`);
        }
        // O does what a click on "comment on GitHub" does: asks first, or refuses a link that is not http(s).
        if (spec.kind === 'script' || spec.kind === 'javascript-url') {
          const dialog = page.locator('.monaco-dialog-box');
          const refusal = page.locator('.notifications-toasts .notification-toast', { hasText: 'refused to open a link' });
          await keyInPanel(frame, page, 'o');
          if (spec.kind === 'script') {
            await waitFor(async () => (await dialog.count()) && /Open a link from an untrusted review comment/.test(await dialog.innerText()), 'the confirmation after O');
            await page.keyboard.press('Escape');
            await waitFor(async () => (await dialog.count()) === 0, 'the confirmation to close');
          } else {
            await waitFor(() => refusal.count(), 'the refusal after O on a javascript: link');
            assert(await dialog.count() === 0, 'no confirmation for a refused link');
            await runCommand(page, 'Notifications: Clear All Notifications');
          }
          lap(`  O on ${spec.kind}: ${spec.kind === 'script' ? 'asked before opening' : 'refused, with a message'}`);
        }
        const mainPwned = await page.evaluate(() => window.__pwned === true);
        assert(!mainPwned, 'no script ran in the workbench');
        await pressInPanel(page, frame, 's');
      }
      const evil = requests.filter((u) => /evil\.example|attacker\.test/.test(u));
      assert(evil.length === 0, `requests reached the remote host: ${evil.slice(0, 3).join(', ')}`);
      assert(seen.size === corpus.length, `all ${corpus.length} hostile bodies shown (saw ${seen.size})`);
      const jsPwned = await Promise.all(page.frames().map((f) => f.evaluate(() => window.__pwned === true).catch(() => false)));
      assert(!jsPwned.some(Boolean), 'no frame has the script flag');
      await page.screenshot({ path: path.join(ARTIFACTS, 'hostile-body.png') });
      return `${seen.size} bodies, ${requests.length} requests logged, none to the remote host`;
    }],
    ['custom label keys (secreview.keys in the folder settings) apply at once; a key the panel reserves is ignored', async () => {
      const id = await shownReviewId(frame);
      const settingsDir = path.join(ws, '.vscode');
      fs.mkdirSync(settingsDir, { recursive: true });
      fs.writeFileSync(path.join(settingsDir, 'settings.json'), JSON.stringify({ 'secreview.keys': { yes: 'j', no: 'k', unclear: 'a' } }));
      try {
        const keyOf = (label) => frame.evaluate((l) => (document.querySelector(`[data-label="${l}"]`)?.textContent || '').trim().split(' ')[0], label);
        await waitFor(async () => (await keyOf('no')) === 'k', 'the panel shows the custom key', 20000);
        assert(await keyOf('yes') === 'j', 'yes is on j');
        assert(await keyOf('unclear') === '3', 'A is the panel\'s adjudication key: unclear keeps 3');
        const before = readLabels(ws).events.length;
        await pressInPanel(page, frame, 'k');
        const after = readLabels(ws);
        const ev = after.events[after.events.length - 1];
        assert(after.events.length === before + 1 && ev.reviewId === id && ev.label === 'no', `event ${JSON.stringify(ev)}`);
        return `k labeled ${id} no`;
      } finally {
        fs.rmSync(settingsDir, { recursive: true, force: true });
      }
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

async function speedScenario(page, ws) {
  let frame;
  let generated;
  const latencies = [];
  const steps = [
    [`speed pool of ${POOL_SIZE.toLocaleString('en-US')} reviews: generate, import, random batch`, async () => {
      fs.mkdirSync(ws, { recursive: true });
      const g0 = Date.now();
      generated = makeSpeedPool(path.join(ws, 'pool.jsonl'), POOL_SIZE);
      const genS = (Date.now() - g0) / 1000;
      await openWorkbench(page, ws);
      await runCommand(page, 'Security Review: Initialize Workspace');
      await waitFor(() => fs.existsSync(path.join(ws, '.secreview', 'labels.json')), 'labels.json');
      await sleep(500);
      const i0 = Date.now();
      await runCommand(page, 'Security Review: Import Reviews...');
      await pick(page, 'pool.jsonl');
      await waitFor(() => { try { return JSON.parse(fs.readFileSync(path.join(ws, '.secreview', 'pool', 'meta.json'), 'utf8')).rows === POOL_SIZE; } catch { return false; } }, 'the speed pool', 600000, 1000);
      const importS = (Date.now() - i0) / 1000;
      await sleep(1000);
      await runCommand(page, 'Security Review: Propose Next Batch');
      await pick(page, 'Random');
      await typeIntoInput(page, '80');
      frame = await panelFrame(page);
      await waitFor(() => shownReviewId(frame), 'a candidate', 60000);
      generated.importSeconds = importS;
      generated.generateSeconds = genS;
      return `generated in ${genS.toFixed(1)} s, imported in ${importS.toFixed(1)} s`;
    }],
    ['keypress to next candidate painted with its diff, 60 labels', async () => {
      const keys = '2222122232226222212222222312222222222122222222222222222222224222'.slice(0, 60).split('');
      // The paint: the DOM update and the wait for the paint. The answer (the label on disk): both
      // trips between webview and host, the host from the request's arrival to the reply (of which the
      // awaited label write and the view), and all of it from the key (savedMs).
      const paint = { domMs: [], paintWaitMs: [] };
      const answer = { savedMs: [], transitMs: [], hostMs: [], saveMs: [], viewMs: [] };
      let shownAhead = 0;
      for (const k of keys) {
        const id = await shownReviewId(frame);
        latencies.push(await pressInPanel(page, frame, k));
        const d = await frame.evaluate(() => ({ ...document.body.dataset, host: JSON.parse(document.body.dataset.lastHostTiming || '{}'), saveLine: document.getElementById('save-state')?.textContent || '' }));
        assert(d.saveState === 'saved' && d.saveLine.includes(`review ${id}`), `the panel says the label of ${id} is saved: ${d.saveState} "${d.saveLine}"`);
        shownAhead += d.lastAhead === '1' ? 1 : 0;
        paint.domMs.push(Number(d.lastDomMs)); paint.paintWaitMs.push(Number(d.lastPaintWaitMs));
        answer.savedMs.push(Number(d.lastSavedMs)); answer.transitMs.push(Number(d.lastTransitMs));
        answer.hostMs.push(d.host.hostMs); answer.saveMs.push(d.host.saveMs); answer.viewMs.push(d.host.viewMs);
      }
      const cur = currentLabels(readLabels(ws));
      assert(cur.size === 60, `60 labels on disk, found ${cur.size}`);
      const summary = (parts, f) => Object.fromEntries(Object.entries(parts).map(([k, xs]) => [k, +f(xs).toFixed(2)]));
      const figure = {
        benchmark: 'labeling panel: keypress to next candidate rendered with its diff (performance.now() in the webview from the keydown event to a task queued by the first animation frame after the DOM update, i.e. just after the paint)',
        poolSize: POOL_SIZE, samples: latencies.length,
        medianMs: +median(latencies).toFixed(2), p90Ms: +percentile(latencies, 0.9).toFixed(2), maxMs: +Math.max(...latencies).toFixed(2),
        // Keys whose next review was shown from the view the host sent ahead (the rest waited for the host's answer).
        shownAhead,
        // Keypress to the host's answer (the label on disk, the panel says "Saved").
        savedMedianMs: +median(answer.savedMs).toFixed(2), savedP90Ms: +percentile(answer.savedMs, 0.9).toFixed(2), savedMaxMs: +Math.max(...answer.savedMs).toFixed(2),
        breakdownMedianMs: { ...summary(paint, median), ...summary(answer, median) },
        breakdownP90Ms: { ...summary(paint, (xs) => percentile(xs, 0.9)), ...summary(answer, (xs) => percentile(xs, 0.9)) },
        loadAverage: os.loadavg().map((x) => +x.toFixed(2)),
        importSeconds: generated.importSeconds, generateSeconds: generated.generateSeconds,
        environment: `code-server 4.100.3 (VS Code 1.100.3), headless Debian chromium, ${os.cpus().length} cores shared with other jobs`,
        measuredAt: new Date().toISOString(),
      };
      fs.writeFileSync(path.join(ARTIFACTS, 'speed.json'), JSON.stringify(figure, null, 2) + '\n');
      return `median ${figure.medianMs} ms, p90 ${figure.p90Ms} ms over ${latencies.length} labels (${shownAhead} shown ahead), pool ${POOL_SIZE}; saved after median ${figure.savedMedianMs} ms, p90 ${figure.savedP90Ms} ms`;
    }],
    ['a label whose write fails after the panel showed the next review brings its review back and says so; the next key saves it', async () => {
      const file = path.join(ws, '.secreview', 'labels.json');
      const id = await shownReviewId(frame);
      await waitFor(() => frame.evaluate((x) => document.body.dataset.upcomingAfter === x, id), 'the next review sent ahead');
      const before = readLabels(ws).events.length;
      const mode = fs.statSync(file).mode & 0o7777;
      fs.chmodSync(file, 0o444); // the label database refuses to replace a file its owner may not write, even as root
      try {
        await keyInPanel(frame, page, '2');
        await waitFor(() => frame.evaluate(() => document.body.dataset.saveState === 'failed'), 'the failed write to be shown', 15000, 20);
        const d = await frame.evaluate(() => ({ ahead: document.body.dataset.lastAhead, line: document.getElementById('save-state').textContent }));
        assert(d.ahead === '1', 'the next review was on screen before the write failed');
        assert((await shownReviewId(frame)) === id, `review ${id} is shown again`);
        assert(/NOT saved/.test(d.line) && d.line.includes(`Review ${id} is shown again`), `the status line says so: "${d.line}"`);
        assert(readLabels(ws).events.length === before, 'nothing was written');
      } finally {
        fs.chmodSync(file, mode);
      }
      await pressInPanel(page, frame, '2');
      assert(currentLabels(readLabels(ws)).get(id)?.label === 'no', `review ${id} is labeled no on disk after the second key`);
      assert((await shownReviewId(frame)) !== id, 'and the panel moved on');
      return `review ${id}: back with "NOT saved", then saved`;
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

// ---- dashboard -------------------------------------------------------------------------------------
const pct1 = (x) => `${(100 * x).toFixed(1)}%`;
const RATE_LABELS = ['yes', 'no', 'unclear', 'language'];
/** The per-iteration and cumulative table rows the dashboard must show, from labels.json. */
function expectedRateRows(data) {
  const per = new Map();
  for (const c of currentLabels(data).values()) {
    if (c.label === 'broken' || c.label === 'bot') continue;
    const m = per.get(c.iteration) || Object.fromEntries(RATE_LABELS.map((l) => [l, 0]));
    m[c.label]++;
    per.set(c.iteration, m);
  }
  const perRows = [], cumRows = [];
  const cum = Object.fromEntries(RATE_LABELS.map((l) => [l, 0]));
  for (const it of [...per.keys()].sort((a, b) => a - b)) {
    const m = per.get(it);
    const n = RATE_LABELS.reduce((s, l) => s + m[l], 0);
    for (const l of RATE_LABELS) cum[l] += m[l];
    const cn = RATE_LABELS.reduce((s, l) => s + cum[l], 0);
    const name = it === 0 ? 'imported' : String(it);
    perRows.push([name, String(n), ...RATE_LABELS.map((l) => `${m[l]} (${pct1(n ? m[l] / n : 0)})`)]);
    cumRows.push([name, String(cn), ...RATE_LABELS.map((l) => `${cum[l]} (${pct1(cn ? cum[l] / cn : 0)})`)]);
  }
  return { perRows, cumRows };
}
function expectedStrategyRows(data) {
  const cur = currentLabels(data);
  const seen = new Map();
  for (const b of data.batches) for (const it of b.items) { if (!seen.has(it.strategy)) seen.set(it.strategy, new Set()); seen.get(it.strategy).add(it.reviewId); }
  return [...seen].map(([strategy, ids]) => {
    let labeled = 0, yes = 0, excluded = 0;
    for (const id of ids) {
      const l = cur.get(id) && cur.get(id).label;
      if (!l) continue;
      if (l === 'broken' || l === 'bot') { excluded++; continue; }
      labeled++; if (l === 'yes') yes++;
    }
    return [strategy, String(ids.size), String(labeled), String(yes), labeled ? pct1(yes / labeled) : 'n/a', String(excluded)];
  });
}
/**
 * Team labeling: a double-coded batch (half coded by two) where "bob" labeled his queue through the
 * CLI. The workbench's annotator sees only her own items with bob's labels hidden, her labels go to
 * her own log, the dashboard shows the agreement, and the disagreements are adjudicated in the panel.
 */
async function teamScenario(page, ws) {
  const ME = 'e2e-annotator';
  let frame, coders, overlap;
  const cli = (env, ...args) => {
    const r = require('child_process').spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], { cwd: ws, encoding: 'utf8', env: { ...process.env, ...env } });
    if (r.status !== 0) throw new Error(`secreview ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const logOf = (who) => {
    const file = path.join(ws, '.secreview', 'labels', `${who}.jsonl`);
    return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  };
  // bob says yes on the first three overlap reviews, no elsewhere.
  const bobSays = (id) => (overlap.indexOf(id) >= 0 && overlap.indexOf(id) < 3 ? 'yes' : 'no');
  const steps = [
    ['team: a batch of 12 assigned to two annotators with a 50% overlap; bob labels his queue (CLI)', async () => {
      fs.mkdirSync(ws, { recursive: true });
      cli({}, 'init');
      cli({}, 'import', path.join(REPO, 'demo', 'reviews.jsonl'));
      cli({}, 'bootstrap', '--size', '12');
      cli({ SECREVIEW_ANNOTATOR: ME }, 'team', 'enable');
      cli({}, 'team', 'assign', 'b0001', '--annotators', `${ME},bob`, '--overlap', '0.5', '--seed', '5');
      coders = readLabels(ws).batches[0].assignment.coders;
      overlap = Object.keys(coders).filter((id) => coders[id].length === 2);
      for (const id of Object.keys(coders).filter((x) => coders[x].includes('bob'))) cli({ SECREVIEW_ANNOTATOR: 'bob' }, 'label', id, bobSays(id));
      await openWorkbench(page, ws);
      return `${overlap.length} double-coded, bob labeled ${logOf('bob').length}`;
    }],
    ['the panel shows only this annotator\'s items, and bob\'s label stays hidden on the shared ones', async () => {
      await runCommand(page, 'Security Review: Open Labeling Panel');
      frame = await panelFrame(page);
      const mine = Object.keys(coders).filter((id) => coders[id].includes(ME));
      await waitFor(async () => (await frame.locator('.progress-line').first().innerText()).includes(`0/${mine.length} labeled`), `her queue of ${mine.length}`);
      // Move to a shared review bob labeled yes: skip (S) until it shows.
      for (let i = 0; i < mine.length && !(overlap.slice(0, 3).includes(await shownReviewId(frame))); i++) await pressInPanel(page, frame, 's');
      const id = await shownReviewId(frame);
      assert(overlap.slice(0, 3).includes(id), `a review bob called yes is shown (${id})`);
      assert((await frame.locator('#label-status').innerText()).includes('Not labeled yet'), 'bob\'s label is not shown');
      assert((await frame.locator('#coders').innerText()).includes(`Double-coded by ${ME} and bob`), 'the panel says it is double-coded');
      await page.screenshot({ path: path.join(ARTIFACTS, 'team-double-coding.png') });
      return `${id}: hidden`;
    }],
    ['C on the shown review opens the CWE quick pick; picking CWE-89 records yes with the tag (she agrees with bob there)', async () => {
      const id = await shownReviewId(frame);
      await keyInPanel(frame, page, 'c');
      const input = page.locator('.quick-input-widget');
      await input.waitFor({ state: 'visible', timeout: 15000 });
      const title = await input.locator('.quick-input-title').innerText();
      assert(title.includes('CWE tags'), `quick pick title: ${title}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'team-cwe-pick.png') });
      await input.locator('.quick-input-list .monaco-list-row', { hasText: 'SQL Injection' }).first().click();
      await page.keyboard.press('Enter');
      await waitFor(async () => (await shownReviewId(frame)) !== id, 'the next review after the tag');
      const ev = logOf(ME).at(-1);
      assert(ev.reviewId === id && ev.label === 'yes' && JSON.stringify(ev.cwe) === '["CWE-89"]' && ev.annotator === ME, `event ${JSON.stringify(ev)}`);
      return `${id}: yes, CWE-89`;
    }],
    ['her other labels (no) go to her own log, one event per item of her queue', async () => {
      const mine = Object.keys(coders).filter((id) => coders[id].includes(ME));
      for (let i = 1; i < mine.length; i++) await pressInPanel(page, frame, '2');
      const log = logOf(ME);
      assert(log.length === mine.length && log.every((e) => e.annotator === ME) && log.filter((e) => e.label === 'no').length === mine.length - 1, `her log: ${log.length} events`);
      assert(logOf('bob').length === Object.keys(coders).filter((x) => coders[x].includes('bob')).length, 'bob\'s log is untouched');
      assert(readLabels(ws).events.length === 0, 'labels.json holds no label events in team mode');
      const stats = JSON.parse(cli({}, 'stats', '--json'));
      assert(JSON.stringify(stats.cwe) === '[{"id":"CWE-89","title":"SQL Injection","reviews":1}]', `CWE counts ${JSON.stringify(stats.cwe)}`);
      assert(stats.agreement && stats.agreement.reviews === overlap.length && stats.disagreements === 2, `agreement ${JSON.stringify(stats.agreement && { reviews: stats.agreement.reviews, pa: stats.agreement.percentAgreement })}, disagreements ${stats.disagreements}`);
      return `kappa ${stats.agreement.kappa.value}, PABAK ${stats.agreement.pabak.value}, AC1 ${stats.agreement.ac1.value}`;
    }],
    ['the dashboard shows the agreement between the annotators and their confusion matrix', async () => {
      await runCommand(page, 'Security Review: Show Dashboard');
      const dash = await dashboardFrame(page);
      await waitFor(() => dash.$('#agreement table.agreement'), 'the agreement section');
      const headline = await dash.locator('#agreement-headline').innerText();
      assert(headline.includes(`bob, ${ME}: ${overlap.length} reviews coded twice or more`) && headline.includes('2 disagreements'), headline);
      assert((await dash.locator('#cwe table').innerText()).includes('CWE-89'), 'the CWE counts');
      const rows = await dash.locator('#agreement table.agreement tbody tr').count();
      assert(rows >= 3, `overall and per-label rows: ${rows}`);
      await dash.locator('#agreement').scrollIntoViewIfNeeded();
      await page.screenshot({ path: path.join(ARTIFACTS, 'team-agreement-dashboard.png') });
      return headline;
    }],
    ['the disagreements open in the adjudication queue with both labels; a key records the decision with the originals', async () => {
      await runCommand(page, 'Security Review: Adjudicate Disagreements (Second Opinions, Annotators)...');
      frame = await panelFrame(page);
      await waitFor(() => frame.evaluate(() => document.body.dataset.mode === 'adjudicate' && !!document.getElementById('disagreement')), 'the disagreement in the panel');
      const id = await shownReviewId(frame);
      const text = await frame.locator('#disagreement').innerText();
      assert(text.includes('bob') && text.includes(ME), `disagreement text: ${text}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'team-adjudication.png') });
      await pressInPanel(page, frame, '1');
      const ev = logOf(ME).at(-1);
      assert(ev.reviewId === id && ev.source === 'adjudication' && ev.label === 'yes' && ev.annotator === ME, `decision ${JSON.stringify(ev)}`);
      assert(JSON.stringify(ev.originals) === JSON.stringify([{ annotator: 'bob', label: 'yes' }, { annotator: ME, label: 'no' }]), `originals ${JSON.stringify(ev.originals)}`);
      await waitFor(async () => (await shownReviewId(frame)) !== id, 'the next disagreement');
      const stats = JSON.parse(cli({}, 'stats', '--json'));
      assert(stats.disagreements === 1, `one left: ${stats.disagreements}`);
      return `${id} decided yes; 1 left`;
    }],
    ['a teammate\'s label that a git pull brings reaches the open panel without a key: bob agrees on the last disagreement, and the queue ends', async () => {
      const id = await shownReviewId(frame);
      const his = logOf('bob').filter((e) => e.reviewId === id).at(-1);
      assert(his && his.label === 'yes', `bob's label on the disagreement ${id}: ${JSON.stringify(his)}`);
      // What git writes on a pull: his log grows by a line, in another process.
      fs.appendFileSync(path.join(ws, '.secreview', 'labels', 'bob.jsonl'), `${JSON.stringify({ ...his, id: `pull${Date.now().toString(36)}`, label: 'no', at: new Date().toISOString() })}\n`);
      await waitFor(() => frame.evaluate(() => document.body.dataset.mode === 'label'), 'the panel back at the batch, the queue settled', 20000);
      const line = await frame.locator('.progress-line').first().innerText();
      const stats = JSON.parse(cli({}, 'stats', '--json'));
      assert(stats.disagreements === 0, `none left: ${stats.disagreements}`);
      return `${id} settled by bob's pulled label; panel: ${line.replace(/\s+/g, ' ').slice(0, 80)}`;
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

async function dashboardFrame(page, timeout = 30000) {
  return waitFor(async () => {
    for (const f of page.frames()) {
      if (f === page.mainFrame()) continue;
      try { if (await f.$('section#labels')) return f; } catch { /* detached */ }
    }
    return undefined;
  }, 'the dashboard', timeout, 200);
}
const tableRows = (frame, selector) => frame.evaluate((sel) => Array.from(document.querySelectorAll(`${sel} tbody tr`)).map((tr) => Array.from(tr.children).map((c) => c.textContent.trim())), selector);

async function dashboardScenario(page, ws) {
  let frame;
  const cli = (...args) => {
    const r = require('child_process').spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], { cwd: ws, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`secreview ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const steps = [
    ['dashboard: demo workspace with two iterations and a model (CLI: bootstrap, label, train, label)', async () => {
      fs.mkdirSync(ws, { recursive: true });
      cli('init');
      cli('import', path.join(REPO, 'demo', 'reviews.jsonl'));
      cli('bootstrap', '--size', '40');
      const intended = JSON.parse(fs.readFileSync(path.join(REPO, 'demo', 'expected-labels.json'), 'utf8'));
      for (const it of readLabels(ws).batches[0].items) cli('label', it.reviewId, intended[it.reviewId] || 'no');
      // The paper's mixture: its random share feeds the prevalence estimates the dashboard shows.
      cli('train', '--size', '30', '--strategy', 'rare:0.45,entropy:0.45,random:0.1');
      const second = readLabels(ws).batches[1];
      assert(second, 'training proposed a second batch');
      // Some of each strategy, all the random ones: the prevalence estimates need them.
      const some = second.items.filter((it, i) => i < 10 || it.strategy === 'random');
      for (const it of some) cli('label', it.reviewId, intended[it.reviewId] || 'no');
      await openWorkbench(page, ws);
      const data = readLabels(ws);
      return `${currentLabels(data).size} labels, ${data.batches.length} batches, ${data.models.length} model`;
    }],
    ['Show Dashboard from the palette: rates per iteration and cumulative match labels.json', async () => {
      await runCommand(page, 'Security Review: Show Dashboard');
      frame = await dashboardFrame(page);
      await waitFor(() => frame.$('[data-chart="rates-iteration"] svg'), 'the rate charts');
      const { perRows, cumRows } = expectedRateRows(readLabels(ws));
      assert(perRows.length === 2, `two iterations expected, got ${JSON.stringify(perRows)}`);
      const per = await tableRows(frame, '[data-chart="rates-iteration"]');
      const cum = await tableRows(frame, '[data-chart="rates-cumulative"]');
      assert(JSON.stringify(per) === JSON.stringify(perRows), `per-iteration rows ${JSON.stringify(per)} != ${JSON.stringify(perRows)}`);
      assert(JSON.stringify(cum) === JSON.stringify(cumRows), `cumulative rows ${JSON.stringify(cum)} != ${JSON.stringify(cumRows)}`);
      const desc = await frame.locator('#rates-cumulative-desc').textContent();
      const last = cumRows[cumRows.length - 1];
      assert(desc.includes(`of ${last[1]} labeled: yes ${last[2]}`), `the cumulative chart's description says the latest numbers: ${desc}`);
      const counts = currentLabels(readLabels(ws));
      const yes = [...counts.values()].filter((c) => c.label === 'yes').length;
      const shown = await frame.locator('td[data-label="yes"]').textContent();
      assert(shown === String(yes), `label count of yes: shown ${shown}, labels.json ${yes}`);
      return `per iteration ${JSON.stringify(per.map((r) => r.slice(0, 3)))}`;
    }],
    ['dashboard: strategy yields, the model\'s regularization path with the kept L2 strength, probe probabilities, estimates', async () => {
      const data = readLabels(ws);
      const strategies = await tableRows(frame, 'table.strategies');
      const want = expectedStrategyRows(data);
      assert(JSON.stringify(strategies) === JSON.stringify(want), `strategy rows ${JSON.stringify(strategies)} != ${JSON.stringify(want)}`);
      // The default hashing model's linear head: one fit per L2 strength, the kept one marked.
      const model = data.models[0];
      const selected = model.epochs.find((e) => e.epoch === model.selectedEpoch);
      const kept = await frame.locator('[data-chart="model-0"] svg').textContent();
      assert(kept.includes(`kept: L2 ${selected.l2}`), 'the kept L2 strength is marked');
      const strengths = await tableRows(frame, '[data-chart="model-0"]');
      assert(strengths.length === model.epochs.length, `${model.epochs.length} L2 strengths in the table, got ${strengths.length}`);
      const keptRow = strengths.find((r) => r[5] === 'kept');
      assert(keptRow && keptRow[0] === String(selected.l2) && keptRow[2] === selected.testLoss.toFixed(3), `kept row ${JSON.stringify(keptRow)}`);
      const probes = await waitFor(async () => {
        const rows = await tableRows(frame, 'table.probes');
        return rows.length >= 3 && rows.every((r) => r.length === 2 && /^0\.\d{3}$|^1\.000$/.test(r[1])) && rows;
      }, 'probe probabilities from the model (cli.js predict)', 60000, 500);
      const estimates = await frame.locator(['prevalence', 'yield', 'left', 'knee', 'target-recall'].map((id) => `[data-estimate="${id}"]`).join(', ')).allTextContents();
      // Prevalence, yield factor, positives left, knee and target recall, each with its explanation.
      assert(estimates.length === 5 && estimates.every((t) => t.length > 60), `estimates with explanations: ${JSON.stringify(estimates)}`);
      assert(/randomly chosen reviews/.test(estimates[0]), `prevalence from the random items: ${estimates[0]}`);
      return `${strategies.length} strategies; probes ${JSON.stringify(probes.map((r) => r[1]))}`;
    }],
    ['every dashboard chart has a text alternative (role=img, title, desc, data table)', async () => {
      const charts = await frame.evaluate(() => Array.from(document.querySelectorAll('svg.chart')).map((svg) => {
        const ids = (svg.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean);
        return {
          role: svg.getAttribute('role'),
          labels: ids.map((id) => (document.getElementById(id) || {}).textContent || ''),
          table: !!svg.closest('figure')?.querySelector('details table caption'),
        };
      }));
      assert(charts.length === 3, `3 charts (2 rates, 1 model), got ${charts.length}`);
      for (const c of charts) assert(c.role === 'img' && c.labels.length === 2 && c.labels.every((t) => t.length > 5) && c.table, `chart without a text alternative: ${JSON.stringify(c)}`);
      return `${charts.length} charts`;
    }],
    ['screenshots of the dashboard in the dark and light themes', async () => {
      await runCommand(page, 'Notifications: Clear All Notifications');
      await setTheme(page, frame, 'Dark Modern');
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-dark.png') });
      await setTheme(page, frame, 'Light Modern');
      await frame.evaluate(() => document.getElementById('models').scrollIntoView());
      await sleep(300);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-light.png') });
      await setTheme(page, frame, 'Dark Modern');
    }],
    ['beside the labeling panel, the dashboard refreshes when a label is set', async () => {
      const before = Number(await frame.locator('td[data-label="yes"]').textContent());
      await runCommand(page, 'View: Close Editor');
      await runCommand(page, 'Security Review: Open Labeling Panel');
      const panel = await panelFrame(page);
      await waitFor(() => shownReviewId(panel), 'a candidate');
      await runCommand(page, 'Security Review: Show Dashboard');
      frame = await dashboardFrame(page);
      await waitFor(() => frame.$('[data-chart="rates-iteration"] svg'), 'the rate charts');
      assert(await page.locator('.editor-group-container').count() === 2, 'the dashboard opens in a second editor group');
      await frame.locator('[data-chart="rates-cumulative"] details summary').click();
      await pressInPanel(page, panel, '1');
      await waitFor(async () => Number(await frame.locator('td[data-label="yes"]').textContent()) === before + 1, `the yes count to become ${before + 1}`, 20000, 200);
      assert(await frame.locator('[data-chart="rates-cumulative"] details[open]').count() === 1, 'an open data table stays open across the redraw');
      const { cumRows } = expectedRateRows(readLabels(ws));
      const cum = await tableRows(frame, '[data-chart="rates-cumulative"]');
      assert(JSON.stringify(cum) === JSON.stringify(cumRows), `cumulative rows after the label ${JSON.stringify(cum)} != ${JSON.stringify(cumRows)}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-beside-panel.png') });
      return `yes ${before} -> ${before + 1}`;
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

// ---- the installed package (installed workbench: trust on, no development command) ----------------
/** Answers VS Code's "Do you trust the authors" dialog, which a folder opened for the first time shows. */
/**
 * Finding one's way in a pool: near-duplicates of the shown review and "apply this label to all" (P),
 * Find Reviews... with results in the side bar, labeling from them in search mode with the words
 * highlighted, Propose Results as a Batch, and Go to Review... by URL.
 */
async function navigateScenario(page, ws) {
  let frame;
  const cli = (...args) => {
    const r = require('child_process').spawnSync(process.execPath, [path.join(REPO, 'dist', 'cli.js'), ...args], { cwd: ws, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`secreview ${args.join(' ')} failed: ${r.stderr}`);
    return r.stdout;
  };
  const review = (id, body, repo = 'acme/shop', file = 'src/app.js') => JSON.stringify({ id, body, path: file, html_url: `https://github.com/${repo}/pull/${id % 50 + 1}#discussion_r${id}` });
  const bot = (n) => `Coverage report: ${n}.4% of lines covered (${n % 2 ? '+' : '-'}0.${n}%). Merging #${n * 13} will change coverage by 0.${n}%. See the full report on the dashboard.`;
  const steps = [
    ['navigate: a pool with a templated bot message four times, and a batch from a search (CLI find --propose)', async () => {
      fs.mkdirSync(ws, { recursive: true });
      const rows = [
        review(101, bot(81)), review(102, 'Please rename `tmp` to something that says what it holds.'), review(103, bot(79)),
        review(104, 'This builds the SQL query by concatenating the search term: a SQL injection. Use a prepared statement.', 'acme/db', 'lib/query.py'),
        review(105, bot(12)), review(106, 'The session token is logged here <script>alert("insecure")</script>; please redact it.'),
        review(107, bot(44)), review(108, 'sql injection again through the sort column, which is not escaped', 'acme/db', 'lib/sort.py'),
        ...Array.from({ length: 12 }, (_, i) => review(200 + i, `Style remark number ${i}: ${['spacing', 'naming', 'imports', 'comments'][i % 4]} could be tidier.`)),
      ];
      fs.writeFileSync(path.join(ws, 'pool.jsonl'), rows.join('\n') + '\n');
      cli('init');
      cli('import', 'pool.jsonl');
      const out = JSON.parse(cli('find', '--json', '--propose', '--size', '3', 'coverage report'));
      assert(out.proposed && out.proposed.size === 3, `a batch of three: ${JSON.stringify(out.proposed)}`);
      await openWorkbench(page, ws);
      return `batch ${out.proposed.batch}: ${readLabels(ws).batches[0].items.map((i) => i.reviewId).join(', ')}`;
    }],
    ['the panel lists the shown review\'s near-duplicates with their similarity', async () => {
      await runCommand(page, 'Security Review: Open Labeling Panel');
      frame = await panelFrame(page);
      await waitFor(async () => (await shownReviewId(frame)) === '101', 'review 101 on screen');
      // Groups are computed in the background after the window opens; the panel shows them when ready.
      await waitFor(() => frame.evaluate(() => !!document.getElementById('near-duplicates')), 'the near-duplicates list', 30000, 300).catch(async (e) => {
        await pressInPanel(page, frame, 's');
        await pressInPanel(page, frame, 'Backspace').catch(() => {});
        throw e;
      });
      const summary = await frame.locator('#near-duplicates summary').innerText();
      assert(/^3 near-duplicates: 3 without a label/.test(summary), `summary: ${summary}`);
      await frame.locator('#near-duplicates summary').click();
      const members = await frame.locator('#near-duplicates li').allInnerTexts();
      assert(members.length === 3 && members.every((m) => /\d+% similar/.test(m)), `members: ${JSON.stringify(members)}`);
      return summary;
    }],
    ['after a label the panel offers "apply to all? [P]", and P labels the three near-duplicates alike', async () => {
      await pressInPanel(page, frame, '5');
      const offer = await waitFor(async () => {
        const t = await frame.locator('#group-offer').innerText().catch(() => '');
        return (await frame.locator('#group-offer').isVisible()) && t;
      }, 'the group offer');
      assert(/labeled bot has 3 near-duplicates without a label: apply bot to all\? P/.test(offer.replace(/\s+/g, ' ')), `offer: ${offer}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'near-duplicates-offer.png') });
      const before = readLabels(ws).events.length;
      await pressInPanel(page, frame, 'p');
      const data = readLabels(ws);
      const added = data.events.slice(before);
      assert(added.length === 3 && added.every((e) => e.kind === 'set' && e.label === 'bot' && e.source === 'near-duplicate:101'), `events: ${JSON.stringify(added)}`);
      assert(['103', '105', '107'].every((id) => currentLabels(data).get(id).label === 'bot'), 'the group is labeled bot');
      await waitFor(async () => !(await frame.locator('#group-offer').isVisible()), 'the offer to go away');
      await page.screenshot({ path: path.join(ARTIFACTS, 'near-duplicates-applied.png') });
      return added.map((e) => e.reviewId).join(', ');
    }],
    ['Find Reviews... streams the pool and lists the results in the side bar', async () => {
      await runCommand(page, 'Security Review: Find Reviews...');
      await typeIntoInput(page, 'sql injection');
      const rows = await waitFor(async () => {
        const r = await page.locator('.pane .monaco-list-row[aria-label^="Result "]').allInnerTexts();
        return r.length === 2 && r;
      }, 'two results in the side bar');
      assert(rows.some((r) => r.includes('concatenating the search term')) && rows.some((r) => r.includes('sort column')), `rows: ${JSON.stringify(rows)}`);
      const summary = await page.locator('.pane .monaco-list-row', { hasText: '"sql injection"' }).first().innerText();
      assert(/2 matches; 0 of 2 labeled/.test(summary), `summary row: ${summary}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'search-results.png') });
      return rows.map((r) => r.split('\n')[0]).join(' | ');
    }],
    ['a result opens the panel in search mode with the words highlighted; a label key labels it and the next result follows', async () => {
      await page.locator('.pane .monaco-list-row[aria-label^="Result 1:"]').click();
      await waitFor(async () => (await frame.evaluate(() => document.body.dataset.mode)) === 'search' && (await shownReviewId(frame)) === '104', 'review 104 in search mode');
      const marks = await frame.locator('.body mark.hl-search, mark.hl-search').allInnerTexts();
      assert(marks.map((m) => m.toLowerCase()).includes('sql') && marks.map((m) => m.toLowerCase()).includes('injection'), `marks: ${JSON.stringify(marks)}`);
      const position = await frame.locator('.progress').first().innerText();
      assert(/Search results: 1 of 2/.test(position), `position: ${position}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'search-mode.png') });
      await pressInPanel(page, frame, '1');
      assert(currentLabels(readLabels(ws)).get('104').label === 'yes', '104 labeled yes');
      assert(await shownReviewId(frame) === '108', 'the next result');
      return marks.join(', ');
    }],
    ['Propose Results as a Batch makes a batch of the unlabeled results, recorded as the search', async () => {
      const before = readLabels(ws).batches.length;
      await runCommand(page, 'Security Review: Propose Results as a Batch');
      const b = await waitFor(() => { const d = readLabels(ws); return d.batches.length === before + 1 && d.batches[d.batches.length - 1]; }, 'the new batch');
      assert(b.strategy === 'search: sql injection' && b.items.map((i) => i.reviewId).join() === '108', `batch ${JSON.stringify(b)}`);
      await waitFor(async () => (await frame.evaluate(() => document.body.dataset.mode)) === 'label', 'the panel back on a batch');
      return `${b.id}: ${b.items.map((i) => i.reviewId).join(', ')}`;
    }],
    ['Go to Review... by a GitHub comment URL shows that review, hostile text inert and M1 marked', async () => {
      await runCommandWithInput(page, 'Security Review: Go to Review...', 'https://github.com/acme/shop/pull/7#discussion_r106');
      await waitFor(async () => (await shownReviewId(frame)) === '106', 'review 106 on screen');
      const scripts = await frame.evaluate(() => document.querySelectorAll('.candidate script').length);
      assert(scripts === 0, 'no script element from the body');
      const m1 = await frame.locator('mark.hl-m1').allInnerTexts();
      assert(m1.includes('insecure'), `M1 marks: ${JSON.stringify(m1)}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'go-to-review.png') });
      return `M1 marks ${JSON.stringify(m1)}`;
    }],
    ['the status bar tooltip gives the median time per label and the ETA', async () => {
      const item = page.locator('.statusbar-item', { hasText: /labeled/ }).first();
      const text = await waitFor(async () => {
        await page.mouse.move(700, 400);
        await sleep(300);
        await item.hover();
        const hover = page.locator('.workbench-hover, .monaco-hover').filter({ hasText: 'ETA:' }).first();
        return hover.waitFor({ timeout: 3000 }).then(() => hover.innerText(), () => false);
      }, 'the tooltip with the ETA', 30000, 500);
      assert(/Median time per label: e2e-annotator \d+\.\d s \(1 timed\)/.test(text), `tooltip: ${text}`);
      assert(/ETA: \d+ more potential security defects to reach \d+/.test(text), `tooltip: ${text}`);
      await page.mouse.move(700, 400);
      return text.split('\n').filter((l) => /Median|ETA/.test(l)).join(' | ').slice(0, 200);
    }],
    ['the dashboard shows time per label per annotator, the ETA and the near-duplicate groups', async () => {
      await runCommand(page, 'Security Review: Show Dashboard');
      const dash = await dashboardFrame(page);
      await waitFor(() => dash.$('section#time [data-estimate="eta"]'), 'the Time and ETA section');
      const pace = await tableRows(dash, 'table.pace');
      assert(pace.length === 1 && pace[0][0] === 'e2e-annotator' && pace[0][1] === '2' && pace[0][2] === '1', `pace rows ${JSON.stringify(pace)}`);
      const stats = JSON.parse(cli('stats', '--json'));
      const nd = await waitFor(() => dash.locator('[data-estimate="near-duplicates"]').textContent().catch(() => ''), 'the near-duplicates estimate');
      assert(nd.includes(`${stats.nearDuplicates.groups} groups of ${stats.nearDuplicates.reviewsInGroups} reviews`), `near-duplicates: ${nd} (stats: ${JSON.stringify(stats.nearDuplicates)})`);
      const eta = await dash.locator('[data-estimate="eta"]').textContent();
      assert(eta.includes(stats.time.eta.explanation.slice(0, 40)), `ETA: ${eta} (stats: ${stats.time.eta.explanation})`);
      await dash.locator('section#time').scrollIntoViewIfNeeded();
      await sleep(300);
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-time.png') });
      return `${nd.slice(0, 80)} | ${eta.slice(0, 80)}`;
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

async function answerTrust(page, trust) {
  const name = trust ? /Yes, I trust the authors/ : /No, I don.t trust the authors/;
  const button = page.locator('.monaco-dialog-box .monaco-button', { hasText: name }).first();
  await button.waitFor({ timeout: 30000 });
  await sleep(300);
  await button.click();
  await page.locator('.monaco-dialog-box').first().waitFor({ state: 'hidden', timeout: 10000 });
}
async function restrictedModeShown(page) {
  return (await page.locator('.statusbar-item', { hasText: /Restricted Mode/ }).count()) > 0;
}
/** A notification toast whose text matches; returns its locator. */
async function toast(page, text, timeout = 20000) {
  const t = page.locator('.notifications-toasts .notification-toast', { hasText: text }).first();
  await t.waitFor({ timeout });
  return t;
}
function filesUnder(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(p).map((f) => path.join(e.name, f)) : [e.name];
  });
}
/** Labels the shown candidates with the keys; returns the ids labeled, each checked on disk. */
async function labelByKeys(page, frame, ws, keys) {
  const ids = [];
  for (const key of keys) {
    const id = await shownReviewId(frame);
    await pressInPanel(page, frame, key);
    const want = { 1: 'yes', 2: 'no', 3: 'unclear', 4: 'broken', 5: 'bot', 6: 'language' }[key];
    const cur = currentLabels(readLabels(ws)).get(id);
    assert(cur && cur.label === want, `review ${id} should be "${want}" on disk when the panel says it is saved`);
    ids.push(id);
  }
  return ids;
}
async function clickWalkthroughStep(page, stepTitle, buttonTitle) {
  const container = page.locator('.gettingStartedContainer');
  await container.locator('.getting-started-step', { hasText: stepTitle }).first().click();
  const button = container.locator('.getting-started-step.expanded', { hasText: stepTitle }).locator('button, a', { hasText: buttonTitle }).first();
  await button.waitFor({ timeout: 10000 });
  await button.click();
}

async function installedScenario(page, ws) {
  let frame;
  const labeled = [];
  const extDir = () => {
    const dir = process.env.INSTALLED_EXTENSIONS;
    const name = fs.readdirSync(dir).find((n) => n.startsWith('secreview.security-review-labeler-'));
    assert(name, `the package is installed in ${dir}`);
    return path.join(dir, name);
  };
  const steps = [
    ['linux-x64 package: file list checked (no tests, sources, maps or other platforms\' libraries; its own library present), under 30 MiB', async () => {
      const rows = JSON.parse(fs.readFileSync(path.join(process.env.VSIX_DIR, 'packages.json'), 'utf8'));
      assert(rows.length === 1 && rows[0].target === 'linux-x64', `one linux-x64 package: ${JSON.stringify(rows)}`);
      assert(rows[0].problems.length === 0, `problems: ${rows[0].problems.join('; ')}`);
      assert(rows[0].bytes < 30 * 1024 * 1024, `${rows[0].bytes} bytes`);
      return `${rows[0].mib} MiB, ${rows[0].files} files`;
    }],
    ['installed with code-server --install-extension into a clean profile, as a person installs it', async () => {
      const dir = extDir();
      assert(!fs.lstatSync(path.join(dir, 'node_modules')).isSymbolicLink(), 'node_modules is the package\'s own, not a link to the working tree');
      const files = filesUnder(dir);
      const bad = files.filter((f) => /\.map$|\.ts$/.test(f) || /^(src|test|python-free-train|webview)\//.test(f));
      assert(bad.length === 0, `installed sources or maps: ${bad.slice(0, 5).join(', ')}`);
      const runtime = files.filter((f) => f.startsWith('node_modules/onnxruntime-node/bin/'));
      assert(runtime.length === 2 && runtime.every((f) => f.startsWith('node_modules/onnxruntime-node/bin/napi-v6/linux/x64/')), `onnxruntime libraries: ${runtime.join(', ')}`);
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      assert(!manifest.contributes.commands.some((c) => c.command.startsWith('secreview.dev.')), 'no development command');
      return `${files.length} files in ${path.basename(dir)}`;
    }],
    ['open the demo workspace (an empty folder) and trust it', async () => {
      fs.mkdirSync(ws, { recursive: true });
      await page.goto(`${BASE}/?folder=${encodeURIComponent(ws)}`);
      await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90000 });
      await answerTrust(page, true);
      await page.waitForSelector('.explorer-folders-view, .explorer-viewlet', { timeout: 90000 });
      await waitFor(async () => !(await restrictedModeShown(page)), 'the trusted folder to leave Restricted Mode', 15000).catch(async (e) => {
        await page.screenshot({ path: path.join(ARTIFACTS, 'trust.fail.png') });
        throw e;
      });
    }],
    ['the Security Review view welcomes a new folder and opens the walkthrough (Getting Started)', async () => {
      await runCommand(page, 'View: Show Security Review');
      const welcome = page.locator('.welcome-view-content', { hasText: 'No Security Review workspace in this folder yet' }).first();
      await welcome.waitFor({ timeout: 20000 });
      await welcome.locator('a, button', { hasText: 'Getting Started' }).first().click();
      await page.locator('.gettingStartedContainer', { hasText: 'Label security-relevant code reviews' }).first().waitFor({ timeout: 20000 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'installed-walkthrough.png') });
    }],
    ['walkthrough: Initialize the workspace', async () => {
      await clickWalkthroughStep(page, 'Initialize the workspace', 'Initialize Workspace');
      await waitFor(() => fs.existsSync(path.join(ws, '.secreview', 'labels.json')), 'labels.json', 30000);
    }],
    ['walkthrough: Import the demo data shipped in the package', async () => {
      await sleep(500);
      await clickWalkthroughStep(page, 'Import the demo data', 'Import Reviews...');
      await pick(page, 'Demo data');
      const meta = path.join(ws, '.secreview', 'pool', 'meta.json');
      const rows = await waitFor(() => { const m = JSON.parse(fs.readFileSync(meta, 'utf8')); return m.rows > 0 && m.rows; }, 'pool rows', 30000);
      return `${rows} reviews`;
    }],
    ['walkthrough: Propose the first batch (keyword bootstrap) opens the labeling panel', async () => {
      await clickWalkthroughStep(page, 'Propose the first batch', 'Propose Next Batch');
      await pick(page, 'Bootstrap');
      await typeIntoInput(page, '20');
      frame = await panelFrame(page);
      const id = await waitFor(() => shownReviewId(frame), 'a candidate');
      return `first candidate ${id}`;
    }],
    ['label 8 reviews by keys; each is on disk, and the live region announces the label and the next review', async () => {
      labeled.push(...await labelByKeys(page, frame, ws, ['2', '1', '2', '2', '3', '1', '2', '2']));
      const said = await frame.locator('#announce').textContent();
      const next = await shownReviewId(frame);
      assert(/^Labeled No Security Defect\. Now review 9 of \d+, /.test(said), `announcement: ${said}`);
      const live = await frame.evaluate(() => document.getElementById('announce').getAttribute('aria-live'));
      assert(live === 'polite', `aria-live=${live}`);
      return `${said} (${next})`;
    }],
    ['Backspace undoes the last label and goes back; the announcement says so', async () => {
      await pressInPanel(page, frame, 'Backspace');
      assert((await shownReviewId(frame)) === labeled[7], 'the undone review is shown again');
      assert(currentLabels(readLabels(ws)).size === 7, '7 labels in force');
      const said = await frame.locator('#announce').textContent();
      assert(/^Label undone\. Back to review 8 of/.test(said), `announcement: ${said}`);
      labeled.splice(7, 1, ...await labelByKeys(page, frame, ws, ['2']));
    }],
    ['D opens the diff view; signed out, it offers "Sign in to GitHub" and asks GitHub nothing until clicked', async () => {
      await frame.locator('.progress').first().click({ position: { x: 2, y: 2 } });
      await page.keyboard.press('d');
      await page.waitForSelector('.monaco-diff-editor', { timeout: 20000 });
      const t = await toast(page, 'Sign in to GitHub to see the whole files');
      assert(await t.locator('.monaco-button', { hasText: 'Sign in to GitHub' }).count() === 1, 'the toast has the sign-in button');
      assert(await page.locator('.monaco-dialog-box').count() === 0, 'no sign-in dialog before the click');
      await page.screenshot({ path: path.join(ARTIFACTS, 'installed-diff-view.png') });
      await runCommand(page, 'Notifications: Clear All Notifications');
      await runCommand(page, 'View: Close Editor');
    }],
    ['Retrain: the installed package trains with its own onnxruntime and the panel moves to the next batch', async () => {
      frame = await panelFrame(page);
      await runCommand(page, 'Security Review: Retrain and Propose Next Batch');
      const data = await waitFor(() => { const d = readLabels(ws); return d.models.length === 1 && d.batches.length === 2 && d; }, 'the model and the next batch', 240000, 1000);
      const second = data.batches[1];
      assert(second.iteration === 2 && second.items.length > 0, `next batch ${JSON.stringify({ iteration: second.iteration, items: second.items.length })}`);
      const id = await waitFor(async () => { const x = await shownReviewId(frame); return second.items.some((it) => it.reviewId === x) && x; }, 'a candidate of the new batch', 30000);
      return `model ${data.models[0].version} (selected epoch ${data.models[0].selectedEpoch}); batch ${second.id} of ${second.items.length}, first ${id}`;
    }],
    ['label the next batch by keys (iteration 2)', async () => {
      await runCommand(page, 'Notifications: Clear All Notifications');
      const ids = await labelByKeys(page, frame, ws, ['2', '1', '2']);
      const cur = currentLabels(readLabels(ws));
      assert(ids.every((id) => cur.get(id).iteration === 2), 'labels of iteration 2');
    }],
    ['dashboard: both iterations, and the probe sentences scored by the installed CLI and onnxruntime', async () => {
      await runCommand(page, 'Security Review: Show Dashboard');
      const dash = await dashboardFrame(page);
      await waitFor(() => dash.$('[data-chart="rates-iteration"] svg'), 'the rate charts');
      const { perRows } = expectedRateRows(readLabels(ws));
      const per = await tableRows(dash, '[data-chart="rates-iteration"]');
      assert(perRows.length === 2 && JSON.stringify(per) === JSON.stringify(perRows), `per-iteration rows ${JSON.stringify(per)} != ${JSON.stringify(perRows)}`);
      const probes = await waitFor(async () => {
        const rows = await tableRows(dash, 'table.probes');
        return rows.length >= 3 && rows.every((r) => /^0\.\d{3}$|^1\.000$/.test(r[1])) && rows;
      }, 'probe probabilities', 90000, 500);
      await page.screenshot({ path: path.join(ARTIFACTS, 'installed-dashboard.png') });
      await runCommand(page, 'View: Close Editor');
      return `probes ${JSON.stringify(probes.map((r) => r[1]))}`;
    }],
    ['Export Dataset... writes every labeled review', async () => {
      const target = path.join(ws, 'security-reviews.jsonl');
      await runCommand(page, 'Security Review: Export Dataset...');
      await pick(page, 'jsonl');
      // The web workbench's save dialog: a path box filled with the suggested file.
      const input = page.locator('.quick-input-widget .quick-input-box input');
      await waitFor(async () => (await input.inputValue()).endsWith('security-reviews.jsonl'), 'the save dialog with the suggested file', 15000);
      await page.keyboard.press('Enter');
      const rows = await waitFor(() => fs.existsSync(target) && fs.readFileSync(target, 'utf8').trim().split('\n'), 'the export', 20000);
      const want = currentLabels(readLabels(ws)).size;
      assert(rows.length === want, `${rows.length} rows exported, ${want} labels`);
      return `${rows.length} rows`;
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

/**
 * A folder the person does not trust, whose .vscode/settings.json tries to steer the extension:
 * labeling works, the settings that pick a server, a model or the annotator are ignored, and Retrain
 * waits for trust instead of running.
 */
async function restrictedScenario(page, ws) {
  let frame;
  fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({
    'secreview.crawl.apiUrl': 'http://127.0.0.1:9/collect-tokens', 'secreview.model.path': '/nonexistent/planted-model',
    'secreview.annotator': 'mallory',
  }, null, 2));
  const demo = fs.readFileSync(path.join(REPO, 'demo', 'reviews.jsonl'), 'utf8').split('\n').filter(Boolean);
  fs.writeFileSync(path.join(ws, 'reviews.jsonl'), demo.join('\n') + '\n');
  const steps = [
    ['untrusted folder: declining trust opens it in Restricted Mode', async () => {
      await page.goto(`${BASE}/?folder=${encodeURIComponent(ws)}`);
      await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90000 });
      await answerTrust(page, false);
      await waitFor(() => restrictedModeShown(page), 'the Restricted Mode indicator', 20000);
    }],
    ['Explorer right-click on reviews.jsonl: Import into Security Review Pool', async () => {
      await runCommand(page, 'View: Show Explorer');
      const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'reviews.jsonl' }).first();
      await row.waitFor({ timeout: 20000 });
      await row.click({ button: 'right' });
      const item = page.locator('.context-view .action-label', { hasText: 'Import into Security Review Pool' }).first();
      await item.waitFor({ timeout: 10000 });
      await page.screenshot({ path: path.join(ARTIFACTS, 'installed-explorer-import.png') });
      await item.click();
      const meta = path.join(ws, '.secreview', 'pool', 'meta.json');
      const rows = await waitFor(() => { try { return JSON.parse(fs.readFileSync(meta, 'utf8')).rows; } catch { return 0; } }, 'the imported pool', 30000);
      assert(rows === demo.length, `${demo.length} reviews imported, found ${rows}`);
    }],
    ['labeling works in Restricted Mode, recorded under the user\'s annotator name (a workspace cannot set it)', async () => {
      await runCommand(page, 'Security Review: Propose Next Batch');
      await pick(page, 'Bootstrap');
      await typeIntoInput(page, '10');
      frame = await panelFrame(page);
      await waitFor(() => shownReviewId(frame), 'a candidate');
      await labelByKeys(page, frame, ws, ['2', '1', '3']);
      const events = readLabels(ws).events;
      assert(events.length === 3 && events.every((e) => e.annotator === 'e2e-annotator'), `annotators ${JSON.stringify(events.map((e) => e.annotator))}`);
    }],
    ['Retrain in Restricted Mode says it waits for trust and starts nothing', async () => {
      await runCommand(page, 'Security Review: Retrain and Propose Next Batch');
      const t = await toast(page, 'Restricted Mode');
      assert(await t.locator('.monaco-button', { hasText: 'Manage Workspace Trust' }).count() === 1, 'the way to trust the folder is offered');
      await sleep(3000);
      const data = readLabels(ws);
      assert(data.models.length === 0 && data.batches.length === 1, `nothing trained: ${data.models.length} models, ${data.batches.length} batches`);
      assert(!fs.existsSync(path.join(ws, '.secreview', 'models')) || fs.readdirSync(path.join(ws, '.secreview', 'models')).length === 0, 'no model folder');
      await page.screenshot({ path: path.join(ARTIFACTS, 'installed-restricted-retrain.png') });
      return (await t.locator('.notification-list-item-message').innerText()).slice(0, 140);
    }],
  ];
  for (const [name, fn] of steps) if (!(await check(name, fn))) return;
}

(async () => {
  const only = scenariosOf(process.env.E2E_ONLY);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // A second workbench of the same run (run.sh's installed package) keeps the first one's failure shots.
  const deleted = cleanArtifacts(ARTIFACTS, only, process.env.E2E_KEEP_FAILURE_SHOTS !== '1');
  if (deleted.length) lap(`deleted earlier artifacts this run rewrites: ${deleted.join(', ')}`);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'chrome-profile-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width: 1500, height: 950 },
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  shownPage = page;
  const requests = [];
  ctx.on('request', (r) => requests.push(r.url()));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  page.on('dialog', (d) => d.dismiss().catch(() => {}));
  const summaryFile = process.env.SUMMARY_FILE || path.join(RUN, 'summary.json');
  try {
    const wsRoot = path.join(RUN, 'workspaces');
    if (only.includes('main')) {
      const main = await mainScenario(page, path.join(wsRoot, 'demo'));
      if (main.ok && only.includes('integration')) {
        await integrationSuite(page);
        await adjudicationScenario(page, path.join(wsRoot, 'demo'));
      }
    }
    if (only.includes('hostile')) await hostileScenario(page, path.join(wsRoot, 'hostile'), requests);
    if (only.includes('dashboard')) await dashboardScenario(page, path.join(wsRoot, 'dashboard'));
    if (only.includes('navigate')) await navigateScenario(page, path.join(wsRoot, 'navigate'));
    if (only.includes('team')) await teamScenario(page, path.join(wsRoot, 'team'));
    if (only.includes('speed')) await speedScenario(page, path.join(wsRoot, 'speed'));
    if (only.includes('installed')) await installedScenario(page, path.join(wsRoot, 'first-hour'));
    if (only.includes('restricted')) await restrictedScenario(page, path.join(wsRoot, 'restricted'));
  } catch (e) {
    results.push({ name: 'driver', ok: false, error: String(e && e.stack || e) });
    console.error(e);
  } finally {
    if (results.some((r) => !r.ok)) await page.screenshot({ path: path.join(ARTIFACTS, 'failure.png') }).catch(() => {});
    await ctx.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  fs.writeFileSync(summaryFile, JSON.stringify({ passed, failed, results }, null, 2));
  for (const r of results.filter((x) => !x.ok)) console.log(`\nFAILED: ${r.name}\n${r.error}`);
  process.exit(failed ? 1 : 0);
})();
