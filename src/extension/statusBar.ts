/**
 * Status bar: labels so far, the current batch's progress, and the trainer's state; the tooltip
 * adds the time a label takes, the positives the open batch is expected to hold and the ETA to the
 * target number of positives. Click opens the panel.
 */
import * as vscode from 'vscode';
import { timeLines } from '../core/pace';
import type { DeviceInfo } from '../protocol/trainer';
import { timeStats } from '../store/stats';
import { settings } from './settings';
import type { WorkspaceHost } from './workspaceHost';

/**
 * The time lines are computed this long after the last change: they read every label event, which
 * a keypress should not wait for (the tooltip is read far less often than labels are given).
 */
const TIME_DELAY_MS = 1500;

export type TrainerState = { state: 'idle' } | { state: 'running'; detail: string } | { state: 'failed'; detail: string } | { state: 'done'; detail: string };

export class StatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('secreview.status', vscode.StatusBarAlignment.Left, 50);
  trainer: TrainerState = { state: 'idle' };
  /** The device of the running (or last) training in this window. */
  private device?: DeviceInfo;
  private time: string[] = [];
  private timeTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly host: WorkspaceHost) {
    this.item.name = 'Security Review';
    this.item.command = 'secreview.openLabelingPanel';
    this.update();
  }

  /** Redraws; the time lines follow TIME_DELAY_MS later (unless `timeIsFresh`). */
  update(timeIsFresh = false): void {
    const s = this.host.session();
    if ('missing' in s) {
      if (!this.host.folder()) { this.item.hide(); return; }
      this.item.text = '$(shield) Security Review: not initialized';
      this.item.tooltip = s.missing;
      this.item.show();
      return;
    }
    const p = s.progress();
    const trainer = this.trainer.state === 'running' ? ` · $(sync~spin) ${this.trainer.detail}`
      : this.trainer.state === 'failed' ? ' · $(error) training failed' : '';
    this.item.text = `$(shield) ${p.totalLabeled} labeled${p.batchId ? ` · ${p.batchId} ${p.done}/${p.total}` : ''} · $(person) ${s.annotator}${trainer}${s.readOnlyReason ? ' · $(lock) read-only' : ''}`;
    this.item.tooltip = new vscode.MarkdownString([
      `**Security Review**: ${p.totalLabeled} reviews labeled in all`,
      `Labeling as **${s.annotator}** (setting \`secreview.annotator\`; default git's user.name)${s.ws.db.teamMode ? ', team mode: your labels go to your own log' : ''}`,
      p.batchId ? `Batch ${p.batchId} (iteration ${p.iteration}): ${p.done} of ${p.total} labeled, ${p.counts.yes} potential security defects` : 'No batch yet',
      `Trainer: ${this.trainer.state}${'detail' in this.trainer ? ` (${this.trainer.detail})` : ''}`,
      deviceLine(this.device, s.ws.db.models().at(-1)),
      ...this.time,
      s.readOnlyReason ? `Read-only: ${s.readOnlyReason}` : '',
      'Click to open the labeling panel.',
    ].filter(Boolean).join('\n\n'));
    this.item.show();
    if (timeIsFresh) return;
    clearTimeout(this.timeTimer);
    this.timeTimer = setTimeout(() => this.updateTime(), TIME_DELAY_MS);
  }

  /** Recomputes the time lines of the tooltip (see TIME_DELAY_MS). */
  updateTime(): void {
    const s = this.host.session();
    if ('missing' in s) return;
    const cfg = settings();
    let lines: string[];
    try {
      lines = timeLines(timeStats(s.ws, { targetPositives: cfg.targetPositives, idleSeconds: cfg.idleSeconds, batchId: s.mode === 'label' ? s.batchId : undefined }));
    } catch (e) {
      lines = [`Time and ETA unavailable: ${(e as Error).message}`];
    }
    if (lines.join('\n') === this.time.join('\n')) return;
    this.time = lines;
    this.update(true);
  }

  setDevice(device: DeviceInfo): void {
    this.device = device;
    this.update();
  }

  setTrainer(state: TrainerState): void {
    this.trainer = state;
    this.update();
  }

  dispose(): void {
    clearTimeout(this.timeTimer);
    this.item.dispose();
  }
}

/** Where training runs (this window's trainer) or ran (the latest model), with the GPU adapter. */
function deviceLine(current: DeviceInfo | undefined, latest: { version: string; provider?: unknown; device?: unknown } | undefined): string {
  if (current) return `Device: ${current.detail}${current.fallback ? ` (${current.fallback})` : ''}`;
  const recorded = latest?.device as DeviceInfo | undefined;
  if (recorded?.detail) return `Device of model ${latest!.version}: ${recorded.detail}`;
  return typeof latest?.provider === 'string' ? `Device of model ${latest.version}: ${latest.provider}` : '';
}
