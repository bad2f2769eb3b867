/**
 * Messages between the extension host and the dashboard webview. The webview says `ready`; the
 * host answers with `data` and sends it again whenever labels, batches or models change.
 */
import type { DashboardData } from '../core/dashboard';

export const DASHBOARD_VIEW_TYPE = 'secreview.dashboard';

export type DashboardHostToWebview =
  | { type: 'data'; data: DashboardData; generatedAt: string }
  | { type: 'empty'; message: string };

export type DashboardWebviewToHost = { type: 'ready' } | { type: 'editProbes' };

export function isDashboardWebviewToHost(m: unknown): m is DashboardWebviewToHost {
  if (typeof m !== 'object' || m === null) return false;
  const t = (m as { type?: unknown }).type;
  return t === 'ready' || t === 'editProbes';
}
