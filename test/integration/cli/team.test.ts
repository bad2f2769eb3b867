import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { main } from '../../../src/cli/main';
import { Workspace } from '../../../src/store/workspace';
import { repoRoot, tempDir } from '../../helpers/tmp';

const demoReviews = path.join(repoRoot, 'demo', 'reviews.jsonl');

async function cli(args: string[], annotator?: string): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  const env = { ...process.env, ...(annotator ? { SECREVIEW_ANNOTATOR: annotator } : {}) };
  const code = await main(args, { out: (t) => out.push(t), err: (t) => err.push(t), progress: () => {}, env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

test('secreview team: enable, assign with an overlap, label as two people; stats --json and the export carry the agreement', async () => {
  const dir = tempDir('secreview-team-');
  assert.equal((await cli(['init', '-C', dir])).code, 0);
  assert.equal((await cli(['import', demoReviews, '-C', dir])).code, 0);
  assert.equal((await cli(['bootstrap', '--size', '20', '-C', dir])).code, 0);
  const refused = await cli(['team', 'assign', 'b0001', '--annotators', 'ann,ben', '-C', dir]);
  assert.equal(refused.code, 2, refused.err);
  assert.match(refused.err, /run "secreview team enable" first/);
  assert.equal((await cli(['team', 'enable', '-C', dir], 'ann')).code, 0);
  const assigned = await cli(['team', 'assign', 'b0001', '--annotators', 'ann,ben', '--overlap', '0.5', '--seed', '3', '--json', '-C', dir]);
  assert.equal(assigned.code, 0, assigned.err);
  assert.deepEqual(JSON.parse(assigned.out), { batchId: 'b0001', annotators: ['ann', 'ben'], overlap: 0.5, seed: 3, doubleCoded: 10, perAnnotator: { ann: 15, ben: 15 } });
  const again = await cli(['team', 'assign', 'b0001', '--annotators', 'ann,ben', '-C', dir]);
  assert.match(again.err, /already assigned/);

  let ws = await Workspace.open(dir, { readOnly: true });
  const coders = ws.db.batch('b0001')!.assignment!.coders;
  await ws.close();
  const overlap = Object.keys(coders).filter((id) => coders[id]!.length === 2);
  // ann says yes to the first four overlap reviews, ben to the first two: two disagreements.
  for (const who of ['ann', 'ben']) {
    for (const id of Object.keys(coders).filter((x) => coders[x]!.includes(who))) {
      const k = overlap.indexOf(id);
      const label = k >= 0 && k < (who === 'ann' ? 4 : 2) ? 'yes' : 'no';
      assert.equal((await cli(['label', id, label, '-C', dir], who)).code, 0);
    }
  }
  const stats = await cli(['stats', '--json', '-C', dir]);
  assert.equal(stats.code, 0, stats.err);
  const s = JSON.parse(stats.out) as { agreement: { annotators: string[]; reviews: number; pairs: number; percentAgreement: { value: number }; kappa: { value: number; ci95: [number, number] }; pabak: { value: number }; ac1: { value: number }; confusion: number[][]; categories: string[] }; disagreements: number };
  assert.deepEqual(s.agreement.annotators, ['ann', 'ben']);
  assert.equal(s.agreement.reviews, 10);
  assert.equal(s.disagreements, 2);
  assert.equal(s.agreement.percentAgreement.value, 0.8);
  const yes = s.agreement.categories.indexOf('yes'), no = s.agreement.categories.indexOf('no');
  assert.equal(s.agreement.confusion[yes]![yes], 2);
  assert.equal(s.agreement.confusion[yes]![no], 2, 'rows are ann, columns ben');
  assert.equal(s.agreement.confusion[no]![no], 6);
  // 2 x 2 over yes/no: pa 0.8, pe = 0.4 * 0.2 + 0.6 * 0.8 = 0.56, kappa = 0.24 / 0.44.
  assert.ok(Math.abs(s.agreement.kappa.value - 0.24 / 0.44) < 1e-9);
  assert.ok(s.agreement.kappa.ci95[0] <= s.agreement.kappa.value && s.agreement.kappa.value <= s.agreement.kappa.ci95[1]);
  assert.equal(s.agreement.pabak.value, (6 * 0.8 - 1) / 5, 'PABAK over the six labels of the scale');
  const text = await cli(['stats', '-C', dir]);
  assert.match(text.out, /Agreement between annotators \(ann, ben\) on 10 reviews/);
  assert.match(text.out, /Cohen's kappa 0\.545 \(95% CI/);

  const out = path.join(tempDir('secreview-team-export-'), 'hf');
  assert.equal((await cli(['export', '--format', 'hf', '--out', out, '-C', dir])).code, 0);
  assert.ok(existsSync(path.join(out, 'agreement.json')));
  assert.match(readFileSync(path.join(out, 'README.md'), 'utf8'), /## Agreement between annotators[\s\S]*Cohen's kappa \| 0\.545/);
  const rows = readFileSync(path.join(out, 'data', 'labeled.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; codings?: { annotator: string; label: string }[] });
  const double = rows.filter((r) => r.codings);
  assert.equal(double.length, 10);
  assert.deepEqual(double.find((r) => r.id === overlap[2])!.codings, [{ annotator: 'ann', label: 'yes' }, { annotator: 'ben', label: 'no' }]);

  const status = await cli(['team', 'status', '--json', '-C', dir], 'ben');
  assert.deepEqual(JSON.parse(status.out), { teamMode: true, annotator: 'ben', labelsByAnnotator: { ann: 15, ben: 15 }, disagreements: { annotators: 2, secondOpinion: 0 } });
  ws = await Workspace.open(dir, { readOnly: true });
  assert.deepEqual(ws.db.adjudicationQueue().map((q) => q.reviewId).sort(), overlap.slice(2, 4).sort());
  await ws.close();
});

test('CWE tags on yes labels: set from the CLI, kept when relabeled yes, dropped with another label, counted in stats and exported', async () => {
  const dir = tempDir('secreview-cwe-');
  await cli(['init', '-C', dir]);
  await cli(['import', demoReviews, '-C', dir]);
  const ws = await Workspace.open(dir, { readOnly: true });
  const [a, b, c] = [ws.pool.idOf(0), ws.pool.idOf(1), ws.pool.idOf(2)];
  await ws.close();
  const refused = await cli(['label', a, 'no', '--cwe', '89', '-C', dir]);
  assert.equal(refused.code, 2);
  assert.match(refused.err, /--cwe tags go on "yes" labels only/);
  const bad = await cli(['label', a, 'yes', '--cwe', '89,sqli', '-C', dir]);
  assert.match(bad.err, /--cwe: "sqli" is not a CWE id/);
  assert.equal((await cli(['label', a, 'yes', '--cwe', 'cwe-89, 79', '-C', dir])).code, 0);
  assert.equal((await cli(['label', b, 'yes', '--cwe', '89', '-C', dir])).code, 0);
  assert.equal((await cli(['label', c, 'yes', '--cwe', '1321', '-C', dir])).code, 0);
  assert.equal((await cli(['label', a, 'yes', '--note', 'still yes', '-C', dir])).code, 0, 'relabeling yes keeps the tags');
  assert.equal((await cli(['label', c, 'no', '-C', dir])).code, 0, 'another label drops them');
  const s = JSON.parse((await cli(['stats', '--json', '-C', dir])).out) as { cwe: { id: string; title?: string; reviews: number }[] };
  assert.deepEqual(s.cwe, [{ id: 'CWE-89', title: 'SQL Injection', reviews: 2 }, { id: 'CWE-79', title: 'Cross-site Scripting', reviews: 1 }]);
  assert.match((await cli(['stats', '-C', dir])).out, /CWE tags of "yes" labels: CWE-89 \(SQL Injection\) 2, CWE-79 \(Cross-site Scripting\) 1/);
  const out = path.join(tempDir('secreview-cwe-export-'), 'rows.jsonl');
  assert.equal((await cli(['export', '--format', 'jsonl', '--out', out, '-C', dir])).code, 0);
  const rows = new Map(readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; cwe?: string[]; label: string }).map((r) => [r.id, r]));
  assert.deepEqual(rows.get(a)!.cwe, ['CWE-79', 'CWE-89']);
  assert.equal(rows.get(c)!.cwe, undefined);
  const csv = path.join(path.dirname(out), 'rows.csv');
  assert.equal((await cli(['export', '--format', 'csv', '--out', csv, '-C', dir])).code, 0);
  assert.match(readFileSync(csv, 'utf8').split('\r\n')[0]!, /,label,note,.*,history,cwe,codings,adjudicatedBy$/);
});
