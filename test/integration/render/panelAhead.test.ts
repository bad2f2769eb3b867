/**
 * A label key shows the review that follows before the label is on disk, and stays honest about it:
 * the labeling webview's own code in chromium, the test playing the host with views built by the
 * real labeling session on a real workspace. The review shown at once is the one the host sent
 * ahead for the review on screen (never one sent for another review); the status line says
 * "Saving" until the host's answer, "Saved" after it; an answer with the same view leaves the DOM
 * alone, another view replaces it; a failed write brings the labeled review back and says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { LabelingSession } from '../../../src/extension/session';
import type { CandidateView, HostToWebview } from '../../../src/protocol/webview';
import { tempDir } from '../../helpers/tmp';
import { guidelines, launchChromium, openWebview, post, postUpcoming, showAndWait, skipWebview as skip, type Page } from '../../helpers/labelingWebview';

type Posted = { type: string; requestId?: number; reviewId?: string; label?: string };

interface Shown { id: string | null; body: string; saveState: string; saveLine: string; ahead: string; announced: string; marked: boolean }

async function shown(page: Page): Promise<Shown> {
  return await page.evaluate(`(() => {
    const c = document.querySelector('.candidate');
    return { id: c?.getAttribute('data-review-id') ?? null, body: document.getElementById('body')?.innerText ?? '',
      saveState: document.body.dataset.saveState ?? '', saveLine: document.getElementById('save-state')?.textContent ?? '',
      ahead: document.body.dataset.lastAhead ?? '', announced: document.getElementById('announce')?.textContent ?? '', marked: !!c?.__mark };
  })()`) as Shown;
}

/** Marks the candidate's element, to tell later whether it was replaced. */
async function markCandidate(page: Page): Promise<void> {
  await page.evaluate(`document.querySelector('.candidate').__mark = true`);
}

async function lastPosted(page: Page, type: string): Promise<Posted | undefined> {
  return await page.evaluate(`window.__posted.filter((m) => m.type === ${JSON.stringify(type)}).at(-1)`) as Posted | undefined;
}

