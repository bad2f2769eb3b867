import path from 'node:path';
import { REPRESENTATION_IDS, type RepresentationId } from '../../../python-free-train/features/representation';
import { ROBERTA_DEFAULT_MAX_TOKENS, ROBERTA_PRECISION_CHOICES, defaultModelCacheDir, type RobertaPrecisionChoice } from '../../../python-free-train/features/roberta';
import { DEFAULT_ENSEMBLE_SIZE, DEFAULT_HASHING_DIM, MAX_ENSEMBLE_SIZE } from '../../core/defaults';
import { parseMixture } from '../../core/selection';
import { DEVICE_CHOICES, type DeviceChoice, type EpochRecord, type TrainOptions, type TrainProgress } from '../../protocol/trainer';
import { TrainerFailedError } from '../../train/client';
import { DEFAULT_TRAIN_OPTIONS, retrainAndPropose } from '../../train/retrain';
import { withWorkspace, printJson } from '../workspace';
import { DIVERSITY_CLI_OPTIONS, DIVERSITY_USAGE, diversityOptions } from './next';
import { CliError, optInt, optNumber, optString, type CliCommand, type CliIO, type ParsedArgs } from '../types';
import { FINETUNE_DEFAULTS, FINETUNE_OPTIMIZERS, PAPER_PRESET, type FineTuneOptimizer } from '../../../python-free-train/trainer/finetune';
import { type LrSchedule, formatSchedule, parseSchedule } from '../../core/schedule';

const D = DEFAULT_TRAIN_OPTIONS;

/** One progress line, e.g. `training: epoch 3/20, train loss 0.812, test loss 0.901, precision@k 0.42`. */
export function progressLine(p: TrainProgress): string {
  const parts: string[] = [];
  if (p.epoch !== undefined) parts.push(`epoch ${p.epoch}${p.epochs ? `/${p.epochs}` : ''}`);
  if (p.trainLoss !== undefined) parts.push(`train loss ${p.trainLoss.toFixed(3)}`);
  if (p.testLoss !== undefined) parts.push(`test loss ${p.testLoss.toFixed(3)}`);
  if (p.precisionAtK !== undefined) parts.push(`precision@k ${p.precisionAtK.toFixed(2)}`);
  if (p.learningRate !== undefined) parts.push(`lr ${p.learningRate.toPrecision(3)}`);
  if (p.done !== undefined && p.total !== undefined) parts.push(`${p.done}/${p.total} rows`);
  if (p.rowsPerSecond) parts.push(`${p.rowsPerSecond} rows/s`);
  if (p.etaSeconds !== undefined && p.etaSeconds > 0) parts.push(`${p.etaSeconds} s left`);
  if (p.message) parts.push(p.message);
  return `${p.phase}: ${parts.join(', ')}`;
}

/** The RoBERTa encoder options shared by train and embed. */
export const ROBERTA_CLI_OPTIONS = {
  model: { type: 'string' }, 'model-id': { type: 'string' }, 'model-revision': { type: 'string' },
  precision: { type: 'string' }, 'max-tokens': { type: 'string' },
} as const;

const FINETUNE_CLI_OPTIONS = {
  'finetune-layers': { type: 'string' }, 'finetune-epochs': { type: 'string' }, 'finetune-lr': { type: 'string' },
  'finetune-optimizer': { type: 'string' }, 'finetune-weight-decay': { type: 'string' }, 'finetune-dropout': { type: 'string' },
  'finetune-schedule': { type: 'string' }, shortlist: { type: 'string' }, preset: { type: 'string' },
} as const;

