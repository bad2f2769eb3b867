/**
 * Scale-out: embedding and scoring one slice ("shard") of the pool per process, on whatever batch
 * engine runs N copies of a command with an index (a Kubernetes Indexed Job, a Slurm array), then
 * merging the shards in one process. Shard I of N is the contiguous row range
 * [floor(I * rows / N), floor((I + 1) * rows / N)): contiguous so a shard streams its rows in pool
 * order and its scores are one block of `scores.bin`, and deterministic, so a retried task redoes
 * exactly its own rows.
 *
 * Files under `.secreview/shards/` (never read by anything but `merge-shards`):
 *   embed-<fingerprint>-<I>-of-<N>/         an fp16 embedding cache of the shard's texts not yet
 *                                           in the workspace cache, then `shard.json` (written last)
 *   score-<version>-<I>-of-<N>.f32          Float32, per row the classes' probabilities and, for a model with
 *                                           an ensemble, each member's p(yes) (rows x (classes + members)), then
 *   score-<version>-<I>-of-<N>.json         its description (written last)
 * A shard without its JSON is incomplete (killed mid-way) and is redone, never merged.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MODEL_LABELS } from '../../src/core/labels';
import { NoModelError } from '../../src/store/batches';
import type { Pool } from '../../src/store/pool';
import { MEMBER_SCORES_FILE, MODEL_FILES, findModel, readManifest, workspacePaths, type ModelManifest } from '../../src/store/layout';
import type { Backend } from '../backend';
import { featurizeCached, textKey, type FeatureCache } from '../features/cache';
import { defaultFeaturizeWorkers, featurizeInOrder } from '../features/parallelFeaturizer';
import type { LoadOptions } from '../features/registry';
import type { Representation } from '../features/representation';
import { Fp16EmbeddingCache } from '../roberta/embeddingCache';
import { Predictor } from './predictor';

export const SHARDS_SUBDIR = 'shards';
/** Environment variables a batch engine sets to the task's index, in the order they are tried. */
export const SHARD_INDEX_VARIABLES = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID', 'AWS_BATCH_JOB_ARRAY_INDEX'] as const;

export interface ShardSpec { index: number; count: number }

export class ShardError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ShardError';
  }
}

/**
 * Parses `I/N`; `auto/N` (or `env/N`) takes I from the first of `SHARD_INDEX_VARIABLES` that is
 * set (Kubernetes sets JOB_COMPLETION_INDEX in Indexed Jobs, Slurm SLURM_ARRAY_TASK_ID).
 */
export function parseShard(text: string, env: NodeJS.ProcessEnv = process.env): ShardSpec {
  const m = /^\s*(\d+|auto|env)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ShardError(`--shard must be I/N (e.g. 0/4) or auto/N, got "${text}"`);
  const count = Number(m[2]);
  let indexText = m[1]!;
  if (indexText === 'auto' || indexText === 'env') {
    const variable = SHARD_INDEX_VARIABLES.find((v) => env[v] !== undefined && env[v] !== '');
    if (!variable) throw new ShardError(`--shard ${text}: none of ${SHARD_INDEX_VARIABLES.join(', ')} is set; give the index as --shard I/${count}`);
    indexText = env[variable]!.trim();
    if (!/^\d+$/.test(indexText)) throw new ShardError(`--shard ${text}: ${variable}="${env[variable]}" is not a whole number`);
  }
  const index = Number(indexText);
  if (!(count >= 1 && count <= 100_000)) throw new ShardError(`--shard: N must be between 1 and 100000, got ${count}`);
  if (index >= count) throw new ShardError(`--shard: index ${index} is not below the shard count ${count} (indices run 0..${count - 1})`);
  return { index, count };
}

/** Rows [from, to) of shard `index` of `count` over `rows` pool rows. */
export function shardRange(rows: number, s: ShardSpec): { from: number; to: number } {
  return { from: Math.floor((s.index * rows) / s.count), to: Math.floor(((s.index + 1) * rows) / s.count) };
}

export function shardsDirOf(workspaceDir: string): string {
  return path.join(workspaceDir, SHARDS_SUBDIR);
}

