/**
 * Re-scoring a pool from cached embeddings: the trainer's head (768 -> 256 -> 4, relu, softmax)
 * over N rows of float16 embeddings held in memory, as the embedding cache stores them (the graph
 * widens them to float32). This is what every retrain costs per pool row once the pool is
 * embedded. Prints JSON: seconds, rows/s, the device (with its adapter), and with --placement where
 * the scoring graph's nodes ran.
 * Usage: npm run bench -- rescore [--device cpu|webgpu|...] [--rows 1000000] [--runs 3] [--placement] [--threads N]
 */
import os from 'node:os';
import { Tensor } from '../python-free-train/backend';
import { HeadModel } from '../python-free-train/models/mlpHead';
import { args, backendFromFlags, flag, note, printJson, round, seconds } from './_common';

const D = 768, HIDDEN = 256, CLASSES = 4;

/** Random float16 bits in about [-2, 2] (xorshift32 mantissas, exponents 14-15), without a float conversion per value. */
function randomHalfRows(rows: number): Uint16Array {
  const out = new Uint16Array(rows * D);
  const words = new Uint32Array(out.buffer, 0, out.length >>> 1);
  let s = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    // Per half: sign (bit 15), exponent 14 or 15 (bit 10 random), 10-bit mantissa.
    words[i] = (s & 0x83ff83ff) | 0x38003800 | ((s >>> 4) & 0x04000400);
  }
  return out;
}

async function main(): Promise<void> {
  const rows = flag('rows', 1_000_000), runs = flag('runs', 3);
  const backend = await backendFromFlags();
  let t0 = process.hrtime.bigint();
  const x = randomHalfRows(rows);
  const generateSeconds = seconds(t0);
  const head = await HeadModel.create({ inputDim: D, hidden: [HIDDEN], classes: CLASSES, seed: 1 }, { batchSize: 32, optimizer: { kind: 'adamw', lr: 1e-3 } }, backend);
  t0 = process.hrtime.bigint();
  await head.predict(x.subarray(0, 1024 * D), 1024);
  const warmupSeconds = seconds(t0);
  const times: number[] = [];
  let checksum = 0;
  for (let r = 0; r < runs; r++) {
    t0 = process.hrtime.bigint();
    const probs = await head.predict(x, rows);
    times.push(seconds(t0));
    note('rescored', { rows, seconds: times.at(-1) });
    checksum = probs[0]! + probs[probs.length - 1]!;
  }
  let placement;
  if (args.includes('--placement')) {
    const session = await backend.session(head.inferenceModel('float16'), 'mlp head inference (float16 input)', { profile: true });
    const chunk = Math.min(rows, 131_072);
    for (let i = 0; i < 3; i++) await session.run({ x: Tensor.float16(x.subarray(0, chunk * D), [chunk, D]) });
    placement = session.placement();
    await session.release();
  }
  await head.release();
  const best = Math.min(...times);
  printJson({
    benchmark: 'rescore',
    device: backend.info(),
    rows, inputDim: D, hidden: HIDDEN, classes: CLASSES, input: 'float16',
    seconds: times.map((s) => round(s, 3)), bestSeconds: round(best, 3),
    rowsPerSecond: Math.round(rows / best),
    gigabytesPerSecondOfInput: round((rows * D * 2) / best / 1e9),
    warmupSeconds: round(warmupSeconds), generateSeconds: round(generateSeconds),
    target: { secondsFor1MRowsOnAGpu: 1 },
    checksum,
    ...(placement ? { placement } : {}),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '' },
  });
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
