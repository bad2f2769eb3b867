/**
 * The one place that talks to GitHub: an octokit instance (with its retry and throttling plugins)
 * behind a small interface that knows about rate-limit budgets, pacing, cancellation and token
 * hygiene. Everything above it (crawler, sampling, diff context) sees plain data or a `GitHubError`
 * whose message never contains the token.
 */
import { Octokit as OctokitCore } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling, type ThrottlingOptions } from '@octokit/plugin-throttling';
import { registerSecret, scrubSecrets } from './scrub';

export type RateResource = 'graphql' | 'core' | 'search';

export interface RateBudget {
  resource: RateResource;
  limit: number;
  remaining: number;
  /** Epoch milliseconds when the budget resets. */
  resetAt: number;
}

export type ClientEvent =
  | { kind: 'wait'; reason: 'primary-rate-limit' | 'secondary-rate-limit' | 'malformed-response'; ms: number; until: number; detail: string }
  | { kind: 'fault'; detail: string }
  | { kind: 'rate'; budget: RateBudget };

/**
 * `network`: GitHub cannot be reached at all (refused, DNS, reset), so no repository can be fetched;
 * `timeout`: no answer in time (a stalled connection, or a page too big for GitHub to answer);
 * `config`: the client itself was given something unusable (an API URL with a password in it).
 */
export type GitHubErrorKind = 'not-found' | 'unauthorized' | 'rate-limited' | 'server' | 'network' | 'timeout' | 'malformed' | 'graphql' | 'aborted' | 'config' | 'other';

/** An error from GitHub with a scrubbed message and a kind the crawler can decide on. */
export class GitHubError extends Error {
  /** For rate-limit refusals: how long GitHub asked to wait (retry-after, or until the budget resets). */
  retryAfterMs?: number;
  constructor(message: string, readonly kind: GitHubErrorKind, readonly status?: number) {
    super(scrubSecrets(message));
    this.name = 'GitHubError';
  }
}

export interface GitHubClientOptions {
  token?: string;
  /** REST base URL (default https://api.github.com; GitHub Enterprise: https://host/api/v3). */
  apiUrl?: string;
  /** GraphQL endpoint; derived from apiUrl when absent. */
  graphqlUrl?: string;
  signal?: AbortSignal;
  /** Minimum pause between two requests to the same budget (GitHub asks clients to go serially; default 1000 ms for GraphQL, 0 for REST core). */
  minIntervalMs?: number;
  /** Minimum pause between search requests (search allows 30 per minute; default 2000 ms). */
  searchIntervalMs?: number;
  /** How long "one second" of a server-requested wait lasts; tests shorten it. Default 1000. */
  waitUnitMs?: number;
  /** Retries for server errors, dropped connections and malformed bodies (default 3). */
  retries?: number;
  /** Retries after rate-limit responses (default 10). */
  rateLimitRetries?: number;
  /** Longest single rate-limit wait accepted before giving up (default 2 h). */
  maxWaitMs?: number;
  /**
   * Longest a request may take, answer body included, before it is abandoned and retried as a
   * network fault (default 60 s): a stalled connection must not hang a crawl forever.
   */
  requestTimeoutMs?: number;
  onEvent?: (event: ClientEvent) => void;
  fetch?: typeof globalThis.fetch;
}

export interface GraphQLErrorItem { message: string; type?: string; path?: (string | number)[] }
export interface GraphQLResult { data: Record<string, unknown> | null; errors: GraphQLErrorItem[] }

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Resolves after `ms`, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(timer); reject(abortError(signal)); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortError(signal?: AbortSignal): GitHubError {
  const reason = signal?.reason;
  const why = reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : 'cancelled';
  return new GitHubError(`GitHub request cancelled (${why})`, 'aborted');
}

/** Settles with the promise, or rejects at once when the signal aborts (the request may still finish in the background). */
function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => {}); // settled after we stopped listening; its failure is expected
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}

