import { parseQuery, queryOfUrl, QueryError } from '../../core/search';
import { proposeRowsAsBatch } from '../../store/batches';
import { DEFAULT_BATCH_SIZE } from '../../core/defaults';
import { searchPool } from '../../store/search';
import { nearDuplicateGroups, printJson, withWorkspace } from '../workspace';
import { CliError, optInt, type CliCommand } from '../types';

/** One line of a body for a listing: whitespace runs as one space, cut to `max` characters. */
export function excerpt(body: string, max = 100): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export const findCommand: CliCommand = {
  name: 'find',
  summary: 'find reviews by keywords or a regular expression over bodies, paths and repositories',
  usage: [
    'Usage: secreview find QUERY... [--limit N] [--propose [--size N] [--exclude-near-duplicates]]',
    '',
    'QUERY: words and "quoted phrases" that must all occur (case-insensitive) in the body, the file path',
    'or the repository; -word must occur in none; repo:, path: and body: restrict a word to one field;',
    'pull:N and id:N pick a pull request or a review. /regex/flags is a regular expression instead',
    '(case-insensitive unless flags are given). Examples:',
    '  secreview find "sql injection" path:.java',
    "  secreview find '/\\b(xss|csrf)\\b/'",
    '  secreview find repo:apache/kafka pull:1234',
    '  secreview find -- token -test           (-- before a query that starts a word with -)',
    '  secreview find https://github.com/o/r/pull/5#discussion_r123   (a review or pull request URL: what it points to)',
    '',
    '  --limit N        matches listed (default 50; the count is always complete)',
    '  --propose        propose the matches as a batch (those not labeled and not in an open batch, in',
    '                   pool order), recorded as "search: QUERY"',
    `  --size N         at most N reviews in that batch (default ${DEFAULT_BATCH_SIZE})`,
    '  --exclude-near-duplicates  with --propose: leave out near-duplicates of labeled reviews, and take',
    '                   each group of near-duplicates once',
  ].join('\n'),
  options: { limit: { type: 'string' }, propose: { type: 'boolean' }, size: { type: 'string' }, 'exclude-near-duplicates': { type: 'boolean' } },
  async run(args, io) {
    const typed = args.positionals.join(' ');
    const text = queryOfUrl(typed) ?? typed;
    let query;
    try {
      query = parseQuery(text);
    } catch (e) {
      if (e instanceof QueryError) throw new CliError(e.message);
      throw e;
    }
    const limit = optInt(args, 'limit', 50, 0, 10_000_000);
    const propose = args.values.propose === true;
    const size = optInt(args, 'size', DEFAULT_BATCH_SIZE, 1, 1_000_000);
    if (!propose && (args.values.size !== undefined || args.values['exclude-near-duplicates'] !== undefined)) throw new CliError('--size and --exclude-near-duplicates go with --propose');
    return withWorkspace(io, 'find', async (ws) => {
      const result = await searchPool(ws.pool, query, {
        signal: io.signal, limit: propose ? undefined : Math.max(limit, 1),
        onProgress: (p) => io.progress(`searched ${p.scanned.toLocaleString('en-US')} of ${p.total.toLocaleString('en-US')} reviews, ${p.matched.toLocaleString('en-US')} found`),
      });
      if (!result.complete) {
        io.err(`Interrupted after ${result.scanned.toLocaleString('en-US')} of ${ws.pool.size.toLocaleString('en-US')} reviews (${result.matched} found so far).`);
        return 130;
      }
      const listed = result.rows.slice(0, limit).map((row) => {
        const r = ws.pool.get(row);
        return { id: r.id, repo: r.repo, pull: r.pull, path: r.path, url: r.url, label: ws.db.labelOf(r.id)?.label ?? null, excerpt: excerpt(r.body, 160) };
      });
      let proposed: { batch: string; iteration: number; size: number; left: number } | { batch: null; size: 0; left: number } | undefined;
      if (propose) {
        const nearDuplicates = args.values['exclude-near-duplicates'] === true ? await nearDuplicateGroups(ws, io) : undefined;
        const { batch, left } = await proposeRowsAsBatch(ws, result.rows, { strategy: `search: ${query.text}`, size, nearDuplicates });
        proposed = batch ? { batch: batch.id, iteration: batch.iteration, size: batch.items.length, left } : { batch: null, size: 0, left };
      }
      if (io.json) {
        printJson(io, { query: query.text, matched: result.matched, scanned: result.scanned, seconds: result.seconds, results: listed, ...(proposed ? { proposed } : {}) });
        return 0;
      }
      for (const r of listed) io.out(`${r.id}  ${r.repo}#${r.pull}  ${r.path || '(no path)'}  ${r.label ?? 'unlabeled'}  ${r.excerpt}`);
      const more = result.matched > listed.length ? ` (${listed.length} listed; --limit N lists more)` : '';
      io.out(`${result.matched.toLocaleString('en-US')} of ${ws.pool.size.toLocaleString('en-US')} reviews match ${JSON.stringify(query.text)}${more}.`);
      if (proposed) {
        io.out(proposed.batch
          ? `Batch ${proposed.batch} (iteration ${proposed.iteration}): ${proposed.size} reviews${proposed.left ? `; ${proposed.left} more matches left for another batch` : ''}.`
          : 'No batch: every match is labeled, in an open batch, or repeats a labeled body.');
      }
      return 0;
    }, { readOnly: !propose });
  },
};
