/**
 * Benchmark of one full simulation run (1,000,000 rows, 200 x 20 iterations, 10 epochs, the four
 * strategies), printed as JSON:
 * - oneThread: one run, onnxruntime on one thread (wall and CPU seconds, where the time goes);
 * - allCores: one run with onnxruntime using every core, and the throughput of `cores` runs in
 *   parallel worker threads (wall seconds per run);
 * - numpy: the same run as a straightforward NumPy program (bench/reference/simulate_numpy.py) on
 *   one BLAS thread, and the ratio, when python3 with numpy is available.
 * - armCosts (with --arm-costs LIST): each arm run alone (one thread, predictability 1.0, 10
 *   epochs), its CPU seconds per iteration of 200 labels (the pool's generation taken off) and the
 *   ratio to rare-label's: what a batch-mode strategy or training change costs.
 * Options: --rows N, --iterations N, --no-parallel, --no-reference, --arm-costs LIST. CPU seconds are
 * reported because the machine may be shared: wall seconds then overstate the cost.
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { createEngine } from '../src/simulation/engines';
import { runStudy } from '../src/simulation/runner';
import { DEFAULT_CONFIG } from '../src/simulation/config';
import { generateData } from '../src/simulation/generator';
import { streamSeed } from '../src/simulation/random';
import { drawRunParameters, simulateRun } from '../src/simulation/run';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

async function timeOneRun(rows: number, iterations: number, threads: number) {
  const engine = await createEngine('onnxruntime', [20, 15, 15, 15, 2], threads);
  // Warm up: sessions are created once per worker and reused by every run.
  await simulateRun({ rows: 2000, iterations: 2 }, 0, engine);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await simulateRun({ rows, iterations }, 0, engine);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await engine.close();
  const round = (v: number) => +v.toFixed(3);
  return {
    engine: engine.kind, threads, wallSeconds: round(wall), cpuSeconds: round((cpu.user + cpu.system) / 1e6),
    phases: Object.fromEntries(Object.entries(result.phases).map(([k, v]) => [k, round(v)])),
    identificationRate: Object.fromEntries(result.summaries.map((s) => [s.arm, round(s.rate)])),
  };
}

/** CPU seconds per 200-label iteration of each arm alone, and the ratio to rare-label's. */
async function armCosts(rows: number, iterations: number, arms: string[]) {
  const engine = await createEngine('onnxruntime', [20, 15, 15, 15, 2], 1);
  const cpuOf = async (f: () => Promise<unknown>) => {
    const cpu0 = process.cpuUsage();
    await f();
    const cpu = process.cpuUsage(cpu0);
    return (cpu.user + cpu.system) / 1e6;
  };
  // Warm up at full size (sessions, caches, JIT), then time the pool's generation alone: every run
  // pays it once, so it is taken off each arm's time.
  await simulateRun({ rows, iterations: 2, strategies: ['rare', 'ensemble', 'diverse', 'rare@early'], seed: 3 }, 0, engine);
  const config = { ...DEFAULT_CONFIG, rows, iterations, seed: 3 };
  const p = drawRunParameters(config, 0);
  const generate = await cpuOf(() => generateData({
    rows, inputs: config.inputs, hidden: config.generatorHidden, predictability: p.predictability, balance: config.balance,
    correlation: p.correlation, seed: streamSeed(config.seed, 'run', 0, 'data'),
  }, engine));
  // Three rounds in rotated order, the median kept: a shared machine (and the garbage of the
  // previous run's pool) makes single timings wander.
  const all = ['rare', ...arms.filter((a) => a !== 'rare')];
  const times = new Map<string, number[]>(all.map((a) => [a, []]));
  for (let round = 0; round < 3; round++) {
    for (let k = 0; k < all.length; k++) {
      const arm = all[(k + round * 3) % all.length]!;
      times.get(arm)!.push((await cpuOf(() => simulateRun({ rows, iterations, strategies: [arm], seed: 3 }, 0, engine))) - generate);
    }
  }
  const out: Record<string, { cpuSeconds: number; perIteration: number; ratioToRare?: number }> = {};
  for (const [arm, t] of times) {
    const seconds = t.sort((a, b) => a - b)[1]!;
    out[arm] = { cpuSeconds: +seconds.toFixed(2), perIteration: +(seconds / iterations).toFixed(3) };
  }
  for (const v of Object.values(out)) v.ratioToRare = +(v.cpuSeconds / out.rare!.cpuSeconds).toFixed(2);
  await engine.close();
  return out;
}

async function main(): Promise<void> {
  const rows = arg('rows', 1_000_000);
  const costsAt = process.argv.indexOf('--arm-costs');
  if (costsAt >= 0) {
    const arms = process.argv[costsAt + 1]!.split(',');
    const iterations = arg('iterations', 20);
    process.stdout.write(JSON.stringify({
      benchmark: 'simulate', rows, iterations, increment: 200, epochs: 10, loadAverageAtStart: loadavg().map((v) => +v.toFixed(2)),
      armCosts: await armCosts(rows, iterations, arms), loadAverageAtEnd: loadavg().map((v) => +v.toFixed(2)),
    }, null, 2) + '\n');
    return;
  }
  const iterations = arg('iterations', 20);
  const cores = availableParallelism();
  const out: Record<string, unknown> = {
    benchmark: 'simulate', rows, iterations, increment: 200, epochs: 10, strategies: 4,
    machine: { cores, cpu: cpus()[0]?.model ?? 'unknown', loadAverageAtStart: loadavg().map((v) => +v.toFixed(2)) },
  };
  const one = await timeOneRun(rows, iterations, 1);
  out.oneThread = one;
  if (!flag('no-parallel') && cores > 1) {
    const allThreads = await timeOneRun(rows, iterations, cores);
    const t0 = performance.now();
    await runStudy({ config: { rows, iterations, seed: 99 }, runs: cores, workers: cores });
    const perRun = (performance.now() - t0) / 1000 / cores;
    out.allCores = { oneRunWallSeconds: allThreads.wallSeconds, oneRunCpuSeconds: allThreads.cpuSeconds, parallelRuns: cores, wallSecondsPerRun: +perRun.toFixed(3) };
  }
  if (!flag('no-reference')) {
    const script = path.join(__dirname, 'reference', 'simulate_numpy.py');
    const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
    const r = spawnSync('python3', [script, '--rows', String(rows), '--iterations', String(iterations)], { encoding: 'utf8', env });
    if (r.status === 0) {
      const ref = JSON.parse(r.stdout.trim().split('\n').pop()!) as { seconds: number; cpuSeconds: number; numpy: string };
      out.numpy = {
        wallSeconds: +ref.seconds.toFixed(3), cpuSeconds: +ref.cpuSeconds.toFixed(3), version: ref.numpy, threads: 1,
        speedupWall: +(ref.seconds / one.wallSeconds).toFixed(2), speedupCpu: +(ref.cpuSeconds / one.cpuSeconds).toFixed(2),
      };
    } else out.numpy = { unavailable: (r.stderr || String(r.error ?? 'python3 failed')).trim().split('\n').pop() };
  }
  out.loadAverageAtEnd = loadavg().map((v) => +v.toFixed(2));
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}

main().catch((e) => { process.stderr.write(String((e as Error).stack) + '\n'); process.exit(1); });
