import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LABELS, LABEL_INFO, MODEL_LABELS, isModelLabel, labelForKey, parseLabel } from '../../../src/core/labels';

test('six labels on keys 1-6 in the paper\'s order', () => {
  assert.deepEqual(LABELS, ['yes', 'no', 'unclear', 'broken', 'bot', 'language']);
  assert.deepEqual(LABEL_INFO.map((l) => l.key), ['1', '2', '3', '4', '5', '6']);
  assert.equal(labelForKey('1'), 'yes');
  assert.equal(labelForKey('6'), 'language');
  assert.equal(labelForKey('7'), undefined);
});

test('broken and bot are not trained on', () => {
  assert.deepEqual(MODEL_LABELS, ['yes', 'no', 'unclear', 'language']);
  assert.deepEqual(LABEL_INFO.filter((l) => l.trained).map((l) => l.id), MODEL_LABELS);
  assert.equal(isModelLabel('bot'), false);
  assert.equal(isModelLabel('unclear'), true);
});

test('parseLabel accepts ids, keys, titles and aliases, case-insensitively', () => {
  assert.equal(parseLabel('YES'), 'yes');
  assert.equal(parseLabel(' 2 '), 'no');
  assert.equal(parseLabel('Potential Security Defect'), 'yes');
  assert.equal(parseLabel('Non-English'), 'language');
  assert.equal(parseLabel('broken link'), 'broken');
  assert.equal(parseLabel('maybe'), undefined);
  assert.equal(parseLabel(''), undefined);
});
