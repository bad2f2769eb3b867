import { EXPORT_FORMATS, labeledMissingFromPool, missingFromPoolText, writeExport, type ExportFormat } from '../../store/export';
import { withWorkspace } from '../workspace';
import { CliError, optString, type CliCommand } from '../types';
import { outputFile, outputFolder } from '../paths';

export const exportCommand: CliCommand = {
  name: 'export',
  summary: 'export the labeled dataset as JSONL or CSV',
  usage: [
    'Usage: secreview export --format jsonl|csv|hf [--out PATH]',
    '',
    'One row per labeled review: the review fields, label, note, iteration, batch, strategy and score',
    'that proposed it, model version, annotator, timestamps and the full label history. A labeled',
    'review the pool has no record of is exported with its id, label and history, and named.',
    'Without --out the dataset goes to standard output. `hf` writes a folder that Hugging Face',
    '`datasets` loads with load_dataset("<folder>") (data/labeled.jsonl and a dataset card).',
  ].join('\n'),
  options: { format: { type: 'string' }, out: { type: 'string' } },
  async run(args, io) {
    const format = (optString(args, 'format') ?? 'jsonl') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) throw new CliError(`unknown format "${format}"; use ${EXPORT_FORMATS.join(' or ')}`);
    const out = optString(args, 'out');
    if (format === 'hf' && !out) throw new CliError('the hf format writes a folder: give --out DIR');
    const outPath = out === undefined ? undefined : format === 'hf' ? outputFolder(io, out, { empty: true }) : outputFile(io, out);
    return withWorkspace(io, 'export', async (ws) => {
      const target = outPath ?? process.stdout;
      let n: number;
      try {
        n = await writeExport(ws, format, target);
      } catch (e) {
        // `secreview export | head`: the reader has what it wanted.
        if (target === process.stdout && (process.stdout.destroyed || (e as NodeJS.ErrnoException).code === 'EPIPE')) return 0;
        throw e;
      }
      if (out) io.progress(`Exported ${n} labeled reviews to ${out}`);
      const missing = labeledMissingFromPool(ws);
      // Said even under --json or with the data on stdout: these rows carry no review text.
      if (missing.length) io.err(missingFromPoolText(n, missing));
      return 0;
    }, { readOnly: true });
  },
};
