/**
 * "Ask a Language Model for a Second Opinion" and "Adjudicate Disagreements...": the
 * paper's quality assurance through VS Code's Language Model API. Votes and reasoning are stored in
 * labels.json as they arrive; disagreements are queued; the labeling panel shows them one by one
 * with the votes and reasoning, and the annotator's decision is recorded as an adjudication event
 * that keeps the original label beside the revised one (see `session.ts`).
 */
import * as vscode from 'vscode';
import { collectOpinions, OPINION_LABELS, type LanguageModelClient, type OpinionPrompt } from '../core/secondOpinion';
import type { AdjudicationSource, OpinionRecord } from '../store/labelDb';
import type { Workspace } from '../store/workspace';
import type { Log } from './log';

/** What the commands need from the window: the open workspace and a way to announce changes. */
export interface SecondOpinionHost {
  workspace: Workspace | undefined;
  changed(): void;
  /** Shows the adjudication queue in the labeling panel, filtered to one source or not. */
  openAdjudication(source?: AdjudicationSource): boolean;
}

/** Adapts a VS Code chat model to the core's client interface. */
export function chatModelClient(model: vscode.LanguageModelChat): LanguageModelClient {
  return {
    name: `${model.vendor}/${model.id}`,
    async complete(prompt: OpinionPrompt, signal: AbortSignal): Promise<string> {
      const cts = new vscode.CancellationTokenSource();
      const onAbort = () => cts.cancel();
      signal.addEventListener('abort', onAbort);
      try {
        // Chat models take user and assistant turns only: the guidelines go first as a user turn.
        const response = await model.sendRequest([vscode.LanguageModelChatMessage.User(prompt.system), vscode.LanguageModelChatMessage.User(prompt.user)], {
          justification: 'Security Review Labeler asks for a second opinion on labels you set, following your labeling guidelines.',
        }, cts.token);
        let text = '';
        for await (const part of response.text) text += part;
        return text;
      } finally {
        signal.removeEventListener('abort', onAbort);
        cts.dispose();
      }
    },
  };
}

export function registerSecondOpinionCommands(context: vscode.ExtensionContext, host: SecondOpinionHost, log: Log): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('secreview.secondOpinion', () => askSecondOpinion(host, log)),
    vscode.commands.registerCommand('secreview.adjudicate', (source?: unknown) => adjudicate(host, log, source === 'second-opinion' || source === 'annotators' ? source : undefined)),
  );
}

function writableWorkspace(host: SecondOpinionHost): Workspace | undefined {
  const ws = host.workspace;
  if (!ws) void vscode.window.showWarningMessage('No Security Review workspace is open: run "Security Review: Initialize Workspace" first.');
  else if (ws.readOnly) void vscode.window.showWarningMessage(`This workspace is read-only here: ${ws.readOnlyReason}`);
  else return ws;
  return undefined;
}

export interface SecondOpinionRun {
  /** The model to ask; by default one of VS Code's chat models (the person picks when there are several). */
  client?: LanguageModelClient;
  /** Ask before sending (default true). */
  confirm?: boolean;
  /** Open the adjudication queue afterwards when there are disagreements (default true). */
  adjudicateAfter?: boolean;
}

