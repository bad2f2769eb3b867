/**
 * Featurizes chunks of pool texts with the hashing representation in worker threads, so scoring a
 * pool uses every core: hashing text is nearly all of a hashing model's pool scoring (the default
 * linear head scores 30 times faster than one thread hashes), and it is independent per text.
 *
 * Each chunk goes to an idle worker with a feature buffer (moved, not copied); the vectors come
 * back in that buffer, and `recycle` hands it to the next chunk so memory is faulted in once.
 * Results are identical to `HashingRepresentation.featurize` (the same code runs in the workers).
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startWorker, workerScript } from '../workerThread';
import type { FeaturizerInit, FromFeaturizer, ToFeaturizer } from './featurizerProtocol';
import type { HashingParams, RepresentationParams } from './representation';

/** The worker script: `featurizer-worker.js` beside the bundle, or the TypeScript source. */
export function featurizerWorkerScript(): string | undefined {
  return workerScript(__dirname, __filename, 'featurizer-worker.js', 'featurizerWorker.ts');
}

interface Job {
  requestId: number;
  texts: string[];
  resolve: (vectors: Float32Array) => void;
  reject: (err: Error) => void;
}

export class ParallelFeaturizer {
  private readonly idle: Worker[] = [];
  private readonly queue: Job[] = [];
  private readonly running = new Map<Worker, Job>();
  private readonly free: ArrayBuffer[] = [];
  private failure: Error | undefined;
  private closed = false;
  private nextId = 0;

  private constructor(readonly dim: number, private readonly workers: Worker[]) {}

  /** Starts `count` workers on the representation of `params` (its `config.dim` wide vectors). */
  static start(params: HashingParams, count: number, script = featurizerWorkerScript()): ParallelFeaturizer {
    if (!script) throw new Error('cannot find the featurizer worker (featurizer-worker.js); rebuild with "npm run build"');
    if (!(Number.isInteger(count) && count >= 1)) throw new Error(`featurizer workers must be a whole number >= 1, got ${count}`);
    const init: FeaturizerInit = { params };
    const workers = Array.from({ length: count }, () => startWorker(script, { workerData: init }));
    const pool = new ParallelFeaturizer(params.config.dim, workers);
    for (const w of workers) pool.attach(w);
    return pool;
  }