function resourceOf(url: string): RateResource {
  const { pathname } = new URL(url);
  if (/\/graphql$/.test(pathname)) return 'graphql';
  if (/\/search\//.test(pathname)) return 'search';
  return 'core';
}

/**
 * The `octokit` package's own class is this same core with these same plugins plus App/OAuth and
 * webhooks support, whose ESM-only dependencies cannot be required from the CommonJS test runner
 * and would only bloat the extension bundle. Core is the plugins' peer dependency.
 */
const Octokit = OctokitCore.plugin(retry, throttling);

/** Rate-limit waits up to this many seconds are done by the throttling plugin itself. */
const SHORT_WAIT_UNITS = 10;

type ThrottleGroup = NonNullable<ThrottlingOptions['write']>;

/**
 * A stand-in for the throttling plugin's built-in Bottleneck groups: this client paces requests
 * itself (abortably, per budget, with visible waits), so the plugin's fixed 1-2 s gaps are not
 * stacked on top. The plugin's reactive rate-limit handling (403/429, retry-after, reset) stays on.
 */
const passThroughGroup = {
  key: () => ({
    schedule: (...args: unknown[]) => {
      const fn = args.find((a): a is (...xs: unknown[]) => unknown => typeof a === 'function');
      const rest = args.slice(args.indexOf(fn) + 1);
      return Promise.resolve(fn ? fn(...rest) : undefined);
    },
  }),
} as unknown as ThrottleGroup;

/** Converts anything octokit throws into a GitHubError with a scrubbed message. */
/** The wait a rate-limit response asks for, from its headers: retry-after, else the budget reset. */
function requestedWaitMs(headers: unknown, waitUnitMs: number): number | undefined {
  if (!isObj(headers)) return undefined;
  const retryAfter = Number(headers['retry-after']);
  if (headers['retry-after'] !== undefined && Number.isFinite(retryAfter)) return Math.max(0, retryAfter) * waitUnitMs;
  const reset = Number(headers['x-ratelimit-reset']);
  if (String(headers['x-ratelimit-remaining']) === '0' && Number.isFinite(reset)) return Math.max(0, reset * 1000 - Date.now()) + waitUnitMs;
  return undefined;
}

export function toGitHubError(e: unknown, signal?: AbortSignal, waitUnitMs = 1000): GitHubError {
  if (e instanceof GitHubError) return e;
  if (signal?.aborted) return abortError(signal);
  const err = e as { status?: unknown; message?: unknown; name?: unknown; response?: { headers?: unknown } };
  const status = typeof err?.status === 'number' ? err.status : undefined;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  if (err?.name === 'AbortError') return new GitHubError(`GitHub request cancelled`, 'aborted');
  // GitHub asks for "a few minutes" when a secondary limit comes without retry-after; octokit waits 60 s.
  const wait = requestedWaitMs(err?.response?.headers, waitUnitMs) ?? (/secondary rate/i.test(message) ? 60 * waitUnitMs : undefined);
  if (/rate limit/i.test(message) && (status === undefined || status === 200 || status === 403 || status === 429)) {
    const limited = new GitHubError(`GitHub rate limit: ${message}`, 'rate-limited', status);
    limited.retryAfterMs = wait;
    return limited;
  }
  if (status === 404 || status === 410 || status === 451) return new GitHubError(`not found (${status}): ${message}`, 'not-found', status);
  if (status === 401) return new GitHubError(`GitHub rejected the token (401): ${message}. Check GITHUB_TOKEN or sign in again.`, 'unauthorized', status);
  if (status === 403 && wait === undefined) return new GitHubError(`GitHub refused access (403): ${message}`, 'other', status);
  if (status === 403 || status === 429) {
    const refused = new GitHubError(`GitHub refused the request (${status}): ${message}`, 'rate-limited', status);
    refused.retryAfterMs = wait;
    return refused;
  }
  if (status === 500 && /^no answer from GitHub within/.test(message)) return new GitHubError(message, 'timeout', status);
  if (status === 500 && /fetch failed|socket|ECONNRESET|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|terminated|other side closed|network/i.test(message)) {
    return new GitHubError(`network error talking to GitHub: ${message}`, 'network', status);
  }
  if (status !== undefined && status >= 500) return new GitHubError(`GitHub server error (${status}): ${message}`, 'server', status);
  return new GitHubError(message, 'other', status);
}

export class GitHubClient {
  readonly apiUrl: string;
  readonly graphqlUrl: string;
  /** Requests sent, retries included. */
  requestCount = 0;
  readonly budgets = new Map<RateResource, RateBudget>();
  private readonly octokit: InstanceType<typeof Octokit>;
  private readonly lastRequestAt = new Map<RateResource, number>();
  private readonly signal?: AbortSignal;
  private readonly options: GitHubClientOptions;
  private readonly waitUnitMs: number;

  constructor(options: GitHubClientOptions = {}) {
    this.options = options;
    this.signal = options.signal;
    this.waitUnitMs = options.waitUnitMs ?? 1000;
    registerSecret(options.token);
    this.apiUrl = checkedApiUrl(options.apiUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.graphqlUrl = options.graphqlUrl ?? (/\/api\/v3$/.test(this.apiUrl) ? this.apiUrl.replace(/\/api\/v3$/, '/api/graphql') : `${this.apiUrl}/graphql`);
    if (options.onEvent) this.listeners.add(options.onEvent);
    const emit = (event: ClientEvent) => this.emit(event);
    const rateLimitRetries = options.rateLimitRetries ?? 10;
    const onLimit = (reason: 'primary-rate-limit' | 'secondary-rate-limit') =>
      (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
        const ms = retryAfter * this.waitUnitMs;
        // Short waits are left to the plugin; long ones (a primary budget reset can be an hour
        // away) come back as errors and are waited out in withRetries, where cancelling is instant.
        const retry = retryCount < rateLimitRetries && ms <= SHORT_WAIT_UNITS * this.waitUnitMs && !this.signal?.aborted;
        if (!retry) return false;
        emit({ kind: 'wait', reason, ms, until: Date.now() + ms, detail: scrubSecrets(`${request.method} ${new URL(request.url, this.apiUrl).pathname}`) });
        return true;
      };
    const log = {
      debug: () => {},
      info: () => {},
      warn: (message: string) => emit({ kind: 'fault', detail: scrubSecrets(message) }),
      error: (message: string) => emit({ kind: 'fault', detail: scrubSecrets(message) }),
    };
    this.octokit = new Octokit({
      auth: options.token,
      baseUrl: this.apiUrl,
      userAgent: 'secreview-crawler',
      log,
      request: { fetch: this.pacedFetch.bind(this), signal: options.signal },
      // 429 is left to the throttling plugin, which honours retry-after; the retry plugin would retry it on its own fixed backoff.
      retry: { retries: options.retries ?? 3, retryAfterBaseValue: this.waitUnitMs, doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] },
      throttle: {
        onRateLimit: onLimit('primary-rate-limit'),
        onSecondaryRateLimit: onLimit('secondary-rate-limit'),
        retryAfterBaseValue: this.waitUnitMs,
        fallbackSecondaryRateRetryAfter: 60,
        write: passThroughGroup,
        search: passThroughGroup,
        notifications: passThroughGroup,
      },
    });
  }

  private readonly listeners = new Set<(event: ClientEvent) => void>();

  private emit(event: ClientEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Subscribes to waits, faults and budget updates; returns the unsubscribe function. */
  addListener(listener: (event: ClientEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The budget GitHub last reported for a resource, if any. */
  budget(resource: RateResource): RateBudget | undefined {
    return this.budgets.get(resource);
  }

  /**
   * Every request goes through here: waits for an exhausted budget to reset (instead of spending a
   * request on a 403), keeps the minimum interval, counts, and records the rate-limit headers.
   */
  private async pacedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const resource = resourceOf(url);
    const budget = this.budgets.get(resource);
    if (budget && budget.remaining <= 0 && budget.resetAt > Date.now()) {
      const ms = budget.resetAt - Date.now() + this.waitUnitMs;
      this.emit({ kind: 'wait', reason: 'primary-rate-limit', ms, until: Date.now() + ms, detail: `${resource} budget used up (${budget.limit} per hour)` });
      await sleep(ms, this.signal);
      budget.remaining = budget.limit;
    }
    const interval = resource === 'search' ? (this.options.searchIntervalMs ?? 2000) : (this.options.minIntervalMs ?? (resource === 'graphql' ? 1000 : 0));
    const last = this.lastRequestAt.get(resource);
    if (last !== undefined && interval > 0) await sleep(last + interval - Date.now(), this.signal);
    this.lastRequestAt.set(resource, Date.now());
    this.requestCount++;
    const doFetch = this.options.fetch ?? globalThis.fetch;
    const timeoutMs = this.options.requestTimeoutMs ?? 60_000;
    // The timer runs on while octokit reads the body, so a body that stalls is abandoned too.
    const timeout = AbortSignal.timeout(timeoutMs);
    let response: Response;
    try {
      response = await doFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout });
    } catch (e) {
      if (this.signal?.aborted) throw e;
      if (timeout.aborted) {
        const message = `no answer from GitHub within ${timeoutMs / 1000} s on ${new URL(url).pathname}`;
        this.emit({ kind: 'fault', detail: `${message}; retrying` });
        // Not an AbortError: octokit turns it into a 500 that its retry plugin retries.
        throw new Error(message);
      }
      this.emit({ kind: 'fault', detail: scrubSecrets(`network error on ${new URL(url).pathname}: ${describeCause(e)}; retrying`) });
      throw e;
    }
    this.recordBudget(resource, response.headers);
    if (response.status >= 500) this.emit({ kind: 'fault', detail: `server error ${response.status} on ${new URL(url).pathname}; retrying with backoff` });
    return withRetryAfterInSeconds(response);
  }

  private recordBudget(fallback: RateResource, headers: Headers): void {
    const limit = Number(headers.get('x-ratelimit-limit'));
    const remaining = Number(headers.get('x-ratelimit-remaining'));
    const reset = Number(headers.get('x-ratelimit-reset'));
    if (!headers.has('x-ratelimit-remaining') || !Number.isFinite(remaining) || !Number.isFinite(reset)) return;
    const named = headers.get('x-ratelimit-resource');
    const resource: RateResource = named === 'graphql' || named === 'search' || named === 'core' ? named : fallback;
    const budget: RateBudget = { resource, limit: Number.isFinite(limit) ? limit : remaining, remaining, resetAt: reset * 1000 };
    this.budgets.set(resource, budget);
    this.emit({ kind: 'rate', budget });
  }

  /**
   * Runs a GraphQL query. Returns data and errors as GitHub sent them (partial data is kept);
   * throws a GitHubError for transport failures, and retries bodies that are not valid JSON.
   */
  async graphql(query: string, variables: Record<string, unknown>): Promise<GraphQLResult> {
    const rateLimitRetries = this.options.rateLimitRetries ?? 10;
    for (let limited = 0; ; limited++) {
      const result = await this.graphqlOnce(query, variables);
      // The throttling plugin catches RATE_LIMITED only on github.com's /graphql path; Enterprise's
      // /api/graphql (and any answer it let through) is waited out here until the budget resets.
      if (!result.errors.some((e) => e.type === 'RATE_LIMITED') || limited >= rateLimitRetries) return result;
      const resetAt = this.budgets.get('graphql')?.resetAt;
      const ms = resetAt !== undefined && resetAt > Date.now() ? resetAt - Date.now() + this.waitUnitMs : 60 * this.waitUnitMs;
      this.emit({ kind: 'wait', reason: 'primary-rate-limit', ms, until: Date.now() + ms, detail: 'GraphQL budget used up (RATE_LIMITED)' });
      await sleep(ms, this.signal);
    }
  }

  private async graphqlOnce(query: string, variables: Record<string, unknown>): Promise<GraphQLResult> {
    const body = await this.withMalformedRetry('POST /graphql', () => this.octokit.request('POST /graphql', { url: this.graphqlUrl, query, variables }));
    const data = isObj(body.data) ? body.data : null;
    const errors: GraphQLErrorItem[] = Array.isArray(body.errors)
      ? body.errors.filter(isObj).map((e) => ({
          message: scrubSecrets(typeof e.message === 'string' ? e.message : 'unknown GraphQL error'),
          type: typeof e.type === 'string' ? e.type : undefined,
          path: Array.isArray(e.path) ? e.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number') : undefined,
        }))
      : [];
    if (!data && !errors.length) throw new GitHubError('GitHub GraphQL answered without data or errors', 'malformed');
    return { data, errors };
  }

  /** GET a REST route (`/repos/{owner}/{repo}/pulls`) and return the parsed JSON body. */
  async rest(route: string, params: Record<string, string | number | undefined> = {}): Promise<unknown> {
    return this.withMalformedRetry(`GET ${route}`, () => this.octokit.request(`GET ${route}`, params), true);
  }

  /** GET a REST route and return its body as text (raw file contents, diffs). */
  async restText(route: string, params: Record<string, string | number | undefined>, accept: string): Promise<string> {
    const data = await this.withRetries(`GET ${route}`, () => this.octokit.request(`GET ${route}`, { ...params, headers: { accept } }), (d) => typeof d === 'string' || d instanceof ArrayBuffer);
    return typeof data === 'string' ? data : new TextDecoder().decode(data as ArrayBuffer);
  }

  private async withMalformedRetry(what: string, send: () => Promise<{ data: unknown }>, allowArray = false): Promise<Obj> {
    return (await this.withRetries(what, send, (d) => isObj(d) || (allowArray && Array.isArray(d)))) as Obj;
  }

  /**
   * Sends a request until its body has the expected shape: bodies that are not valid JSON are
   * retried with backoff, and rate-limit refusals too long for the throttling plugin are waited out
   * here (abortably, shown as waits) until GitHub's retry-after or budget reset has passed.
   */
  private async withRetries(what: string, send: () => Promise<{ data: unknown }>, wellFormed: (data: unknown) => boolean): Promise<unknown> {
    const retries = this.options.retries ?? 3;
    const rateLimitRetries = this.options.rateLimitRetries ?? 10;
    const maxWaitMs = this.options.maxWaitMs ?? 2 * 3600_000;
    let malformed = 0;
    let limited = 0;
    for (;;) {
      let data: unknown;
      if (this.signal?.aborted) throw abortError(this.signal);
      try {
        data = (await abortable(send(), this.signal)).data;
      } catch (e) {
        const err = toGitHubError(e, this.signal, this.waitUnitMs);
        if (err.kind !== 'rate-limited' || err.retryAfterMs === undefined || limited >= rateLimitRetries || err.retryAfterMs > maxWaitMs) throw err;
        limited++;
        const ms = err.retryAfterMs;
        const reason = /secondary/i.test(err.message) ? 'secondary-rate-limit' : 'primary-rate-limit';
        this.emit({ kind: 'wait', reason, ms, until: Date.now() + ms, detail: scrubSecrets(`${what}: ${err.message.slice(0, 120)}`) });
        await sleep(ms, this.signal);
        continue;
      }
      if (wellFormed(data)) return data;
      const preview = typeof data === 'string' ? data.slice(0, 60) : typeof data;
      if (malformed >= retries) throw new GitHubError(`${what}: response is not valid JSON (${JSON.stringify(preview)}) after ${retries + 1} tries`, 'malformed');
      malformed++;
      const ms = malformed * this.waitUnitMs;
      this.emit({ kind: 'wait', reason: 'malformed-response', ms, until: Date.now() + ms, detail: scrubSecrets(`${what}: response is not valid JSON; retrying`) });
      await sleep(ms, this.signal);
    }
  }
}

/**
 * The API URL, refused when it cannot work: not http(s), or with a user name and password in it
 * (fetch refuses such URLs on every request, and the password would end up in messages). The
 * password is registered as a secret first, so it is masked wherever the URL is shown.
 */
function checkedApiUrl(apiUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    throw new GitHubError(`the GitHub API URL ${JSON.stringify(apiUrl.slice(0, 200))} is not a URL (e.g. https://api.github.com or https://HOST/api/v3)`, 'config');
  }
  if (url.username || url.password) {
    for (const secret of [url.password, decodeURIComponent(url.password), url.username]) registerSecret(secret);
    url.username = '';
    url.password = '';
    throw new GitHubError(`the GitHub API URL must not contain a user name or password (${url.href.replace(/\/$/, '')} with credentials); give the token in GITHUB_TOKEN (or sign in with VS Code) instead`, 'config');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new GitHubError(`the GitHub API URL must start with https:// (got ${url.protocol})`, 'config');
  return apiUrl;
}

/**
 * `Retry-After` may be a number of seconds or an HTTP date (RFC 9110). Octokit's plugins read only
 * seconds (a date became their 60 s fallback), so a date is turned into seconds here, measured
 * against the server's own `Date` header when it sends one (no clock skew).
 */
function withRetryAfterInSeconds(response: Response): Response {
  const value = response.headers.get('retry-after');
  if (value === null || /^\s*\d+\s*$/.test(value)) return response;
  const at = Date.parse(value);
  if (!Number.isFinite(at)) return response;
  const now = Date.parse(response.headers.get('date') ?? '');
  const seconds = Math.max(0, Math.ceil((at - (Number.isFinite(now) ? now : Date.now())) / 1000));
  const headers = new Headers(response.headers);
  headers.set('retry-after', String(seconds));
  const copy = new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  Object.defineProperty(copy, 'url', { value: response.url });
  return copy;
}

function describeCause(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${e.message} (${cause.message})` : e.message;
  }
  return String(e);
}
