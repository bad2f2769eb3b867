/** `secreview find`: listing, JSON, proposing the matches as a batch, errors that say what is wrong, and a read-only search. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { Workspace } from '../../../src/store/workspace';
import { tempDir } from '../../helpers/tmp';

async function cli(cwd: string, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await main(argv, { cwd, out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {} });
  return { code, out, err };
}

async function pool(): Promise<string> {
  const dir = tempDir('secreview-find-');
  const rows = [
    { id: 11, body: 'This allows SQL injection through the name parameter.', repo: 'apache/kafka', path: 'src/Db.java' },
    { id: 12, body: 'Nit: typo in the comment.', repo: 'apache/kafka', path: 'src/Db.java' },
    { id: 13, body: 'Possible XSS: the title is rendered without escaping.', repo: 'vuejs/core', path: 'src/render.ts' },
    { id: 14, body: 'sql  injection again, via the sort column', repo: 'o/r', path: 'lib/query.py' },
    { id: 15, body: 'CSRF token missing on this form', repo: 'o/r', path: 'web/form.html' },
  ];
  writeFileSync(path.join(dir, 'r.jsonl'), rows.map((r) => JSON.stringify({ id: r.id, body: r.body, path: r.path, html_url: `https://github.com/${r.repo}/pull/${r.id}#discussion_r${r.id}` })).join('\n') + '\n');
  assert.equal((await cli(dir, 'init')).code, 0);
  assert.equal((await cli(dir, 'import', 'r.jsonl')).code, 0);
  return dir;
}

test('find lists matches with their place and label, and counts them all', async () => {
  const dir = await pool();
  assert.equal((await cli(dir, 'label', '11', 'yes')).code, 0);
  const r = await cli(dir, 'find', 'sql', 'injection');
  assert.equal(r.code, 0, r.err.join('\n'));
  assert.equal(r.out.length, 3);
  assert.match(r.out[0]!, /^11 {2}apache\/kafka#11 {2}src\/Db\.java {2}yes {2}This allows SQL injection/);
  assert.match(r.out[1]!, /^14 {2}o\/r#14 {2}lib\/query\.py {2}unlabeled/);
  assert.equal(r.out[2], '2 of 5 reviews match "sql injection".');
  const limited = await cli(dir, 'find', '--limit', '1', '/xss|csrf/');
  assert.equal(limited.out.at(-1), '2 of 5 reviews match "/xss|csrf/" (1 listed; --limit N lists more).');
  const json = JSON.parse((await cli(dir, 'find', '--json', '--', 'repo:apache/kafka', '-typo')).out.join('\n')) as { matched: number; results: { id: string; label: string | null; url: string }[] };
  assert.equal(json.matched, 1);
  assert.deepEqual(json.results.map((x) => [x.id, x.label]), [['11', 'yes']]);
  assert.match(json.results[0]!.url, /discussion_r11$/);
  const byUrl = await cli(dir, 'find', 'https://github.com/vuejs/core/pull/13#discussion_r13');
  assert.match(byUrl.out[0]!, /^13 {2}vuejs\/core#13 /);
  assert.equal(byUrl.out.at(-1), '1 of 5 reviews match "id:13".');
});

test('find --propose makes a batch of the unlabeled matches, recorded as the search', async () => {
  const dir = await pool();
  await cli(dir, 'label', '11', 'yes');
  const r = await cli(dir, 'find', '--propose', '--json', '/sql|xss|csrf/');
  assert.equal(r.code, 0, r.err.join('\n'));
  const out = JSON.parse(r.out.join('\n')) as { proposed: { batch: string; size: number; left: number } };
  assert.deepEqual(out.proposed, { batch: 'b0001', iteration: 1, size: 3, left: 0 });
  const ws = await Workspace.open(dir, { readOnly: true });
  try {
    const b = ws.db.batches()[0]!;
    assert.equal(b.strategy, 'search: /sql|xss|csrf/');
    assert.deepEqual(b.items.map((i) => i.reviewId), ['13', '14', '15']);
  } finally {
    await ws.close();
  }
  const again = await cli(dir, 'find', '--propose', '/sql|xss|csrf/');
  assert.equal(again.out.at(-1), 'No batch: every match is labeled, in an open batch, or repeats a labeled body.');
});

test('bad queries and options are usage errors that say what is wrong', async () => {
  const dir = await pool();
  for (const [args, re] of [[['find'], /the query is empty/], [['find', '/a(/'], /not a valid regular expression/], [['find', '--size', '3', 'x'], /go with --propose/], [['find', '"open'], /never closed/]] as const) {
    const r = await cli(dir, ...args);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err.join('\n'), re);
  }
});

test('find reads without the lock: it works while another writer holds the workspace', async () => {
  const dir = await pool();
  const writer = await Workspace.open(dir);
  try {
    const r = await cli(dir, 'find', 'csrf');
    assert.equal(r.code, 0, r.err.join('\n'));
    assert.equal(r.out.at(-1), '1 of 5 reviews match "csrf".');
  } finally {
    await writer.close();
  }
});