  /** Vectors of `texts` (row-major, `texts.length * dim`), computed by the next idle worker. */
  featurize(texts: readonly string[]): Promise<Float32Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('the featurizer is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ requestId: ++this.nextId, texts: texts.slice(), resolve, reject });
      this.dispatch();
    });
  }

  /**
   * Featurizes `chunks` in the workers, up to `ahead` chunks in flight, and hands each chunk's
   * vectors to `use` in order (recycling the buffer once `use` is done). While `use` works (the
   * head scoring a chunk), the workers hash the next ones.
   */
  async pipeline(chunks: AsyncIterable<string[]> | Iterable<string[]>, ahead: number, use: (vectors: Float32Array, rows: number) => Promise<void>): Promise<void> {
    const pending: { rows: number; vectors: Promise<Float32Array> }[] = [];
    const useOldest = async () => {
      const { rows, vectors } = pending.shift()!;
      const x = await vectors;
      await use(x, rows);
      this.recycle(x);
    };
    try {
      for await (const texts of chunks) {
        const vectors = this.featurize(texts);
        vectors.catch(() => undefined); // awaited in order below; a failure must not go unhandled meanwhile
        pending.push({ rows: texts.length, vectors });
        while (pending.length > Math.max(1, ahead)) await useOldest();
      }
      while (pending.length) await useOldest();
    } finally {
      pending.length = 0;
    }
  }

  /** Gives the buffer behind `vectors` (from `featurize`) back for later chunks. */
  recycle(vectors: Float32Array): void {
    if (!this.closed) this.free.push(vectors.buffer as ArrayBuffer);
  }

  /** Stops the workers; pending chunks are rejected. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abandon(new Error('the featurizer is closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private attach(w: Worker): void {
    this.idle.push(w);
    w.on('message', (m: FromFeaturizer) => {
      const job = this.running.get(w);
      if (!job || job.requestId !== m.requestId) return;
      this.running.delete(w);
      this.idle.push(w);
      if (m.type === 'done') job.resolve(new Float32Array(m.buffer, 0, job.texts.length * this.dim));
      else job.reject(new Error(`a featurizer worker thread could not hash a chunk of texts: ${m.message}`));
      this.dispatch();
    });
    const hint = `${FEATURIZE_WORKERS_ENV}=0 hashes in the scoring thread instead`;
    w.on('error', (err) => this.fail(new Error(`a featurizer worker thread failed: ${err instanceof Error ? err.message : String(err)} (${hint})`, { cause: err })));
    w.on('exit', (code) => {
      if (!this.closed) this.fail(new Error(`a featurizer worker thread exited with code ${code} (${hint})`));
    });
  }

  private dispatch(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const job = this.queue.shift()!;
      const floats = job.texts.length * this.dim;
      let buffer = this.free.pop();
      if (!buffer || buffer.byteLength < floats * 4) buffer = new ArrayBuffer(floats * 4);
      this.running.set(w, job);
      const msg: ToFeaturizer = { type: 'featurize', requestId: job.requestId, texts: job.texts, buffer };
      w.postMessage(msg, [buffer]);
    }
  }

  private fail(err: Error): void {
    if (this.failure || this.closed) return;
    this.failure = err;
    this.abandon(err);
    void Promise.all(this.workers.map((w) => w.terminate()));
  }

  private abandon(err: Error): void {
    for (const job of [...this.running.values(), ...this.queue]) job.reject(err);
    this.running.clear();
    this.queue.length = 0;
  }
}

/** Environment variable that sets the default number of featurizer workers (0: none). */
export const FEATURIZE_WORKERS_ENV = 'SECREVIEW_FEATURIZE_WORKERS';

/** Featurizer workers by default: `SECREVIEW_FEATURIZE_WORKERS` when set, else one per core, at most 8. */
export function defaultFeaturizeWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const set = env[FEATURIZE_WORKERS_ENV]?.trim();
  if (set) {
    const n = Number(set);
    if (!(Number.isInteger(n) && n >= 0 && n <= 64)) throw new Error(`${FEATURIZE_WORKERS_ENV} must be an integer in [0, 64], got "${set}"`);
    return n;
  }
  return Math.min(8, availableParallelism());
}

export interface InOrderOptions {
  /** The representation's parameters: hashing ones can be featurized in workers. */
  params: RepresentationParams;
  /** Worker threads (0: featurize in this thread). */
  workers: number;
  /** Largest chunk, for this thread's reused feature buffer (hashing). */
  chunkRows: number;
  /** False keeps the work in this thread (e.g. a single chunk, not worth starting workers for). */
  enabled?: boolean;
}

/**
 * Featurizes `chunks` and hands each chunk's vectors to `use` in order: with a hashing
 * representation and workers, in worker threads ahead of `use` (a build without the worker bundle
 * stays in this thread); otherwise with `featurize` in this thread, into one reused buffer.
 * The vectors are only valid during `use`.
 */
export async function featurizeInOrder(chunks: AsyncIterable<string[]>, featurize: (texts: string[], scratch?: Float32Array) => Promise<Float32Array>,
  use: (vectors: Float32Array, rows: number) => Promise<void>, o: InOrderOptions): Promise<void> {
  const script = featurizerWorkerScript();
  if (o.params.id === 'hashing' && o.workers > 0 && o.enabled !== false && script) {
    const pool = ParallelFeaturizer.start(o.params, o.workers, script);
    try {
      await pool.pipeline(chunks, o.workers, use);
    } finally {
      await pool.close();
    }
    return;
  }
  const scratch = o.params.id === 'hashing' ? new Float32Array(o.chunkRows * o.params.config.dim) : undefined;
  for await (const texts of chunks) await use(await featurize(texts, scratch), texts.length);
}
