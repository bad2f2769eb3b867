/** Builds a workspace from the paper's labeled file: the whole file as the pool, part of it labeled. */
import { mkdtempSync, readFileSync, readdirSync, statSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { Workspace } from '../../../src/store/workspace';
import { readLabeledJsonl } from '../../helpers/inMemoryTrainer';
import { needsPaperData, paperLabelsFile } from '../../helpers/paperData';

export const repoRoot = path.resolve(__dirname, '..', '..', '..');
export { needsPaperData, paperLabelsFile };

/** A fresh workspace whose pool is the paper's 959 reviews, the first `labeled` of them labeled (tag_post_qa). */
export async function paperWorkspace(labeled: number): Promise<{ folder: string; ws: Workspace; cleanup(): void }> {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'secreview-trainer-'));
  const ws = await Workspace.init(folder, { owner: 'trainer test' });
  await ws.importFiles([paperLabelsFile]);
  const rows = readLabeledJsonl(paperLabelsFile, 'tag_post_qa').slice(0, labeled);
  await ws.db.setLabels(rows.map((r) => ({ reviewId: r.id, label: r.label, source: 'test' })));
  return { folder, ws, cleanup: () => rmSync(folder, { recursive: true, force: true }) };
}

/** sha256 of every file under a folder, by relative path. */
export function treeHashes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

export function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}
