/** The extension's settings (`secreview.*`), read fresh each time so changes apply at once. */
import * as vscode from 'vscode';
import { DEFAULT_BATCH_SIZE, DEFAULT_ENSEMBLE_SIZE, DEFAULT_EPOCHS, DEFAULT_IDLE_SECONDS, DEFAULT_MIXTURE, MAX_ENSEMBLE_SIZE, PANEL_ACTION_KEYS } from '../core/defaults';
import { compilePatterns } from '../core/bootstrap';
import { LABEL_INFO, type Label } from '../core/labels';
import { type LrSchedule, parseSchedule } from '../core/schedule';
import { BATCH_MODE_DEFAULTS, MAX_DIVERSITY_CANDIDATES, MAX_DIVERSITY_WEIGHT } from '../core/selection';
import { DEVICE_CHOICES, type DeviceChoice } from '../protocol/trainer';
import type { LabelGuideline } from '../protocol/webview';

export interface Settings {
  batchSize: number;
  mixture: string;
  /** Heads trained beside the model when the mixture has an ensemble strategy. */
  ensembleSize: number;
  /** The diverse strategy's weight and candidates per slot. */
  diversityWeight: number;
  diversityCandidates: number;
  representation: 'hashing' | 'roberta';
  modelPath: string;
  /** Hub model used when modelPath is empty (`owner/name`), and its revision. */
  modelId: string;
  modelRevision: string;
  precision: 'auto' | 'fp32' | 'int8' | 'fp16';
  device: DeviceChoice;
  maxTokens: number;
  finetuneLayers: number;
  cweHead: boolean;
  finetuneLearningRate: number;
  /** Learning-rate schedule of fine-tuning; an invalid setting falls back to the default. */
  finetuneSchedule: LrSchedule;
  finetuneOptimizer: 'adam' | 'adamw';
  epochs: number;
  annotator: string | undefined;
  keys: Record<Label, string>;
  /** Keep near-duplicates of labeled reviews out of proposed batches (bootstrap, next, retrain, search results). */
  excludeNearDuplicates: boolean;
  /** The person's own bootstrap patterns (valid ones; invalid ones are reported in `patternErrors`). */
  bootstrapPatterns: RegExp[];
  patternErrors: string[];
  /** Positives the ETA counts to (0: DEFAULT_TARGET_STEP more than found). */
  targetPositives: number;
  idleSeconds: number;
}

export function settings(): Settings {
  const c = vscode.workspace.getConfiguration('secreview');
  const keys = Object.fromEntries(LABEL_INFO.map((l) => [l.id, l.key])) as Record<Label, string>;
  const custom = c.get<Record<string, unknown>>('keys') ?? {};
  for (const l of LABEL_INFO) {
    const k = custom[l.id];
    // One printable character, not one of the panel's own action keys.
    if (typeof k === 'string' && k.length === 1 && !PANEL_ACTION_KEYS.includes(k)) keys[l.id] = k;
  }
  const annotator = c.get<string>('annotator')?.trim();
  const patternErrors: string[] = [];
  const bootstrapPatterns: RegExp[] = [];
  const rawPatterns = c.get<unknown>('bootstrap.patterns');
  for (const p of Array.isArray(rawPatterns) ? rawPatterns : []) {
    if (typeof p !== 'string' || !p.trim()) continue;
    try { bootstrapPatterns.push(...compilePatterns([p])); } catch (e) { patternErrors.push(`secreview.bootstrap.patterns: ${(e as Error).message.replace(/^bootstrap pattern 1 /, '')}`); }
  }
  return {
    batchSize: Math.max(1, Math.floor(c.get<number>('batch.size') ?? DEFAULT_BATCH_SIZE)),
    mixture: c.get<string>('strategy.mixture') || DEFAULT_MIXTURE,
    ensembleSize: Math.min(MAX_ENSEMBLE_SIZE, Math.max(2, Math.floor(c.get<number>('strategy.ensembleSize') ?? DEFAULT_ENSEMBLE_SIZE))),
    diversityWeight: inRangeOr(c.get<number>('strategy.diversityWeight'), 0, MAX_DIVERSITY_WEIGHT, BATCH_MODE_DEFAULTS.diversityWeight),
    diversityCandidates: Math.round(inRangeOr(c.get<number>('strategy.diversityCandidates'), 1, MAX_DIVERSITY_CANDIDATES, BATCH_MODE_DEFAULTS.diversityCandidates)),
    representation: c.get<string>('model.representation') === 'roberta' ? 'roberta' : 'hashing',
    modelPath: c.get<string>('model.path') ?? '',
    modelId: c.get<string>('model.id')?.trim() || 'FacebookAI/roberta-base',
    modelRevision: c.get<string>('model.revision')?.trim() || 'main',
    precision: precisionOr(c.get<string>('model.precision')),
    device: deviceOr(c.get<string>('train.device')),
    maxTokens: Math.min(512, Math.max(3, Math.floor(c.get<number>('model.maxTokens') ?? 64))),
    finetuneLayers: Math.max(0, Math.floor(c.get<number>('model.finetuneLayers') ?? 0)),
    cweHead: c.get<boolean>('model.cweHead') === true,
    finetuneLearningRate: positiveOr(c.get<number>('model.finetuneLearningRate'), 2e-5),
    finetuneSchedule: scheduleOr(c.get<string>('model.finetuneSchedule'), { kind: 'linear', warmup: 0.06 }),
    finetuneOptimizer: c.get<string>('model.finetuneOptimizer') === 'adam' ? 'adam' : 'adamw',
    epochs: Math.max(1, Math.floor(c.get<number>('model.epochs') ?? DEFAULT_EPOCHS)),
    annotator: annotator || undefined,
    keys,
    excludeNearDuplicates: c.get<boolean>('nearDuplicates.excludeFromBatches') === true,
    bootstrapPatterns, patternErrors,
    targetPositives: Math.max(0, Math.floor(c.get<number>('eta.targetPositives') ?? 0)),
    idleSeconds: Math.max(1, c.get<number>('eta.idleSeconds') ?? DEFAULT_IDLE_SECONDS),
  };
}

function precisionOr(v: string | undefined): Settings['precision'] {
  return v === 'fp32' || v === 'int8' || v === 'fp16' ? v : 'auto';
}

function deviceOr(v: string | undefined): DeviceChoice {
  return (DEVICE_CHOICES as readonly (string | undefined)[]).includes(v) ? v as DeviceChoice : 'auto';
}

function positiveOr(v: number | undefined, fallback: number): number {
  return typeof v === 'number' && v > 0 && v <= 1 ? v : fallback;
}

function inRangeOr(v: number | undefined, min: number, max: number, fallback: number): number {
  return typeof v === 'number' && v >= min && v <= max ? v : fallback;
}

function scheduleOr(text: string | undefined, fallback: LrSchedule): LrSchedule {
  try { return text ? parseSchedule(text) : fallback; } catch { return fallback; }
}

/** Table 4 with the keys the user configured. */
export function guidelines(): LabelGuideline[] {
  const keys = settings().keys;
  return LABEL_INFO.map((l) => ({ id: l.id, key: keys[l.id], title: l.title, description: l.description }));
}
