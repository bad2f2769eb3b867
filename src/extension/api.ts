/** What `activate` returns: used by the extension-host integration tests (and other extensions). */
import type { LabelingPanel, PanelHost } from './panel';
import type { StatusBar } from './statusBar';
import type { WorkspaceHost } from './workspaceHost';

export interface SecreviewApi {
  host: WorkspaceHost;
  panelHost: PanelHost;
  status: StatusBar;
  /** The open labeling panel, if any. */
  labelingPanel(): LabelingPanel | undefined;
}