test('a label key shows the review sent ahead at once, says "Saving" until the answer, and a failed write brings the review back', { skip, timeout: 300_000 }, async () => {
  const dir = tempDir('secreview-panel-ahead-');
  const file = path.join(dir, 'reviews.jsonl');
  const words = ['alpha', 'bravo', 'charlie', 'delta'];
  writeFileSync(file, words.map((w, i) => JSON.stringify({
    id: 700 + i, body: `review ${w} about an injection`, html_url: `https://github.com/o/r/pull/${i + 1}#discussion_r${700 + i}`,
    path: 'src/a.py', user: { login: 'dev' }, diff_hunk: '@@ -1,2 +1,2 @@\n x = 1\n-eval(y)\n+safe(y)', line: 2,
  })).join('\n') + '\n');
  const ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  const ids = words.map((_, i) => String(700 + i));
  await ws.db.addBatch({ modelVersion: null, strategy: 'manual', items: ids.map((reviewId) => ({ reviewId, strategy: 'random' as const, score: 0.5 })) });
  const s = new LabelingSession(ws);
  const browser = await launchChromium();
  let seq = 0;
  const show = (candidate: CandidateView | null, requestId?: number): Extract<HostToWebview, { type: 'show' }> =>
    ({ type: 'show', seq: ++seq, requestId, candidate, progress: s.progress(), guidelines: guidelines() });
  const sendUpcoming = async () => { await postUpcoming(page, { type: 'upcoming', after: s.currentId!, candidate: s.upcomingView(true)! }); };
  const page = await openWebview(browser);
  try {
    const [a, b, c, d] = ids as [string, string, string, string];
    assert.equal(s.advance(), a);
    await showAndWait(page, show(s.view(a, 'next')!));
    assert.equal(s.upcomingId(), b, 'a label on the first review leads to the second');
    await sendUpcoming();

    // 2 (No Security Defect): the second review at once, before any answer; the label goes out for the first.
    await page.keyboard.press('2');
    let now = await shown(page);
    assert.deepEqual([now.id, now.ahead, now.saveState], [b, '1', 'saving'], 'the review sent ahead is shown at once, marked as saving');
    assert.match(now.body, /review bravo about an injection/, 'with its own text');
    assert.match(now.saveLine, new RegExp(`Saving No Security Defect for review ${a}`));
    const first = (await lastPosted(page, 'label'))!;
    assert.deepEqual([first.reviewId, first.label], [a, 'no']);
    await markCandidate(page);

    // Keys typed before the answer wait for it.
    await page.keyboard.press('1');
    assert.equal((await page.evaluate(`window.__posted.filter((m) => m.type === 'label').length`)), 1, 'no second label before the answer');

    // The host's answer, sent once the label is on disk, with the view already on screen: nothing repainted.
    await s.label(a, 'no');
    s.advance();
    await showAndWait(page, show(s.view(b, 'next')!, first.requestId));
    now = await shown(page);
    assert.deepEqual([now.id, now.marked], [b, true], 'the answer keeps the view on screen');
    assert.match(now.announced, /^Labeled No Security Defect\. Now review 2 of 4/);
    assert.equal(await page.evaluate(`document.querySelector('#progress').innerText.includes('1/4 labeled')`), true, 'the progress counts the label once it is on disk');
    // The key typed meanwhile acts now, on the second review (its successor not sent yet: it waits for the host).
    const queued = (await lastPosted(page, 'label'))!;
    assert.deepEqual([queued.reviewId, queued.label], [b, 'yes'], 'the waiting key labels the review shown when it acts');
    assert.deepEqual([now.saveState, now.saveLine], ['saving', `Saving Potential Security Defect for review ${b}…`]);
    await s.label(b, 'yes');
    s.advance();
    await showAndWait(page, show(s.view(c, 'next')!, queued.requestId));
    now = await shown(page);
    assert.deepEqual([now.id, now.saveState, now.saveLine], [c, 'saved', `Saved Potential Security Defect for review ${b}.`], 'the answer says saved');

    // A failed write: the review shown ahead gives way to the labeled one, with the error, and the status says so.
    await sendUpcoming();
    await page.keyboard.press('3');
    assert.deepEqual([(await shown(page)).id, (await shown(page)).saveState], [d, 'saving']);
    const failing = (await lastPosted(page, 'label'))!;
    assert.equal(failing.reviewId, c);
    await post(page, { type: 'ack', requestId: failing.requestId!, ok: false, error: 'The label was NOT saved: disk full.' });
    await page.waitForFunction(`document.body.dataset.saveState === 'failed'`, undefined, { timeout: 10000 });
    now = await shown(page);
    assert.equal(now.id, c, 'the review whose label failed is back');
    assert.match(now.body, /review charlie about an injection/);
    assert.match(now.saveLine, new RegExp(`The label was NOT saved: disk full\\. Review ${c} is shown again\\.`));
    assert.match(now.announced, /NOT saved/, 'screen readers hear it too');
    assert.equal(s.currentId, c, 'the host stays on it as well (it advances only after a write)');

    // The next key goes ahead again, with the same view.
    await page.keyboard.press('3');
    now = await shown(page);
    assert.deepEqual([now.id, now.ahead, now.saveState], [d, '1', 'saving']);
    const retry = (await lastPosted(page, 'label'))!;
    assert.equal(retry.reviewId, c);
    await markCandidate(page);
    // This time the write succeeds, but the view changed meanwhile (a new rendering): the host's view replaces the one shown ahead.
    await s.label(c, 'unclear');
    s.advance();
    s.invalidateViews();
    const fresh = s.view(d, 'next')!;
    await showAndWait(page, show(fresh, retry.requestId));
    now = await shown(page);
    assert.deepEqual([now.id, now.saveState, now.marked], [d, 'saved', false], 'a different rendering is painted');
  } finally {
    await browser.close();
    await ws.close();
  }
});

/** A workspace whose open batch holds three reviews, ids `first`..`first + 2`, bodies `‹body› 0..2`. */
async function batchOfThree(first: number, body: string): Promise<Workspace> {
  const dir = tempDir('secreview-panel-three-');
  const file = path.join(dir, 'reviews.jsonl');
  writeFileSync(file, [0, 1, 2].map((i) => JSON.stringify({
    id: first + i, body: `${body} ${i}`, html_url: `https://github.com/o/r/pull/${i + 1}#discussion_r${first + i}`, path: 'a.c', user: { login: 'dev' }, line: 1,
  })).join('\n') + '\n');
  const ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  await ws.db.addBatch({ modelVersion: null, strategy: 'manual', items: [0, 1, 2].map((i) => ({ reviewId: String(first + i), strategy: 'random' as const, score: 0.5 })) });
  return ws;
}

