/**
 * A durable cache of pool embeddings, fp16 on disk (768-d: 1.5 KB a text, 1.5 GB for a million),
 * implementing the project's `FeatureCache`. One folder per representation fingerprint (which
 * includes the sha256 of the weights), so a different model never reads these vectors.
 *
 * Layout: `meta.json` and immutable chunk files `chunk-NNNNNN.f16`, each written to a temporary
 * name and renamed into place, so a crash loses at most the vectors not yet flushed (they are
 * recomputed on the next run) and never leaves a half chunk that is read. A growing pool only adds
 * chunks. Chunk format (little-endian): magic "SRF16\0\0\0", u32 count, u32 dim, count x 8-byte
 * text keys (the two 32-bit words of `fingerprint64`), then count x dim float16.
 */
import { closeSync, existsSync, openSync, readSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { FeatureCache } from '../features/cache';
import { floatToHalf, halfToFloat } from './safetensors';

const MAGIC = 'SRF16\0\0\0';
const HEADER_BYTES = 16;
const CHUNK_RE = /^chunk-(\d{6})\.f16$/;

interface Location { chunk: number; row: number }
interface ChunkInfo { file: string; count: number; vectorsOffset: number }

export interface EmbeddingCacheOptions {
  /** Vectors buffered in memory before a chunk is written (default 4096). */
  chunkSize?: number;
}

export class EmbeddingCacheError extends Error {
  constructor(message: string) {
    super(`embedding cache: ${message}`);
    this.name = 'EmbeddingCacheError';
  }
}

export class Fp16EmbeddingCache implements FeatureCache {
  private readonly index = new Map<string, Location>();
  private readonly chunks: ChunkInfo[] = [];
  private pending: { key: string; vector: Float32Array }[] = [];
  private readonly chunkSize: number;

  private constructor(readonly dir: string, readonly fingerprint: string, readonly dim: number, o: EmbeddingCacheOptions) {
    this.chunkSize = o.chunkSize ?? 4096;
  }

  /** Opens (creating if needed) the cache of `fingerprint` under `root`. */
  static async open(root: string, fingerprint: string, dim: number, o: EmbeddingCacheOptions = {}): Promise<Fp16EmbeddingCache> {
    if (!/^[0-9A-Za-z._-]+$/.test(fingerprint)) throw new EmbeddingCacheError(`fingerprint "${fingerprint}" is not a safe folder name`);
    const dir = path.join(root, fingerprint);
    await mkdir(dir, { recursive: true });
    const metaFile = path.join(dir, 'meta.json');
    if (existsSync(metaFile)) {
      const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as { fingerprint?: string; dim?: number };
      if (meta.fingerprint !== fingerprint || meta.dim !== dim) {
        throw new EmbeddingCacheError(`${dir} holds ${meta.dim}-d vectors of ${meta.fingerprint}, not ${dim}-d vectors of ${fingerprint}`);
      }
    } else {
      await writeAtomic(metaFile, `${JSON.stringify({ format: 'secreview-fp16-chunks-1', fingerprint, dim }, null, 2)}\n`);
    }
    const cache = new Fp16EmbeddingCache(dir, fingerprint, dim, o);
    await cache.load();
    return cache;
  }

  /** Texts with a stored vector. */
  get size(): number { return this.index.size; }
  get chunkCount(): number { return this.chunks.length; }
  has(key: string): boolean { return this.index.has(key) || this.pending.some((p) => p.key === key); }

  private async load(): Promise<void> {
    const names = readdirSync(this.dir);
    // Leftovers of a crash mid-write: never renamed, so never part of the cache.
    for (const n of names) if (n.endsWith('.tmp')) await rm(path.join(this.dir, n), { force: true });
    for (const name of names.filter((n) => CHUNK_RE.test(n)).sort()) {
      const file = path.join(this.dir, name);
      const fd = openSync(file, 'r');
      try {
        const header = Buffer.alloc(HEADER_BYTES);
        readSync(fd, header, 0, HEADER_BYTES, 0);
        if (header.toString('latin1', 0, 8) !== MAGIC) throw new EmbeddingCacheError(`${file} is not a cache chunk`);
        const count = header.readUInt32LE(8), dim = header.readUInt32LE(12);
        if (dim !== this.dim) throw new EmbeddingCacheError(`${file} holds ${dim}-d vectors, expected ${this.dim}`);
        const keys = Buffer.alloc(count * 8);
        readSync(fd, keys, 0, keys.length, HEADER_BYTES);
        const chunk = this.chunks.length;
        this.chunks.push({ file, count, vectorsOffset: HEADER_BYTES + count * 8 });
        for (let row = 0; row < count; row++) {
          const key = keys.readUInt32LE(row * 8).toString(16).padStart(8, '0') + keys.readUInt32LE(row * 8 + 4).toString(16).padStart(8, '0');
          this.index.set(key, { chunk, row });
        }
      } finally {
        closeSync(fd);
      }
    }
  }

  async getMany(keys: readonly string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    const byChunk = new Map<number, { key: string; row: number }[]>();
    for (const key of keys) {
      const loc = this.index.get(key);
      if (!loc) continue;
      const list = byChunk.get(loc.chunk);
      if (list) list.push({ key, row: loc.row }); else byChunk.set(loc.chunk, [{ key, row: loc.row }]);
    }
    const rowBytes = this.dim * 2;
    for (const [chunk, wanted] of byChunk) {
      const info = this.chunks[chunk]!;
      const fd = openSync(info.file, 'r');
      try {
        // Many rows of a chunk: one sequential read beats many small ones.
        const whole = wanted.length * 8 > info.count;
        const block = whole ? Buffer.alloc(info.count * rowBytes) : Buffer.alloc(rowBytes);
        if (whole) readSync(fd, block, 0, block.length, info.vectorsOffset);
        for (const { key, row } of wanted) {
          if (!whole) readSync(fd, block, 0, rowBytes, info.vectorsOffset + row * rowBytes);
          const base = whole ? row * rowBytes : 0;
          const v = new Float32Array(this.dim);
          for (let j = 0; j < this.dim; j++) v[j] = halfToFloat(block.readUInt16LE(base + j * 2));
          out.set(key, v);
        }
      } finally {
        closeSync(fd);
      }
    }
    if (this.pending.length) {
      const wanted = new Set(keys);
      for (const p of this.pending) if (wanted.has(p.key) && !out.has(p.key)) out.set(p.key, p.vector.slice());
    }
    return out;
  }

  async putMany(entries: readonly { key: string; vector: Float32Array }[]): Promise<void> {
    for (const e of entries) {
      if (e.vector.length !== this.dim) throw new EmbeddingCacheError(`vector of width ${e.vector.length}, expected ${this.dim}`);
      if (!/^[0-9a-f]{16}$/.test(e.key)) throw new EmbeddingCacheError(`key "${e.key}" is not a fingerprint64`);
      if (this.index.has(e.key)) continue;
      this.pending.push({ key: e.key, vector: e.vector.slice() });
      if (this.pending.length >= this.chunkSize) await this.flush();
    }
  }

  /** Writes buffered vectors as a new chunk (atomically). */
  async flush(): Promise<void> {
    const seen = new Set<string>();
    const entries = this.pending.filter((p) => !this.index.has(p.key) && !seen.has(p.key) && seen.add(p.key));
    this.pending = [];
    if (!entries.length) return;
    const count = entries.length;
    const buf = Buffer.alloc(HEADER_BYTES + count * 8 + count * this.dim * 2);
    buf.write(MAGIC, 0, 'latin1');
    buf.writeUInt32LE(count, 8);
    buf.writeUInt32LE(this.dim, 12);
    entries.forEach((e, i) => {
      buf.writeUInt32LE(parseInt(e.key.slice(0, 8), 16), HEADER_BYTES + i * 8);
      buf.writeUInt32LE(parseInt(e.key.slice(8), 16), HEADER_BYTES + i * 8 + 4);
      const base = HEADER_BYTES + count * 8 + i * this.dim * 2;
      for (let j = 0; j < this.dim; j++) buf.writeUInt16LE(floatToHalf(e.vector[j]!), base + j * 2);
    });
    const number = this.chunks.length ? Number(path.basename(this.chunks.at(-1)!.file).match(CHUNK_RE)![1]) + 1 : 1;
    const file = path.join(this.dir, `chunk-${String(number).padStart(6, '0')}.f16`);
    await writeAtomic(file, buf);
    const chunk = this.chunks.length;
    this.chunks.push({ file, count, vectorsOffset: HEADER_BYTES + count * 8 });
    entries.forEach((e, row) => this.index.set(e.key, { chunk, row }));
  }
}

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}
