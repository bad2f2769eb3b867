/**
 * Pieces the device benchmarks share: flags, the device choice, a roberta-base-sized random
 * model, and review texts to run it on (the paper's labeled reviews when ../shared/data is there,
 * else the project's demo reviews, cycled to the count asked for).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Backend, DEVICE_CHOICES, type DeviceChoice, isDeviceChoice } from '../python-free-train/backend';
import type { RobertaConfig } from '../python-free-train/roberta/config';
import { findPaperData, PAPER_DATA_FILE } from '../scripts/paper-data';

export const root = path.resolve(__dirname, '..');
/** The paper's labeled reviews: beside the project or in the cache `npm run fetch-paper-data` fills. */
const PAPER_DATA = findPaperData() ?? path.resolve(root, '..', 'shared', 'data', PAPER_DATA_FILE);
const DEMO_DATA = path.resolve(root, 'demo/reviews.jsonl');

export const args = process.argv.slice(2);
export function flag(name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isFinite(v)) throw new Error(`--${name}: expected a number, got "${args[i + 1] ?? ''}"`);
  return v;
}
export function option(name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] ?? '' : fallback;
}

export function deviceFlag(fallback: DeviceChoice = 'cpu'): DeviceChoice {
  const d = option('device', fallback);
  if (!isDeviceChoice(d)) throw new Error(`--device must be one of ${DEVICE_CHOICES.join(', ')}, got "${d}"`);
  return d;
}

export async function backendFromFlags(fallback: DeviceChoice = 'cpu'): Promise<Backend> {
  return Backend.create({ device: deviceFlag(fallback), threads: flag('threads', 0) || undefined });
}

/** roberta-base's shape (12 layers unless `layers` says otherwise), for random weights. */
export function robertaBaseConfig(layers = 12, numLabels = 4): RobertaConfig {
  return {
    hiddenSize: 768, numHiddenLayers: layers, numAttentionHeads: 12, intermediateSize: 3072, vocabSize: 50265,
    maxPositionEmbeddings: 514, typeVocabSize: 1, layerNormEps: 1e-5, padTokenId: 1, numLabels, hiddenAct: 'gelu',
  };
}

export interface BenchTexts { file: string; texts: string[]; labels: number[] }

const TAGS: Record<string, number> = { yes: 0, no: 1, unclear: 2, language: 3 };

/** Review bodies (and a class per text: the file's label where it has one, else cycled). */
export function reviewTexts(count: number): BenchTexts {
  const file = existsSync(PAPER_DATA) ? PAPER_DATA : DEMO_DATA;
  const texts: string[] = [];
  const labels: number[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { body?: unknown; tag_post_qa?: unknown; label?: unknown };
    if (typeof r.body !== 'string') continue;
    texts.push(r.body);
    const tag = typeof r.tag_post_qa === 'string' ? r.tag_post_qa : typeof r.label === 'string' ? r.label : '';
    labels.push(TAGS[tag] ?? texts.length % 4);
  }
  const out: BenchTexts = { file: path.relative(root, file), texts: [], labels: [] };
  for (let i = 0; out.texts.length < count && texts.length; i++) {
    out.texts.push(texts[i % texts.length]!);
    out.labels.push(labels[i % texts.length]!);
  }
  return out;
}

export const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;
export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** A progress line on stderr, so a run stopped at its time limit still shows how far it got. */
export function note(what: string, value?: unknown): void {
  process.stderr.write(`[bench] ${what}${value === undefined ? '' : ` ${JSON.stringify(value)}`}\n`);
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
