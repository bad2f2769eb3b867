/**
 * Downloading a model in Hugging Face Hub layout from a loopback server: LFS redirects with
 * X-Linked-Etag/X-Linked-Size, progress, resume with HTTP Range after a broken transfer (within a
 * run and across runs), corrupt files rejected, the cache used offline, a clear error when
 * offline with nothing cached, and a gated repository that takes HF_TOKEN, which never leaves the Hub.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { cacheFolder, downloadModel, hubToken, resolveModelFolder } from '../../../python-free-train/roberta/hub';
import { loadRobertaModel } from '../../../python-free-train/roberta/model';

const REPO = 'test-org/tiny-roberta';
const GATED = 'test-org/gated-roberta';
const TOKEN = 'hf_loopbackSecret123';
const LFS = new Set(['model.safetensors']);

interface ServerState {
  requests: { method: string; url: string; range?: string; authorization?: string; server: 'hub' | 'store' }[];
  /** Break the first N transfers of LFS files after this many bytes. */
  cutAfter?: number;
  cuts: number;
  corrupt: boolean;
}

describe('roberta model download from the Hub', () => {
  let work: string;
  let files: Map<string, Buffer>;
  let server: http.Server;
  /** A second origin, like the Hub's file store that LFS files redirect to. */
  let store: http.Server;
  let baseUrl: string;
  let storeUrl: string;
  const state: ServerState = { requests: [], cuts: 0, corrupt: false };

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'secreview-hub-'));
    const model = path.join(work, 'origin');
    await writeTinyRoberta(model, { seed: 3, bpeTokens: 400 });
    files = new Map(['config.json', 'model.safetensors', 'tokenizer.json'].map((f) => [f, readFileSync(path.join(model, f))]));
    const handler = (server: 'hub' | 'store') => (req: http.IncomingMessage, res: http.ServerResponse) => {
      state.requests.push({ method: req.method!, url: req.url!, range: req.headers.range, authorization: req.headers.authorization, server });
      const m = req.url!.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
      const cdn = req.url!.match(/^\/cdn\/(.+)$/);
      const name = m?.[3] ?? cdn?.[1];
      const body = name ? files.get(name) : undefined;
      if (m && m[1] === GATED && req.headers.authorization !== `Bearer ${TOKEN}`) { res.writeHead(401, { 'X-Error-Code': 'GatedRepo' }).end('Access to model test-org/gated-roberta is restricted.'); return; }
      // Like the Hub: a repository that does not exist (or is private) is a 401 with its error code.
      if (m && m[1] === 'test-org/no-such-model') { res.writeHead(401, { 'X-Error-Code': 'RepoNotFound' }).end('Repository not found'); return; }
      if (!body || (m && m[1] !== REPO && m[1] !== GATED)) { res.writeHead(404).end('Entry not found'); return; }
      if (m && LFS.has(name!)) {
        const sha = createHash('sha256').update(body).digest('hex');
        const location = m[1] === GATED ? `${storeUrl}/cdn/${name}` : `/cdn/${name}`;
        res.writeHead(302, { Location: location, 'X-Linked-Etag': `"${sha}"`, 'X-Linked-Size': String(body.length), ETag: `"${sha}"` }).end();
        return;
      }
      const served = state.corrupt && LFS.has(name!) ? Buffer.from(body).fill(7, 100, 101) : body;
      const start = Number(req.headers.range?.match(/^bytes=(\d+)-$/)?.[1] ?? 0);
      const headers: http.OutgoingHttpHeaders = { 'Content-Length': String(served.length - start), 'Accept-Ranges': 'bytes' };
      if (!LFS.has(name!)) headers.ETag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (start) headers['Content-Range'] = `bytes ${start}-${served.length - 1}/${served.length}`;
      res.writeHead(start ? 206 : 200, headers);
      if (req.method === 'HEAD') { res.end(); return; }
      if (LFS.has(name!) && state.cutAfter !== undefined && state.cuts > 0) {
        state.cuts--;
        // Break off once the client has had time to store what it received (like a dropped connection).
        res.write(served.subarray(start, start + state.cutAfter), () => setTimeout(() => res.socket?.destroy(), 150));
        return;
      }
      res.end(served.subarray(start));
    };
    server = http.createServer(handler('hub'));
    store = http.createServer(handler('store'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => store.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    storeUrl = `http://127.0.0.1:${(store.address() as AddressInfo).port}`;
  });
  beforeEach(() => { state.requests = []; state.cutAfter = undefined; state.cuts = 0; state.corrupt = false; });
  after(async () => {
    for (const s of [server, store]) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
    await rm(work, { recursive: true, force: true });
  });

  const freshCache = () => mkdtemp(path.join(work, 'cache-'));
  const weightsSize = () => files.get('model.safetensors')!.length;

  it('downloads into the cache with progress, verifies the weights, then works offline from the cache', async () => {
    const cacheDir = await freshCache();
    const progress: number[] = [];
    const dir = await downloadModel({ repo: REPO, baseUrl, cacheDir, onProgress: (p) => { if (p.file === 'model.safetensors') progress.push(p.receivedBytes); } });
    assert.equal(dir, cacheFolder(cacheDir, REPO, 'main'));
    assert.equal(progress.at(-1), weightsSize());
    assert.ok(progress.every((v, i) => i === 0 || v >= progress[i - 1]!));
    for (const [name, body] of files) assert.ok(readFileSync(path.join(dir, name)).equals(body), `${name} is intact`);
    const model = await loadRobertaModel(dir);
    assert.equal(model.weightsSha256, createHash('sha256').update(files.get('model.safetensors')!).digest('hex'));
    // The optional tokenizer_config.json is missing on this server: a 404 there is fine.
    assert.ok(state.requests.some((r) => r.url.endsWith('/tokenizer_config.json')));

    state.requests = [];
    assert.equal(await downloadModel({ repo: REPO, baseUrl: 'http://127.0.0.1:9', cacheDir }), dir);
    assert.equal(state.requests.length, 0, 'a cached model needs no network');
  });

  it('resumes a broken transfer with an HTTP Range request', async () => {
    const cacheDir = await freshCache();
    state.cutAfter = 1000; state.cuts = 1;
    const dir = await downloadModel({ repo: REPO, baseUrl, cacheDir });
    const ranges = state.requests.filter((r) => r.url === '/cdn/model.safetensors' && r.method === 'GET').map((r) => r.range);
    assert.equal(ranges.length, 2);
    assert.equal(ranges[0], undefined);
    const resumedAt = Number(ranges[1]?.match(/^bytes=(\d+)-$/)?.[1]);
    assert.ok(resumedAt > 0 && resumedAt <= 1000, `resumed at ${ranges[1]}`);
    assert.ok(readFileSync(path.join(dir, 'model.safetensors')).equals(files.get('model.safetensors')!));
  });

  it('resumes in a later run from the partial file the interrupted run left', async () => {
    const cacheDir = await freshCache();
    state.cutAfter = 2048; state.cuts = 1;
    await assert.rejects(downloadModel({ repo: REPO, baseUrl, cacheDir, attempts: 1 }), /transfer failed 1 times .*run again to resume/);
    const partial = path.join(cacheFolder(cacheDir, REPO), 'model.safetensors.incomplete');
    const kept = readFileSync(partial).length;
    assert.ok(kept > 0 && kept <= 2048, `kept ${kept} bytes`);
    state.requests = [];
    const dir = await downloadModel({ repo: REPO, baseUrl, cacheDir });
    assert.deepEqual(state.requests.filter((r) => r.url === '/cdn/model.safetensors' && r.method === 'GET').map((r) => r.range), [`bytes=${kept}-`]);
    assert.ok(readFileSync(path.join(dir, 'model.safetensors')).equals(files.get('model.safetensors')!));
    assert.ok(!existsSync(partial));
  });

  it('rejects a corrupt download by its sha256 and keeps nothing of it', async () => {
    const cacheDir = await freshCache();
    state.corrupt = true;
    await assert.rejects(downloadModel({ repo: REPO, baseUrl, cacheDir }), /model\.safetensors is corrupt \(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\)/);
    const dir = cacheFolder(cacheDir, REPO);
    assert.ok(!existsSync(path.join(dir, 'model.safetensors')));
    assert.ok(!existsSync(path.join(dir, 'model.safetensors.incomplete')));
    await assert.rejects(resolveModelFolder({ cacheDir, repo: REPO, baseUrl: 'http://127.0.0.1:9' }), /not cached/);
  });

  it('offline with nothing cached: names the setting and the CLI flag', async () => {
    const cacheDir = await freshCache();
    await assert.rejects(resolveModelFolder({ cacheDir, baseUrl: 'http://127.0.0.1:9' }),
      /cannot reach http:\/\/127\.0\.0\.1:9 to download FacebookAI\/roberta-base@main .*secreview\.model\.path .*--model <folder>/);
  });

  it('a local folder is used as is, and a folder without the files is refused with the setting named', async () => {
    assert.equal(await resolveModelFolder({ path: path.join(work, 'origin'), cacheDir: work }), path.join(work, 'origin'));
    await assert.rejects(resolveModelFolder({ path: work, cacheDir: work }), /\(setting secreview\.model\.path or --model\) lacks config\.json, model\.safetensors, tokenizer\.json/);
  });

  it('a gated repository: without a token or with a wrong one the error says what to do; HF_TOKEN opens it and never reaches the file store', async () => {
    const cacheDir = await freshCache();
    const noToken = await downloadModel({ repo: GATED, baseUrl, cacheDir, token: '' }).catch((e: Error) => e);
    assert.match(String(noToken), /HTTP 401: "test-org\/gated-roberta" is gated\. Accept its terms on the Hub, then set the environment variable HF_TOKEN/);
    const wrong = await downloadModel({ repo: GATED, baseUrl, cacheDir, token: 'hf_wrong' }).catch((e: Error) => e);
    assert.match(String(wrong), /The access token was refused: check that it is valid/);
    // A 401 for a repository the Hub does not know points at the model id, not at the terms.
    const missing = await downloadModel({ repo: 'test-org/no-such-model', baseUrl, cacheDir, token: '' }).catch((e: Error) => e);
    assert.match(String(missing), /HTTP 401: the Hub has no repository "test-org\/no-such-model" that is public\. Check the model id \(setting secreview\.model\.id, flag --model-id\); for a private repository set the environment variable HF_TOKEN/);
    assert.ok(!String(wrong).includes('hf_wrong'), 'the token is not in the message');

    state.requests = [];
    const saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = TOKEN;
    try {
      const dir = await downloadModel({ repo: GATED, baseUrl, cacheDir });
      for (const [name, body] of files) assert.ok(readFileSync(path.join(dir, name)).equals(body), `${name} is intact`);
    } finally {
      if (saved === undefined) delete process.env.HF_TOKEN; else process.env.HF_TOKEN = saved;
    }
    const hub = state.requests.filter((r) => r.server === 'hub'), fileStore = state.requests.filter((r) => r.server === 'store');
    assert.ok(hub.length >= 4 && hub.every((r) => r.authorization === `Bearer ${TOKEN}`), 'every Hub request carries the token');
    assert.ok(fileStore.length >= 1 && fileStore.every((r) => r.authorization === undefined), 'the redirected file store gets no credentials');
    // An unset or blank token is no token; HF_TOKEN wins over the older name.
    assert.equal(hubToken(undefined, {}), undefined);
    assert.equal(hubToken(undefined, { HF_TOKEN: '  ' }), undefined);
    assert.equal(hubToken(undefined, { HF_TOKEN: 'a', HUGGING_FACE_HUB_TOKEN: 'b' }), 'a');
    assert.equal(hubToken(undefined, { HUGGING_FACE_HUB_TOKEN: 'b' }), 'b');
  });
});
