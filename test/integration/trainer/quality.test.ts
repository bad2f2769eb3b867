import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backend } from '../../../python-free-train/backend';
import { crossValidate } from '../../helpers/crossval';
import { readLabeledJsonl } from '../../helpers/inMemoryTrainer';
import { paperLabelsFile, needsPaperData } from './helpers';

test('on the paper\'s labels, the hashing model ranks held-out "yes" reviews better than the bootstrap rule M1', { skip: needsPaperData }, async () => {
  const all = readLabeledJsonl(paperLabelsFile, 'tag_post_qa');
  const backend = await Backend.create({ device: 'cpu' });
  // 5-fold cross-validation: every review is scored once while held out.
  const cv = await crossValidate(all, all.map((r) => r.body), { folds: 5, seed: 11, epochs: 12, backend });
  const mean = (k: 'rocAuc' | 'm1RocAuc') => cv.perFold.reduce((s, f) => s + f[k], 0) / cv.perFold.length;
  const detail = cv.perFold.map((f) => `${f.rocAuc.toFixed(3)} vs ${f.m1RocAuc.toFixed(3)}`).join('; ');
  assert.equal(cv.rows, 952, 'bot reviews are left out');
  assert.ok(mean('rocAuc') > mean('m1RocAuc') + 0.02, `mean held-out ROC-AUC for yes: model ${mean('rocAuc').toFixed(3)} vs M1 ${mean('m1RocAuc').toFixed(3)} (${detail})`);
  assert.ok(cv.perFold.filter((f) => f.rocAuc > f.m1RocAuc).length >= 3, `the model beats M1 on most folds (${detail})`);
});
