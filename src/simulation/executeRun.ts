/** Runs one simulation run with a (cached) engine and returns its CSV rows: shared by the worker and the in-thread path. */
import type { SimulationConfig } from './config';
import type { Engine } from './engine';
import { createEngine, type EngineChoice } from './engines';
import { rowsOfRun, type IterationRow } from './results';
import { simulateRun, type PhaseSeconds, type RunHooks } from './run';

const engines = new Map<string, Promise<Engine>>();

export function engineFor(choice: EngineChoice, sizes: readonly number[], threads: number): Promise<Engine> {
  const key = `${choice}/${sizes.join('-')}/${threads}`;
  let e = engines.get(key);
  if (!e) {
    e = createEngine(choice, sizes, threads);
    engines.set(key, e);
    e.catch(() => engines.delete(key));
  }
  return e;
}

export async function closeEngines(): Promise<void> {
  const all = [...engines.values()];
  engines.clear();
  for (const e of all) await (await e).close();
}

export async function executeRun(config: SimulationConfig, run: number, choice: EngineChoice, threads: number, hooks: RunHooks = {}):
  Promise<{ rows: IterationRow[]; phases: PhaseSeconds; engine: Engine['kind'] }> {
  const engine = await engineFor(choice, [config.inputs, ...config.classifierHidden, 2], threads);
  const t0 = performance.now();
  const result = await simulateRun(config, run, engine, hooks);
  return { rows: rowsOfRun(result, (performance.now() - t0) / 1000), phases: result.phases, engine: engine.kind };
}