/** Fine-tuning options from the flags; `--preset paper` fills what the other flags leave out. */
export function finetuneTrainOptions(args: ParsedArgs): Partial<TrainOptions> {
  const preset = optString(args, 'preset');
  if (preset !== undefined && preset !== 'paper') throw new CliError(`--preset must be "paper", got "${preset}"`);
  const p = preset === 'paper' ? PAPER_PRESET : undefined;
  const layers = optInt(args, 'finetune-layers', p?.finetuneLayers ?? 0, 0, 48);
  if (!layers) return {};
  const optimizer = optString(args, 'finetune-optimizer') ?? p?.finetuneOptimizer ?? FINETUNE_DEFAULTS.optimizer;
  if (!(FINETUNE_OPTIMIZERS as readonly string[]).includes(optimizer)) throw new CliError(`--finetune-optimizer must be one of ${FINETUNE_OPTIMIZERS.join(', ')}, got "${optimizer}"`);
  if (optimizer !== 'adamw' && optString(args, 'finetune-weight-decay') !== undefined) {
    throw new CliError(`--finetune-weight-decay applies to adamw only (the optimizer is ${optimizer}${p && !optString(args, 'finetune-optimizer') ? ', from --preset paper' : ''})`);
  }
  const scheduleText = optString(args, 'finetune-schedule');
  let schedule: LrSchedule = p?.finetuneSchedule ?? FINETUNE_DEFAULTS.schedule;
  if (scheduleText !== undefined) {
    try { schedule = parseSchedule(scheduleText); } catch (e) { throw new CliError(`--finetune-schedule: ${(e as Error).message}`); }
  }
  return {
    finetuneLayers: layers,
    finetuneEpochs: optInt(args, 'finetune-epochs', p?.finetuneEpochs ?? FINETUNE_DEFAULTS.epochs, 1, 1000),
    finetuneLearningRate: optNumber(args, 'finetune-lr', p?.finetuneLearningRate ?? FINETUNE_DEFAULTS.learningRate, 1e-9, 1),
    finetuneOptimizer: optimizer as FineTuneOptimizer,
    finetuneWeightDecay: optimizer === 'adamw' ? optNumber(args, 'finetune-weight-decay', FINETUNE_DEFAULTS.weightDecay, 0, 1) : 0,
    finetuneDropout: optNumber(args, 'finetune-dropout', p?.finetuneDropout ?? FINETUNE_DEFAULTS.dropout, 0, 0.9),
    finetuneSchedule: schedule,
    finetuneShortlist: optInt(args, 'shortlist', FINETUNE_DEFAULTS.shortlist, 0, 100_000_000),
    ...(p ? { miniBatch: p.miniBatch } : {}),
  };
}

