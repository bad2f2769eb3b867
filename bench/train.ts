/**
 * Benchmark of the python-free training machinery (MLP head, AdamW, ONNX graphs on onnxruntime):
 * - scoring throughput of the inference graph over 1M rows of 768-d cached features, streamed in
 *   chunks of 65,536 rows (never more than one chunk in memory), and the peak RSS while doing it;
 * - train-step time at batch 32 for D=768 and D=4096 (H=256, 4 classes);
 * - seconds per epoch over 4000 examples at D=768;
 * - scoring a pool with the default `hashing` representation (text -> 4096-d features -> head), on
 *   the paper's review texts from ../shared/data (cycled to --hashing-rows rows), in one thread and
 *   as the trainer does it (featurizer worker threads ahead of the head): what a retrain costs per
 *   pool row.
 * Usage: npm run bench -- train [--rows N] [--hashing-rows N] [--threads T] [--spin]. Prints JSON.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Backend } from '../python-free-train/backend';
import { HashingRepresentation } from '../python-free-train/features/hashing';
import { ParallelFeaturizer } from '../python-free-train/features/parallelFeaturizer';
import { HeadModel } from '../python-free-train/models/mlpHead';
import { TRAINING_DEFAULTS } from '../python-free-train/trainer/job';
import { findPaperData, PAPER_DATA_FILE } from '../scripts/paper-data';

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const ROWS = arg('rows', 1_000_000);
const HASHING_ROWS = arg('hashing-rows', 100_000);
/** The paper's labeled reviews: beside the project or in the cache `npm run fetch-paper-data` fills. */
const DATA = findPaperData() ?? path.resolve(__dirname, '..', '..', 'shared', 'data', PAPER_DATA_FILE);
const THREADS = arg('threads', 0);
const SPIN = args.includes('--spin');
const CHUNK = 65_536;
const CLASSES = 4;

/** Fast deterministic fill (xorshift32) so generating features does not dominate the run. */
function fillRandom(out: Float32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296 - 0.5;
  }
}

const now = () => performance.now();
const mb = (kb: number) => Math.round(kb / 1024);

async function scoring(backend: Backend) {
  const D = 768;
  const model = await HeadModel.create({ inputDim: D, hidden: [256], classes: CLASSES, seed: 1 }, { batchSize: 32, optimizer: { kind: 'adamw', lr: 1e-3 } }, backend);
  const chunk = new Float32Array(CHUNK * D);
  fillRandom(chunk, 99);
  await model.predict(chunk, 1024); // session creation and warm-up, not timed
  let scoringMs = 0, generateMs = 0, scored = 0, checksum = 0, scoringCpuMs = 0;
  const wall = now();
  for (let start = 0; start < ROWS; start += CHUNK) {
    const n = Math.min(CHUNK, ROWS - start);
    let t = now();
    fillRandom(chunk.subarray(0, n * D), start + 1);
    generateMs += now() - t;
    t = now();
    const cpu = process.cpuUsage();
    const probs = await model.predict(chunk, n);
    scoringMs += now() - t;
    const used = process.cpuUsage(cpu);
    scoringCpuMs += (used.user + used.system) / 1000;
    checksum += probs[0]!;
    scored += n;
  }
  const wallMs = now() - wall;
  await model.release();
  return {
    rows: scored, inputDim: D, hidden: 256, chunkRows: CHUNK,
    scoringSeconds: +(scoringMs / 1000).toFixed(3),
    rowsPerSecond: Math.round(scored / (scoringMs / 1000)),
    // CPU time of all onnxruntime threads: a load-independent figure (rows per core-second).
    rowsPerCpuSecond: Math.round(scored / (scoringCpuMs / 1000)),
    featureGenerationSeconds: +(generateMs / 1000).toFixed(3),
    wallSeconds: +(wallMs / 1000).toFixed(3),
    peakRssMB: mb(process.resourceUsage().maxRSS),
    checksum: +checksum.toFixed(6),
  };
}

