/** What `activate` returns: used by the extension-host integration tests (and other extensions). */
import type { ProbeReport } from '../protocol/webview';
import type { LabelingPanel, PanelHost } from './panel';
import type { StatusBar } from './statusBar';
import type { WorkspaceHost } from './workspaceHost';

export interface SecreviewApi {
  host: WorkspaceHost;
  panelHost: PanelHost;
  status: StatusBar;
  /** Keypress-to-painted latencies (ms) reported by the labeling panel, oldest first. */
  latencies: number[];
  /** Host-side render times (ms) of the same views. */
  renderTimes: number[];
  lastProbe?: ProbeReport;
  /** The open labeling panel, if any. */
  labelingPanel(): LabelingPanel | undefined;
}
