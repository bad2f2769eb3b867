// The demo workspace folder, shared by `npm run demo` and `npm run workbench`. It lives inside this
// repository (./demo-workspace, ignored by git), so VS Code's git extension would offer to open the
// repository of a parent folder each time it opens; the folder's own settings say never.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const DEMO_FOLDER_SETTINGS = { 'git.openRepositoryInParentFolders': 'never' };

/** Creates the folder and its .vscode/settings.json with DEMO_FOLDER_SETTINGS, keeping any other setting there. */
export function prepareDemoFolder(folder) {
  const dir = path.join(folder, '.vscode');
  const file = path.join(dir, 'settings.json');
  mkdirSync(dir, { recursive: true });
  let settings = {};
  if (existsSync(file)) {
    try {
      settings = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      console.warn(`${file} is not plain JSON (${e.message}); left as it is. Add "git.openRepositoryInParentFolders": "never" to it yourself to stop VS Code asking about the parent repository.`);
      return;
    }
  }
  if (Object.entries(DEMO_FOLDER_SETTINGS).every(([k, v]) => settings[k] === v)) return;
  writeFileSync(file, JSON.stringify({ ...settings, ...DEMO_FOLDER_SETTINGS }, null, 2) + '\n');
}
