/**
 * The review pool: `pool/reviews.jsonl` (append-only normalized records), `pool/index.bin` (one
 * fixed-size record per row: byte offset, length, body and id fingerprints, flags) and
 * `pool/meta.json` (the committed row count and byte length, and the import history).
 *
 * Rows past the committed counts are an interrupted import's tail: ignored by readers and cut off
 * by the next writer, so a crash never leaves half a row visible. Reviews are read from disk on
 * demand (O(1) by row via the index); only the index (32 bytes a row) lives in memory.
 */
import { closeSync, existsSync, fstatSync, ftruncateSync, fsyncSync, openSync, readSync, statSync, writeSync, createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { matchesM1 } from '../core/bootstrap';
import { fingerprintWords } from '../core/hash';
import { parseLabel, LABELS, type Label } from '../core/labels';
import { fieldByPath, normalizeReview, type InputShape, type Review } from '../core/review';
import { fileTimestamp, moveAside, writeFileAtomic, writeJsonAtomic } from './atomic';
import { DamagedInputError, readLineBatches } from './lines';
import { SignatureWriter } from './nearDuplicates';

export const INDEX_RECORD_BYTES = 32;
const POOL_FORMAT = 1;
/** Index flag: the body matches the paper's bootstrap rule M1. */
export const FLAG_M1 = 1;

export interface PoolMeta {
  format: number;
  rows: number;
  bytes: number;
  updatedAt: string;
  sources: ImportSource[];
}

export interface ImportSource {
  file: string;
  size: number;
  at: string;
  lines: number;
  imported: number;
  duplicates: number;
  errors: number;
  shapes: Partial<Record<InputShape, number>>;
}

export interface ImportProblem { file: string; line: number; reason: string }

export interface ImportProgress { file: string; bytesRead: number; totalBytes: number; lines: number; imported: number; duplicates: number; errors: number }

export interface ImportOptions {
  /** Field (dotted path) holding an existing label for each record, e.g. `tag_post_qa`. */
  labelField?: string;
  onProgress?: (p: ImportProgress) => void;
  signal?: AbortSignal;
  /** Stop collecting problem details after this many (counts stay exact). Default 1000. */
  maxProblems?: number;
  /** Rows between commits (fsync + meta). Default 50,000. */
  commitEvery?: number;
}

export interface ImportedLabel { reviewId: string; label: Label; file: string; line: number }

/** A label history carried by a record (this tool's own export), restored on import. */
export interface ImportedHistory { reviewId: string; events: unknown[]; file: string; line: number }

export interface ImportReport {
  files: ImportSource[];
  imported: number;
  duplicates: number;
  errors: number;
  problems: ImportProblem[];
  /** Labels read from `labelField` (for reviews new or already in the pool). */
  labels: ImportedLabel[];
  /** Label histories found in records (`history` arrays of this tool's exports). */
  histories: ImportedHistory[];
  rows: number;
  seconds: number;
}

/**
 * An import that stopped part-way (a damaged or truncated file, a cancel): everything read before
 * the stop is committed, and `report` says what that is, so the person knows what is in the pool.
 */
export class ImportInterruptedError extends Error {
  constructor(
    override readonly cause: unknown,
    readonly report: ImportReport,
    /** The file being read when it stopped, and its last line read whole. */
    readonly stoppedAt: { file: string; completeLines: number },
  ) {
    super(`${(cause as Error)?.message ?? String(cause)}. ${committedText(report, stoppedAt)}`);
    this.name = 'ImportInterruptedError';
  }
}

function committedText(report: ImportReport, stoppedAt: { file: string; completeLines: number }): string {
  const name = path.basename(stoppedAt.file);
  const parts = report.files.map((f) => f.file === name && f === report.files.at(-1)
    ? `${f.imported} new reviews from lines 1-${stoppedAt.completeLines} of ${name}`
    : `${f.imported} new reviews from all of ${f.file}`);
  return `Committed to the pool: ${parts.join(', ')}; the pool has ${report.rows} reviews. ` +
    `Importing the complete file again adds the rest (reviews already in the pool are skipped).`;
}

/** How a damaged pool is mended: its reviews file is the source of everything else. */
export const REBUILD_HINT = 'Run "secreview repair" in the workspace folder (or the command "Security Review: Repair Workspace") to rebuild meta.json and index.bin from reviews.jsonl; the damaged files are kept beside them.';

/** The pool's files do not agree or cannot be read; `secreview repair` rebuilds them from reviews.jsonl. */
export class PoolDamagedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolDamagedError';
  }
}