test('a view sent ahead for another review is never shown: the key waits for the host', { skip, timeout: 300_000 }, async () => {
  const ws = await batchOfThree(800, 'body number');
  const s = new LabelingSession(ws);
  const browser = await launchChromium();
  try {
    const page = await openWebview(browser);
    s.advance();
    await showAndWait(page, { type: 'show', seq: 1, candidate: s.view('800', 'next')!, progress: s.progress(), guidelines: guidelines() });
    // The host moved on (a label from a command) and sent ahead for 801; the webview still shows 800.
    await s.label('800', 'no');
    assert.equal(s.advance(), '801');
    assert.equal(s.upcomingId(), '802');
    await postUpcoming(page, { type: 'upcoming', after: '801', candidate: s.upcomingView(true)! });
    await page.keyboard.press('2');
    const now = await shown(page);
    assert.deepEqual([now.id, now.ahead, now.saveState], ['800', '', 'saving'], 'the labeled review stays until the answer');
    const label = (await lastPosted(page, 'label'))!;
    assert.equal(label.reviewId, '800');
  } finally {
    await browser.close();
    await ws.close();
  }
});

test('a label the host does not answer for 5 s is said to be unconfirmed, and a late answer, saved or failed, is still told', { skip, timeout: 300_000 }, async () => {
  const ws = await batchOfThree(900, 'slow body');
  const s = new LabelingSession(ws);
  const browser = await launchChromium();
  let seq = 0;
  const show = (candidate: CandidateView | null, requestId?: number): Extract<HostToWebview, { type: 'show' }> =>
    ({ type: 'show', seq: ++seq, requestId, candidate, progress: s.progress(), guidelines: guidelines() });
  const unconfirmed = /^No answer from the extension after 5 s: No Security Defect for review 900 is not confirmed on disk yet\./;
  try {
    const page = await openWebview(browser);
    s.advance();
    await showAndWait(page, show(s.view('900', 'next')!));
    await page.keyboard.press('2');
    const label = (await lastPosted(page, 'label'))!;
    assert.deepEqual([(await shown(page)).saveLine], ['Saving No Security Defect for review 900…']);
    // No answer: after 5 s the line stops saying all is well, and screen readers hear it.
    await page.waitForFunction(`document.getElementById('save-state').textContent.startsWith('No answer')`, undefined, { timeout: 15000 });
    let now = await shown(page);
    assert.equal(now.saveState, 'saving', 'not claimed saved');
    assert.match(now.saveLine, unconfirmed);
    assert.match(now.announced, unconfirmed);
    // Another view (an import, say) ends the wait given up on; the line still speaks of the label.
    await showAndWait(page, show(s.view('900', 'next')!));
    assert.match((await shown(page)).saveLine, unconfirmed);
    // The host's answer comes at last: the label is on disk, and the line says so.
    await s.label('900', 'no');
    s.advance();
    await showAndWait(page, show(s.view('901', 'next')!, label.requestId));
    now = await shown(page);
    assert.deepEqual([now.id, now.saveState, now.saveLine], ['901', 'saved', 'Saved No Security Defect for review 900.']);

    // The next label's write fails late, after its wait was given up: the failure is still shown.
    await page.keyboard.press('1');
    const second = (await lastPosted(page, 'label'))!;
    assert.equal(second.reviewId, '901');
    await page.waitForFunction(`document.getElementById('save-state').textContent.startsWith('No answer')`, undefined, { timeout: 15000 });
    await showAndWait(page, show(s.view('901', 'next')!));
    // A key now acts at once (the wait was given up), and a late refusal of the old label does not free or clear it.
    await page.keyboard.press('3');
    const third = (await lastPosted(page, 'label'))!;
    assert.notEqual(third.requestId, second.requestId);
    await post(page, { type: 'ack', requestId: second.requestId!, ok: false, error: 'The label was NOT saved: disk full.' });
    await page.waitForFunction(`document.body.dataset.saveState === 'failed'`, undefined, { timeout: 10000 });
    now = await shown(page);
    assert.equal(now.saveLine, 'The label was NOT saved: disk full. (Potential Security Defect for review 901)');
    assert.equal(now.announced, now.saveLine, 'screen readers hear it');
    assert.equal(await page.evaluate(`document.querySelector('.toast.error')?.textContent`), now.saveLine, 'and it stays in view a while');
    await page.keyboard.press('2');
    assert.equal(await page.evaluate(`window.__posted.filter((m) => m.type === 'label').length`), 3, 'a key still waits for the answer to the label out now');
    await s.label('901', 'unclear');
    s.advance();
    await showAndWait(page, show(s.view('902', 'next')!, third.requestId));
    // The answer frees the waiting key, which labels the review now shown.
    now = await shown(page);
    assert.equal((await lastPosted(page, 'label'))!.reviewId, '902');
    assert.deepEqual([now.id, now.saveState, now.saveLine], ['902', 'saving', 'Saving No Security Defect for review 902…']);
  } finally {
    await browser.close();
    await ws.close();
  }
});
