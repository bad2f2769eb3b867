/**
 * Getting the RoBERTa folder: a local folder in Hugging Face layout (setting `secreview.model.path`,
 * CLI flag `--model`), or a download from the Hugging Face Hub on first use into a cache folder.
 * Downloads resume after an interruption (HTTP Range on a `.incomplete` file, retried a few times
 * and across runs), report progress, and are verified before they are renamed into place: size
 * from the Hub's `X-Linked-Size`/`Content-Length`, and sha256 from `X-Linked-Etag`/`ETag` for LFS
 * files (the weights). A cached folder is used without touching the network. Gated or private
 * repositories take a Hugging Face access token (`HF_TOKEN`), sent only to the Hub itself: the
 * signed redirect to the file store gets no credentials.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MODEL_FILES, REQUIRED_FILES, missingModelFiles } from './model';

export const DEFAULT_HUB_MODEL = 'FacebookAI/roberta-base';
export const DEFAULT_REVISION = 'main';
export const DEFAULT_HUB_URL = 'https://huggingface.co';
export const MODEL_PATH_SETTING = 'secreview.model.path';
export const MODEL_FLAG = '--model';
const MANIFEST = '.secreview-download.json';
const OPTIONAL_FILES = [MODEL_FILES.tokenizerConfig];
/** Sizes and hashes are of the stored bytes: never let a transfer be compressed. */
const IDENTITY = { 'Accept-Encoding': 'identity' };

export interface DownloadProgress { file: string; receivedBytes: number; totalBytes?: number }

export interface HubOptions {
  /** Hub repository id (default FacebookAI/roberta-base). */
  repo?: string;
  /** Branch, tag or commit (default main). */
  revision?: string;
  /** Base URL of the Hub (tests point it at a loopback server). */
  baseUrl?: string;
  /** Folder holding downloaded models, one subfolder per repo and revision. */
  cacheDir: string;
  onProgress?: (p: DownloadProgress) => void;
  signal?: AbortSignal;
  /** Attempts per file when a transfer breaks off (default 4). */
  attempts?: number;
  /** Hugging Face access token for gated or private repositories (default `$HF_TOKEN`). */
  token?: string;
}

/** The access token: given, else `HF_TOKEN`, else the older `HUGGING_FACE_HUB_TOKEN`. */
export function hubToken(given: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return (given ?? env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN)?.trim() || undefined;
}

/** Request headers for `url`: the token only where the origin is the Hub's. */
function headersFor(url: string, hub: string, token: string | undefined, extra?: Record<string, string>): Record<string, string> {
  const headers: Record<string, string> = { ...IDENTITY, ...extra };
  if (token && new URL(url).origin === new URL(hub).origin) headers.Authorization = `Bearer ${token}`;
  return headers;
}

export interface ModelSource extends HubOptions {
  /** A local folder in Hugging Face layout; when set, the Hub is never asked. */
  path?: string;
}

export class ModelDownloadError extends Error {
  /** The Hub could not be reached at all (offline, refused, DNS). */
  readonly network: boolean;
  constructor(message: string, options?: { cause?: unknown; network?: boolean }) {
    super(`roberta download: ${message}`, { cause: options?.cause });
    this.name = 'ModelDownloadError';
    this.network = options?.network ?? false;
  }
}

/** Splits `owner/name@revision`. */
export function parseModelId(id: string, revision?: string): { repo: string; revision: string } {
  const at = id.lastIndexOf('@');
  if (at > 0) return { repo: id.slice(0, at), revision: revision ?? id.slice(at + 1) };
  return { repo: id, revision: revision ?? DEFAULT_REVISION };
}

/** Where a repo and revision are cached. */
export function cacheFolder(cacheDir: string, repo = DEFAULT_HUB_MODEL, revision = DEFAULT_REVISION): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '--');
  return path.join(cacheDir, `models--${safe(repo)}`, safe(revision));
}

/** The folder to load the model from: the given path, the cache, or a fresh download. */
export async function resolveModelFolder(source: ModelSource): Promise<string> {
  if (source.path) {
    const missing = missingModelFiles(source.path);
    if (missing.length) {
      throw new ModelDownloadError(`${source.path} (setting ${MODEL_PATH_SETTING} or ${MODEL_FLAG}) lacks ${missing.join(', ')}: it must be a RoBERTa folder in Hugging Face layout`);
    }
    return source.path;
  }
  return downloadModel(source);
}

