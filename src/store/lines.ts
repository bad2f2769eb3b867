/**
 * Streaming line reader for JSONL inputs of any size, plain or gzip (detected by magic bytes, not
 * by name). Splits on bytes, decodes each line strictly as UTF-8, and reports 1-based line numbers,
 * so a bad line can be named precisely while the rest streams on.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import type { Readable } from 'node:stream';

export type Line =
  | { lineNo: number; text: string; bytes: number }
  | { lineNo: number; error: string; bytes: number };

/** A compressed file that ends early or is corrupt: every line before `completeLines` was read whole. */
export class DamagedInputError extends Error {
  constructor(readonly file: string, readonly completeLines: number, cause: string) {
    super(`${file}: compressed data is damaged or truncated after line ${completeLines} (${cause})`);
    this.name = 'DamagedInputError';
  }
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

async function isGzip(file: string): Promise<boolean> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

function decodeLine(buf: Buffer, lineNo: number): Line {
  let end = buf.length;
  if (end && buf[end - 1] === 0x0d) end--; // CRLF
  try {
    let text = decoder.decode(buf.subarray(0, end));
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { lineNo, text, bytes: buf.length };
  } catch {
    const at = firstInvalidUtf8(buf.subarray(0, end));
    return { lineNo, error: `invalid UTF-8 at byte ${at + 1} of the line`, bytes: buf.length };
  }
}

/** Byte offset of the first invalid UTF-8 sequence (for error messages). */
export function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (!n || i + n > b.length) return i;
    for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return i;
    i += n;
  }
  return b.length;
}

export interface ReadLinesOptions { signal?: AbortSignal; onBytes?: (compressedBytesRead: number) => void }

/**
 * Yields the lines of a file in batches (one batch per chunk read, so the per-line cost stays
 * synchronous). Empty lines are yielded too (callers skip them) so numbering stays right. A gzip
 * stream that ends early throws after the lines read so far were yielded.
 */
export async function* readLineBatches(file: string, options: ReadLinesOptions = {}): AsyncGenerator<Line[]> {
  const gzip = await isGzip(file);
  // No 'data' listener on `raw`: that would start the flow before the iterator below reads it.
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream: Readable = gzip ? raw.pipe(createGunzip()) : raw;
  if ((stream as unknown) !== raw) raw.on('error', (e) => stream.destroy(e));
  let carry: Buffer | undefined;
  let lineNo = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (options.signal?.aborted) throw options.signal.reason ?? new Error('aborted');
      options.onBytes?.(raw.bytesRead);
      const batch: Line[] = [];
      let start = 0;
      let nl = chunk.indexOf(NEWLINE, start);
      while (nl !== -1) {
        const piece = carry ? Buffer.concat([carry, chunk.subarray(start, nl)]) : chunk.subarray(start, nl);
        carry = undefined;
        batch.push(decodeLine(piece, ++lineNo));
        start = nl + 1;
        nl = chunk.indexOf(NEWLINE, start);
      }
      if (start < chunk.length) carry = carry ? Buffer.concat([carry, chunk.subarray(start)]) : Buffer.from(chunk.subarray(start));
      if (batch.length) yield batch;
    }
  } catch (e) {
    const complete = lineNo;
    if (carry?.length) yield [{ lineNo: ++lineNo, error: 'truncated line at the end of a damaged file', bytes: carry.length }];
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'Z_BUF_ERROR' || err.code === 'Z_DATA_ERROR' || /unexpected end/i.test(err.message)) {
      throw new DamagedInputError(file, complete, err.message);
    }
    throw e;
  } finally {
    raw.destroy();
  }
  if (carry?.length) yield [decodeLine(carry, ++lineNo)];
}

/** Yields every line of a file, one at a time (see `readLineBatches`). */
export async function* readLines(file: string, options: ReadLinesOptions = {}): AsyncGenerator<Line> {
  for await (const batch of readLineBatches(file, options)) yield* batch;
}
