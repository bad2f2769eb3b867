/** A fresh workspace in a temp folder whose pool holds generated reviews (ids 1e9 + start, ...). */
import path from 'node:path';
import { Workspace } from '../../src/store/workspace';
import { writeGeneratedReviews } from './generate';
import { tempDir } from './tmp';

export async function workspaceWithReviews(rows: number, start = 0): Promise<string> {
  const dir = tempDir();
  const file = path.join(dir, 'r.jsonl');
  await writeGeneratedReviews(file, rows, { start });
  const ws = await Workspace.init(dir);
  await ws.importFiles([file]);
  await ws.close();
  return dir;
}