/** Downloads the model files into the cache unless they are there already; returns the folder. */
export async function downloadModel(o: HubOptions): Promise<string> {
  const repo = o.repo ?? DEFAULT_HUB_MODEL, revision = o.revision ?? DEFAULT_REVISION;
  const dir = cacheFolder(o.cacheDir, repo, revision);
  if (await isComplete(dir)) return dir;
  await mkdir(dir, { recursive: true });
  const base = (o.baseUrl ?? DEFAULT_HUB_URL).replace(/\/+$/, '');
  const auth: Auth = { hub: base, token: hubToken(o.token), repo };
  const manifest: Record<string, FileMeta> = {};
  try {
    for (const file of [...REQUIRED_FILES, ...OPTIONAL_FILES]) {
      const url = `${base}/${repo}/resolve/${encodeURIComponent(revision)}/${file}`;
      const meta = await downloadFile(url, path.join(dir, file), file, o, auth, !(REQUIRED_FILES as readonly string[]).includes(file));
      if (meta) manifest[file] = meta;
    }
  } catch (e) {
    if (!(e instanceof ModelDownloadError && e.network)) throw e;
    throw new ModelDownloadError(`cannot reach ${base} to download ${repo}@${revision} (${describeNetworkError(e.cause)}) and it is not cached in ${dir}. `
      + `Give a local RoBERTa folder (config.json, model.safetensors, tokenizer.json) with the setting ${MODEL_PATH_SETTING} or the CLI flag ${MODEL_FLAG} <folder>.`, { cause: e.cause });
  }
  await writeFile(path.join(dir, MANIFEST), `${JSON.stringify({ repo, revision, files: manifest }, null, 2)}\n`);
  return dir;
}

interface FileMeta { size: number; sha256?: string }

async function isComplete(dir: string): Promise<boolean> {
  return existsSync(path.join(dir, MANIFEST)) && missingModelFiles(dir).length === 0;
}

interface Expected { size?: number; sha256?: string; url: string }
interface Auth { hub: string; token: string | undefined; repo: string }

/**
 * 401/403, with what to do about it. The Hub answers 401 for a repository that does not exist too
 * (it does not reveal private ones) and says which case it is in `X-Error-Code`; a refusal from
 * the file store a download was redirected to (an expired signed link) has nothing to do with the token.
 */
function accessError(url: string, res: Response, auth: Auth): ModelDownloadError {
  const status = `HTTP ${res.status}`;
  if (new URL(url).origin !== new URL(auth.hub).origin) {
    return new ModelDownloadError(`${url}: ${status} from the file store the Hub redirected to (the signed link may have expired); run again to resume`);
  }
  const code = res.headers.get('x-error-code');
  const local = `or give a local folder with ${MODEL_PATH_SETTING} / ${MODEL_FLAG}`;
  const tokenHint = 'set the environment variable HF_TOKEN to an access token (read scope) before starting VS Code or secreview';
  if (code === 'RepoNotFound') {
    return new ModelDownloadError(`${url}: ${status}: the Hub has no repository "${auth.repo}" that ${auth.token ? 'this access token can see' : 'is public'}. `
      + `Check the model id (setting secreview.model.id, flag --model-id)${auth.token ? '' : `; for a private repository ${tokenHint}`}, ${local}.`);
  }
  const what = `${url}: ${status}: "${auth.repo}" is ${code === 'GatedRepo' ? 'gated' : 'gated, private or missing'}.`;
  return new ModelDownloadError(auth.token
    ? `${what} The access token was refused: check that it is valid and that its account has accepted the model's terms on the Hub, ${local}.`
    : `${what} Accept its terms on the Hub, then ${tokenHint}, ${local}.`);
}

/** HEAD without following redirects: the Hub puts the LFS hash and size on its redirect. */
async function probe(url: string, auth: Auth, signal?: AbortSignal): Promise<Expected | 'missing'> {
  let current = url;
  for (let hop = 0; hop < 5; hop++) {
    const res = await fetch(current, { method: 'HEAD', redirect: 'manual', signal, headers: headersFor(current, auth.hub, auth.token) });
    if (res.status === 401 || res.status === 403) throw accessError(current, res, auth);
    if (res.status === 404) return 'missing';
    const linkedEtag = res.headers.get('x-linked-etag'), etag = res.headers.get('etag');
    const sha = [linkedEtag, etag].map(hexDigest).find((h) => h?.length === 64);
    const size = Number(res.headers.get('x-linked-size') ?? (res.status < 300 ? res.headers.get('content-length') : NaN));
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location) throw new ModelDownloadError(`${url}: redirect without a location`);
      const next = new URL(location, current).toString();
      // An LFS redirect carries the file's identity; a plain one (renamed repo) does not.
      if (linkedEtag) return { size: Number.isFinite(size) ? size : undefined, sha256: sha, url: next };
      current = next;
      continue;
    }
    if (!res.ok) throw new ModelDownloadError(`${url}: HTTP ${res.status} ${res.statusText}`);
    return { size: Number.isFinite(size) ? size : undefined, sha256: sha, url: current };
  }
  throw new ModelDownloadError(`${url}: too many redirects`);
}

