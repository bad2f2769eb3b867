/** Generated review comments for integration tests and benchmarks (GitHub REST shape). */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mulberry32 } from '../../src/core/hash';

const WORDS = ['null', 'check', 'this', 'method', 'should', 'return', 'early', 'please', 'rename', 'variable', 'test', 'missing',
  'input', 'validation', 'security', 'token', 'cache', 'thread', 'lock', 'why', 'not', 'use', 'the', 'builder', 'here', 'nit', 'typo'];

export function generatedReview(i: number, rng: () => number): Record<string, unknown> {
  const n = 5 + Math.floor(rng() * 30);
  const words: string[] = [];
  for (let k = 0; k < n; k++) words.push(WORDS[Math.floor(rng() * WORDS.length)]!);
  const id = 1_000_000_000 + i;
  const repo = `gen-org/repo${i % 997}`;
  const pull = 1 + (i % 50_000);
  return {
    id, body: words.join(' ') + ` (#${i})`, path: `src/main/java/Gen${i % 100}.java`,
    diff_hunk: `@@ -${i % 90 + 1},3 +${i % 90 + 1},4 @@\n public class Gen {\n-  int a;\n+  int a = ${i};\n+  int b;`,
    html_url: `https://github.com/${repo}/pull/${pull}#discussion_r${id}`,
    pull_request_url: `https://api.github.com/repos/${repo}/pulls/${pull}`,
    user: { login: `user${i % 5000}` }, commit_id: 'a'.repeat(40), original_commit_id: 'b'.repeat(40), line: 4, original_line: 4,
    created_at: '2022-03-04T05:06:07Z',
  };
}

/**
 * Writes `rows` generated reviews as JSONL (ids start at 1e9 + `start`). A review is a function of
 * its index and the seed, so overlapping files hold the same records (true duplicates).
 */
export async function writeGeneratedReviews(file: string, rows: number, options: { seed?: number; start?: number } = {}): Promise<void> {
  const seed = options.seed ?? 1;
  const out = createWriteStream(file);
  const start = options.start ?? 0;
  let chunk: string[] = [];
  for (let i = start; i < start + rows; i++) {
    chunk.push(JSON.stringify(generatedReview(i, mulberry32(seed * 1_000_003 + i))));
    if (chunk.length === 2000) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk = [];
    }
  }
  if (chunk.length) out.write(chunk.join('\n') + '\n');
  out.end();
  await once(out, 'finish');
}