/** Asks for second opinions on the labeled reviews; returns how many now disagree with their label. */
export async function askSecondOpinion(host: SecondOpinionHost, log: Log, run: SecondOpinionRun = {}): Promise<number> {
  const injected = run.client;
  const ws = writableWorkspace(host);
  if (!ws) return 0;
  let client = injected;
  if (!client) {
    const models = await vscode.lm.selectChatModels();
    if (!models.length) {
      void vscode.window.showInformationMessage('No language model is available in this window (for example, sign in to GitHub Copilot Chat). Nothing was changed.');
      return 0;
    }
    const pick = models.length === 1 ? models[0] : (await vscode.window.showQuickPick(models.map((m) => ({ label: m.name, description: `${m.vendor} / ${m.family}`, model: m })), { title: 'Second opinion: which language model?' }))?.model;
    if (!pick) return 0;
    client = chatModelClient(pick);
  }
  const samples = Math.max(1, Math.floor(vscode.workspace.getConfiguration('secreview').get<number>('secondOpinion.samples') ?? 16));
  const asked = new Set(ws.db.opinions().map((o) => `${o.reviewId}:${o.humanEventId ?? o.humanSeq}`));
  const items = [...ws.db.current().values()]
    .filter((c) => OPINION_LABELS.includes(c.label) && !asked.has(`${c.reviewId}:${c.id ?? c.seq}`))
    .map((c) => ({ c, row: ws.pool.rowOf(c.reviewId) }))
    .filter((x): x is { c: typeof x.c; row: number } => x.row !== undefined);
  if (!items.length) {
    void vscode.window.showInformationMessage('Every review labeled yes, no or unclear already has a second opinion for its current label.');
    return 0;
  }
  const requests = items.length * samples;
  if (run.confirm !== false) {
    const go = await vscode.window.showInformationMessage(
      `Ask ${client.name} about ${items.length} labeled reviews, ${samples} independent samples each: ${requests} requests. Continue?`,
      { modal: true }, 'Ask');
    if (go !== 'Ask') return 0;
  }
  let disagreements = 0;
  await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Second opinion', cancellable: true }, async (progress, token) => {
    const ctrl = new AbortController();
    token.onCancellationRequested(() => ctrl.abort());
    let last = 0;
    await collectOpinions(items.map((x) => ({ review: ws.pool.get(x.row), label: x.c.label })), client!, {
      samples, signal: ctrl.signal,
      onProgress: (done, total) => {
        const pct = (100 * done) / total;
        progress.report({ message: `${done} of ${total} requests`, increment: pct - last });
        last = pct;
      },
      onResult: async (r) => {
        const human = ws.db.labelOf(r.reviewId);
        if (!human) return;
        const record: OpinionRecord = {
          reviewId: r.reviewId, model: r.model, at: new Date().toISOString(), samples, humanLabel: r.humanLabel, humanSeq: human.seq, humanEventId: human.id,
          counts: r.summary.counts, majority: r.summary.majority, agreement: r.summary.agreement, disagreement: r.disagreement, failures: r.failures, votes: r.votes,
        };
        await ws.db.addOpinion(record);
        if (r.disagreement) disagreements++;
      },
    });
  });
  log.info(`second opinion: ${disagreements} disagreements queued`);
  host.changed();
  if (run.adjudicateAfter === false) return disagreements;
  if (disagreements) {
    const open = await vscode.window.showInformationMessage(`${disagreements} disagreements are queued for adjudication.`, 'Adjudicate Now');
    if (open) await adjudicate(host, log, 'second-opinion');
  } else void vscode.window.showInformationMessage('The second opinion agrees with every label it saw.');
  return disagreements;
}

/**
 * Opens the labeling panel on the queue of disagreements (one queue: second opinions and
 * annotators; with both waiting, the person picks a source or all): a label key there records the
 * final decision, with the originals kept.
 */
async function adjudicate(host: SecondOpinionHost, log: Log, only?: AdjudicationSource): Promise<boolean> {
  const ws = writableWorkspace(host);
  if (!ws) return false;
  const queue = ws.db.adjudicationQueue(only);
  const opinions = queue.filter((q) => q.source === 'second-opinion').length;
  const people = queue.length - opinions;
  if (!queue.length) {
    void vscode.window.showInformationMessage('No disagreements are waiting (second opinions or annotators).');
    return false;
  }
  let source = only;
  if (!source && opinions && people) {
    const picked = await vscode.window.showQuickPick([
      { label: `All disagreements (${queue.length})`, source: undefined },
      { label: `Second opinions (${opinions})`, description: 'a language model disagrees with the label', source: 'second-opinion' as const },
      { label: `Between annotators (${people})`, description: 'double-coded reviews whose labels differ', source: 'annotators' as const },
    ], { title: 'Adjudicate which disagreements?' });
    if (!picked) return false;
    source = picked.source;
  }
  log.info(`adjudicating ${source === 'second-opinion' ? opinions : source === 'annotators' ? people : queue.length} disagreements${source ? ` (${source})` : ''} in the labeling panel`);
  return host.openAdjudication(source);
}