function hexDigest(etag: string | null): string | undefined {
  const m = etag?.match(/^(?:W\/)?"?([0-9a-f]+)"?$/i);
  return m?.[1]?.toLowerCase();
}

async function downloadFile(url: string, target: string, file: string, o: HubOptions, auth: Auth, optional: boolean): Promise<FileMeta | undefined> {
  const expected = await probe(url, auth, o.signal).catch((e: unknown) => { throw wrapNetwork(e); });
  if (expected === 'missing') {
    if (optional) return undefined;
    throw new ModelDownloadError(`${url}: not found (404); is "${o.repo ?? DEFAULT_HUB_MODEL}" a RoBERTa repository with ${file}?`);
  }
  if (existsSync(target) && (await verify(target, expected)) === null) return { size: (await stat(target)).size, sha256: expected.sha256 };
  const partial = `${target}.incomplete`;
  const attempts = o.attempts ?? 4;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    try {
      await transfer(expected, partial, file, o, auth);
      lastError = undefined;
      break;
    } catch (e) {
      if (e instanceof ModelDownloadError || o.signal?.aborted) throw e;
      lastError = e;
    }
  }
  if (lastError) throw new ModelDownloadError(`${url}: transfer failed ${attempts} times (${(lastError as Error).message}); run again to resume`, { cause: lastError });
  const problem = await verify(partial, expected);
  if (problem) {
    await rm(partial, { force: true });
    throw new ModelDownloadError(`${url}: downloaded ${file} is corrupt (${problem}); it was deleted, run again to download it afresh`);
  }
  await rename(partial, target);
  return { size: (await stat(target)).size, sha256: expected.sha256 };
}

/** Appends to `partial` from where it stops, with a Range request; a server that ignores Range restarts it. */
async function transfer(expected: Expected, partial: string, file: string, o: HubOptions, auth: Auth): Promise<void> {
  let have = existsSync(partial) ? (await stat(partial)).size : 0;
  if (expected.size !== undefined && have > expected.size) { await rm(partial); have = 0; }
  if (expected.size !== undefined && have === expected.size) return;
  const res = await fetch(expected.url, { headers: headersFor(expected.url, auth.hub, auth.token, have ? { Range: `bytes=${have}-` } : undefined), signal: o.signal });
  if (res.status === 416 && expected.size !== undefined && have === expected.size) return;
  if (res.status === 401 || res.status === 403) throw accessError(expected.url, res, auth);
  if (!res.ok) throw new ModelDownloadError(`${expected.url}: HTTP ${res.status} ${res.statusText}`);
  if (res.status !== 206) have = 0;
  const total = expected.size ?? (Number(res.headers.get('content-length')) + have || undefined);
  const handle = await open(partial, have ? 'a' : 'w');
  try {
    let received = have;
    o.onProgress?.({ file, receivedBytes: received, totalBytes: total });
    if (!res.body) throw new Error('empty response body');
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      await handle.write(chunk);
      received += chunk.byteLength;
      o.onProgress?.({ file, receivedBytes: received, totalBytes: total });
    }
    if (expected.size !== undefined && received < expected.size) throw new Error(`connection closed after ${received} of ${expected.size} bytes`);
  } finally {
    await handle.close();
  }
}

/** null when `file` has the expected size and hash, else what is wrong. */
async function verify(file: string, expected: Expected): Promise<string | null> {
  const size = (await stat(file)).size;
  if (expected.size !== undefined && size !== expected.size) return `${size} bytes, expected ${expected.size}`;
  if (expected.sha256) {
    const actual = await sha256Of(file);
    if (actual !== expected.sha256) return `sha256 ${actual}, expected ${expected.sha256}`;
  }
  return null;
}

function sha256Of(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file).on('data', (c) => hash.update(c)).on('error', reject).on('end', () => resolve(hash.digest('hex')));
  });
}

function wrapNetwork(e: unknown): unknown {
  // fetch reports unreachable hosts and refused connections as TypeError("fetch failed").
  return e instanceof TypeError ? new ModelDownloadError('network error', { cause: e, network: true }) : e;
}

function describeNetworkError(e: unknown): string {
  const inner = (e as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  return inner?.code ?? inner?.message ?? (e as Error | undefined)?.message ?? 'network error';
}