async function trainStep(backend: Backend, D: number) {
  const H = 256, batch = 32, steps = 40;
  const model = await HeadModel.create({ inputDim: D, hidden: [H], classes: CLASSES, seed: 2 }, { batchSize: batch, optimizer: { kind: 'adamw', lr: 1e-3, weightDecay: 0.01 } }, backend);
  const n = batch * steps;
  const x = new Float32Array(n * D);
  fillRandom(x, 7);
  const y = Int32Array.from({ length: n }, (_, i) => i % CLASSES);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  await model.trainEpoch(x.subarray(0, batch * 5 * D), y, batch * 5, order.subarray(0, batch * 5)); // warm-up
  // Best of three runs: the machine is shared, and the minimum is the least disturbed figure.
  const runs: number[] = [], cpuRuns: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t = now(), cpu = process.cpuUsage();
    await model.trainEpoch(x, y, n, order);
    runs.push((now() - t) / steps);
    const used = process.cpuUsage(cpu);
    cpuRuns.push((used.user + used.system) / 1000 / steps);
  }
  await model.release();
  return { inputDim: D, hidden: H, batch, msPerStep: +Math.min(...runs).toFixed(3), msPerStepRuns: runs.map((v) => +v.toFixed(3)), cpuMsPerStep: +Math.min(...cpuRuns).toFixed(3) };
}

async function epoch(backend: Backend) {
  const D = 768, n = 4000;
  const model = await HeadModel.create({ inputDim: D, hidden: [256], classes: CLASSES, seed: 3 }, { batchSize: 32, optimizer: { kind: 'adamw', lr: 1e-3 } }, backend);
  const x = new Float32Array(n * D);
  fillRandom(x, 8);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7) % CLASSES);
  const order = Int32Array.from({ length: n }, (_, i) => (i * 1237) % n);
  await model.trainEpoch(x, y, 320, order.subarray(0, 320).map((v) => v % 320)); // warm-up
  const times: number[] = [];
  for (let e = 0; e < 3; e++) {
    const t = now();
    await model.trainEpoch(x, y, n, order);
    times.push((now() - t) / 1000);
  }
  const evalStart = now();
  await model.evaluate(x, y, n);
  const evalSeconds = (now() - evalStart) / 1000;
  await model.release();
  return { examples: n, inputDim: D, hidden: 256, batch: 32, secondsPerEpoch: +Math.min(...times).toFixed(3), epochSeconds: times.map((s) => +s.toFixed(3)), evaluateSeconds: +evalSeconds.toFixed(3) };
}