const fpWords = fingerprintWords;
const hex = (a: number, b: number) => a.toString(16).padStart(8, '0') + b.toString(16).padStart(8, '0');

export class Pool {
  private index: Buffer;
  private rows: number;
  private bytes: number;
  private fd: number | undefined;
  /** Open-addressing table: slot -> row + 1 (0 = empty), keyed by the id fingerprint. */
  private idTable: Int32Array | undefined;
  private readBuf = Buffer.alloc(64 * 1024);

  private constructor(readonly dir: string, private meta: PoolMeta, index: Buffer, readonly writable: boolean, private readonly beforeWrite?: () => void) {
    this.index = index;
    this.rows = meta.rows;
    this.bytes = meta.bytes;
  }

  get reviewsFile(): string { return path.join(this.dir, 'reviews.jsonl'); }
  get indexFile(): string { return path.join(this.dir, 'index.bin'); }
  get metaFile(): string { return path.join(this.dir, 'meta.json'); }

  /**
   * Creates an empty pool folder if there is none. Never touches a pool that has data: reviews
   * without their meta.json are refused with the way to rebuild it (`secreview repair`).
   */
  static async create(dir: string): Promise<void> {
    const metaFile = path.join(dir, 'meta.json');
    if (existsSync(metaFile)) return;
    const withData = ['reviews.jsonl', 'index.bin'].filter((f) => existsSync(path.join(dir, f)) && statSync(path.join(dir, f)).size > 0);
    if (withData.length) throw new PoolDamagedError(`${metaFile} is missing but the pool holds data (${withData.join(', ')}); nothing was changed. ${REBUILD_HINT}`);
    for (const f of ['reviews.jsonl', 'index.bin']) closeSync(openSync(path.join(dir, f), 'a'));
    await writeJsonAtomic(metaFile, emptyMeta());
  }

