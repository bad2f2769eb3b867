// One module holds the defaults; the manifest's contributed settings agree with it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { DEFAULT_BATCH_SIZE, DEFAULT_ENSEMBLE_SIZE, DEFAULT_EPOCHS, DEFAULT_IDLE_SECONDS, DEFAULT_MIXTURE, DEFAULT_TARGET_STEP, MAX_ENSEMBLE_SIZE, PANEL_ACTION_KEYS } from '../../../src/core/defaults';
import { LABEL_INFO } from '../../../src/core/labels';
import { BATCH_MODE_DEFAULTS, STRATEGIES, parseMixture } from '../../../src/core/selection';
import { DEFAULT_TRAIN_OPTIONS } from '../../../src/train/retrain';

const root = path.resolve(import.meta.dirname, '../../..');
const props = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { default?: unknown; markdownDescription?: string; properties?: Record<string, { default?: unknown }> }> } };
}).contributes.configuration.properties;
/** A manifest string as the user reads it: `%key%` looked up in package.nls.json. */
const nls = JSON.parse(readFileSync(path.join(root, 'package.nls.json'), 'utf8')) as Record<string, string>;
const localized = (text: string): string => text.replace(/^%(.+)%$/, (_m, key: string) => nls[key] ?? text);

test("package.json's defaults are the defaults module's", () => {
  assert.equal(props['secreview.batch.size']!.default, DEFAULT_BATCH_SIZE);
  assert.equal(props['secreview.strategy.mixture']!.default, DEFAULT_MIXTURE);
  assert.equal(props['secreview.model.epochs']!.default, DEFAULT_EPOCHS);
  assert.deepEqual([DEFAULT_TRAIN_OPTIONS.batchSize, DEFAULT_TRAIN_OPTIONS.strategy, DEFAULT_TRAIN_OPTIONS.epochs], [DEFAULT_BATCH_SIZE, DEFAULT_MIXTURE, DEFAULT_EPOCHS]);
  assert.doesNotThrow(() => parseMixture(DEFAULT_MIXTURE));
  assert.equal(props['secreview.strategy.diversityWeight']!.default, BATCH_MODE_DEFAULTS.diversityWeight);
  assert.equal(props['secreview.strategy.diversityCandidates']!.default, BATCH_MODE_DEFAULTS.diversityCandidates);
  assert.equal(props['secreview.eta.idleSeconds']!.default, DEFAULT_IDLE_SECONDS);
  const ensemble = props['secreview.strategy.ensembleSize'] as { default?: unknown; maximum?: unknown };
  assert.deepEqual([ensemble.default, ensemble.maximum], [DEFAULT_ENSEMBLE_SIZE, MAX_ENSEMBLE_SIZE]);
  const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
  assert.match(localized(props['secreview.eta.targetPositives']!.markdownDescription!), new RegExp(`0: (${DEFAULT_TARGET_STEP}|${words[DEFAULT_TARGET_STEP]}) more than found`));
});

test('the mixture setting accepts every strategy (train, next and Retrain serve them all), with shares, and nothing else', () => {
  const pattern = new RegExp((props['secreview.strategy.mixture'] as { pattern: string }).pattern);
  for (const st of STRATEGIES) {
    assert.ok(pattern.test(`${st}:0.5,random:0.5`), `${st} is accepted`);
    assert.ok(pattern.test(`rare:0.5, ${st}`), `${st} is accepted after another`);
  }
  assert.ok(pattern.test(DEFAULT_MIXTURE));
  assert.ok(!pattern.test('rare,bogus'));
});

test('the keys setting names the panel\'s own keys, and no default label key is one of them', () => {
  const text = localized(props['secreview.keys']!.markdownDescription!);
  for (const k of PANEL_ACTION_KEYS.filter((k) => k === k.toUpperCase())) assert.ok(text.includes(` ${k}`), `the description names ${k}`);
  for (const l of LABEL_INFO) {
    assert.equal(props['secreview.keys']!.properties![l.id]!.default, l.key);
    assert.ok(!PANEL_ACTION_KEYS.includes(l.key));
  }
});
