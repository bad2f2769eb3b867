/**
 * `.secreview/panel.json`: where the labeling panel was (review, batch, and whether it was
 * adjudicating), written atomically and read back; anything unreadable means "no position".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { panelStateFile, readPanelPosition, writePanelPosition } from '../../../src/store/panelState';

test('the panel position round-trips with its mode; junk or a missing file reads as no position', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'secreview-panel-'));
  try {
    assert.equal(readPanelPosition(dir), undefined);
    writePanelPosition(dir, { reviewId: '42', batchId: 'b0003' });
    assert.deepEqual(readPanelPosition(dir), { reviewId: '42', batchId: 'b0003' });
    writePanelPosition(dir, { reviewId: '7', batchId: 'b0001', mode: 'adjudicate' });
    assert.deepEqual(readPanelPosition(dir), { reviewId: '7', batchId: 'b0001', mode: 'adjudicate' });
    assert.deepEqual(readdirSync(dir), ['panel.json'], 'no temp file left behind');
    writeFileSync(panelStateFile(dir), JSON.stringify({ reviewId: '9', mode: 'something-else' }));
    assert.deepEqual(readPanelPosition(dir), { reviewId: '9', batchId: undefined }, 'an unknown mode is labeling');
    writeFileSync(panelStateFile(dir), '{"reviewId": 9');
    assert.equal(readPanelPosition(dir), undefined);
    writeFileSync(panelStateFile(dir), JSON.stringify({ reviewId: 9 }));
    assert.equal(readPanelPosition(dir), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