  static async open(dir: string, options: { writable: boolean; beforeWrite?: () => void }): Promise<Pool> {
    const metaFile = path.join(dir, 'meta.json');
    const reviewsFile = path.join(dir, 'reviews.jsonl');
    const indexFile = path.join(dir, 'index.bin');
    let meta: PoolMeta;
    try {
      meta = JSON.parse(await readFile(metaFile, 'utf8')) as PoolMeta;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        if (existsSync(reviewsFile) && statSync(reviewsFile).size > 0) throw new PoolDamagedError(`${metaFile} is missing but ${reviewsFile} holds reviews; nothing was changed. ${REBUILD_HINT}`);
        throw new Error(`no review pool in ${dir} (missing meta.json); run "secreview init" first`);
      }
      throw new PoolDamagedError(`${metaFile} is damaged (${(e as Error).message}); nothing was changed. ${REBUILD_HINT}`);
    }
    if (typeof meta !== 'object' || meta === null || meta.format !== POOL_FORMAT || !Number.isInteger(meta.rows) || !Number.isInteger(meta.bytes) || !Array.isArray(meta.sources)) {
      throw new PoolDamagedError(`${metaFile} is not a pool description this version knows (format ${String((meta as Partial<PoolMeta> | null)?.format)}); nothing was changed. ${REBUILD_HINT}`);
    }
    const reviewsSize = existsSync(reviewsFile) ? statSync(reviewsFile).size : 0;
    const indexSize = existsSync(indexFile) ? statSync(indexFile).size : 0;
    if (reviewsSize < meta.bytes || indexSize < meta.rows * INDEX_RECORD_BYTES) {
      throw new PoolDamagedError(`the review pool in ${dir} is shorter than its meta.json says (${reviewsSize} of ${meta.bytes} bytes, ${Math.floor(indexSize / INDEX_RECORD_BYTES)} of ${meta.rows} index rows); nothing was changed. ${REBUILD_HINT}`);
    }
    if (options.writable && (reviewsSize > meta.bytes || indexSize > meta.rows * INDEX_RECORD_BYTES)) {
      // Roll back the uncommitted tail of an interrupted import.
      for (const [f, size] of [[reviewsFile, meta.bytes], [indexFile, meta.rows * INDEX_RECORD_BYTES]] as const) {
        const fd = openSync(f, 'r+');
        try { ftruncateSync(fd, size); fsyncSync(fd); } finally { closeSync(fd); }
      }
    }
    const index = Buffer.alloc(meta.rows * INDEX_RECORD_BYTES);
    if (meta.rows) {
      const fd = openSync(indexFile, 'r');
      try { readFully(fd, index, 0); } finally { closeSync(fd); }
    }
    return new Pool(dir, meta, index, options.writable, options.beforeWrite);
  }

  get size(): number { return this.rows; }
  /** Bytes of reviews.jsonl that hold committed rows. */
  get committedBytes(): number { return this.bytes; }

  /** Where a row's record lies in reviews.jsonl (its line, newline included). */
  extent(row: number): { offset: number; length: number } {
    this.checkRow(row);
    const o = row * INDEX_RECORD_BYTES;
    return { offset: this.index.readDoubleLE(o), length: this.index.readUInt32LE(o + 8) };
  }
  get sources(): readonly ImportSource[] { return this.meta.sources; }

  private checkRow(row: number): void {
    if (!Number.isInteger(row) || row < 0 || row >= this.rows) throw new RangeError(`row ${row} is outside the pool (0..${this.rows - 1})`);
  }

  /** The raw JSON text of a row. */
  text(row: number): string {
    const { offset, length } = this.extent(row);
    this.fd ??= openSync(this.reviewsFile, 'r');
    if (length > this.readBuf.length) this.readBuf = Buffer.alloc(Math.max(length, this.readBuf.length * 2));
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, this.readBuf, got, length - got, offset + got);
      if (n === 0) throw new Error(`${this.reviewsFile}: unexpected end of file reading row ${row}`);
      got += n;
    }
    return this.readBuf.toString('utf8', 0, length);
  }

  /** The review at a row (0-based, in import order). */
  get(row: number): Review {
    return JSON.parse(this.text(row)) as Review;
  }

  flags(row: number): number {
    this.checkRow(row);
    return this.index.readUInt32LE(row * INDEX_RECORD_BYTES + 28);
  }

  /** A 64-bit fingerprint of the row's body (hex): equal bodies have equal keys. */
  bodyKeyOf(row: number): string {
    const o = row * INDEX_RECORD_BYTES;
    return hex(this.index.readUInt32LE(o + 12), this.index.readUInt32LE(o + 16));
  }

  /** The first 32 bits of the row's body fingerprint, for files beside the index that must match its rows. */
  bodyCheck(row: number): number {
    return this.index.readUInt32LE(row * INDEX_RECORD_BYTES + 12);
  }

  /**
   * A 64-bit fingerprint of the row's review id (hex), available without reading the record: the
   * key seeded random selection hashes, so a random order is a function of review ids and the seed.
   */
  idKeyOf(row: number): string {
    const o = row * INDEX_RECORD_BYTES;
    return hex(this.index.readUInt32LE(o + 20), this.index.readUInt32LE(o + 24));
  }

  idOf(row: number): string {
    return this.get(row).id;
  }

  /** The row of a review id, or undefined. */
  rowOf(id: string): number | undefined {
    const [a, b] = fpWords(id);
    return this.findFp(a, b);
  }

  private findFp(a: number, b: number): number | undefined {
    const table = this.ensureIdTable();
    const mask = table.length - 1;
    for (let slot = a & mask; ; slot = (slot + 1) & mask) {
      const v = table[slot]!;
      if (v === 0) return undefined;
      const o = (v - 1) * INDEX_RECORD_BYTES;
      if (this.index.readUInt32LE(o + 20) === a && this.index.readUInt32LE(o + 24) === b) return v - 1;
    }
  }

  private ensureIdTable(minRows = this.rows): Int32Array {
    let cap = 1024;
    while (cap < minRows * 2) cap *= 2;
    if (this.idTable && this.idTable.length >= cap) return this.idTable;
    const table = new Int32Array(cap);
    const mask = cap - 1;
    for (let row = 0; row < this.rows; row++) {
      const a = this.index.readUInt32LE(row * INDEX_RECORD_BYTES + 20);
      let slot = a & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = row + 1;
    }
    this.idTable = table;
    return table;
  }

  private insertId(a: number, row: number): void {
    const table = this.ensureIdTable(row + 1);
    const mask = table.length - 1;
    let slot = a & mask;
    while (table[slot] !== 0) slot = (slot + 1) & mask;
    table[slot] = row + 1;
  }

  /** The review bodies of rows [from, to) in order, `size` at a time (the chunks pool scoring works in). */
  async *bodyChunks(size: number, from = 0, to = this.rows): AsyncGenerator<string[]> {
    let chunk: string[] = [];
    for await (const { review } of this.scan(from, to)) {
      chunk.push(review.body);
      if (chunk.length === size) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length) yield chunk;
  }

  /** Streams rows [from, to) in order, reading the file sequentially (for scoring millions of rows). */
  async *scan(from = 0, to = this.rows): AsyncGenerator<{ row: number; review: Review }> {
    for await (const { row, text } of this.scanLines(from, to)) yield { row, review: JSON.parse(text) as Review };
  }

  /** The raw JSON text of rows [from, to) in order, read sequentially (a search parses only lines that may match). */
  async *scanLines(from = 0, to = this.rows): AsyncGenerator<{ row: number; text: string }> {
    if (from >= to) return;
    this.checkRow(from);
    const start = this.index.readDoubleLE(from * INDEX_RECORD_BYTES);
    const end = to >= this.rows ? this.bytes : this.index.readDoubleLE(to * INDEX_RECORD_BYTES);
    const stream = createReadStream(this.reviewsFile, { start, end: end - 1, highWaterMark: 1 << 20 });
    const decoder = new StringDecoder('utf8'); // keeps multi-byte characters split across chunks whole
    let row = from;
    let carry = '';
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const text = carry + decoder.write(chunk);
      let i = 0;
      for (let nl = text.indexOf('\n', i); nl !== -1; nl = text.indexOf('\n', i)) {
        yield { row: row++, text: text.slice(i, nl) };
        i = nl + 1;
      }
      carry = text.slice(i);
    }
    carry += decoder.end();
    if (carry.trim()) yield { row: row++, text: carry };
  }

  /**
   * Imports JSONL / JSONL.gz files. Each record is normalized (any input shape of `normalizeReview`),
   * deduplicated by review id against the pool and earlier lines, and appended. Bad lines are
   * reported with file, line number and reason and skipped; the rest imports. Re-importing a file
   * adds nothing. Commits every `commitEvery` rows, so an interruption keeps whole committed rows.
   */
  /**
   * Streams JSONL or JSONL.gz files into the pool: each line parsed and normalized (a bad line is
   * reported as file:line: reason and skipped), deduplicated by review id (the same body again is a
   * duplicate; another body is reported with both places and skipped), and appended; committed
   * every `commitEvery` rows and at the end. A damaged or interrupted file keeps what was read
   * before (`ImportInterruptedError` carries the report).
   */
  async importFiles(files: readonly string[], options: ImportOptions = {}): Promise<ImportReport> {
    if (!this.writable) throw new Error('the review pool is open read-only');
    for (const f of files) {
      if (!existsSync(f)) throw new Error(`${f}: no such file`);
      if (statSync(f).isDirectory()) throw new Error(`${f}: is a folder, not a JSONL file`);
    }
    const t0 = Date.now();
    const run = new ImportRun(options, this.rows);
    const out = this.openAppend(options.commitEvery ?? 50_000);
    let failure: unknown;
    try {
      for (const file of files) await this.importFile(file, run, out, options);
    } catch (e) {
      failure = e;
    } finally {
      await out.commit();
      out.close();
    }
    run.report.rows = this.rows;
    run.report.seconds = (Date.now() - t0) / 1000;
    if (failure !== undefined) {
      if (failure instanceof DamagedInputError) run.stoppedAt.completeLines = failure.completeLines;
      throw new ImportInterruptedError(failure, run.report, run.stoppedAt);
    }
    return run.report;
  }

  /** One file: its lines read in batches, each parsed, deduplicated and appended; progress at most every 200 ms. */
  private async importFile(file: string, run: ImportRun, out: Appender, options: ImportOptions): Promise<void> {
    run.fileStarts.push({ file, row: this.rows });
    run.stoppedAt = { file, completeLines: 0 };
    const totalBytes = statSync(file).size;
    const src: ImportSource = { file: path.basename(file), size: totalBytes, at: new Date().toISOString(), lines: 0, imported: 0, duplicates: 0, errors: 0, shapes: {} };
    let bytesRead = 0;
    // The first report comes after 200 ms of work, not after the first row ("1 imported" reads like a failure).
    let lastProgress = Date.now();
    const progress = (force = false) => {
      if (!options.onProgress) return;
      const now = Date.now();
      if (!force && now - lastProgress < 200) return;
      lastProgress = now;
      options.onProgress({ file, bytesRead, totalBytes, lines: src.lines, imported: src.imported, duplicates: src.duplicates, errors: src.errors });
    };
    const errorsBefore = run.report.errors;
    try {
      for await (const batch of readLineBatches(file, { signal: options.signal, onBytes: (b) => { bytesRead = b; } })) {
        for (const line of batch) {
          src.lines = line.lineNo;
          run.stoppedAt.completeLines = line.lineNo;
          if ('error' in line) { run.problem(file, line.lineNo, line.error); continue; }
          const review = run.parseLine(file, line.lineNo, line.text, src);
          if (!review || !this.isNew(review, file, line.lineNo, run, src)) continue;
          await this.append(review, line.lineNo, run, out);
          src.imported++;
          run.report.imported++;
          progress();
        }
      }
    } finally {
      src.errors = run.report.errors - errorsBefore;
      bytesRead = totalBytes;
      progress(true);
      this.meta.sources.push(src);
      run.report.files.push(src);
    }
  }

  /** Whether a review is new to the pool: the same id with the same body is a duplicate, with another body a conflict reported with both places. */
  private isNew(review: Review, file: string, line: number, run: ImportRun, src: ImportSource): boolean {
    const [ia, ib] = fpWords(review.id);
    const earlier = this.findFp(ia, ib);
    if (earlier === undefined) return true;
    const [ba, bb] = fpWords(review.body);
    if (this.bodyKeyOf(earlier) === hex(ba, bb)) { src.duplicates++; run.report.duplicates++; return false; }
    run.problem(file, line, earlier >= run.startRow
      ? `review ${review.id} appeared before with a different body (${run.origin(earlier)}); the first one is kept and this record skipped`
      : `review ${review.id} is already in the pool with a different body (pool row ${earlier}); the pool's record is kept and this one skipped`);
    return false;
  }

  /** Appends a review: its JSON to reviews.jsonl, its 32-byte record to the index (on disk and in memory), its id to the lookup. */
  private async append(review: Review, line: number, run: ImportRun, out: Appender): Promise<void> {
    const [ia, ib] = fpWords(review.id);
    const [ba, bb] = fpWords(review.body);
    const length = out.writeText(JSON.stringify(review) + '\n');
    const row = this.rows;
    this.growIndex(row + 1);
    run.recordLine(row, line);
    const o = row * INDEX_RECORD_BYTES;
    encodeIndexRecord(this.index, o, this.bytes, length, [ia, ib], [ba, bb], review.body);
    out.writeIndex(this.index.subarray(o, o + INDEX_RECORD_BYTES));
    out.writeSignature(row, review.body, ba);
    this.rows++;
    this.bytes += length;
    this.insertId(ia, row);
    await out.rowAdded();
  }

  /** The index buffer in memory grows with the rows appended. */
  private growIndex(rows: number): void {
    if (rows * INDEX_RECORD_BYTES <= this.index.length) return;
    const next = Buffer.alloc(Math.max(rows * INDEX_RECORD_BYTES, this.index.length * 2, 1 << 16));
    this.index.copy(next);
    this.index = next;
  }

  /**
   * Buffered appends to reviews.jsonl and index.bin. A commit writes the buffers, fsyncs both
   * files and then records the row and byte counts in meta.json: only committed rows exist for
   * readers, so an interrupted import leaves a tail that the next writer cuts off.
   */
  private openAppend(commitEvery: number): Appender {
    const dataFd = openSync(this.reviewsFile, 'a');
    const indexFd = openSync(this.indexFile, 'a');
    // Near-duplicate signatures are computed as rows arrive and committed with them.
    const signatures = SignatureWriter.open(this.dir);
    // Records are encoded straight into one buffer (the write also gives their byte length).
    let pendingText = Buffer.allocUnsafe(8 << 20);
    let pendingBytes = 0;
    const pendingIndex = Buffer.alloc(INDEX_RECORD_BYTES * 4096);
    let pendingRows = 0;
    let sinceCommit = 0;
    const flush = () => {
      if (pendingBytes) writeAll(dataFd, pendingText.subarray(0, pendingBytes));
      if (pendingRows) writeAll(indexFd, pendingIndex.subarray(0, pendingRows * INDEX_RECORD_BYTES));
      signatures.flush();
      pendingBytes = 0;
      pendingRows = 0;
    };
    const commit = async () => {
      flush();
      fsyncSync(dataFd);
      fsyncSync(indexFd);
      signatures.sync();
      this.meta = { ...this.meta, rows: this.rows, bytes: this.bytes, updatedAt: new Date().toISOString() };
      await writeJsonAtomic(this.metaFile, this.meta, true, { beforeRename: this.beforeWrite });
      sinceCommit = 0;
    };
    return {
      writeText: (json) => {
        // A UTF-16 code unit takes at most 3 bytes in UTF-8.
        if (pendingBytes + json.length * 3 > pendingText.length) {
          flush();
          if (json.length * 3 > pendingText.length) pendingText = Buffer.allocUnsafe(json.length * 3);
        }
        const length = pendingText.write(json, pendingBytes, 'utf8');
        pendingBytes += length;
        return length;
      },
      writeIndex: (record) => {
        if ((pendingRows + 1) * INDEX_RECORD_BYTES > pendingIndex.length) flush();
        record.copy(pendingIndex, pendingRows * INDEX_RECORD_BYTES);
        pendingRows++;
      },
      rowAdded: async () => { if (++sinceCommit >= commitEvery) await commit(); },
      commit,
      writeSignature: (row, body, bodyCheck) => signatures.add(row, body, bodyCheck),
      close: () => { try { signatures.close(); } finally { closeSync(dataFd); closeSync(indexFd); } },
    };
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * Why a pool's files do not agree (undefined when they do): meta.json missing or unreadable, the
 * files shorter than it says, or index records that do not tile reviews.jsonl row after row.
 * Reads only; an uncommitted import tail past meta.json's counts is normal and not a problem.
 */
export async function poolProblem(dir: string): Promise<string | undefined> {
  let pool: Pool;
  try {
    pool = await Pool.open(dir, { writable: false });
  } catch (e) {
    return (e as Error).message;
  }
  try {
    let end = 0;
    for (let row = 0; row < pool.size; row++) {
      const { offset, length } = pool.extent(row);
      if (offset !== end || length <= 0) return `${pool.indexFile}: row ${row} does not start where row ${row - 1} ends (the index does not match reviews.jsonl)`;
      end = offset + length;
    }
    if (end !== pool.committedBytes) return `${pool.indexFile}: its rows end at byte ${end}, meta.json says ${pool.committedBytes}`;
    return undefined;
  } finally {
    pool.close();
  }
}

export interface PoolRebuild {
  rows: number;
  bytes: number;
  /** Lines of reviews.jsonl left out of the index (they stay in the file). */
  skipped: { line: number; reason: string }[];
  /** An unfinished last line (no newline), saved to this file and cut from reviews.jsonl. */
  partialLine?: { bytes: number; savedAs: string };
  /** What became of the old index.bin and meta.json: kept as they were (identical), moved aside, or there was none. */
  index: { kept: boolean; movedAside?: string };
  meta: { movedAside?: string; sourcesKept: boolean };
}

/**
 * Rebuilds `index.bin` and `meta.json` from `reviews.jsonl`, the pool's source of truth: every
 * complete line that is a review record becomes a row, in file order (so model scores stay
 * aligned). Nothing is deleted: replaced files and an unfinished last line are moved aside.
 * The caller holds the workspace lock.
 */
export async function rebuildPool(dir: string): Promise<PoolRebuild> {
  const reviewsFile = path.join(dir, 'reviews.jsonl');
  const indexFile = path.join(dir, 'index.bin');
  const metaFile = path.join(dir, 'meta.json');
  if (!existsSync(reviewsFile)) closeSync(openSync(reviewsFile, 'a'));
  const size = statSync(reviewsFile).size;
  let index = Buffer.alloc(1 << 16);
  let rows = 0;
  let offset = 0;
  let committed = 0;
  const seen = new Set<string>();
  const skipped: PoolRebuild['skipped'] = [];
  let partial: { offset: number; bytes: number } | undefined;
  for await (const batch of readLineBatches(reviewsFile)) {
    for (const line of batch) {
      const start = offset;
      offset += line.bytes + 1;
      if (start + line.bytes >= size) { partial = { offset: start, bytes: line.bytes }; break; }
      committed = offset;
      const skip = (reason: string) => { skipped.push({ line: line.lineNo, reason }); };
      if ('error' in line) { skip(line.error); continue; }
      if (!line.text.trim()) { skip('empty line'); continue; }
      let review: Partial<Review>;
      try {
        review = JSON.parse(line.text) as Partial<Review>;
      } catch (e) {
        skip(`invalid JSON: ${(e as Error).message}`);
        continue;
      }
      if (typeof review !== 'object' || review === null || typeof review.id !== 'string' || typeof review.body !== 'string') { skip('not a review record (no id and body)'); continue; }
      const words = fpWords(review.id);
      const key = hex(words[0], words[1]);
      if (seen.has(key)) { skip(`duplicate of review ${review.id}, indexed at its first line`); continue; }
      seen.add(key);
      if ((rows + 1) * INDEX_RECORD_BYTES > index.length) {
        const next = Buffer.alloc(index.length * 2);
        index.copy(next);
        index = next;
      }
      encodeIndexRecord(index, rows * INDEX_RECORD_BYTES, start, line.bytes + 1, words, fpWords(review.body), review.body);
      rows++;
    }
  }
  const report: PoolRebuild = { rows, bytes: committed, skipped, index: { kept: false }, meta: { sourcesKept: false } };
  if (partial && partial.bytes > 0) {
    // Keep the unfinished bytes, then cut them, so the next import appends after a whole line.
    const buf = Buffer.alloc(partial.bytes);
    const fd = openSync(reviewsFile, 'r+');
    try {
      readFully(fd, buf, partial.offset);
      const savedAs = `${reviewsFile}.partial-${fileTimestamp()}`;
      await writeFileAtomic(savedAs, buf);
      ftruncateSync(fd, partial.offset);
      fsyncSync(fd);
      report.partialLine = { bytes: partial.bytes, savedAs };
    } finally {
      closeSync(fd);
    }
  }
  const newIndex = index.subarray(0, rows * INDEX_RECORD_BYTES);
  if (existsSync(indexFile)) {
    const old = await readFile(indexFile);
    if (old.equals(newIndex)) report.index.kept = true;
    else report.index.movedAside = moveAside(indexFile);
  }
  if (!report.index.kept) await writeFileAtomic(indexFile, newIndex);
  let sources: ImportSource[] = [];
  if (existsSync(metaFile)) {
    try {
      const old = JSON.parse(await readFile(metaFile, 'utf8')) as Partial<PoolMeta>;
      if (Array.isArray(old.sources)) { sources = old.sources; report.meta.sourcesKept = true; }
    } catch {
      // unreadable: its import history is lost, the file itself is kept aside
    }
    report.meta.movedAside = moveAside(metaFile);
  }
  await writeJsonAtomic(metaFile, { ...emptyMeta(), rows, bytes: committed, sources });
  return report;
}

/** One index record: byte offset and length of the row, body and id fingerprints, flags. */
function encodeIndexRecord(index: Buffer, o: number, offset: number, length: number, idWords: readonly [number, number], bodyWords: readonly [number, number], body: string): void {
  const [ba, bb] = bodyWords;
  index.writeDoubleLE(offset, o);
  index.writeUInt32LE(length, o + 8);
  index.writeUInt32LE(ba, o + 12);
  index.writeUInt32LE(bb, o + 16);
  index.writeUInt32LE(idWords[0], o + 20);
  index.writeUInt32LE(idWords[1], o + 24);
  index.writeUInt32LE(matchesM1(body) ? FLAG_M1 : 0, o + 28);
}

/** Buffered appends of an import (see `Pool.openAppend`). */
interface Appender {
  /** Buffers a record's JSON line; returns its length in bytes. */
  writeText(json: string): number;
  writeIndex(record: Buffer): void;
  /** Signs a row's body for near-duplicates (written with the row's commit). */
  writeSignature(row: number, body: string, bodyCheck: number): void;
  /** Counts a row; commits every `commitEvery` rows. */
  rowAdded(): Promise<void>;
  commit(): Promise<void>;
  close(): void;
}

/** What an import has seen so far: its report and problems, and where each new row came from (to name the first of two records with one id). */
class ImportRun {
  readonly report: ImportReport;
  readonly fileStarts: { file: string; row: number }[] = [];
  stoppedAt = { file: '', completeLines: 0 };
  private lineOfRow = new Int32Array(1024);
  private readonly maxProblems: number;

  constructor(private readonly options: ImportOptions, readonly startRow: number) {
    this.maxProblems = options.maxProblems ?? 1000;
    this.report = { files: [], imported: 0, duplicates: 0, errors: 0, problems: [], labels: [], histories: [], rows: startRow, seconds: 0 };
  }

  problem(file: string, line: number, reason: string): void {
    this.report.errors++;
    if (this.report.problems.length < this.maxProblems) this.report.problems.push({ file, line, reason });
  }

  /** A line as a review: JSON in one of the recognized shapes, its label (`labelField`) and history taken; undefined when bad (reported) or blank. */
  parseLine(file: string, line: number, text: string, src: ImportSource): Review | undefined {
    if (!text.trim()) return undefined;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      this.problem(file, line, `invalid JSON: ${(e as Error).message}`);
      return undefined;
    }
    const res = normalizeReview(value);
    if (!res.ok) { this.problem(file, line, res.reason); return undefined; }
    const review = res.review;
    src.shapes[res.shape] = (src.shapes[res.shape] ?? 0) + 1;
    const labelField = this.options.labelField;
    if (labelField) {
      const v = fieldByPath(res.raw, labelField);
      if (v !== undefined && v !== null && v !== '') {
        const label = typeof v === 'string' ? parseLabel(v) : undefined;
        if (label) this.report.labels.push({ reviewId: review.id, label, file, line });
        else this.problem(file, line, `unknown label ${JSON.stringify(v)} in field "${labelField}" (expected one of ${LABELS.join(', ')}); the review was imported without a label`);
      }
    }
    if (Array.isArray(res.raw.history) && res.raw.history.length) this.report.histories.push({ reviewId: review.id, events: res.raw.history, file, line });
    return review;
  }

  recordLine(row: number, line: number): void {
    const i = row - this.startRow;
    if (i >= this.lineOfRow.length) {
      const grown = new Int32Array(this.lineOfRow.length * 2);
      grown.set(this.lineOfRow);
      this.lineOfRow = grown;
    }
    this.lineOfRow[i] = line;
  }

  /** `file:line` of a row added by this import. */
  origin(row: number): string {
    const f = this.fileStarts.findLast((s) => s.row <= row)!;
    return `${path.basename(f.file)}:${this.lineOfRow[row - this.startRow]}`;
  }
}

function emptyMeta(): PoolMeta {
  return { format: POOL_FORMAT, rows: 0, bytes: 0, updatedAt: new Date().toISOString(), sources: [] };
}

function readFully(fd: number, buf: Buffer, position: number): void {
  let got = 0;
  const size = fstatSync(fd).size;
  const want = Math.min(buf.length, size - position);
  while (got < want) {
    const n = readSync(fd, buf, got, want - got, position + got);
    if (n === 0) break;
    got += n;
  }
}

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}
