/**
 * What a person sees from the CLI on a healthy run: no line that reads like a failure. Small imports
 * print their summary only (no "1 imported" progress before "336 imported"), a pattern bootstrap on a
 * small pool prints no "scanned 0 reviews", and on a terminal progress rewrites one status line
 * instead of scrolling (checked under a real pseudo-terminal from `script`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { repoRoot, tempDir } from '../../helpers/tmp';

const demoReviews = path.join(repoRoot, 'demo', 'reviews.jsonl');

async function cli(args: string[]): Promise<{ code: number; out: string[]; err: string[]; progress: string[] }> {
  const out: string[] = [], err: string[] = [], progress: string[] = [];
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: (t) => progress.push(t) });
  return { code, out, err, progress };
}

test('importing the demo data prints its summary and no progress line', async () => {
  const dir = tempDir('secreview-output-');
  assert.equal((await cli(['init', '-C', dir])).code, 0);
  const r = await cli(['import', demoReviews, '-C', dir]);
  assert.equal(r.code, 0);
  assert.deepEqual(r.progress, [], 'no progress for a file read in well under a second');
  assert.deepEqual(r.out, ['Imported 336 reviews (0 duplicates skipped, 0 problems) in ' + /in (\d+\.\d) s/.exec(r.out[0]!)![1] + ' s; the pool has 336 reviews.']);
  assert.deepEqual(r.err, []);
});

test('a bootstrap with --pattern on a small pool reports no progress before it scanned anything', async () => {
  const dir = tempDir('secreview-output-');
  await cli(['init', '-C', dir]);
  await cli(['import', demoReviews, '-C', dir]);
  const r = await cli(['bootstrap', '--pattern', '\\bsecurity\\b', '-C', dir]);
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.deepEqual(r.progress, []);
  assert.match(r.out[0]!, /^Batch b0001 \(iteration 1\): \d+ reviews/);
});

test('on a terminal, progress rewrites one status line that the result replaces', { skip: spawnSync('script', ['--version']).status === 0 ? false : 'needs script (util-linux) for a pseudo-terminal' }, async () => {
  const dir = tempDir('secreview-output-');
  const file = path.join(dir, 'pool.jsonl');
  // 25,000 reviews: the pattern scan reports after 10,000 and 20,000 rows.
  writeFileSync(file, Array.from({ length: 25_000 }, (_, i) => JSON.stringify({ id: 1000 + i, body: `review ${i} about ${i % 7 ? 'naming' : 'a token leak'}`, html_url: `https://github.com/o/r/pull/1#discussion_r${1000 + i}` })).join('\n') + '\n');
  await cli(['init', '-C', dir]);
  await cli(['import', file, '-C', dir]);
  const command = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), 'bootstrap', '--no-m1', '--pattern', 'token', '-C', dir].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, COLUMNS: '100' } });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const status = '\r\x1b[K';
  assert.ok(r.stdout.includes(`${status}scanned 10,000 of 25,000 reviews for the patterns${status}scanned 20,000 of 25,000 reviews for the patterns${status}Batch b0001`), `progress rewritten in place, then cleared for the result: ${JSON.stringify(r.stdout.slice(0, 400))}`);
  assert.doesNotMatch(r.stdout, /scanned [\d,]+ of [\d,]+ reviews for the patterns\r?\n/, 'no progress line of its own');
});
