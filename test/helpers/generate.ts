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
  const start = options.start ?? 0;
  await writeJsonl(file, start, start + rows, (i) => generatedReview(i, mulberry32(seed * 1_000_003 + i)));
}

/** Writes the records of indexes [from, to) as JSONL, in chunks of 2,000 lines. */
async function writeJsonl(file: string, from: number, to: number, record: (i: number) => unknown): Promise<void> {
  const out = createWriteStream(file);
  let chunk: string[] = [];
  for (let i = from; i < to; i++) {
    chunk.push(JSON.stringify(record(i)));
    if (chunk.length === 2000) {
      if (!out.write(chunk.join('\n') + '\n')) await once(out, 'drain');
      chunk = [];
    }
  }
  if (chunk.length) out.write(chunk.join('\n') + '\n');
  out.end();
  await once(out, 'finish');
}

/**
 * A pool with planted near-duplicates, for the near-duplicate tests and benchmark. Most reviews are
 * unique texts over a vocabulary of 4,000 invented words (4 to 60 words, short ones commoner, as in
 * review data); a share of them (`familyShare`, default 15%) are copies of templates (bot messages,
 * a remark repeated on many lines) with their numbers changed and, half the time each, one
 * identifier and one file name. `familyOf(i)` says which template row `i` copies (-1: none), so a
 * test can score the groups found against the ones planted.
 */
export interface NearDuplicateCorpus {
  familyOf(i: number): number;
  body(i: number): string;
  review(i: number): Record<string, unknown>;
}

export function nearDuplicateCorpus(rows: number, options: { seed?: number; familyShare?: number; familySize?: number } = {}): NearDuplicateCorpus {
  const seed = options.seed ?? 7;
  const share = options.familyShare ?? 0.15;
  const families = Math.max(1, Math.round((rows * share) / (options.familySize ?? 8)));
  const syllables = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'te', 'vi', 'xo', 'za', 'pre', 'tion', 'al', 'er', 'in', 'con', 'de', 'ly', 'ment', 'ure'];
  const vocabulary = Array.from({ length: 4000 }, (_, w) => {
    const rng = mulberry32(seed * 7919 + w);
    const n = 1 + Math.floor(rng() * 3);
    let word = '';
    for (let k = 0; k < n; k++) word += syllables[Math.floor(rng() * syllables.length)]!;
    return word + (w % 97).toString(36);
  });
  const words = (rng: () => number, n: number) => Array.from({ length: n }, () => vocabulary[Math.floor(rng() ** 1.5 * vocabulary.length)]!);
  const identifier = (rng: () => number) => words(rng, 2).map((w, k) => (k ? w[0]!.toUpperCase() + w.slice(1) : w)).join('');
  const familyOf = (i: number) => (mulberry32(seed * 1_000_003 + i)() < share ? Math.floor(mulberry32(seed * 999_983 + i)() * families) : -1);
  const body = (i: number): string => {
    const rng = mulberry32(seed * 31 + i);
    const f = familyOf(i);
    if (f < 0) return words(rng, 4 + Math.floor(56 * rng() ** 2)).join(' ');
    // The template: fixed words with slots for a number, an identifier and a file name.
    const t = mulberry32(seed * 131 + f);
    const text = words(t, 8 + Math.floor(t() * 32));
    const at = (k: number) => Math.floor(t() * (text.length + 1)) + k;
    const fixedIdentifier = identifier(t);
    const fixedFile = `src/${identifier(t)}.java`;
    const slots = [at(0), at(0), at(0)].sort((a, b) => a - b);
    const out = [...text];
    out.splice(slots[2]!, 0, `line ${1 + Math.floor(rng() * 5000)}`);
    out.splice(slots[1]!, 0, rng() < 0.5 ? identifier(rng) : fixedIdentifier);
    out.splice(slots[0]!, 0, rng() < 0.5 ? `src/${identifier(rng)}.java` : fixedFile);
    return out.join(' ');
  };
  return {
    familyOf, body,
    review: (i) => ({
      id: 2_000_000_000 + i, body: body(i), path: `src/main/java/Gen${i % 100}.java`,
      html_url: `https://github.com/nd-org/repo${i % 101}/pull/${1 + (i % 3000)}#discussion_r${2_000_000_000 + i}`,
      user: { login: `user${i % 700}` },
    }),
  };
}

/** Writes rows [0, rows) of a near-duplicate corpus as JSONL. */
export function writeNearDuplicateCorpus(file: string, corpus: NearDuplicateCorpus, rows: number): Promise<void> {
  return writeJsonl(file, 0, rows, corpus.review);
}
