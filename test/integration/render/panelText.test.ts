/**
 * The whole review reaches the annotator's eyes, checked on the real path: the corpus is imported
 * into a real workspace, each review's view is built by the labeling session (the host renderer),
 * and posted to the labeling webview's own code (bundled from webview/labeling/main.ts, with the
 * panel's stylesheet) in Debian's chromium; the test reads the body's `innerText`, the text the
 * browser actually lays out. Every word of the body must be there in order, or the body is shown as
 * plain text under a notice (and every word is there too). "Show more" is followed to the end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Workspace } from '../../../src/store/workspace';
import { LabelingSession } from '../../../src/extension/session';
import type { CandidateView } from '../../../src/protocol/webview';
import { megabyteBodies, missingWord, namedBodies, randomBodies, type CorpusBody } from '../../helpers/bodyCorpus';
import { tempDir } from '../../helpers/tmp';
import { guidelines, launchChromium, openWebview, post, showAndWait, skipWebview as skip, type Page } from '../../helpers/labelingWebview';

let seq = 0;
async function show(page: Page, session: LabelingSession, candidate: CandidateView): Promise<void> {
  await showAndWait(page, { type: 'show', seq: ++seq, candidate, progress: session.progress(), guidelines: guidelines() });
}

/** Clicks "Show more" and answers the webview's request as the panel does, until the whole body is shown. */
async function showAll(page: Page, session: LabelingSession, id: string): Promise<number> {
  let clicks = 0;
  while (await page.evaluate(`(() => { const b = document.getElementById('show-more'); b?.click(); return !!b; })()`)) {
    clicks++;
    assert.ok(clicks < 10, 'show more ends');
    const request = await page.evaluate(`window.__posted.filter((m) => m.type === 'showMore').at(-1)`) as { reviewId: string; limit: number } | undefined;
    assert.equal(request?.reviewId, id, 'the webview asks the host for more of this review');
    const v = session.view(id, 'open', request!.limit)!;
    await post(page, { type: 'bodyMore', reviewId: id, bodyHtml: v.bodyHtml, bodyShown: v.bodyShown, bodyTotal: v.bodyTotal });
    const shown = v.bodyShown >= v.bodyTotal ? `!document.getElementById('truncated')`
      : `document.getElementById('truncated').textContent.includes(${JSON.stringify(v.bodyShown.toLocaleString('en-US'))})`;
    await page.waitForFunction(shown, undefined, { timeout: 60000 });
  }
  return clicks;
}

async function panelText(page: Page): Promise<{ body: string; truncated: string | null }> {
  return await page.evaluate(`({ body: document.getElementById('body').innerText, truncated: document.getElementById('truncated')?.innerText ?? null })`) as { body: string; truncated: string | null };
}

function assertShown(c: CorpusBody, body: string, shownChars: number): void {
  const m = missingWord(c.body.slice(0, shownChars), body);
  assert.equal(m, undefined, `${c.name}: "${m?.word}" (word ${m?.index}) is not visible; near ${JSON.stringify(m?.near)}`);
}

test('the labeling webview shows every word of deep, odd, random and 1 MB bodies (chromium, innerText)', { skip, timeout: 900_000 }, async () => {
  const corpus = [...namedBodies(), ...randomBodies(60, 7), ...megabyteBodies()];
  const dir = tempDir('secreview-panel-text-');
  const file = path.join(dir, 'corpus.jsonl');
  writeFileSync(file, corpus.map((c, i) => JSON.stringify({
    id: 9100 + i, body: c.body, html_url: `https://github.com/o/r/pull/${i + 1}#discussion_r${9100 + i}`,
    path: 'src/a.ts', user: { login: 'reviewer' }, line: 1,
  })).join('\n') + '\n');
  const ws = await Workspace.init(dir);
  const browser = await launchChromium();
  try {
    const report = await ws.importFiles([file]);
    assert.equal(report.imported, corpus.length, 'every body is imported');
    const session = new LabelingSession(ws);
    const page = await openWebview(browser);
    let plain = 0;
    for (let i = 0; i < corpus.length; i++) {
      const c = corpus[i]!;
      const id = String(9100 + i);
      const view = session.view(id, 'open')!;
      await show(page, session, view);
      const first = await panelText(page);
      assertShown(c, first.body, view.bodyShown);
      if (/^Shown as plain text: /.test(first.body)) plain++;
      if (view.bodyShown < view.bodyTotal) {
        assert.match(first.truncated ?? '', new RegExp(`Showing ${view.bodyShown.toLocaleString('en-US')} of ${view.bodyTotal.toLocaleString('en-US')} characters`), `${c.name}: the cut is announced`);
        assert.ok(await showAll(page, session, id) > 0);
        const all = await panelText(page);
        assert.equal(all.truncated, null, `${c.name}: the whole body is shown after "show more"`);
        assertShown(c, all.body, c.body.length);
      }
    }
    assert.ok(plain >= 4, `the bodies markdown cannot show whole are shown as plain text (${plain})`);
  } finally {
    await browser.close();
    await ws.close();
  }
});
