import path from 'node:path';
import { withWorkspace, printJson } from '../workspace';
import { CliError, optString, type CliCommand, type CliIO } from '../types';
import { inputFile } from '../paths';
import { DamagedInputError } from '../../store/lines';
import { ImportInterruptedError } from '../../store/pool';
import type { WorkspaceImportReport } from '../../store/workspace';

/** The report's numbers, as `--json` prints them (also inside the error of an interrupted import). */
function reportJson(report: WorkspaceImportReport): Record<string, unknown> {
  return { imported: report.imported, duplicates: report.duplicates, errors: report.errors, pool: report.rows, seconds: report.seconds, files: report.files, problems: report.problems, labels: report.labelSummary, histories: report.historySummary };
}

/** The problem lines (`file:line: reason`) on stderr, at most `maxShown`. */
function printProblems(io: CliIO, report: WorkspaceImportReport, maxShown: number): void {
  for (const p of report.problems.slice(0, maxShown)) io.err(`${path.relative(io.cwd, p.file) || p.file}:${p.line}: ${p.reason}`);
  if (report.errors > Math.min(maxShown, report.problems.length)) io.err(`... ${report.errors - Math.min(maxShown, report.problems.length)} more problems (use --json or --max-problems to see them)`);
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: 'import review comments (JSONL or JSONL.gz) into the pool',
  usage: [
    'Usage: secreview import <file...> [--label-field FIELD] [--max-problems N]',
    '',
    'Accepts GitHub REST review comments, GraphQL review-thread comments, the paper\'s crawl and label',
    'files, and this tool\'s own exports. Reviews are deduplicated by id; bad lines are reported with',
    'file, line and reason and skipped. Re-importing a file adds nothing. A damaged or truncated file',
    'keeps what was read before the damage and says what that is (exit code 2).',
    '',
    '  --label-field FIELD   take existing labels from FIELD (e.g. tag_post_qa): yes, no, unclear,',
    '                        broken, bot, language; recorded as the "imported" iteration 0',
    '  --max-problems N      list at most N problems (default 20; counts stay exact)',
  ].join('\n'),
  options: { 'label-field': { type: 'string' }, 'max-problems': { type: 'string' } },
  async run(args, io) {
    if (!args.positionals.length) throw new CliError('give at least one file to import');
    const files = args.positionals.map((f) => inputFile(io, f));
    const maxShown = Number(optString(args, 'max-problems') ?? 20);
    return withWorkspace(io, 'import', async (ws) => {
      let report: WorkspaceImportReport;
      try {
        report = await ws.importFiles(files, {
          labelField: optString(args, 'label-field'),
          signal: io.signal,
          // Progress while a file is read; the summary below replaces a final "100% read" line.
          onProgress: (p) => p.bytesRead < p.totalBytes && io.progress(`${path.basename(p.file)}: ${p.totalBytes ? Math.floor((100 * p.bytesRead) / p.totalBytes) : 100}% read, ${p.imported} imported, ${p.duplicates} duplicates, ${p.errors} problems`),
        });
      } catch (e) {
        if (!(e instanceof ImportInterruptedError)) throw e;
        const partial = e.report as WorkspaceImportReport;
        if (!io.json) printProblems(io, partial, maxShown);
        const code = io.signal.aborted ? 130 : e.cause instanceof DamagedInputError ? 2 : 1;
        const labels = partial.labelSummary ? ` Labels of the committed reviews: ${partial.labelSummary.added} added.` : '';
        throw new CliError(e.message + labels, code, { ...reportJson(partial), stoppedAt: { file: e.stoppedAt.file, completeLines: e.stoppedAt.completeLines } });
      }
      if (io.json) {
        printJson(io, reportJson(report));
      } else {
        io.out(`Imported ${report.imported} reviews (${report.duplicates} duplicates skipped, ${report.errors} problems) in ${report.seconds.toFixed(1)} s; the pool has ${report.rows} reviews.`);
        if (report.historySummary?.reviews) io.out(`Restored the label histories of ${report.historySummary.reviews} reviews (${report.historySummary.events} events).`);
        if (report.labelSummary) {
          const s = report.labelSummary;
          io.out(`Labels: ${s.added} added${s.alreadySame ? `, ${s.alreadySame} already recorded` : ''}${s.conflicts ? `, ${s.conflicts} differ from existing labels (kept the existing ones)` : ''}.`);
        }
        printProblems(io, report, maxShown);
      }
      return report.imported === 0 && report.errors > 0 && report.duplicates === 0 ? 1 : 0;
    });
  },
};
