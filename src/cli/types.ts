/**
 * The shape of a `secreview` subcommand. Each lives in `src/cli/commands/<name>.ts` and is listed
 * in `src/cli/commands/index.ts`; `src/cli/main.ts` parses arguments and dispatches.
 */
import type { ParseArgsConfig } from 'node:util';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CliIO {
  /** The folder the command works in (its data lives in `<cwd>/.secreview/`). */
  cwd: string;
  /** `--json` was given: print machine-readable JSON on stdout, nothing else. */
  json: boolean;
  out(text: string): void;
  err(text: string): void;
  /** Progress lines for long work; silent under `--json` and when stderr is not a terminal-friendly sink. */
  progress(text: string): void;
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGINT/SIGTERM. */
  signal: AbortSignal;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

export interface CliCommand {
  name: string;
  /** One line for `secreview --help`. */
  summary: string;
  /** Usage line(s) and option descriptions for `secreview <name> --help`. */
  usage: string;
  options: OptionSpec;
  /** Returns the process exit code. Throw `CliError` for bad input. */
  run(args: ParsedArgs, io: CliIO): Promise<number>;
}

/**
 * An error the user can fix: printed without a stack trace, exit code 2 unless given. `details`
 * joins the message in the JSON error that `--json` prints on stdout (e.g. what was committed).
 */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 2, readonly details?: Record<string, unknown>) {
    super(message);
    this.name = 'CliError';
  }
}

/** Reads a string option, or undefined. */
export function optString(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  return typeof v === 'string' ? v : undefined;
}

/** Reads an integer option within bounds, with a clear error naming the option. */
export function optInt(args: ParsedArgs, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = optString(args, name);
  if (v === undefined) return fallback;
  if (!/^-?\d+$/.test(v.trim())) throw new CliError(`--${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new CliError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** Reads a number option within bounds. */
export function optNumber(args: ParsedArgs, name: string, fallback: number, min = -Infinity, max = Infinity): number {
  const v = optString(args, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n)) throw new CliError(`--${name} must be a number, got "${v}"`);
  if (n < min || n > max) throw new CliError(`--${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
