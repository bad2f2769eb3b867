/**
 * `secreview`: the headless front end. Same core and store as the extension; data in
 * `./.secreview/` of the folder it runs in (or `-C <folder>`).
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { commands } from './commands/index';
import { CliError, type CliCommand, type CliIO, type OptionSpec } from './types';
import { LockedError } from '../store/lock';
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

export async function main(argv: string[], base: Partial<CliIO> = {}): Promise<number> {
  const out = base.out ?? ((t: string) => process.stdout.write(t + '\n'));
  const err = base.err ?? ((t: string) => process.stderr.write(t + '\n'));
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
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    out(mainHelp());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v') {
    out(version());
    return 0;
  }
  const command: CliCommand | undefined = commands.find((c) => c.name === name);
  if (!command) {
    err(`secreview: unknown command "${name}". Commands: ${commands.map((c) => c.name).join(', ')}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true });
  } catch (e) {
    err(`secreview ${name}: ${(e as Error).message.replace(/^TypeError \[\w+\]: /, '')}\n\n${command.usage}`);
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
  const io: CliIO = {
    cwd, json, out, err,
    progress: base.progress ?? ((t: string) => { if (!json) process.stderr.write(t + '\n'); }),
    env: base.env ?? process.env,
    signal: base.signal ?? controller.signal,
  };
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, io);
  } catch (e) {
    if (e instanceof CliError) {
      err(`secreview ${name}: ${e.message}`);
      return e.exitCode;
    }
    if (e instanceof LockedError || e instanceof NoWorkspaceError || e instanceof NoModelError) {
      err(`secreview ${name}: ${e.message}`);
      return 3;
    }
    err(`secreview ${name}: ${(e as Error).message ?? String(e)}`);
    if (io.env.SECREVIEW_DEBUG) err((e as Error).stack ?? '');
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

if (require.main === module) {
  // A closed pipe (`secreview export | head`) is a normal way to stop reading, not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`secreview: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
