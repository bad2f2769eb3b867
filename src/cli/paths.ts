/**
 * Paths a person gives on the command line, checked before any work starts, so a typo is bad input
 * (exit 2) with a message that names the path, never an `ENOENT` from deep inside a command.
 */
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { CliError, type CliIO } from './types';

function statOf(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw new CliError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

/** A file to read: it must exist and not be a folder. Returns the absolute path. */
export function inputFile(io: Pick<CliIO, 'cwd'>, given: string): string {
  const file = path.resolve(io.cwd, given);
  const st = statOf(file);
  if (!st) throw new CliError(`${given}: no such file`);
  if (st.isDirectory()) throw new CliError(`${given}: is a folder, not a file`);
  return file;
}

/** Where a file will be written: its folder must exist, and it must not itself be a folder. */
export function outputFile(io: Pick<CliIO, 'cwd'>, given: string): string {
  const file = path.resolve(io.cwd, given);
  const st = statOf(file);
  if (st?.isDirectory()) throw new CliError(`cannot write ${given}: it is a folder; give a file name`);
  if (!st) parentMustExist(file, given);
  return file;
}

/**
 * A folder to write into (created if need be): its parent must exist, it must not be a file and,
 * with `empty`, it must not hold anything yet (nothing is ever written over).
 */
export function outputFolder(io: Pick<CliIO, 'cwd'>, given: string, options: { empty?: boolean } = {}): string {
  const dir = path.resolve(io.cwd, given);
  const st = statOf(dir);
  if (st && !st.isDirectory()) throw new CliError(`cannot write into ${given}: it is a file, not a folder`);
  if (!st) parentMustExist(dir, given);
  else if (options.empty && readdirSync(dir).length) throw new CliError(`${given} exists and is not empty; choose a new folder`);
  return dir;
}

function parentMustExist(target: string, given: string): void {
  const parent = path.dirname(target);
  const st = statOf(parent);
  if (!st) throw new CliError(`cannot write ${given}: the folder ${parent} does not exist`);
  if (!st.isDirectory()) throw new CliError(`cannot write ${given}: ${parent} is a file, not a folder`);
}
