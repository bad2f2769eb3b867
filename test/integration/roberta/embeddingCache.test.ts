/**
 * The fp16 pool-embedding cache: RoBERTa vectors computed once and read back (within fp16
 * precision), reused across processes, extended when the pool grows, and intact after the writer
 * is killed mid-way (SIGKILL), when only the missing vectors are computed again.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Backend } from '../../../python-free-train/backend';
import { featurizeCached, textKey } from '../../../python-free-train/features/cache';
import type { Representation } from '../../../python-free-train/features/representation';
import { Fp16EmbeddingCache } from '../../../python-free-train/roberta/embeddingCache';
import { writeTinyRoberta } from '../../helpers/robertaFixtures';
import { loadRobertaModel } from '../../../python-free-train/roberta/model';
import { RobertaRepresentation } from '../../../python-free-train/roberta/representation';

const repoRoot = path.resolve(__dirname, '../../..');

/** Counts the texts a representation is asked to embed. */
function counting(r: Representation): { rep: Representation; embedded: () => number } {
  let n = 0;
  const rep: Representation = {
    id: r.id, dim: r.dim, fingerprint: () => r.fingerprint(), params: () => r.params(),
    featurize: async (texts) => { n += texts.length; return r.featurize(texts); },
  };
  return { rep, embedded: () => n };
}

describe('fp16 embedding cache', () => {
  let work: string;
  let roberta: RobertaRepresentation;
  const pool = Array.from({ length: 40 }, (_, i) => `Review comment ${i}: ${i % 3 ? 'possible XSS in the template' : 'rename this variable'}`);

  before(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'secreview-embcache-'));
    const model = await loadRobertaModel((await writeTinyRoberta(path.join(work, 'model'), { seed: 4, bpeTokens: 600 })).dir);
    roberta = await RobertaRepresentation.fromModel(model, 'tiny', { backend: await Backend.create({ device: 'cpu', threads: 1 }), batchSize: 8 });
  });
  after(async () => { await roberta.release(); await rm(work, { recursive: true, force: true }); });

  it('embeds each text once, reads vectors back within fp16 precision, and grows with the pool', async () => {
    const root = path.join(work, 'grow');
    const direct = await roberta.featurize(pool);
    const first = counting(roberta);
    let cache = await Fp16EmbeddingCache.open(root, roberta.fingerprint(), roberta.dim, { chunkSize: 16 });
    const a = await featurizeCached(first.rep, cache, pool.slice(0, 30));
    await cache.flush();
    assert.equal(first.embedded(), 30);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - direct[i]!) <= 1e-3 * Math.max(1, Math.abs(direct[i]!)), `value ${i}`);

    // Another process later: same fingerprint, same folder; only the 10 new texts are embedded.
    cache = await Fp16EmbeddingCache.open(root, roberta.fingerprint(), roberta.dim, { chunkSize: 16 });
    assert.equal(cache.size, 30);
    const second = counting(roberta);
    const b = await featurizeCached(second.rep, cache, pool);
    await cache.flush();
    assert.equal(second.embedded(), 10);
    for (let i = 0; i < b.length; i++) assert.ok(Math.abs(b[i]! - direct[i]!) <= 1e-3 * Math.max(1, Math.abs(direct[i]!)));
    assert.equal((await Fp16EmbeddingCache.open(root, roberta.fingerprint(), roberta.dim)).size, 40);
    await assert.rejects(Fp16EmbeddingCache.open(root, roberta.fingerprint(), 16), /holds 32-d vectors of .*, not 16-d/);
  });

  it('a writer killed with SIGKILL leaves only whole chunks; the next run embeds only what is missing', async () => {
    const root = path.join(work, 'crash');
    const fingerprint = 'deadbeefdeadbeef';
    // The child writes 8-d vectors in chunks of 10, forever, until killed.
    const script = path.join(work, 'writer.ts');
    await writeFile(script, `
      import { Fp16EmbeddingCache } from ${JSON.stringify(path.join(repoRoot, 'python-free-train/roberta/embeddingCache'))};
      import { textKey } from ${JSON.stringify(path.join(repoRoot, 'python-free-train/features/cache'))};
      (async () => {
        const cache = await Fp16EmbeddingCache.open(${JSON.stringify(root)}, '${fingerprint}', 8, { chunkSize: 10 });
        for (let i = 0; ; i++) {
          await cache.putMany([{ key: textKey('text ' + i), vector: Float32Array.from({ length: 8 }, (_, j) => i + j / 8) }]);
          if (cache.chunkCount === 3) process.stdout.write('ready\\n');
        }
      })();
    `);
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => { if (d.toString().includes('ready')) resolve(); });
      child.on('exit', (code) => reject(new Error(`writer exited early (${code})`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    // A leftover from a write in progress is discarded on open.
    await writeFile(path.join(root, fingerprint, 'chunk-999999.f16.1234.tmp'), 'partial');

    const cache = await Fp16EmbeddingCache.open(root, fingerprint, 8);
    assert.ok(cache.size >= 30 && cache.size % 10 === 0, `${cache.size} vectors, whole chunks only`);
    assert.ok(!readdirSync(path.join(root, fingerprint)).some((n) => n.endsWith('.tmp')));
    const keys = Array.from({ length: cache.size + 5 }, (_, i) => textKey(`text ${i}`));
    const got = await cache.getMany(keys);
    assert.equal(got.size, cache.size);
    assert.deepEqual(Array.from(got.get(textKey('text 29'))!), Array.from({ length: 8 }, (_, j) => 29 + j / 8));
    let embedded = 0;
    const rep: Representation = {
      id: 'roberta', dim: 8, fingerprint: () => fingerprint, params: () => ({ id: 'roberta', model: 'x', maxTokens: 64 }),
      featurize: async (texts) => { embedded += texts.length; return new Float32Array(texts.length * 8); },
    };
    await featurizeCached(rep, cache, keys.map((_, i) => `text ${i}`));
    assert.equal(embedded, 5);
    assert.ok(existsSync(path.join(root, fingerprint, 'meta.json')));
  });
});
