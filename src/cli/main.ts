/**
 * `secreview`: the headless front end. Same core and store as the extension; data in
 * `./.secreview/` of the folder it runs in (or `-C <folder>`).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { commands } from './commands/index';
import { CliError, type CliCommand, type CliIO, type OptionSpec } from './types';
import { LockedError } from '../store/lock';
import { ReadOnlyFileError } from '../store/atomic';
import { NoWorkspaceError } from '../store/workspace';
import { NoModelError } from '../store/batches';

const GLOBAL_OPTIONS: OptionSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  C: { type: 'string', short: 'C' },
};

function version(): string {
  try {
    // Bundled builds sit in dist/, sources in src/cli/: both reach package.json two levels up at most.
    for (const rel of ['../package.json', '../../package.json']) {
      try {
        return (require(path.join(__dirname, rel)) as { version: string }).version;
      } catch { /* try the next */ }
    }
  } catch { /* fall through */ }
  return 'unknown';
}

function mainHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'secreview: active learning for security-relevant code-review comments',
    '',
    'Usage: secreview <command> [options]      (data lives in ./.secreview/ of the current folder)',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --json          machine-readable output on stdout',
    '  -C <folder>     run as if started in <folder>',
    '  -h, --help      help for secreview or a command',
    '',
    'Run "secreview <command> --help" for a command\'s options.',
  ].join('\n');
}

/**
 * `--size -1`: node's parser reads "-1" as an option and calls the argument ambiguous. A value
 * that looks like a negative number is joined to its option (`--size=-1`), so the option's own
 * check can say what is wrong with it.
 */
function joinNegativeValues(args: string[], options: OptionSpec): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    const name = a.startsWith('--') ? a.slice(2) : undefined;
    if (name && !name.includes('=') && options[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

/** Exit codes of the README: 0 success, 1 failure, 2 bad input, 3 workspace missing, locked, or no model yet. */
function exitCodeOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof LockedError || e instanceof ReadOnlyFileError || e instanceof NoWorkspaceError || e instanceof NoModelError) return 3;
  return 1;
}

/**
 * A closed pipe (`secreview export | head`, `secreview train 2>&1 | head`) is a normal way to stop
 * reading, never a reason to stop the work: labels, models and imports finish and are stored; what
 * was left to say goes nowhere.
 */
function writerOf(stream: NodeJS.WriteStream): (text: string) => void {
  stream.on('error', (e: NodeJS.ErrnoException) => { if (e.code !== 'EPIPE') throw e; });
  return (text: string) => { if (stream.writable && !stream.destroyed) stream.write(text); };
}

let streams: { stdout(text: string): void; stderr(text: string): void } | undefined;

/**
 * Output to the process's streams. On a terminal, progress rewrites one status line (cut to the
 * terminal's width, so it never wraps), which the next output line replaces: a person sees where a
 * long command is, not a scroll of intermediate states. Elsewhere (logs, CI), each progress report
 * is a line of its own.
 */
function processIO(): { out(t: string): void; err(t: string): void; progress(t: string): void; done(): void } {
  streams ??= { stdout: writerOf(process.stdout), stderr: writerOf(process.stderr) };
  const { stdout, stderr } = streams;
  let statusShown = false;
  const clearStatus = () => { if (statusShown) { stderr('\r\x1b[K'); statusShown = false; } };
  return {
    out: (t) => { clearStatus(); stdout(t + '\n'); },
    err: (t) => { clearStatus(); stderr(t + '\n'); },
    progress: (t) => {
      if (!process.stderr.isTTY) { stderr(t + '\n'); return; }
      const width = Math.max(20, (process.stderr.columns || 80) - 1);
      stderr(`\r\x1b[K${t.length > width ? t.slice(0, width - 3) + '...' : t}`);
      statusShown = true;
    },
    done: clearStatus,
  };
}

export async function main(argv: string[], base: Partial<CliIO> = {}): Promise<number> {
  const terminal = processIO();
  try {
    return await run(argv, base, terminal);
  } finally {
    terminal.done();
  }
}

async function run(argv: string[], base: Partial<CliIO>, terminal: ReturnType<typeof processIO>): Promise<number> {
  const rawOut = base.out ?? terminal.out;
  const err = base.err ?? terminal.err;
  let printed = false;
  const out = (t: string) => { printed = true; rawOut(t); };
  // Global options may also come before the command: `secreview -C dir init`, `secreview --json stats`.
  const leading: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-C' && i + 1 < argv.length) leading.push(a, argv[++i]!);
    else if (a.startsWith('-C') && a.length > 2) leading.push(a);
    else if (a === '--json') leading.push(a);
    else break;
  }
  const [name, ...afterName] = argv.slice(i);
  const rest = [...leading, ...afterName];
  // With --json, stdout carries JSON even when the command fails: the message and the exit code.
  const wantsJson = argv.includes('--json');
  const fail = (code: number, message: string, details: Record<string, unknown> = {}, command = name): number => {
    err(command ? `secreview ${command}: ${message}` : `secreview: ${message}`);
    if (wantsJson && !printed) out(JSON.stringify({ error: message, exitCode: code, ...(command ? { command } : {}), ...details }, null, 2));
    return code;
  };
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    if (!name && wantsJson) return fail(2, 'give a command; "secreview --help" lists them');
    out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return 0;
  }
  const command: CliCommand | undefined = commands.find((c) => c.name === name);
  if (!command) return fail(2, `unknown command "${name}". Commands: ${commands.map((c) => c.name).join(', ')}`, {}, undefined);
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(rest, options), options, allowPositionals: true, strict: true });
  } catch (e) {
    fail(2, (e as Error).message.replace(/^TypeError \[\w+\]: /, ''));
    err(`\n${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    out(`${command.summary}\n\n${command.usage}`);
    return 0;
  }
  const json = parsed.values.json === true;
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const cwd = path.resolve(base.cwd ?? process.cwd(), typeof parsed.values.C === 'string' ? parsed.values.C : '.');
  let lastError = '';
  const io: CliIO = {
    cwd, json, out,
    err: (t: string) => { lastError = t; err(t); },
    // Progress to the caller's err when it gave one; else to the terminal's status line (see processIO).
    progress: base.progress ?? ((t: string) => { if (json) return; if (base.err) base.err(t); else terminal.progress(t); }),
    env: base.env ?? process.env,
    signal: base.signal ?? controller.signal,
  };
  try {
    const code = await command.run({ values: parsed.values, positionals: parsed.positionals }, io);
    // A command that ends non-zero without a JSON answer (e.g. cancelled) still gives one.
    if (code !== 0 && json && !printed) out(JSON.stringify({ error: lastError || `secreview ${name} ended with exit code ${code}`, exitCode: code, command: name }, null, 2));
    return code;
  } catch (e) {
    const code = exitCodeOf(e);
    fail(code, (e as Error)?.message ?? String(e), e instanceof CliError ? e.details : {});
    if (code === 1 && io.env.SECREVIEW_DEBUG) err((e as Error).stack ?? '');
    return code;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`secreview: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
