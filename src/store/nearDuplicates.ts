/**
 * Near-duplicate signatures beside the pool (`pool/near-duplicates.bin`) and the groups they make.
 *
 * The file holds a 32-byte header (format, hashing version, sizes) and one 128-byte record per pool
 * row, at a position given by the row: the row's body fingerprint (from index.bin, so a record
 * written for another row is recognized as stale), a state (signed, or no text to compare), and the
 * row's MinHash signature (src/core/nearDuplicates.ts). Signatures are written as an import appends
 * rows and fsynced with each of its commits; rows without a valid record (a pool imported before
 * this file existed, an import interrupted between the two files, a pool rebuilt by repair) are
 * signed later by `NearDuplicateIndex.sign`, from the reviews file. The file is derived data: a
 * header this version does not know is replaced.
 *
 * The groups last computed by a writer are kept in `pool/near-duplicate-groups.bin` (4 bytes a row),
 * valid while the signature file and the pool's rows are as they were, so that a reader (`secreview
 * stats`) does not group a million rows again.
 *
 * Grouping reads the records five bands at a time (a hash table per band in memory, 16 MB each per
 * million rows) and joins rows whose signatures agree on a band and are similar enough; never more
 * than a chunk of records and the per-row group roots (4 bytes a row) are held in memory.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import {
  BANDS, BandTable, NearDuplicateGroups, SHINGLE, SIGNATURE_SIZE, SIGNATURE_VERSION, UnionFind, minhashSignature, nearDuplicate, similarity,
} from '../core/nearDuplicates';
import { fmix32 } from '../core/hash';
import { writeFileAtomic } from './atomic';
import type { Pool } from './pool';

export const NEAR_DUPLICATES_FILE = 'near-duplicates.bin';
/** The groups last computed (each row's group root), so that a reader need not group again. */
export const GROUPS_FILE = 'near-duplicate-groups.bin';
const GROUPS_MAGIC = 0x474e5253; // "SRNG" little-endian
const GROUPS_HEADER_BYTES = 40;
const MAGIC = 0x444e5253; // "SRND" little-endian
const FILE_FORMAT = 1;
const HEADER_BYTES = 32;
export const RECORD_BYTES = 128;
const SIGNATURE_OFFSET = 8;
const STATE_SIGNED = 1;
const STATE_NO_TEXT = 2;
/** Rows grouped between two turns of the event loop. */
const YIELD_ROWS = 8192;
/** Records read per chunk when grouping (4 MB). */
const CHUNK_ROWS = 32768;
/**
 * Bands whose hash tables are filled in one read of the file: reading the records is most of the
 * work (measured: two thirds of it band by band), and each table takes 16 bytes a row of the pool.
 */
const BANDS_PER_PASS = 5;

function header(): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt16LE(FILE_FORMAT, 4);
  h.writeUInt16LE(SIGNATURE_VERSION, 6);
  h.writeUInt16LE(SHINGLE, 8);
  h.writeUInt16LE(SIGNATURE_SIZE, 10);
  h.writeUInt16LE(RECORD_BYTES, 12);
  return h;
}

/** True when the file's header is this version's (its records can be used). */
function headerMatches(fd: number): boolean {
  if (fstatSync(fd).size < HEADER_BYTES) return false;
  const h = Buffer.alloc(HEADER_BYTES);
  readSync(fd, h, 0, HEADER_BYTES, 0);
  return h.equals(header());
}

const recordPosition = (row: number) => HEADER_BYTES + row * RECORD_BYTES;

/**
 * Writes signature records at their rows' positions. Consecutive rows are buffered and written
 * together; `flush` writes them, `sync` makes them durable (the pool calls it before it commits).
 */
export class SignatureWriter {
  private readonly pending = Buffer.alloc(RECORD_BYTES * 4096);
  private pendingFrom = 0;
  private pendingRows = 0;

  private constructor(private readonly fd: number) {}

  /** Opens the pool's signature file for writing; a missing file, or one of another format, starts empty. */
  static open(poolDir: string): SignatureWriter {
    const file = path.join(poolDir, NEAR_DUPLICATES_FILE);
    let fd = openSync(file, existsSync(file) ? 'r+' : 'w+');
    if (!headerMatches(fd)) {
      closeSync(fd);
      fd = openSync(file, 'w+');
      writeSync(fd, header(), 0, HEADER_BYTES, 0);
    }
    return new SignatureWriter(fd);
  }

