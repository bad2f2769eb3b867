import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG } from '../../../src/simulation/config';
import { resultsHtml } from '../../../src/simulation/html';

const arms = [{
  arm: 'rare:0.9+random:0.1', runs: 3, rate: { mean: 0.1, lo: 0.08, hi: 0.12 }, prevalence: { mean: 0.017, lo: 0.015, hi: 0.019 },
  labeled: 4200, positives: 420, lift: 5.9, stopIteration: 18, labeledAtStop: 3800, positivesAtStop: 380,
}];

test('the results page has a strict CSP, no scripts, and the figures as data: images', () => {
  const html = resultsHtml('vscode-webview://abc', {
    config: DEFAULT_CONFIG, arms, engine: 'onnxruntime',
    figures: [{ file: 'a.svg', title: 'Rate <by> strategy', svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>' }],
  }, '/tmp/x', 'NONCE123');
  assert.match(html, /content="default-src 'none'; img-src vscode-webview:\/\/abc data:; style-src vscode-webview:\/\/abc 'nonce-NONCE123'"/);
  assert.doesNotMatch(html, /<script/i);
  assert.match(html, /<style nonce="NONCE123">/);
  assert.match(html, /<img src="data:image\/svg\+xml;base64,[A-Za-z0-9+/=]+" alt="Rate &lt;by&gt; strategy">/);
  assert.match(html, /<th scope="row">rare:0\.9\+random:0\.1<\/th><td>3<\/td><td>10\.0% \(8\.0% – 12\.0%\)<\/td>/);
});
