/**
 * Workspace trust (the manifest declares `untrustedWorkspaces: limited`). In Restricted Mode the
 * person can import, label, undo, see diffs and the dashboard and export the dataset: all of it
 * reads the workspace's data as data. What starts a process on the workspace's files (the trainer,
 * `predict` for the dashboard's probes, `export-model`) waits for trust, since those processes load
 * models the workspace names. Settings that pick a server or a model are listed in
 * `restrictedConfigurations`, so VS Code ignores a workspace's values for them until it is trusted.
 */
import * as vscode from 'vscode';

export const RESTRICTED_MODE_NOTE = 'This folder is open in Restricted Mode';

/** True when trusted; else says what waits for trust (with a button to manage it) and returns false. */
export function ensureTrusted(what: string): boolean {
  if (vscode.workspace.isTrusted) return true;
  const manage = 'Manage Workspace Trust';
  void vscode.window.showWarningMessage(
    `Security Review: ${RESTRICTED_MODE_NOTE}: ${what} starts a process on the models and data in this folder, so it waits until you trust the folder. Labeling, import, diffs, the dashboard and dataset export work meanwhile.`,
    manage,
  ).then((pick) => { if (pick === manage) void vscode.commands.executeCommand('workbench.trust.manage'); });
  return false;
}
