/** Chooses the engine: onnxruntime when it loads (fast), else the dense TypeScript one. */
import { createDenseEngine } from './denseEngine';
import type { Engine } from './engine';
import { createOrtEngine } from './ortEngine';

export const ENGINE_CHOICES = ['auto', 'onnxruntime', 'dense'] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];

export function parseEngineChoice(s: string): EngineChoice {
  const found = ENGINE_CHOICES.find((c) => c === s.trim().toLowerCase());
  if (!found) throw new Error(`unknown engine "${s}"; use ${ENGINE_CHOICES.join(', ')}`);
  return found;
}

export async function createEngine(choice: EngineChoice, sizes: readonly number[], threads = 1): Promise<Engine> {
  if (choice === 'dense') return createDenseEngine();
  try {
    return await createOrtEngine(sizes, { threads });
  } catch (err) {
    if (choice === 'onnxruntime') throw new Error(`simulation: onnxruntime-node failed to load: ${(err as Error).message}`, { cause: err });
    return createDenseEngine();
  }
}