interface ShardMetaBase { shard: number; shards: number; from: number; to: number; poolRows: number; createdAt: string }
export interface EmbedShardMeta extends ShardMetaBase { kind: 'embed'; fingerprint: string; dim: number; computed: number; cached: number }
export interface ScoreShardMeta extends ShardMetaBase {
  kind: 'score'; version: string; fingerprint: string; classes: string[];
  /** Ensemble members whose p(yes) follows each row's probabilities (absent: none). */
  members?: number;
}

const tag = (s: ShardSpec) => `${s.index}-of-${s.count}`;
const EMBED_RE = /^embed-([0-9A-Za-z._-]+?)-(\d+)-of-(\d+)$/;
const SCORE_RE = /^score-([0-9A-Za-z._-]+?)-(\d+)-of-(\d+)\.json$/;

async function writeAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, file);
}

export interface ShardProgress { done: number; total: number }
export interface ShardRunOptions { onProgress?: (p: ShardProgress) => void; signal?: AbortSignal; chunk?: number }

function cancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw Object.assign(new Error('cancelled'), { name: 'CancelledError' });
}

/**
 * Embeds the shard's texts that the workspace cache lacks into the shard's own cache folder (each
 * process writes only its own folder; the workspace cache has a single writer, `merge-shards`).
 */
export async function embedShard(workspaceDir: string, pool: Pool, representation: Representation, s: ShardSpec, o: ShardRunOptions = {}): Promise<EmbedShardMeta & { dir: string }> {
  const fingerprint = representation.fingerprint(), dim = representation.dim;
  const { from, to } = shardRange(pool.size, s);
  const dir = path.join(shardsDirOf(workspaceDir), `embed-${fingerprint}-${tag(s)}`);
  // A rerun of this shard starts over from what it already wrote (its cache folder resumes).
  await rm(path.join(dir, 'shard.json'), { force: true });
  const main = await Fp16EmbeddingCache.open(workspacePaths.embeddingCache(workspaceDir), fingerprint, dim);
  const own = await Fp16EmbeddingCache.open(dir, fingerprint, dim);
  let done = 0, computed = 0, cached = 0;
  // Keys this run embedded (a Set: the cache's own `has` scans its unflushed buffer).
  const embedded = new Set<string>();
  for await (const texts of pool.bodyChunks(o.chunk ?? 512, from, to)) {
    const keys = texts.map(textKey);
    const inMain = await main.getMany(keys);
    const wanted: string[] = [];
    texts.forEach((t, i) => { const k = keys[i]!; if (!inMain.has(k) && !embedded.has(k)) { embedded.add(k); wanted.push(t); } });
    cached += texts.length - wanted.length;
    if (wanted.length) {
      await featurizeCached(representation, own, wanted);
      computed += wanted.length;
    }
    done += texts.length;
    o.onProgress?.({ done, total: to - from });
    cancelled(o.signal);
  }
  await own.flush();
  const meta: EmbedShardMeta = { kind: 'embed', fingerprint, dim, shard: s.index, shards: s.count, from, to, poolRows: pool.size, computed, cached, createdAt: new Date().toISOString() };
  await writeAtomic(path.join(dir, 'shard.json'), `${JSON.stringify(meta, null, 1)}\n`);
  return { ...meta, dir };
}

/** The workspace cache read-only: vectors a shard computes are not written from many processes. */
class ReadOnlyCache implements FeatureCache {
  constructor(private readonly inner: FeatureCache) {}
  get fingerprint(): string { return this.inner.fingerprint; }
  get dim(): number { return this.inner.dim; }
  getMany(keys: readonly string[]): Promise<Map<string, Float32Array>> { return this.inner.getMany(keys); }
  async putMany(): Promise<void> {}
  async flush(): Promise<void> {}
}

