// Every command's exit codes and messages against the README's table (0 success, 1 failure, 2 bad
// input, 3 workspace missing, locked, or no model yet), and `--json` errors as JSON on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { tempDir, repoRoot } from '../../helpers/tmp';

const DEMO = path.join(repoRoot, 'demo', 'reviews.jsonl');

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, { cwd, out: (t) => { stdout += t + '\n'; }, err: (t) => { stderr += t + '\n'; }, progress: () => {} });
  return { code, stdout, stderr };
}

async function demoWorkspace(): Promise<string> {
  const folder = tempDir('secreview-exit-');
  assert.equal((await cli(folder, 'init')).code, 0);
  assert.equal((await cli(folder, 'import', DEMO)).code, 0);
  return folder;
}

interface Case { argv: string[]; code: number; message: RegExp; not?: RegExp; where?: 'demo' | 'empty' }

const CASES: Case[] = [
  { argv: ['import', 'nosuch.jsonl'], code: 2, message: /nosuch\.jsonl: no such file/ },
  { argv: ['import', 'folder'], code: 2, message: /folder: is a folder, not a file/ },
  { argv: ['predict', 'nosuch.jsonl'], code: 3, message: /no trained model yet/ },
  { argv: ['next'], code: 3, message: /no trained model yet/ },
  { argv: ['score', '--shard', '0/2'], code: 3, message: /no trained model yet/ },
  { argv: ['export-model', '--out', 'model-out'], code: 3, message: /no trained model yet/ },
  { argv: ['bootstrap', '--pattern', '('], code: 2, message: /pattern 1 \("\("\) is not a valid regular expression/ },
  { argv: ['bootstrap', '--size', '-1'], code: 2, message: /--size must be between 1 and 1000000, got -1/, not: /ambiguous/ },
  { argv: ['next', '--size', '-5', '--strategy', 'random'], code: 2, message: /--size must be between 1 and 1000000, got -5/, not: /ambiguous/ },
  { argv: ['export', '--format', 'jsonl', '--out', 'no/such/folder/x.jsonl'], code: 2, message: /cannot write .*x\.jsonl: the folder .*no[/\\]such[/\\]folder does not exist/ },
  { argv: ['export', '--format', 'jsonl', '--out', 'folder'], code: 2, message: /cannot write .*folder: it is a folder/ },
  { argv: ['export', '--format', 'xml'], code: 2, message: /unknown format "xml"/ },
  { argv: ['label', '123', 'yes'], code: 2, message: /no review with id "123" in the pool/ },
  { argv: ['label', '9100000111', 'maybe'], code: 2, message: /unknown label "maybe"/ },
  { argv: ['stats', '--bogus'], code: 2, message: /Unknown option '--bogus'/ },
  { argv: ['frobnicate'], code: 2, message: /unknown command "frobnicate"/ },
  { argv: ['stats'], code: 3, message: /no Security Review workspace/, where: 'empty' },
  { argv: ['label', '1', 'yes'], code: 3, message: /no Security Review workspace/, where: 'empty' },
  { argv: ['predict', 'x.jsonl'], code: 3, message: /no Security Review workspace|no trained model/, where: 'empty' },
];

test('exit codes and messages follow the README for bad paths, bad options, no workspace and no model; --json errors are JSON on stdout', async () => {
  const demo = await demoWorkspace();
  mkdirSync(path.join(demo, 'folder'));
  const empty = tempDir('secreview-exit-empty-');
  for (const c of CASES) {
    const cwd = c.where === 'empty' ? empty : demo;
    const plain = await cli(cwd, ...c.argv);
    const what = `secreview ${c.argv.join(' ')}`;
    assert.equal(plain.code, c.code, `${what}: exit ${plain.code}, stderr: ${plain.stderr}`);
    assert.match(plain.stderr, c.message, what);
    if (c.not) assert.doesNotMatch(plain.stderr, c.not, what);
    assert.equal(plain.stdout, '', `${what}: nothing on stdout without --json`);

    const json = await cli(cwd, '--json', ...c.argv);
    assert.equal(json.code, c.code, `${what} --json`);
    let parsed: { error?: unknown; exitCode?: unknown; command?: unknown };
    try {
      parsed = JSON.parse(json.stdout) as typeof parsed;
    } catch {
      assert.fail(`${what} --json: stdout is not JSON: ${JSON.stringify(json.stdout)}`);
    }
    assert.equal(parsed.exitCode, c.code, `${what} --json: exitCode`);
    assert.equal(typeof parsed.error, 'string', `${what} --json: error message`);
    assert.match(parsed.error as string, c.message, `${what} --json: message`);
  }
});
