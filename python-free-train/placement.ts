/**
 * Where a graph's nodes ran, read from onnxruntime's profile (plain data, no onnxruntime here): how
 * many nodes each provider ran, which operators fell back to the CPU on a GPU device, their share
 * of the kernel time, and the GPU time by operator.
 */
import type { DeviceChoice } from '../src/protocol/trainer';

type Device = Exclude<DeviceChoice, 'auto'>;

/** Where the nodes of one graph ran, from onnxruntime's profile of the runs after the first. */
export interface Placement {
  graph: string;
  device: Device;
  /** Nodes that ran, by provider (`WebGpuExecutionProvider`, `CPUExecutionProvider`, ...). */
  nodesByProvider: Record<string, number>;
  /** Operator types that ran on the CPU although the device is not the CPU, with their node counts. */
  cpuOps: Record<string, number>;
  /** Share of the measured kernel time spent in CPU kernels (fallbacks and copies), 0..1. */
  cpuTimeShare: number;
  /**
   * CPU nodes that handled float tensors of 64k+ values, or of 1k+ values taking at least 1% of the
   * measured time: the ones to fix.
   */
  hotCpuNodes: { name: string; op: string; share: number; elements: number }[];
  /** Host <-> device copies inserted by onnxruntime around CPU nodes. */
  copies: number;
  /** Microseconds summed over the profiled runs: GPU kernels (the provider's timestamps) and CPU kernels. */
  gpuMicros: number;
  cpuMicros: number;
  /** Wall time of a run (mean over the profiled runs): what kernels do not fill is dispatch and waiting. */
  runMicros: number;
  /** GPU time by operator type, largest first (WebGPU's timestamps; at most 10). */
  gpuTimeByOp: { op: string; micros: number; share: number }[];
  runs: number;
}

export interface ProfileEvent {
  cat?: string;
  name?: string;
  dur?: number;
  args?: { op_name?: string; provider?: string; output_type_shape?: Record<string, number[]>[]; input_type_shape?: Record<string, number[]>[] };
}

/**
 * Placement from onnxruntime's profile: `Node` events name each kernel's provider and its host
 * time; for the WebGPU provider, `Api` events carry the GPU time of each dispatch (GPU timestamps),
 * while its `Node` events measure only the dispatch on the host. Runs after the first count.
 */
export function summarizeProfile(events: readonly ProfileEvent[], graph: string, device: Device): Placement {
  const runs: ProfileEvent[][] = [];
  const runDurations: number[] = [];
  let current: ProfileEvent[] = [];
  const apiByRun: ProfileEvent[][] = [];
  let api: ProfileEvent[] = [];
  for (const e of events) {
    if (e.cat === 'Node') current.push(e);
    else if (e.cat === 'Api') api.push(e);
    else if (e.cat === 'Session' && e.name === 'model_run') { runs.push(current); apiByRun.push(api); runDurations.push(e.dur ?? 0); current = []; api = []; }
  }
  // GPU timestamps can arrive after the run that issued them: count the leftovers with the last run.
  if (api.length && apiByRun.length) apiByRun[apiByRun.length - 1]!.push(...api);
  const measured = runs.length > 1 ? runs.slice(1) : runs;
  const measuredApi = apiByRun.length > 1 ? apiByRun.slice(1) : apiByRun;
  const nodesByProvider: Record<string, number> = {};
  const cpuOps: Record<string, number> = {};
  const first = measured[0] ?? [];
  let copies = 0;
  for (const e of first) {
    const provider = e.args?.provider ?? 'unknown';
    nodesByProvider[provider] = (nodesByProvider[provider] ?? 0) + 1;
    const op = e.args?.op_name ?? '?';
    if (op.startsWith('Memcpy')) copies++;
    if (device !== 'cpu' && provider === 'CPUExecutionProvider') cpuOps[op] = (cpuOps[op] ?? 0) + 1;
  }
  const isCpu = (e: ProfileEvent) => e.args?.provider === 'CPUExecutionProvider';
  let cpuMicros = 0, gpuMicros = 0, hostDispatch = 0;
  const cpuByNode = new Map<string, { op: string; micros: number; elements: number }>();
  for (const run of measured) {
    for (const e of run) {
      const d = e.dur ?? 0;
      if (device === 'cpu' || isCpu(e)) {
        cpuMicros += d;
        const key = e.name ?? '?';
        const entry = cpuByNode.get(key) ?? { op: e.args?.op_name ?? '?', micros: 0, elements: floatElements(e) };
        entry.micros += d;
        cpuByNode.set(key, entry);
      } else {
        hostDispatch += d;
      }
    }
  }
  const byOp = new Map<string, number>();
  for (const run of measuredApi) {
    for (const e of run) {
      gpuMicros += e.dur ?? 0;
      // Event names are "<node>&<op type>&<program>".
      const op = (e.name ?? '').split('&')[1] || (e.name ?? '?');
      byOp.set(op, (byOp.get(op) ?? 0) + (e.dur ?? 0));
    }
  }
  const measuredRuns = runDurations.length > 1 ? runDurations.slice(1) : runDurations;
  const runMicros = measuredRuns.length ? measuredRuns.reduce((a, b) => a + b, 0) / measuredRuns.length : 0;
  const gpuTotal = gpuMicros;
  const gpuTimeByOp = [...byOp.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10)
    .map(([op, micros]) => ({ op, micros: Math.round(micros / Math.max(1, measuredApi.length)), share: gpuTotal ? Math.round((micros / gpuTotal) * 1000) / 1000 : 0 }));
  // Providers without GPU timestamps (CUDA, DirectML): their host time is the best measure there is.
  if (device !== 'cpu' && gpuMicros === 0) gpuMicros = hostDispatch;
  const total = cpuMicros + gpuMicros;
  const hotCpuNodes = device === 'cpu' ? [] : [...cpuByNode.entries()]
    .map(([name, v]) => ({ name: name.replace(/_kernel_time$/, ''), op: v.op, share: total ? v.micros / total : 0, elements: v.elements }))
    // Large float work on the CPU is what costs (compute and copies both ways); shape and index
    // arithmetic (int64, a handful of values) is the CPU's by design, however large its share of a
    // tiny graph's microseconds.
    .filter((n) => n.elements >= 65536 || (n.share >= 0.01 && n.elements >= 1024))
    .sort((a, b) => b.share - a.share);
  return {
    graph, device, nodesByProvider, cpuOps, cpuTimeShare: device === 'cpu' ? 1 : total ? cpuMicros / total : 0,
    hotCpuNodes, copies, gpuMicros: Math.round(gpuMicros), cpuMicros: Math.round(cpuMicros), runMicros: Math.round(runMicros), gpuTimeByOp, runs: measured.length,
  };
}

function floatElements(e: ProfileEvent): number {
  let most = 0;
  for (const shapes of [e.args?.input_type_shape ?? [], e.args?.output_type_shape ?? []]) {
    for (const s of shapes) {
      for (const [type, dims] of Object.entries(s)) {
        if (type === 'float' || type === 'float16' || type === 'double') most = Math.max(most, dims.reduce((a, b) => a * b, 1));
      }
    }
  }
  return most;
}

