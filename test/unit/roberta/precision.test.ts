import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INT8_MEASURED, INT8_TARGET, resolvePrecision } from '../../../python-free-train/roberta/precision';

describe('encoder precision', () => {
  it('auto picks fp32 when int8 misses the ranking target, and says why with the figures', () => {
    const r = resolvePrecision('auto', { top1PercentOverlap: 0.9167, nextBatchOverlap: 0.925, spearman: 0.9987, speedRatio: 2.2 });
    assert.equal(r.precision, 'fp32');
    assert.match(r.reason, /precision auto: fp32, because int8 kept 91\.7% of fp32's top 1% by p\(yes\) and 92\.5% of its next batch .*target 95% each.*2\.2x faster.*--precision int8/);
  });

  it('auto picks int8 only when both overlaps reach the target', () => {
    assert.equal(resolvePrecision('auto', { top1PercentOverlap: 0.96, nextBatchOverlap: 0.97, spearman: 0.999, speedRatio: 2 }).precision, 'int8');
    assert.match(resolvePrecision('auto', { top1PercentOverlap: 0.96, nextBatchOverlap: 0.97, spearman: 0.999, speedRatio: 2 }).reason, /precision auto: int8, 2x faster/);
    assert.equal(resolvePrecision('auto', { top1PercentOverlap: 1, nextBatchOverlap: 0.94, spearman: 0.999, speedRatio: 2 }).precision, 'fp32');
    assert.equal(resolvePrecision('auto', { top1PercentOverlap: 0.94, nextBatchOverlap: 1, spearman: 0.999, speedRatio: 2 }).precision, 'fp32');
  });

  it('the default follows from the measured figures; an explicit choice is kept; a bad one is refused', () => {
    const meets = INT8_MEASURED.top1PercentOverlap >= INT8_TARGET && INT8_MEASURED.nextBatchOverlap >= INT8_TARGET;
    assert.equal(resolvePrecision('auto').precision, meets ? 'int8' : 'fp32');
    assert.equal(resolvePrecision('int8').precision, 'int8');
    assert.equal(resolvePrecision('fp32').precision, 'fp32');
    assert.equal(resolvePrecision('fp16').precision, 'fp16');
    assert.throws(() => resolvePrecision('bf16' as never), /unknown precision "bf16". Should be one of: auto, fp32, int8, fp16/);
  });

  it('on a GPU auto is fp32 (int8 runs only on the CPU; fp16 is asked for), and says so', () => {
    const r = resolvePrecision('auto', { top1PercentOverlap: 1, nextBatchOverlap: 1, spearman: 1, speedRatio: 2 }, 'webgpu');
    assert.equal(r.precision, 'fp32');
    assert.match(r.reason, /precision auto on webgpu: fp32 \(fp16 runs on GPUs with --precision fp16; int8 only on the CPU\)/);
  });
});
