/** Chooses the engine. One exists: the simulation's networks as onnxruntime graphs (`ortEngine.ts`). */
import type { Engine } from './engine';
import { createOrtEngine } from './ortEngine';

export const ENGINE_CHOICES = ['auto', 'onnxruntime'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export function parseEngineChoice(s: string): EngineChoice {
  const found = ENGINE_CHOICES.find((c) => c === s.trim().toLowerCase());
  if (!found) throw new Error(`unknown engine "${s}"; use ${ENGINE_CHOICES.join(', ')}`);
  return found;
}

export async function createEngine(_choice: EngineChoice, sizes: readonly number[], threads = 1): Promise<Engine> {
  try {
    return await createOrtEngine(sizes, { threads });
  } catch (err) {
    throw new Error(`simulation: onnxruntime-node failed to load: ${(err as Error).message}`, { cause: err });
  }
}