/** Scores the shard's rows with model `version` (default the newest) into a score shard file. */
export async function scoreShard(workspaceDir: string, pool: Pool, s: ShardSpec, o: ShardRunOptions & { version?: string; backend?: Backend; load?: LoadOptions } = {}): Promise<ScoreShardMeta & { file: string }> {
  const model = findModel(workspaceDir, o.version);
  if (!model) throw o.version ? new ShardError(`no model version "${o.version}" in this workspace`) : new NoModelError('no trained model yet: run "secreview train" first');
  const predictor = await Predictor.load(model.dir, o.backend, o.load);
  try {
    const rep = predictor.representation;
    const cache = rep.id === 'roberta'
      ? new ReadOnlyCache(await Fp16EmbeddingCache.open(workspacePaths.embeddingCache(workspaceDir), rep.fingerprint(), rep.dim)) : undefined;
    const { from, to } = shardRange(pool.size, s);
    const base = path.join(shardsDirOf(workspaceDir), `score-${model.version}-${tag(s)}`);
    await mkdir(path.dirname(base), { recursive: true });
    await rm(`${base}.json`, { force: true });
    const tmp = `${base}.f32.${process.pid}.tmp`;
    const out = await open(tmp, 'w');
    let done = 0;
    try {
      const chunk = o.chunk ?? 2048;
      // Hashing models hash the texts in worker threads while the head scores (same scores).
      const C = predictor.classes.length, M = predictor.ensembleSize;
      await featurizeInOrder(pool.bodyChunks(chunk, from, to), (texts, scratch) => (cache ? featurizeCached(rep, cache, texts) : rep.featurize(texts, scratch)), async (x, rows) => {
        const p = await predictor.predictFeatures(x, rows);
        const members = await predictor.predictMembersFeatures(x, rows);
        // Per row: the classes' probabilities, then each member's p(yes).
        const block = M ? new Float32Array(rows * (C + M)) : p;
        if (M) {
          for (let r = 0; r < rows; r++) {
            block.set(p.subarray(r * C, (r + 1) * C), r * (C + M));
            for (let m = 0; m < M; m++) block[r * (C + M) + C + m] = members[m]![r]!;
          }
        }
        await out.write(new Uint8Array(block.buffer, block.byteOffset, block.byteLength));
        done += rows;
        o.onProgress?.({ done, total: to - from });
        cancelled(o.signal);
      }, { params: rep.params(), workers: defaultFeaturizeWorkers(), chunkRows: chunk, enabled: to - from > chunk });
    } finally {
      await out.close();
    }
    if (done !== to - from) throw new ShardError(`scored ${done} rows, expected ${to - from}`);
    await rename(tmp, `${base}.f32`);
    const meta: ScoreShardMeta = {
      kind: 'score', version: model.version, fingerprint: rep.fingerprint(), classes: [...predictor.classes],
      ...(predictor.ensembleSize ? { members: predictor.ensembleSize } : {}),
      shard: s.index, shards: s.count, from, to, poolRows: pool.size, createdAt: new Date().toISOString(),
    };
    await writeAtomic(`${base}.json`, `${JSON.stringify(meta, null, 1)}\n`);
    return { ...meta, file: `${base}.f32` };
  } finally {
    await predictor.release();
  }
}

export interface ShardGroup<M extends EmbedShardMeta | ScoreShardMeta> {
  kind: M['kind'];
  /** Fingerprint (embed) or model version (score). */
  key: string;
  shards: { meta: M; path: string }[];
  /** Folders or files of shards that never finished (no JSON): redo those tasks. */
  incomplete: string[];
}

/** Complete and incomplete shards found under `.secreview/shards/`, grouped. */
export function findShards(workspaceDir: string): { embed: ShardGroup<EmbedShardMeta>[]; score: ShardGroup<ScoreShardMeta>[] } {
  const dir = shardsDirOf(workspaceDir);
  const embed = new Map<string, ShardGroup<EmbedShardMeta>>(), score = new Map<string, ShardGroup<ScoreShardMeta>>();
  if (!existsSync(dir)) return { embed: [], score: [] };
  const group = <M extends EmbedShardMeta | ScoreShardMeta>(m: Map<string, ShardGroup<M>>, kind: M['kind'], key: string) => {
    let g = m.get(key);
    if (!g) { g = { kind, key, shards: [], incomplete: [] }; m.set(key, g); }
    return g;
  };
  for (const name of readdirSync(dir).sort()) {
    const p = path.join(dir, name);
    const e = EMBED_RE.exec(name);
    if (e && statSync(p).isDirectory()) {
      const g = group(embed, 'embed', e[1]!);
      const metaFile = path.join(p, 'shard.json');
      if (existsSync(metaFile)) g.shards.push({ meta: JSON.parse(readFileSync(metaFile, 'utf8')) as EmbedShardMeta, path: p });
      else g.incomplete.push(name);
      continue;
    }
    const sc = SCORE_RE.exec(name);
    if (sc) group(score, 'score', sc[1]!).shards.push({ meta: JSON.parse(readFileSync(p, 'utf8')) as ScoreShardMeta, path: p.replace(/\.json$/, '.f32') });
    else if (/^score-.*\.f32$/.test(name) && !existsSync(p.replace(/\.f32$/, '.json'))) {
      const m = /^score-([0-9A-Za-z._-]+?)-\d+-of-\d+\.f32$/.exec(name);
      if (m) group(score, 'score', m[1]!).incomplete.push(name);
    }
  }
  return { embed: [...embed.values()], score: [...score.values()] };
}