  /** Signs a row's body; `bodyCheck` is the row's body fingerprint word in index.bin. */
  add(row: number, body: string, bodyCheck: number): void {
    if (this.pendingRows && (row !== this.pendingFrom + this.pendingRows || this.pendingRows * RECORD_BYTES === this.pending.length)) this.flush();
    if (!this.pendingRows) this.pendingFrom = row;
    const o = this.pendingRows * RECORD_BYTES;
    this.pending.fill(0, o, o + RECORD_BYTES);
    this.pending.writeUInt32LE(bodyCheck >>> 0, o);
    this.pending[o + 4] = minhashSignature(body, this.pending, o + SIGNATURE_OFFSET) ? STATE_SIGNED : STATE_NO_TEXT;
    this.pendingRows++;
  }

  flush(): void {
    if (!this.pendingRows) return;
    const bytes = this.pendingRows * RECORD_BYTES;
    let done = 0;
    while (done < bytes) done += writeSync(this.fd, this.pending, done, bytes - done, recordPosition(this.pendingFrom) + done);
    this.pendingRows = 0;
  }

  sync(): void {
    this.flush();
    fsyncSync(this.fd);
  }

  close(): void {
    try { this.flush(); } finally { closeSync(this.fd); }
  }
}

export interface GroupingProgress { phase: 'signing' | 'grouping'; done: number; total: number }

export interface GroupingOptions {
  signal?: AbortSignal;
  onProgress?: (p: GroupingProgress) => void;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The near-duplicate groups of a pool, computed on demand from the signature file and kept while
 * the pool does not change. One per open pool.
 */
export class NearDuplicateIndex {
  private cache: { rows: number; groups: NearDuplicateGroups } | undefined;
  private running: Promise<NearDuplicateGroups> | undefined;

  constructor(private readonly pool: Pool) {}

  get file(): string { return path.join(this.pool.dir, NEAR_DUPLICATES_FILE); }

  /** The groups, when they are computed for the pool as it is now. */
  get current(): NearDuplicateGroups | undefined {
    return this.cache && this.cache.rows === this.pool.size ? this.cache.groups : undefined;
  }

  /**
   * The groups of the pool as it is now (computed once, then kept until the pool grows). With a
   * writable pool, rows without a signature are signed first (a pool imported before signatures
   * existed); open read-only, they count as `unsigned` and stay alone.
   */
  groups(options: GroupingOptions = {}): Promise<NearDuplicateGroups> {
    const ready = this.current;
    if (ready) return Promise.resolve(ready);
    this.running ??= this.compute(options).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async compute(options: GroupingOptions): Promise<NearDuplicateGroups> {
    const rows = this.pool.size;
    if (this.pool.writable) await this.sign(options);
    const key = this.groupsKey(rows);
    let groups = key && this.readGroups(key);
    if (!groups) {
      groups = await this.group(rows, options);
      if (key && this.pool.writable) await this.writeGroups(key, groups);
    }
    this.cache = { rows, groups };
    return groups;
  }

  get groupsFile(): string { return path.join(this.pool.dir, GROUPS_FILE); }

  /**
   * What the groups of `rows` rows depend on: the signature file as it is (size and modification
   * time) and the rows' body fingerprints (a pool rebuilt with other rows under the same signature
   * file). Undefined without a signature file.
   */
  private groupsKey(rows: number): Buffer | undefined {
    if (!existsSync(this.file)) return undefined;
    const st = statSync(this.file);
    let bodies = 0x9747b28c;
    for (let row = 0; row < rows; row++) bodies = fmix32(Math.imul(bodies, 31) ^ this.pool.bodyCheck(row));
    const key = Buffer.alloc(GROUPS_HEADER_BYTES);
    key.writeUInt32LE(GROUPS_MAGIC, 0);
    key.writeUInt16LE(FILE_FORMAT, 4);
    key.writeUInt16LE(SIGNATURE_VERSION, 6);
    key.writeUInt32LE(rows, 8);
    key.writeUInt32LE(bodies, 12);
    key.writeDoubleLE(st.size, 16);
    key.writeDoubleLE(st.mtimeMs, 24);
    return key;
  }

  /** The groups written for `key`, or undefined (none, another key, or a file that cannot be read: then they are computed). */
  private readGroups(key: Buffer): NearDuplicateGroups | undefined {
    let data: Buffer;
    try {
      data = readFileSync(this.groupsFile);
    } catch {
      return undefined; // derived data: missing or unreadable means computing it again
    }
    const rows = key.readUInt32LE(8);
    if (data.length !== GROUPS_HEADER_BYTES + 4 * rows || !data.subarray(0, 32).equals(key.subarray(0, 32))) return undefined;
    const roots = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      const r = data.readInt32LE(GROUPS_HEADER_BYTES + 4 * i);
      if (r < 0 || r > i) return undefined; // a root is the smallest row of its group
      roots[i] = r;
    }
    return new NearDuplicateGroups(roots, data.readUInt32LE(32));
  }

