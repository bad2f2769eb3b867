/** Status bar: labels so far, the current batch's progress, and the trainer's state. Click opens the panel. */
import * as vscode from 'vscode';
import type { DeviceInfo } from '../protocol/trainer';
import type { WorkspaceHost } from './workspaceHost';

export type TrainerState = { state: 'idle' } | { state: 'running'; detail: string } | { state: 'failed'; detail: string } | { state: 'done'; detail: string };

export class StatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('secreview.status', vscode.StatusBarAlignment.Left, 50);
  trainer: TrainerState = { state: 'idle' };
  /** The device of the running (or last) training in this window. */
  private device?: DeviceInfo;

  constructor(private readonly host: WorkspaceHost) {
    this.item.name = 'Security Review';
    this.item.command = 'secreview.openLabelingPanel';
    this.update();
  }

  update(): void {
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
    this.item.text = `$(shield) ${p.totalLabeled} labeled${p.batchId ? ` · ${p.batchId} ${p.done}/${p.total}` : ''}${trainer}${s.readOnlyReason ? ' · $(lock) read-only' : ''}`;
    this.item.tooltip = new vscode.MarkdownString([
      `**Security Review**: ${p.totalLabeled} reviews labeled in all`,
      p.batchId ? `Batch ${p.batchId} (iteration ${p.iteration}): ${p.done} of ${p.total} labeled, ${p.counts.yes} potential security defects` : 'No batch yet',
      `Trainer: ${this.trainer.state}${'detail' in this.trainer ? ` (${this.trainer.detail})` : ''}`,
      deviceLine(this.device, s.ws.db.models().at(-1)),
      s.readOnlyReason ? `Read-only: ${s.readOnlyReason}` : '',
      'Click to open the labeling panel.',
    ].filter(Boolean).join('\n\n'));
    this.item.show();
  }

  setDevice(device: DeviceInfo): void {
    this.device = device;
    this.update();
  }

  setTrainer(state: TrainerState): void {
    this.trainer = state;
    this.update();
  }

  dispose(): void { this.item.dispose(); }
}

/** Where training runs (this window's trainer) or ran (the latest model), with the GPU adapter. */
function deviceLine(current: DeviceInfo | undefined, latest: { version: string; provider?: unknown; device?: unknown } | undefined): string {
  if (current) return `Device: ${current.detail}${current.fallback ? ` (${current.fallback})` : ''}`;
  const recorded = latest?.device as DeviceInfo | undefined;
  if (recorded?.detail) return `Device of model ${latest!.version}: ${recorded.detail}`;
  return typeof latest?.provider === 'string' ? `Device of model ${latest.version}: ${latest.provider}` : '';
}
