import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { normalizeReview } from '../../core/review';
import { ensembleSpread } from '../../core/selection';
import { readLines } from '../../store/lines';
import { NoWorkspaceError, Workspace } from '../../store/workspace';
import { NoModelError } from '../../store/batches';
import { inputFile, outputFile } from '../paths';
import { findModel } from '../../store/layout';
import { Predictor } from '../../../python-free-train/trainer/predictor';
import { DEVICE_CLI_OPTIONS, DEVICE_USAGE, backendOf } from '../device';
import { CliError, optString, type CliCommand, type CliIO, type ParsedArgs } from '../types';
import type { LoadOptions } from '../../../python-free-train/features/registry';
import { defaultModelCacheDir } from '../../../python-free-train/features/roberta';

const CHUNK = 1024;

/** Where a RoBERTa model's encoder is read from: `--model-path`, else the stored location and the Hub cache. */
export function encoderOverride(args: ParsedArgs, io: Pick<CliIO, 'cwd' | 'env'>): LoadOptions {
  const folder = optString(args, 'model-path');
  return { roberta: { ...(folder ? { modelPath: path.resolve(io.cwd, folder) } : {}), cacheDir: defaultModelCacheDir(io.env) } };
}

/** An ensemble's p(yes) for one text: mean, population standard deviation and the members'. */
function ensembleSummary(members: readonly number[]): { yes: number; sd: number; members: number[] } {
  const { mean, sd } = ensembleSpread(members);
  return { yes: +mean.toFixed(6), sd: +sd.toFixed(6), members: members.map((v) => +v.toFixed(6)) };
}

export const predictCommand: CliCommand = {
  name: 'predict',
  summary: 'print the latest model\'s label probabilities for the reviews in a JSONL file',
  usage: [
    'Usage: secreview predict <file.jsonl[.gz]> [--out FILE] [--model VERSION] [--device D]',
    '',
    'Writes one JSON line per input review: {"id": ..., "probs": {"yes": p, "no": p, "unclear": p, "language": p}}.',
    'A model trained with an ensemble adds "ensemble": {"yes": mean, "sd": spread, "members": [p, ...]}: each',
    'member\'s p(yes), their mean (what the ensemble strategy ranks by) and their standard deviation.',
    'Accepts the same input shapes as "secreview import"; bad lines are reported with their line number',
    'and skipped.',
    '',
    '  --out FILE       write the lines to FILE instead of standard output',
    '  --model VERSION  use this model version instead of the latest',
    '  --model-path DIR RoBERTa models: the encoder folder, when it is no longer where the model was trained',
    '                   (Hub models are read from $SECREVIEW_CACHE or ~/.cache/secreview/models)',
    DEVICE_USAGE.replace('(default auto)', '(default cpu)'),
  ].join('\n'),
  options: { out: { type: 'string' }, model: { type: 'string' }, 'model-path': { type: 'string' }, ...DEVICE_CLI_OPTIONS },
  async run(args, io) {
    const [input, ...extra] = args.positionals;
    if (!input || extra.length) throw new CliError('give exactly one JSONL file to score');
    if (!Workspace.exists(io.cwd) && !findModel(Workspace.dirOf(io.cwd))) throw new NoWorkspaceError(io.cwd);
    const version = optString(args, 'model');
    const model = findModel(Workspace.dirOf(io.cwd), version);
    if (!model) throw version ? new CliError(`no model version "${version}" in this workspace`) : new NoModelError('no trained model yet: run "secreview train" first');
    const file = inputFile(io, input);
    const outFile = optString(args, 'out');
    const outPath = outFile === undefined ? undefined : outputFile(io, outFile);
    // The CPU unless a device is asked for: scoring a file is short, and probing a GPU is not.
    const backend = optString(args, 'device') ? await backendOf(args, io) : undefined;
    const load = encoderOverride(args, io);
    const predictor = await Predictor.load(model.dir, backend, backend ? { ...load, robertaRuntime: { backend } } : load);
    let sink: WriteStream | undefined;
    if (outPath) sink = createWriteStream(outPath);
    const emit = async (line: string) => {
      if (!sink) { io.out(line); return; }
      if (!sink.write(line + '\n')) await new Promise<void>((r) => sink!.once('drain', () => r()));
    };
    let written = 0, problems = 0;
    let ids: string[] = [], texts: string[] = [];
    const flush = async () => {
      const { probs, memberYes } = await predictor.predictWithMembers(texts);
      const C = predictor.classes.length;
      for (let i = 0; i < ids.length; i++) {
        const p: Record<string, number> = {};
        predictor.classes.forEach((c, k) => { p[c] = +probs[i * C + k]!.toFixed(6); });
        const members = memberYes.map((m) => m[i]!);
        await emit(JSON.stringify({ id: ids[i], probs: p, ...(members.length ? { ensemble: ensembleSummary(members) } : {}) }));
      }
      written += ids.length;
      ids = []; texts = [];
      io.progress(`${written} reviews scored`);
    };
    try {
      for await (const line of readLines(file, { signal: io.signal })) {
        if ('error' in line) { problems++; io.err(`${input}:${line.lineNo}: ${line.error}`); continue; }
        if (!line.text.trim()) continue;
        let value: unknown;
        try { value = JSON.parse(line.text); } catch (e) { problems++; io.err(`${input}:${line.lineNo}: invalid JSON: ${(e as Error).message}`); continue; }
        const r = normalizeReview(value);
        if (!r.ok) { problems++; io.err(`${input}:${line.lineNo}: ${r.reason}`); continue; }
        ids.push(r.review.id); texts.push(r.review.body);
        if (ids.length === CHUNK) await flush();
      }
      if (ids.length) await flush();
    } finally {
      await predictor.release();
      if (sink) await new Promise<void>((resolve, reject) => sink!.end((err?: Error | null) => (err ? reject(err) : resolve())));
    }
    if (outFile) io.err(`Scored ${written} reviews with model ${predictor.version} into ${outFile}${problems ? ` (${problems} lines skipped)` : ''}.`);
    else if (problems) io.err(`${problems} lines skipped.`);
    return written === 0 && problems > 0 ? 1 : 0;
  },
};
