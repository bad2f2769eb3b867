import { Backend, type DeviceChoice } from '../../../python-free-train/backend';
import { type GraphCheck, checkDevice, doctorRoberta, headCases, robertaCases } from '../../../python-free-train/doctor';
import type { Precision } from '../../../python-free-train/roberta/precision';
import { simulationCases } from '../../simulation/deviceCheck';
import { DEVICE_CLI_OPTIONS, DEVICE_USAGE, backendOf } from '../device';
import { printJson } from '../workspace';
import { CliError, type CliCommand } from '../types';

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
