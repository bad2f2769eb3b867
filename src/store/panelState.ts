/**
 * Where the labeling panel was: `.secreview/panel.json` holds the review on screen, written by the
 * window that labels whenever the panel shows another review, so a reloaded window comes back to
 * it even when the webview's own saved state lags behind (VS Code persists that lazily).
 */
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from './atomic';
import { workspacePaths } from './layout';

export interface PanelPosition { reviewId: string; batchId?: string; mode?: 'label' | 'adjudicate' }

export function panelStateFile(workspaceDir: string): string {
  return workspacePaths.panelState(workspaceDir);
}

export function readPanelPosition(workspaceDir: string): PanelPosition | undefined {
  try {
    const v = JSON.parse(readFileSync(panelStateFile(workspaceDir), 'utf8')) as Partial<PanelPosition>;
    if (typeof v.reviewId !== 'string') return undefined;
    return { reviewId: v.reviewId, batchId: typeof v.batchId === 'string' ? v.batchId : undefined, ...(v.mode === 'adjudicate' ? { mode: 'adjudicate' as const } : {}) };
  } catch {
    return undefined; // none yet, or unreadable: the panel starts at the batch's first open review
  }
}

/** Written atomically by the store's writer (keeping the file's mode); not fsynced: losing it costs a position, never a label. */
export function writePanelPosition(workspaceDir: string, position: PanelPosition): void {
  writeFileAtomicSync(panelStateFile(workspaceDir), JSON.stringify(position), { durable: false });
}