  private async writeGroups(key: Buffer, groups: NearDuplicateGroups): Promise<void> {
    const out = Buffer.alloc(GROUPS_HEADER_BYTES + 4 * groups.rows);
    key.copy(out, 0, 0, 32);
    out.writeUInt32LE(groups.summary.unsigned, 32);
    Buffer.from(groups.roots.buffer, groups.roots.byteOffset, groups.roots.byteLength).copy(out, GROUPS_HEADER_BYTES);
    // Derived data: losing it costs a regrouping, so no fsync.
    await writeFileAtomic(this.groupsFile, out, { durable: false });
  }

  /** Which rows have a valid record: 1 signed, 2 no text, 0 none (missing, stale or another row's). */
  private states(fd: number | undefined, rows: number): Uint8Array {
    const state = new Uint8Array(rows);
    if (fd === undefined) return state;
    const fileRows = Math.max(0, Math.floor((fstatSync(fd).size - HEADER_BYTES) / RECORD_BYTES));
    const buf = Buffer.alloc(CHUNK_ROWS * RECORD_BYTES);
    for (let from = 0; from < Math.min(rows, fileRows); from += CHUNK_ROWS) {
      const count = Math.min(CHUNK_ROWS, rows - from, fileRows - from);
      readAll(fd, buf, count * RECORD_BYTES, recordPosition(from));
      for (let i = 0; i < count; i++) {
        const o = i * RECORD_BYTES;
        const s = buf[o + 4]!;
        if ((s === STATE_SIGNED || s === STATE_NO_TEXT) && buf.readUInt32LE(o) === this.pool.bodyCheck(from + i)) state[from + i] = s;
      }
    }
    return state;
  }

  private openForReading(): number | undefined {
    if (!existsSync(this.file)) return undefined;
    const fd = openSync(this.file, 'r');
    if (headerMatches(fd)) return fd;
    closeSync(fd);
    return undefined;
  }

  /**
   * Signs every row of the pool that has no valid record, reading their bodies from the reviews
   * file (the pool must be writable). Returns the number of rows signed.
   */
  async sign(options: GroupingOptions = {}): Promise<number> {
    const rows = this.pool.size;
    const fd = this.openForReading();
    let state: Uint8Array;
    try { state = this.states(fd, rows); } finally { if (fd !== undefined) closeSync(fd); }
    const first = state.indexOf(0);
    if (first < 0) return 0;
    if (!this.pool.writable) throw new Error('the review pool is open read-only; near-duplicate signatures are computed by the window or command that writes it');
    const missing = state.reduce((n, s) => n + (s === 0 ? 1 : 0), 0);
    const writer = SignatureWriter.open(this.pool.dir);
    let signed = 0;
    let lastReport = 0;
    try {
      for await (const { row, review } of this.pool.scan(first, rows)) {
        if (state[row]) continue;
        writer.add(row, review.body, this.pool.bodyCheck(row));
        signed++;
        if (signed % 4096 === 0) {
          options.signal?.throwIfAborted();
          const now = Date.now();
          if (now - lastReport > 200) { lastReport = now; options.onProgress?.({ phase: 'signing', done: signed, total: missing }); }
        }
      }
      writer.sync();
    } finally {
      writer.close();
    }
    this.cache = undefined;
    return signed;
  }

