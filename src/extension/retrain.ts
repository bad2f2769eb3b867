/**
 * "Retrain": the trainer child process refits the model on all labels and proposes the next batch;
 * the window stays usable (labeling goes on while it trains). Progress and cancel via withProgress.
 */
import * as vscode from 'vscode';
import type { Workspace } from '../store/workspace';
import { parseMixture } from '../core/selection';
import { ensembleSizeOf, type TrainOptions } from '../protocol/trainer';
import { retrainAndPropose } from '../train/retrain';
import type { Log } from './log';
import { settings } from './settings';
import type { StatusBar } from './statusBar';

/**
 * `modelCacheDir`: where Hub downloads of the RoBERTa encoder are kept (the extension's global
 * storage); `env`: the trainer's environment (with the stored Hugging Face token).
 */
export async function retrain(ws: Workspace, status: StatusBar, log: Log, modelCacheDir?: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const cfg = settings();
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Security Review: retraining', cancellable: true }, async (progress, token) => {
    const controller = new AbortController();
    token.onCancellationRequested(() => controller.abort());
    status.setTrainer({ state: 'running', detail: 'starting' });
    try {
      const roberta = cfg.representation === 'roberta' ? {
        // A local Hugging Face folder, else the Hub model downloaded once into the extension's storage.
        modelPath: cfg.modelPath || undefined, modelId: cfg.modelId, modelRevision: cfg.modelRevision, modelCacheDir,
        precision: cfg.precision, maxTokens: cfg.maxTokens,
        ...(cfg.finetuneLayers > 0 ? {
          finetuneLayers: cfg.finetuneLayers, finetuneLearningRate: cfg.finetuneLearningRate,
          finetuneSchedule: cfg.finetuneSchedule, finetuneOptimizer: cfg.finetuneOptimizer,
        } : {}),
      } : {};
      const outcome = await retrainAndPropose(ws, { representation: cfg.representation, device: cfg.device, epochs: cfg.epochs, strategy: cfg.mixture, batchSize: cfg.batchSize, excludeNearDuplicates: cfg.excludeNearDuplicates, diversityWeight: cfg.diversityWeight, diversityCandidates: cfg.diversityCandidates, ...(cfg.cweHead ? { cweHead: true } : {}), ...ensembleRequest(cfg.mixture, cfg.ensembleSize, { representation: cfg.representation, ...roberta }), ...roberta }, {
        signal: controller.signal, env,
        onLog: (line) => log.info(`trainer: ${line}`),
        onReady: (info) => log.info(`trainer ready (pid ${info.pid})`),
        onDevice: (device) => { log.info(`trainer device: ${device.detail}`); status.setDevice(device); },
        onProgress: (p) => {
          const detail = p.phase === 'training' && p.epoch ? `epoch ${p.epoch}/${p.epochs}` : p.phase;
          status.setTrainer({ state: 'running', detail });
          progress.report({ message: `${detail}${p.testLoss !== undefined ? `, test loss ${p.testLoss.toFixed(4)}` : ''}${p.precisionAtK !== undefined ? `, precision@k ${p.precisionAtK.toFixed(3)}` : ''}` });
        },
      });
      status.setTrainer({ state: 'done', detail: `model ${outcome.model.version}` });
      log.info(`model ${outcome.model.version} trained (selected epoch ${outcome.model.selectedEpoch}); next batch ${outcome.batch.id} with ${outcome.batch.items.length} reviews (${outcome.batch.strategy})`);
      if (outcome.batch.items.length) void vscode.window.showInformationMessage(`Security Review: model ${outcome.model.version} trained; batch ${outcome.batch.id} (${outcome.batch.items.length} reviews) is ready to label.`);
      else void vscode.window.showInformationMessage(`Security Review: model ${outcome.model.version} trained; nothing is left to propose (every scored review is labeled or in a batch). Import more reviews to continue.`);
    } catch (e) {
      status.setTrainer(token.isCancellationRequested ? { state: 'idle' } : { state: 'failed', detail: (e as Error).message });
      if (token.isCancellationRequested) throw new vscode.CancellationError();
      throw e;
    }
  });
}

/**
 * The ensemble size of a Retrain: the setting's, when the mixture ranks by an ensemble, or has
 * `auto` and the head is a network (RoBERTa's, not fine-tuned); none otherwise, so `auto` over the
 * linear head trains no members (an unparsable mixture is refused by the request check).
 */
function ensembleRequest(mixture: string, size: number, head: Pick<TrainOptions, 'representation' | 'finetuneLayers'>): { ensembleSize?: number } {
  try {
    return ensembleSizeOf(head, parseMixture(mixture)) ? { ensembleSize: size } : {};
  } catch {
    return {};
  }
}
