/** Temporary folders for tests, removed when the process ends. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  if (process.env.SECREVIEW_KEEP_TMP) return;
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'secreview-test-'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  made.push(d);
  return d;
}

/** The repository root (tests live two or three levels below it). */
export const repoRoot = path.resolve(__dirname, '..', '..');