/** Encoder options from the flags; the folder is resolved against the working folder. */
export function robertaTrainOptions(args: ParsedArgs, io: Pick<CliIO, 'cwd' | 'env'>): Partial<TrainOptions> {
  const precision = optString(args, 'precision') ?? 'auto';
  if (!(ROBERTA_PRECISION_CHOICES as readonly string[]).includes(precision)) throw new CliError(`--precision must be one of ${ROBERTA_PRECISION_CHOICES.join(', ')}, got "${precision}"`);
  const folder = optString(args, 'model');
  const modelPath = folder ? path.resolve(io.cwd, folder) : (io.env.SECREVIEW_MODEL_PATH || undefined);
  const modelId = optString(args, 'model-id'), modelRevision = optString(args, 'model-revision');
  return {
    ...(modelPath ? { modelPath } : {}), ...(modelId ? { modelId } : {}), ...(modelRevision ? { modelRevision } : {}),
    modelCacheDir: defaultModelCacheDir(io.env),
    precision: precision as RobertaPrecisionChoice,
    maxTokens: optInt(args, 'max-tokens', optString(args, 'preset') === 'paper' ? PAPER_PRESET.maxTokens : ROBERTA_DEFAULT_MAX_TOKENS, 3, 512),
  };
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'retrain the classifier on the labels, score the pool and propose the next batch',
  usage: [
    'Usage: secreview train [--representation hashing|roberta] [--device D] [--epochs N] [--seed S] [--strategy MIX] [--size N] [--dim D]',
    '                       [--exclude-near-duplicates] [--diversity-weight W] [--diversity-candidates K]',
    '                       [--model FOLDER | --model-id ID [--model-revision R]] [--precision auto|fp32|int8] [--max-tokens N]',
    '                       [--finetune-layers K [--finetune-epochs N] [--finetune-lr LR] [--finetune-optimizer adam|adamw]',
    '                        [--finetune-schedule KIND[:WARMUP]] [--finetune-dropout P] [--finetune-weight-decay W]',
    '                        [--shortlist N] | --preset paper]',
    '',
    `  --representation R  text representation: ${REPRESENTATION_IDS.join(', ')} (default ${D.representation})`,
    `  --device D          where the trainer runs its graphs: ${DEVICE_CHOICES.join(', ')} (default auto: CUDA where its`,
    '                      provider is installed, else a hardware GPU through DirectML or WebGPU, else the CPU)',
    `  --epochs N          training epochs of a head with hidden layers (RoBERTa's); the epoch with the lowest`,
    `                      test loss is kept (default ${D.epochs}). The hashing representation's linear head is`,
    '                      fitted to convergence instead, its L2 strength chosen by inner cross-validation',
    `  --seed S            seed of the 70/30 split, the example order and the random strategy (default ${D.seed})`,
    `  --strategy MIX      next-batch strategy: auto, rare, entropy, majority, random, diverse, ensemble,`,
    `                      thompson, ucb, or a mixture such as rare:0.9,random:0.1 (default ${D.strategy});`,
    '                      ensemble, thompson and ucb fit --ensemble-size members beside the model; auto is',
    '                      ensemble when the head is a network (RoBERTa\'s, without --finetune-layers), else rare',
    `  --size N            next-batch size (default ${D.batchSize}; 0 trains and scores without proposing)`,
    '  --exclude-near-duplicates  keep near-duplicates of labeled reviews out of the next batch, and each',
    '                      group of near-duplicates once in it',
    ...DIVERSITY_USAGE,
    `  --dim D             width of the hashing representation (default ${DEFAULT_HASHING_DIM})`,
    '  --refit-all         score the pool with a head refit on every label at the epoch count or L2',
    '                      strength the split picked',
    '                      (the metrics printed stay the split\'s); the default for a linear head, where',
    '                      cross-validation showed a gain; --no-refit keeps the split\'s head',
    `  --ensemble-size M   heads trained beside the model, each on a bootstrap resample of the labels, that`,
    `                      score every pool review, for the strategies ensemble, thompson and ucb (default`,
    `                      ${DEFAULT_ENSEMBLE_SIZE} when the strategy has one of them or auto with a network head, else 0;`,
    `                      at most ${MAX_ENSEMBLE_SIZE})`,
    '',
    'RoBERTa (--representation roberta): embeddings of each pool text are computed once and cached in',
    '.secreview/cache/embeddings/; the head (dense 768 -> tanh -> 4 classes, as RobertaForSequenceClassification)',
    'is trained over them.',
    '  --model FOLDER      local RoBERTa folder in Hugging Face layout (config.json, model.safetensors, tokenizer.json)',
    '  --model-id ID       Hub model downloaded once into $SECREVIEW_CACHE or ~/.cache/secreview/models',
    '                      (default FacebookAI/roberta-base; ID@REVISION pins a revision)',
    '  --model-revision R  branch, tag or commit of --model-id (default main)',
    `  --precision P       ${ROBERTA_PRECISION_CHOICES.join(', ')} (default auto: fp32 unless the int8 benchmark shows int8 keeps the ranking; the run says which and why)`,
    `  --max-tokens N      tokens kept per review (default ${ROBERTA_DEFAULT_MAX_TOKENS}, as in the paper)`,
    '  --finetune-layers K then fine-tune the head with the top K encoder layers (default 0: the head alone) and',
    '                      re-score a shortlist of the pool with the tuned encoder; the model keeps its encoder',
    `  --finetune-epochs N fine-tuning epochs (default ${FINETUNE_DEFAULTS.epochs})`,
    `  --finetune-lr LR    peak learning rate of fine-tuning (default ${FINETUNE_DEFAULTS.learningRate})`,
    `  --finetune-optimizer O  ${FINETUNE_OPTIMIZERS.join(' or ')} (default ${FINETUNE_DEFAULTS.optimizer})`,
    `  --finetune-schedule S   learning-rate schedule constant, linear or cosine, with an optional warmup share`,
    `                      of all steps, e.g. linear:0.06 (default ${formatSchedule(FINETUNE_DEFAULTS.schedule)}: warmup, then decay to 0)`,
    `  --finetune-dropout P    dropout in the trained layers and the head (default ${FINETUNE_DEFAULTS.dropout})`,
    `  --finetune-weight-decay W  AdamW's decoupled weight decay (default ${FINETUNE_DEFAULTS.weightDecay})`,
    `  --shortlist N       pool rows re-scored after fine-tuning: top p(yes) and most uncertain (default ${FINETUNE_DEFAULTS.shortlist})`,
    `  --preset paper      the paper's settings: all ${PAPER_PRESET.finetuneLayers} layers, Adam, constant lr ${PAPER_PRESET.finetuneLearningRate}, ${PAPER_PRESET.finetuneEpochs} epochs,`,
    `                      ${PAPER_PRESET.maxTokens} tokens, batches of ${PAPER_PRESET.miniBatch} (slow on a CPU: hours per epoch for thousands of labels)`,
    '',
    '  --cwe-head          also fit the CWE-tag head (one logistic head per tag, on the "yes" labels with CWE tags)',
    '                      and rate the likeliest "yes" reviews of the pool with it (cwe.json in the model folder)',
    '',
    'Trains on the labels yes, no, unclear and language (broken and bot are left out) in a separate',
    'process; prints train loss, test loss and precision@k for "yes" per epoch (or per L2 strength). The model is saved',
    'under .secreview/models/<version>/ and the batch recorded in labels.json. Ctrl+C cancels cleanly.',
  ].join('\n'),
  options: {
    representation: { type: 'string' }, epochs: { type: 'string' }, seed: { type: 'string' },
    strategy: { type: 'string' }, size: { type: 'string' }, dim: { type: 'string' }, device: { type: 'string' }, 'exclude-near-duplicates': { type: 'boolean' }, 'cwe-head': { type: 'boolean' },
    ...DIVERSITY_CLI_OPTIONS,
    'refit-all': { type: 'boolean' }, 'no-refit': { type: 'boolean' }, 'ensemble-size': { type: 'string' },
    ...ROBERTA_CLI_OPTIONS, ...FINETUNE_CLI_OPTIONS,
  },
  async run(args, io) {
    const representation = (optString(args, 'representation') ?? D.representation).trim().toLowerCase();
    if (!(REPRESENTATION_IDS as readonly string[]).includes(representation)) {
      throw new CliError(`--representation must be one of ${REPRESENTATION_IDS.join(', ')}, got "${representation}"`);
    }
    const strategy = optString(args, 'strategy') ?? D.strategy;
    let mixture;
    try { mixture = parseMixture(strategy); } catch (e) { throw new CliError((e as Error).message); }
    const diversity = diversityOptions(args, mixture.some((m) => m.strategy === 'diverse'));
    if (args.values['refit-all'] === true && args.values['no-refit'] === true) throw new CliError('use --refit-all or --no-refit, not both');
    const refitAll = args.values['refit-all'] === true ? true : args.values['no-refit'] === true ? false : undefined;
    const device = optString(args, 'device') ?? 'auto';
    if (!(DEVICE_CHOICES as readonly string[]).includes(device)) throw new CliError(`--device must be one of ${DEVICE_CHOICES.join(', ')}, got "${device}"`);
    const options: Partial<Omit<TrainOptions, 'modelVersion'>> = {
      representation: representation as RepresentationId,
      device: device as DeviceChoice,
      epochs: optInt(args, 'epochs', D.epochs, 1, 1000),
      seed: optInt(args, 'seed', D.seed, -2147483648, 2147483647),
      strategy,
      batchSize: optInt(args, 'size', D.batchSize, 0, 1_000_000),
      ...(args.values['exclude-near-duplicates'] === true ? { excludeNearDuplicates: true } : {}),
      ...diversity,
      hashingDim: optInt(args, 'dim', DEFAULT_HASHING_DIM, 2, 1 << 22),
      ...(args.values['cwe-head'] === true ? { cweHead: true } : {}),
      ...(refitAll === undefined ? {} : { refitAll }),
      ...(optString(args, 'ensemble-size') === undefined ? {} : { ensembleSize: optInt(args, 'ensemble-size', DEFAULT_ENSEMBLE_SIZE, 0, MAX_ENSEMBLE_SIZE) }),
      ...(representation === 'roberta' ? { ...robertaTrainOptions(args, io), ...finetuneTrainOptions(args) } : {}),
    };
    return withWorkspace(io, 'train', async (ws) => {
      let outcome;
      try {
        outcome = await retrainAndPropose(ws, options, {
          signal: io.signal,
          onReady: (r) => io.progress(`trainer started (pid ${r.pid})`),
          onDevice: (d) => io.progress(`device: ${d.detail}`),
          onProgress: (p) => io.progress(progressLine(p)),
        });
      } catch (e) {
        if (!(e instanceof TrainerFailedError)) throw e;
        if (e.code === 'cancelled') { io.err('Training cancelled; nothing was recorded.'); return 130; }
        const userFixable = e.code === 'not-enough-labels' || e.code === 'representation-unavailable' || e.code === 'bad-request' || e.code === 'workspace';
        throw new CliError(e.message, userFixable ? 2 : 1);
      }
      const { model, batch, training } = outcome;
      const selected = training.model.epochs.find((x) => x.epoch === training.model.selectedEpoch);
      if (io.json) {
        printJson(io, { model: training.model, modelDir: training.modelDir, batch: { id: batch.id, iteration: batch.iteration, size: batch.items.length, strategy: batch.strategy, items: batch.items } });
        return 0;
      }
      io.out(`Model ${model.version} (${training.model.representation}, ${training.provider}): trained on ${training.model.trainSize} reviews, tested on ${training.model.testSize}.`);
      const f = (v: number | null | undefined) => (v == null ? '   -' : v.toFixed(3));
      const row = (e: EpochRecord) => `${e.trainLoss.toFixed(4).padStart(10)}  ${e.testLoss.toFixed(4).padStart(9)}  ${f(e.precisionAtK).padStart(11)}  ${f(e.rocAuc).padStart(7)}`;
      const fit = training.model.headFit;
      if (fit?.fit === 'l2') {
        io.out(`Linear head fitted to convergence for each L2 strength; ${fit.selection}.`);
        io.out('L2 strength  train loss  test loss  precision@k  ROC-AUC  inner ROC-AUC');
        for (const e of training.model.epochs) {
          io.out(`${String(e.l2).padStart(11)}  ${row(e)}  ${f(e.innerRocAuc).padStart(13)}${e.epoch === training.model.selectedEpoch ? '  <- kept' : ''}`);
        }
        if (selected?.precisionAtK != null) io.out(`Kept L2 strength ${selected.l2}: precision@${selected.k} for "yes" ${selected.precisionAtK.toFixed(3)} on the test split.`);
      } else {
        io.out('epoch  train loss  test loss  precision@k  ROC-AUC');
        for (const e of training.model.epochs) {
          io.out(`${String(e.epoch).padStart(5)}  ${row(e)}${e.epoch === training.model.selectedEpoch ? '  <- kept (lowest test loss)' : ''}`);
        }
        if (selected?.precisionAtK != null) io.out(`Kept epoch ${selected.epoch}: precision@${selected.k} for "yes" ${selected.precisionAtK.toFixed(3)} on the test split.`);
      }
      if (training.model.refitRows && fit?.fit !== 'l2') io.out(`The pool was scored by a head refit on all ${training.model.refitRows} labeled reviews for ${training.model.selectedEpoch} epochs (the figures above are the split's).`);
      const ensemble = training.model.ensemble;
      if (ensemble) io.out(`Ensemble: ${ensemble.members} members, ${ensemble.resampling}; each scored the pool.`);
      io.out(batch.items.length
        ? `Scored ${training.model.scoredRows} pool reviews; batch ${batch.id} (iteration ${batch.iteration}) proposes ${batch.items.length} reviews by ${batch.strategy}.`
        : `Scored ${training.model.scoredRows} pool reviews; batch ${batch.id} is empty (${options.batchSize === 0 ? '--size 0' : 'every scored review is labeled or already proposed: import more reviews'}).`);
      return 0;
    });
  },
};
