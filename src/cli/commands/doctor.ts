import { Backend, type DeviceChoice, Tensor } from '../../../python-free-train/backend';
import { type GraphCase, type GraphCheck, checkDevice, doctorRoberta, headCases, modelCase, robertaCases } from '../../../python-free-train/doctor';
import type { Precision } from '../../../python-free-train/roberta/precision';
import { mulberry32 } from '../../core/hash';
import { ADAM } from '../../simulation/engine';
import { buildScoringGraph, buildTrainStepGraph } from '../../simulation/graphs';
import { parameterCount } from '../../simulation/network';
import { DEVICE_CLI_OPTIONS, DEVICE_USAGE, backendOf } from '../device';
import { printJson } from '../workspace';
import { CliError, type CliCommand } from '../types';

/** The simulation study's train-step and scoring graphs, at the study's network sizes. */
function simulationCases(): GraphCase[] {
  const sizes = [20, 15, 15, 15, 2], S = 2, B = 16, K = 2, R = 64;
  const P = parameterCount(sizes);
  const r = mulberry32(7);
  const floats = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const x = floats(R * 20), params = floats(S * P, 0.3);
  const y = new Float32Array(R * 2);
  for (let i = 0; i < R; i++) y[i * 2 + (i % 3 === 0 ? 1 : 0)] = 1;
  const rows = Int32Array.from({ length: K * S * B }, (_, i) => (i * 7) % R);
  const scoreSizes = [...sizes.slice(0, -1), 1];
  const scoreP = parameterCount(scoreSizes);
  const poolX = floats(20 * 256), poolY = Float32Array.from({ length: 256 }, (_, i) => i % 2), scoreParams = floats(S * scoreP, 0.3);
  return [
    modelCase('simulation train step (Adam, 2 networks, 2 steps)', 1e-4, () => buildTrainStepGraph(sizes, ADAM.beta1, ADAM.beta2, ADAM.epsilon, K), () => ({
      x: Tensor.float32(x, [R, 20]), y: Tensor.float32(y, [R, 2]), rows: Tensor.int32(rows, [K, S, B]),
      params: Tensor.float32(params, [S, P]), m: Tensor.float32(new Float32Array(S * P), [S, P]), v: Tensor.float32(new Float32Array(S * P), [S, P]),
      alpha: Tensor.float32(Float32Array.of(0.01, 0.01), [K]), inv_b: Tensor.scalar(1 / B),
    }), ['params_out', 'm_out', 'v_out']),
    modelCase('simulation scoring (2 networks)', 1e-4, () => buildScoringGraph(scoreSizes, S), () => ({
      x: Tensor.float32(poolX, [20, 256]), y: Tensor.float32(poolY, [1, 256]), params: Tensor.float32(scoreParams, [S * scoreP]),
    }), ['d0', 'd1', 'loss']),
  ];
}

function line(c: GraphCheck): string {
  const p = c.placement;
  const where = !p ? '' : p.device === 'cpu' ? '' : `; ${Object.entries(p.nodesByProvider).map(([k, n]) => `${n} ${k.replace('ExecutionProvider', '')}`).join(', ')} nodes, ${(p.cpuTimeShare * 100).toFixed(1)}% of kernel time on the CPU`
    + (Object.keys(p.cpuOps).length ? ` (CPU: ${Object.entries(p.cpuOps).map(([op, n]) => `${op}${n > 1 ? ` x${n}` : ''}`).join(', ')})` : '')
    + (p.hotCpuNodes.length ? `; HOT on the CPU: ${p.hotCpuNodes.map((h) => `${h.op} ${h.name} (${(h.share * 100).toFixed(1)}%)`).join(', ')}` : '');
  const diff = c.error ? `failed: ${c.error}` : `max difference from the CPU ${c.maxDiff.toExponential(1)} (tolerance ${c.tolerance.toExponential(0)}${c.worst ? `, in ${c.worst}` : ''})`;
  return `${c.ok ? 'ok  ' : 'FAIL'} ${c.graph}: ${diff}${where}`;
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check a device: every graph kind on it and on the CPU, where its nodes ran, and the differences',
  usage: [
    'Usage: secreview doctor [--device D] [--json]',
    '',
    'Runs each kind of graph the tool uses (the head\'s train step and scoring, the RoBERTa encoder in',
    'each precision the device runs, the fine-tuning step, the simulation study\'s graphs) at small',
    'sizes on the device and on the CPU, and reports for each: the largest difference from the CPU\'s',
    'results against its tolerance, and where its nodes ran (how many fell back to the CPU, their share',
    'of the kernel time, and any large one). Exit 0 when every graph agrees and no large node falls',
    'back, 1 otherwise, 3 when the device cannot start.',
    DEVICE_USAGE,
  ].join('\n'),
  options: { ...DEVICE_CLI_OPTIONS },
  async run(args, io) {
    let device: Backend;
    try {
      device = await backendOf(args, io);
    } catch (e) {
      throw new CliError((e as Error).message, 3);
    }
    const cpu = await Backend.create({ device: 'cpu' as DeviceChoice, threads: Number(io.env.SECREVIEW_THREADS) || undefined });
    const precisions: Precision[] = device.device === 'cpu' ? ['fp32', 'int8'] : device.device === 'webgpu' ? ['fp32', 'fp16'] : ['fp32', 'fp16', 'int8'];
    io.progress(`checking ${device.describe()}`);
    const report = await checkDevice(device, cpu, [...headCases(), ...robertaCases(doctorRoberta(), precisions), ...simulationCases()]);
    if (io.json) printJson(io, report);
    else {
      io.out(`Device: ${report.device.detail}`);
      for (const c of report.checks) io.out(line(c));
      io.out(report.ok ? 'Every graph agrees with the CPU and runs on the device.' : 'Some graphs differ from the CPU or fall back to it (above).');
    }
    return report.ok ? 0 : 1;
  },
};
