/** The "Security Review" output channel. Never given tokens: callers log what happened, not credentials. */
import * as vscode from 'vscode';

export class Log implements vscode.Disposable {
  readonly channel = vscode.window.createOutputChannel('Security Review', { log: true });

  info(message: string): void { this.channel.info(message); }
  warn(message: string): void { this.channel.warn(message); }
  error(message: string, cause?: unknown): void {
    this.channel.error(cause === undefined ? message : `${message}: ${cause instanceof Error ? cause.stack ?? cause.message : String(cause)}`);
  }
  /** A sink for other modules that take `(line) => void` (trainer, crawler, simulation). */
  line = (text: string): void => this.channel.info(text);
  dispose(): void { this.channel.dispose(); }
}