/**
 * Checks that a group's shards are one complete run: the same N, pool size and fingerprint, and
 * row ranges that cover [0, rows) exactly once. Throws a `ShardError` naming what is missing.
 */
export function checkGroup(g: ShardGroup<EmbedShardMeta | ScoreShardMeta>): { count: number; poolRows: number } {
  const what = `${g.kind} shards of ${g.key}`;
  if (!g.shards.length) throw new ShardError(`${what}: none is complete (unfinished: ${g.incomplete.join(', ')})`);
  const first = g.shards[0]!.meta;
  for (const { meta } of g.shards) {
    if (meta.shards !== first.shards) throw new ShardError(`${what}: shards of ${first.shards} and of ${meta.shards} are mixed; remove the stale ones`);
    if (meta.poolRows !== first.poolRows) throw new ShardError(`${what}: shards were made over ${first.poolRows} and ${meta.poolRows} pool rows (reviews were imported in between); rerun them all`);
    if (meta.fingerprint !== first.fingerprint) throw new ShardError(`${what}: shards disagree on the representation fingerprint (${first.fingerprint}, ${meta.fingerprint})`);
    const expected = shardRange(meta.poolRows, { index: meta.shard, count: meta.shards });
    if (meta.from !== expected.from || meta.to !== expected.to) throw new ShardError(`${what}: shard ${meta.shard} covers rows ${meta.from}..${meta.to}, expected ${expected.from}..${expected.to}`);
  }
  const seen = new Set<number>();
  for (const { meta } of g.shards) {
    if (seen.has(meta.shard)) throw new ShardError(`${what}: shard ${meta.shard} appears twice`);
    seen.add(meta.shard);
  }
  const missing = Array.from({ length: first.shards }, (_, i) => i).filter((i) => !seen.has(i));
  if (missing.length) {
    throw new ShardError(`${what}: ${missing.length} of ${first.shards} shards are missing (${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ', ...' : ''})${g.incomplete.length ? `; unfinished: ${g.incomplete.join(', ')}` : ''}; run them (--shard I/${first.shards}) and merge again`);
  }
  return { count: first.shards, poolRows: first.poolRows };
}

/**
 * Adds a complete group of embedding shards to the workspace cache, after checking that every
 * row of the pool has a vector (from a shard or already cached). Returns vectors added.
 */
export async function mergeEmbedShards(workspaceDir: string, pool: Pool, g: ShardGroup<EmbedShardMeta>, o: ShardRunOptions = {}): Promise<{ added: number; rows: number }> {
  const { poolRows } = checkGroup(g);
  const { fingerprint, dim } = g.shards[0]!.meta;
  if (poolRows > pool.size) throw new ShardError(`embed shards of ${fingerprint} cover ${poolRows} rows but the pool has ${pool.size}`);
  const main = await Fp16EmbeddingCache.open(workspacePaths.embeddingCache(workspaceDir), fingerprint, dim);
  let added = 0, done = 0;
  for (const { meta, path: dir } of [...g.shards].sort((a, b) => a.meta.shard - b.meta.shard)) {
    const own = await Fp16EmbeddingCache.open(dir, fingerprint, dim);
    for await (const texts of pool.bodyChunks(o.chunk ?? 4096, meta.from, meta.to)) {
      const keys = texts.map(textKey);
      const inMain = await main.getMany(keys);
      const fromShard = await own.getMany(keys.filter((k) => !inMain.has(k)));
      const lacking = keys.filter((k) => !inMain.has(k) && !fromShard.has(k));
      if (lacking.length) throw new ShardError(`embed shard ${meta.shard} (${dir}) lacks vectors of ${lacking.length} of its rows; rerun it`);
      const fresh = [...fromShard].map(([key, vector]) => ({ key, vector }));
      await main.putMany(fresh);
      added += fresh.length;
      done += texts.length;
      o.onProgress?.({ done, total: poolRows });
      cancelled(o.signal);
    }
  }
  await main.flush();
  return { added, rows: poolRows };
}