/** Pool scoring as the trainer does it with the hashing representation, in chunks of 2048 rows. */
async function hashingScoring(backend: Backend) {
  if (!existsSync(DATA)) return `not measured (${path.relative(process.cwd(), DATA)} is missing)`;
  const texts = readFileSync(DATA, 'utf8').split('\n').filter((l) => l.trim()).map((l) => String((JSON.parse(l) as { body?: unknown }).body ?? ''));
  const representation = await HashingRepresentation.fit(texts, { dim: TRAINING_DEFAULTS.hashingDim });
  const chunkRows = 2048;
  // The trainer's default hashing model: a linear head over the features.
  const model = await HeadModel.create({ inputDim: representation.dim, hidden: [...TRAINING_DEFAULTS.hidden], classes: CLASSES, seed: 4 }, { batchSize: 32, optimizer: { kind: 'adamw', lr: 1e-3 } }, backend);
  const scratch = new Float32Array(chunkRows * representation.dim);
  const chunk = (start: number, n: number) => Array.from({ length: n }, (_, i) => texts[(start + i) % texts.length]!);
  await model.predict(await representation.featurize(chunk(0, 256), scratch), 256); // warm-up
  let featurizeMs = 0, predictMs = 0, checksum = 0;
  for (let start = 0; start < HASHING_ROWS; start += chunkRows) {
    const n = Math.min(chunkRows, HASHING_ROWS - start);
    const bodies = chunk(start, n);
    let t = now();
    const x = await representation.featurize(bodies, scratch);
    featurizeMs += now() - t;
    t = now();
    checksum += (await model.predict(x, n))[0]!;
    predictMs += now() - t;
  }
  // As the trainer scores a pool: worker threads hash the next chunks while the head scores one.
  const workers = Math.min(8, os.availableParallelism());
  const params = representation.params();
  if (params.id !== 'hashing') throw new Error('expected hashing parameters');
  const parallel = ParallelFeaturizer.start(params, workers);
  function* chunks() {
    for (let start = 0; start < HASHING_ROWS; start += chunkRows) yield chunk(start, Math.min(chunkRows, HASHING_ROWS - start));
  }
  let parallelChecksum = 0;
  const t0 = now();
  await parallel.pipeline(chunks(), workers, async (x, n) => { parallelChecksum += (await model.predict(x, n))[0]!; });
  const parallelMs = now() - t0;
  await parallel.close();
  await model.release();
  const perSecond = (ms: number) => Math.round(HASHING_ROWS / (ms / 1000));
  return {
    rows: HASHING_ROWS, texts: texts.length, meanChars: Math.round(texts.reduce((a, t) => a + t.length, 0) / texts.length),
    dim: representation.dim, hidden: [...TRAINING_DEFAULTS.hidden], chunkRows,
    oneThread: { rowsPerSecond: perSecond(featurizeMs + predictMs), featurizeRowsPerSecond: perSecond(featurizeMs), headRowsPerSecond: perSecond(predictMs) },
    // Worker start-up included.
    featurizerWorkers: { workers, rowsPerSecond: perSecond(parallelMs) },
    checksum: +checksum.toFixed(6),
    sameScores: parallelChecksum === checksum,
  };
}

/**
 * The same scoring work (8192 x 768 @ 768 x 256, relu, @ 256 x 4) in numpy/OpenBLAS when a python3
 * with numpy is on the machine: a peer figure for what this CPU does per core-second. Optional.
 */
function numpyPeer(): Record<string, number> | string {
  const script = [
    'import numpy as np, time, json',
    'x = (np.random.rand(8192, 768) - 0.5).astype(np.float32); w = (np.random.rand(768, 256) - 0.5).astype(np.float32)',
    'w2 = np.random.rand(256, 4).astype(np.float32)',
    'f = lambda: np.maximum(x @ w, 0) @ w2',
    'f(); t = time.perf_counter(); c = time.process_time()',
    'for _ in range(12): f()',
    'wall = time.perf_counter() - t; cpu = time.process_time() - c',
    'print(json.dumps({"rowsPerSecond": round(8192 * 12 / wall), "rowsPerCpuSecond": round(8192 * 12 / cpu)}))',
  ].join('\n');
  const r = spawnSync('python3', ['-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return `not measured (${(r.stderr || r.error?.message || 'python3 with numpy unavailable').trim().split('\n').pop()})`;
  return JSON.parse(r.stdout) as Record<string, number>;
}

async function main() {
  const backend = await Backend.create({ ...(THREADS > 0 ? { threads: THREADS } : {}), spin: SPIN });
  // Scoring first, so the peak RSS reported is the scoring run's (training needs far less).
  const score = await scoring(backend);
  const steps = [await trainStep(backend, 768), await trainStep(backend, 4096)];
  const ep = await epoch(backend);
  const hashing = await hashingScoring(backend);
  console.log(JSON.stringify({
    benchmark: 'train',
    backend: backend.describe(),
    threads: THREADS || 'default (all cores)',
    spinning: SPIN,
    node: process.version,
    loadAverage: os.loadavg().map((v) => +v.toFixed(2)),
    cores: os.cpus().length,
    scoring: { ...score, targets: { rowsPerSecond: 500_000, peakRssMB: 1024 } },
    scoringPeerNumpy: numpyPeer(),
    trainStep: steps,
    epoch: ep,
    hashingPoolScoring: hashing,
    peakRssMBOverall: mb(process.resourceUsage().maxRSS),
  }, null, 2));
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
