/**
 * `npm run fetch-paper-data` against a loopback HTTP server that serves a data/final.json built the
 * way the paper's repository writes it (every iteration, extra columns, pandas' bare NaN): it keeps
 * iterations 1-5, verifies them by checksum, and writes them to the cache, where the tests find them
 * when ../shared/data is absent. A changed file or a failed download writes nothing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { findPaperData, PAPER_DATA_FILE, PAPER_RECORDS, recordsFromFinalJson } from '../../../scripts/paper-data';
import { needsPaperData, paperDataSkip, paperLabelsFile } from '../../helpers/paperData';
import { repoRoot, tempDir } from '../../helpers/tmp';

/** data/final.json as the paper's repository has it, from the 959 records (plus later iterations). */
function finalJson(): string {
  const lines: string[] = [];
  readFileSync(paperLabelsFile, 'utf8').split('\n').filter(Boolean).forEach((l, i) => {
    const r = JSON.parse(l) as Record<string, unknown>;
    const votes = i % 3 ? 'NaN' : JSON.stringify('Reasoning from iteration 3 \n\u2022 The review mentions NaN handling.');
    // Column order and the extra columns of the paper's export; NaN where pandas had no value.
    lines.push(`{"url": ${JSON.stringify(r.url)}, "tag_pre_qa": ${JSON.stringify(r.tag_pre_qa)}, "claude_yes": ${i % 16}, "claude_no": 0, "claude_unclear": 0, "resoning_yes": ${votes}, "resoning_no": NaN, "resoning_unclear": NaN, "body": ${JSON.stringify(r.body)}, "iteration": ${r.iteration}, "repo": ${JSON.stringify(r.repo)}, "tag_post_qa": ${JSON.stringify(r.tag_post_qa)}}`);
    if (i % 50 === 0) lines.push(`{"iteration": ${6 + (i % 2)}, "tag_post_qa": "bot", "repo": "o/r", "url": "https://github.com/o/r/pull/${i}#discussion_r${i + 1}", "body": "later iteration ${i}", "tag_pre_qa": "bot"}`);
  });
  return lines.join('\n') + '\n';
}

async function serve(content: () => { status: number; body: string }): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const { status, body } = content();
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(req.url === '/data/final.json' ? body : '');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/data/final.json`, close: () => new Promise((r) => server.close(() => r())) };
}

function fetchScript(url: string, cacheHome: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'scripts', 'paper-data.ts'), '--force'], {
      cwd: repoRoot, env: { ...process.env, SECREVIEW_PAPER_DATA_URL: url, XDG_CACHE_HOME: cacheHome },
    });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

test('fetch-paper-data: iterations 1-5 of final.json, verified, in the cache; the tests find them there', { skip: needsPaperData }, async () => {
  const text = finalJson();
  assert.equal(recordsFromFinalJson(text).length, PAPER_RECORDS);
  const server = await serve(() => ({ status: 200, body: text }));
  try {
    const cacheHome = tempDir('secreview-cache-');
    const r = await fetchScript(server.url, cacheHome);
    assert.equal(r.code, 0, r.out);
    const cached = path.join(cacheHome, 'secreview', 'paper-data', PAPER_DATA_FILE);
    assert.match(r.out, new RegExp(`wrote 959 records \\(sha256 f04f0371d5c5\\.\\.\\., verified\\) to ${cached.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
    // The same records as the copy beside the project, in the same order.
    const parse = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(parse(cached), parse(paperLabelsFile));
    const nowhere = path.join(tempDir(), 'no-shared');
    assert.equal(findPaperData({ sharedDir: nowhere, cacheDir: path.dirname(cached) }), cached);
    // A damaged cache copy is not used.
    writeFileSync(cached, readFileSync(cached, 'utf8').replace('"yes"', '"no"'));
    assert.equal(findPaperData({ sharedDir: nowhere, cacheDir: path.dirname(cached) }), undefined);
  } finally {
    await server.close();
  }
});

test('a changed final.json or a failed download writes nothing and says why', { skip: needsPaperData }, async () => {
  const changed = finalJson().replace('"tag_post_qa": "no"', '"tag_post_qa": "yes"');
  let reply = { status: 200, body: changed };
  const server = await serve(() => reply);
  try {
    const cacheHome = tempDir('secreview-cache-');
    const cached = path.join(cacheHome, 'secreview', 'paper-data', PAPER_DATA_FILE);
    const bad = await fetchScript(server.url, cacheHome);
    assert.equal(bad.code, 1);
    assert.match(bad.out, /gives 959 records of iterations 1-5 with sha256 [0-9a-f]{64}, expected 959 with f04f0371.*: the file is not the paper's \(changed or damaged\); nothing was written/);
    assert.equal(existsSync(cached), false);
    reply = { status: 404, body: 'Not Found' };
    const missing = await fetchScript(server.url, cacheHome);
    assert.equal(missing.code, 1);
    assert.match(missing.out, /could not download http:\/\/127\.0\.0\.1:\d+\/data\/final\.json: HTTP 404 Not Found; nothing was written/);
    assert.equal(existsSync(cached), false);
  } finally {
    await server.close();
  }
});

test('without the data the tests are skipped with how to get it, except under CI=true', () => {
  assert.equal(paperDataSkip(undefined, {}), "the paper's labeled data is not here: npm run fetch-paper-data (downloads the paper's data/final.json once into the cache)");
  assert.equal(paperDataSkip(undefined, { CI: 'true' }), false);
  assert.equal(paperDataSkip('/somewhere/paper-labels-it1-5.jsonl', {}), false);
  assert.equal(findPaperData({ sharedDir: path.join(tempDir(), 'none'), cacheDir: path.join(tempDir(), 'none') }), undefined);
});