  /** Groups rows [0, rows) a few bands at a time (see the file comment). */
  private async group(rows: number, options: GroupingOptions): Promise<NearDuplicateGroups> {
    const fd = this.openForReading();
    try {
      const state = this.states(fd, rows);
      let unsigned = 0;
      for (let i = 0; i < rows; i++) if (state[i] === 0) unsigned++;
      const uf = new UnionFind(rows);
      if (fd === undefined || rows < 2) return new NearDuplicateGroups(uf.roots(), unsigned);
      const tables = Array.from({ length: Math.min(BANDS, BANDS_PER_PASS) }, () => new BandTable(rows));
      const buf = Buffer.alloc(CHUNK_ROWS * RECORD_BYTES);
      // A row first seen with a band value is compared with every later row sharing it: its record
      // is read once and kept, and a row is not compared again with the row it last differed from
      // (in another band, the first row is usually the same).
      const earlier = new RecordCache(fd);
      const rejected = new Int32Array(rows).fill(-1);
      for (let firstBand = 0; firstBand < BANDS; firstBand += BANDS_PER_PASS) {
        const bands = Math.min(BANDS_PER_PASS, BANDS - firstBand);
        if (firstBand) for (const t of tables) t.clear();
        for (let from = 0; from < rows; from += CHUNK_ROWS) {
          const count = Math.min(CHUNK_ROWS, rows - from);
          readAll(fd, buf, count * RECORD_BYTES, recordPosition(from));
          for (let i = 0; i < count; i++) {
            // In the extension host, a key press waits for at most this many rows (about 15 ms).
            if ((i & (YIELD_ROWS - 1)) === YIELD_ROWS - 1) await tick();
            const row = from + i;
            if (state[row] !== STATE_SIGNED) continue;
            const o = i * RECORD_BYTES + SIGNATURE_OFFSET;
            for (let k = 0; k < bands; k++) {
              const first = tables[k]!.firstOrInsert(buf, o, firstBand + k, row);
              if (first < 0 || uf.find(first) === uf.find(row)) continue;
              if (rejected[row] === first) continue;
              const similar = first >= from
                ? nearDuplicate(buf, o, buf, (first - from) * RECORD_BYTES + SIGNATURE_OFFSET)
                : nearDuplicate(buf, o, earlier.get(first), SIGNATURE_OFFSET);
              if (similar) uf.union(first, row);
              else rejected[row] = first;
            }
          }
          options.signal?.throwIfAborted();
          await tick();
        }
        options.onProgress?.({ phase: 'grouping', done: firstBand + bands, total: BANDS });
      }
      return new NearDuplicateGroups(uf.roots(), unsigned);
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }

  /** Estimated similarity (0-1) of a row's body to each of `others` (undefined where a signature is missing). */
  similarities(row: number, others: readonly number[]): (number | undefined)[] {
    const fd = this.openForReading();
    if (fd === undefined) return others.map(() => undefined);
    try {
      const read = (r: number): Buffer | undefined => {
        if (r >= this.pool.size) return undefined;
        const b = Buffer.alloc(RECORD_BYTES);
        if (readSync(fd, b, 0, RECORD_BYTES, recordPosition(r)) < RECORD_BYTES) return undefined;
        return b[4] === STATE_SIGNED && b.readUInt32LE(0) === this.pool.bodyCheck(r) ? b : undefined;
      };
      const mine = read(row);
      return others.map((r) => {
        const theirs = mine && read(r);
        return theirs ? similarity(mine!, SIGNATURE_OFFSET, theirs, SIGNATURE_OFFSET) : undefined;
      });
    } finally {
      closeSync(fd);
    }
  }
}

const MEMORY_ENTRIES = 1 << 16;

/** Records of earlier rows, read on demand and kept (up to 65,536 of them, 8 MB). */
class RecordCache {
  private readonly records = new Map<number, Buffer>();
  constructor(private readonly fd: number) {}
  get(row: number): Buffer {
    let r = this.records.get(row);
    if (r) return r;
    // A full cache starts over (deleting the oldest entries one by one is slow in V8's hash tables).
    if (this.records.size >= MEMORY_ENTRIES) this.records.clear();
    r = Buffer.alloc(RECORD_BYTES);
    readAll(this.fd, r, RECORD_BYTES, recordPosition(row));
    this.records.set(row, r);
    return r;
  }
}

function readAll(fd: number, buf: Buffer, length: number, position: number): void {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) {
      // Past the end of the file (a shorter file than the pool): zeros read as "no record".
      buf.fill(0, got, length);
      return;
    }
    got += n;
  }
}