/**
 * Concatenates a complete group of score shards into the model's `scores.bin` (atomically), with
 * an ensemble its members' p(yes) into `member-scores.bin`, and records the rows scored in its
 * `model.json` when the pool has grown since training.
 */
export async function mergeScoreShards(workspaceDir: string, g: ShardGroup<ScoreShardMeta>): Promise<{ version: string; rows: number; file: string }> {
  const { poolRows } = checkGroup(g);
  const model = findModel(workspaceDir, g.key);
  if (!model) throw new ShardError(`score shards of model ${g.key}, which is not in this workspace`);
  const fingerprint = model.manifest.record.representationFingerprint;
  const classes = model.manifest.classes;
  const M = model.manifest.record.ensemble?.members ?? 0;
  for (const { meta } of g.shards) {
    if (meta.fingerprint !== fingerprint) throw new ShardError(`score shard ${meta.shard} of ${g.key} was made with representation ${meta.fingerprint}, the model has ${fingerprint}`);
    if (meta.classes.join(',') !== classes.join(',')) throw new ShardError(`score shard ${meta.shard} of ${g.key} has classes ${meta.classes.join(',')}, the model ${classes.join(',')}`);
    if ((meta.members ?? 0) !== M) throw new ShardError(`score shard ${meta.shard} of ${g.key} holds ${meta.members ?? 0} ensemble members' scores, the model has ${M}; rerun it with this version`);
  }
  const C = classes.length || MODEL_LABELS.length;
  const target = path.join(model.dir, MODEL_FILES.scores);
  const membersTarget = path.join(model.dir, MEMBER_SCORES_FILE);
  const tmp = `${target}.${process.pid}.tmp`, membersTmp = `${membersTarget}.${process.pid}.tmp`;
  const out = await open(tmp, 'w');
  const membersOut = M ? await open(membersTmp, 'w') : undefined;
  const close = async () => { await out.close(); await membersOut?.close(); };
  try {
    for (const { meta, path: file } of [...g.shards].sort((a, b) => a.meta.shard - b.meta.shard)) {
      const bytes = readFileSync(file);
      const rows = meta.to - meta.from;
      if (bytes.byteLength !== rows * (C + M) * 4) throw new ShardError(`${file} has ${bytes.byteLength} bytes, expected ${rows * (C + M) * 4} (rows ${meta.from}..${meta.to}); rerun shard ${meta.shard}`);
      if (!M) { await out.write(bytes); continue; }
      const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      const probs = new Float32Array(rows * C);
      const members = Array.from({ length: M }, () => new Float32Array(rows));
      for (let r = 0; r < rows; r++) {
        probs.set(values.subarray(r * (C + M), r * (C + M) + C), r * C);
        for (let m = 0; m < M; m++) members[m]![r] = values[r * (C + M) + C + m]!;
      }
      await out.write(new Uint8Array(probs.buffer));
      for (let m = 0; m < M; m++) await membersOut!.write(new Uint8Array(members[m]!.buffer), 0, rows * 4, (m * poolRows + meta.from) * 4);
    }
  } catch (e) {
    await close();
    await rm(tmp, { force: true });
    await rm(membersTmp, { force: true });
    throw e;
  }
  await close();
  const manifestFile = path.join(model.dir, MODEL_FILES.model);
  const manifest: ModelManifest = readManifest(model.dir);
  if (M) await rename(membersTmp, membersTarget);
  await rename(tmp, target);
  if (manifest.scoredRows !== poolRows) {
    // The pool grew since training: the merged scores cover the new rows too.
    const next: ModelManifest = { ...manifest, scoredRows: poolRows, record: { ...manifest.record, scoredRows: poolRows } };
    await writeAtomic(manifestFile, `${JSON.stringify(next, null, 1)}\n`);
  }
  return { version: model.version, rows: poolRows, file: target };
}

/** Removes a merged group's files. */
export async function removeGroup(g: ShardGroup<EmbedShardMeta | ScoreShardMeta>): Promise<void> {
  for (const { path: p, meta } of g.shards) {
    if (meta.kind === 'embed') await rm(p, { recursive: true, force: true });
    else { await rm(p, { force: true }); await rm(p.replace(/\.f32$/, '.json'), { force: true }); }
  }
}
