/**
 * Writes a model version folder atomically: everything goes into `models/.tmp-<version>-<pid>/`,
 * which is renamed to `models/<version>/` only when complete. A killed trainer leaves at most a
 * dot-folder that readers ignore and the next trainer removes.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fsyncPath } from '../../src/store/atomic';
import { processAlive } from '../../src/store/lock';

const TEMP_PREFIX = '.tmp-';
const ORPHAN_PREFIX = '.replaced-';

/** Removes temporary folders of trainers that are no longer running (not this one's). Returns how many. */
export function removeStaleTempFolders(modelsDir: string): number {
  if (!existsSync(modelsDir)) return 0;
  let removed = 0;
  for (const name of readdirSync(modelsDir)) {
    const m = /^\.(?:tmp|replaced)-.*-(\d+)$/.exec(name);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    rmSync(path.join(modelsDir, name), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

export class ModelFolderWriter {
  readonly tempDir: string;
  readonly finalDir: string;
  private done = false;

  constructor(readonly modelsDir: string, readonly version: string) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(version)) throw new Error(`invalid model version name "${version}"`);
    this.finalDir = path.join(modelsDir, version);
    this.tempDir = path.join(modelsDir, `${TEMP_PREFIX}${version}-${process.pid}`);
    mkdirSync(modelsDir, { recursive: true });
    rmSync(this.tempDir, { recursive: true, force: true });
    mkdirSync(this.tempDir);
  }

  file(name: string): string {
    return path.join(this.tempDir, name);
  }

  async write(name: string, data: string | Uint8Array): Promise<void> {
    await writeFile(this.file(name), data);
  }

  /**
   * Makes the folder visible under its version name. A folder already there is a model the parent
   * never recorded (its trainer finished but the parent died before recording it): it is replaced.
   */
  commit(): void {
    for (const f of readdirSync(this.tempDir)) fsyncPath(path.join(this.tempDir, f));
    fsyncPath(this.tempDir);
    if (existsSync(this.finalDir)) {
      const aside = path.join(this.modelsDir, `${ORPHAN_PREFIX}${this.version}-${process.pid}`);
      rmSync(aside, { recursive: true, force: true });
      renameSync(this.finalDir, aside);
      renameSync(this.tempDir, this.finalDir);
      rmSync(aside, { recursive: true, force: true });
    } else {
      renameSync(this.tempDir, this.finalDir);
    }
    fsyncPath(this.modelsDir);
    this.done = true;
  }

  /** Removes the temporary folder (after a failure or cancel). */
  abort(): void {
    if (!this.done) rmSync(this.tempDir, { recursive: true, force: true });
  }
}
