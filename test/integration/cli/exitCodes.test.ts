// Every command's exit codes and messages against the README's table (0 success, 1 failure, 2 bad
// input, 3 workspace missing, locked, or no model yet), and `--json` errors as JSON on stdout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
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

test('import reports a null body as null and a duplicate id with a different body with file:line; the same body again is a plain duplicate', async () => {
  const folder = await demoWorkspace();
  const review = (id: number, body: unknown) => JSON.stringify({ url: `https://github.com/a/b/pull/1#discussion_r${id}`, repo: 'a/b', number: 1, body });
  writeFileSync(path.join(folder, 'in.jsonl'), [
    review(1, 'first body'),
    review(2, null),
    review(1, 'a different body'),
    review(1, 'first body'),
    review(3, ['not', 'text']),
    review(9100000111, 'not the demo body of this id'),
  ].join('\n') + '\n');
  const r = await cli(folder, 'import', 'in.jsonl');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Imported 1 reviews \(1 duplicates skipped, 4 problems\)/);
  assert.match(r.stderr, /in\.jsonl:2: field "body" must be a string, got null/);
  assert.doesNotMatch(r.stderr, /got object/);
  assert.match(r.stderr, /in\.jsonl:3: review 1 appeared before with a different body \(in\.jsonl:1\); the first one is kept and this record skipped/);
  assert.match(r.stderr, /in\.jsonl:5: field "body" must be a string, got an array/);
  assert.match(r.stderr, /in\.jsonl:6: review 9100000111 is already in the pool with a different body \(pool row 0\); the pool's record is kept and this one skipped/);
});

test('a truncated gzip import says what was committed (rows, file, last line), keeps their labels, and --json gives the same as JSON', async () => {
  const folder = await demoWorkspace();
  const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({
    url: `https://github.com/acme/big/pull/${1 + (i % 40)}#discussion_r${7_000_000 + i}`, repo: 'acme/big', number: 1 + (i % 40),
    body: `Review ${i}: ${'please check the bounds of this buffer '.repeat(1 + (i % 5))}`, tag: i % 3 ? 'no' : 'yes',
  }));
  const whole = gzipSync(lines.join('\n') + '\n');
  const cut = whole.subarray(0, Math.floor(whole.length * 0.6));
  writeFileSync(path.join(folder, 'damaged.jsonl.gz'), cut);
  // What a reader can get out of the damaged file: its whole lines.
  const complete = gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8').split('\n').length - 1;
  assert.ok(complete > 100 && complete < 3000, `the cut leaves part of the file (${complete} lines)`);

  const r = await cli(folder, 'import', 'damaged.jsonl.gz', '--label-field', 'tag');
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`damaged\\.jsonl\\.gz: compressed data is damaged or truncated after line ${complete} `));
  assert.match(r.stderr, new RegExp(`Committed to the pool: ${complete} new reviews from lines 1-${complete} of damaged\\.jsonl\\.gz; the pool has ${336 + complete} reviews\\.`));
  assert.match(r.stderr, /Importing the complete file again adds the rest/);
  assert.match(r.stderr, new RegExp(`Labels of the committed reviews: ${complete} added`));
  assert.match(r.stderr, new RegExp(`damaged\\.jsonl\\.gz:${complete + 1}: truncated line at the end of a damaged file`));
  const stats = JSON.parse((await cli(folder, '--json', 'stats')).stdout) as { pool: number; labeled: number };
  assert.equal(stats.pool, 336 + complete, 'what the message says is what the pool has');
  assert.equal(stats.labeled, complete);

  // The same import with --json: the error and what was committed, as JSON on stdout.
  const again = tempDir('secreview-exit-json-');
  assert.equal((await cli(again, 'init')).code, 0);
  writeFileSync(path.join(again, 'damaged.jsonl.gz'), cut);
  const j = await cli(again, '--json', 'import', 'damaged.jsonl.gz');
  assert.equal(j.code, 2);
  const parsed = JSON.parse(j.stdout) as { error: string; exitCode: number; imported: number; pool: number; stoppedAt: { file: string; completeLines: number } };
  assert.equal(parsed.exitCode, 2);
  assert.equal(parsed.imported, complete);
  assert.equal(parsed.pool, complete);
  assert.deepEqual(parsed.stoppedAt, { file: path.join(again, 'damaged.jsonl.gz'), completeLines: complete });
  assert.match(parsed.error, /Committed to the pool/);

  // The complete file adds exactly the rest.
  writeFileSync(path.join(folder, 'whole.jsonl.gz'), whole);
  const rest = await cli(folder, '--json', 'import', 'whole.jsonl.gz', '--label-field', 'tag');
  assert.equal(rest.code, 0, rest.stderr);
  const done = JSON.parse(rest.stdout) as { imported: number; duplicates: number; pool: number };
  assert.deepEqual([done.imported, done.duplicates, done.pool], [3000 - complete, complete, 3336]);
});
