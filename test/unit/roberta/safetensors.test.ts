import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeSafetensors, floatToHalf, halfToFloat, parseSafetensors } from '../../../python-free-train/roberta/safetensors';

const values = Float32Array.of(0, 1, -2.5, 0.333251953125, 65504, -1e-3);

describe('safetensors', () => {
  it('reads back F32 exactly, and F16/BF16 to their precision, as Float32Array', () => {
    const bytes = encodeSafetensors({
      a: { shape: [2, 3], data: values },
      b: { shape: [6], data: values, dtype: 'F16' },
      c: { shape: [3, 2], data: values, dtype: 'BF16' },
    }, { format: 'pt' });
    const t = parseSafetensors(bytes);
    assert.deepEqual([...t.keys()], ['a', 'b', 'c']);
    assert.deepEqual(t.get('a')!.shape, [2, 3]);
    assert.deepEqual(Array.from(t.get('a')!.data), Array.from(values));
    const f16 = t.get('b')!.data;
    values.forEach((v, i) => assert.ok(Math.abs(f16[i]! - v) <= Math.abs(v) * 1e-3 + 1e-7, `F16 ${v} -> ${f16[i]}`));
    const bf16 = t.get('c')!.data;
    values.forEach((v, i) => assert.ok(Math.abs(bf16[i]! - v) <= Math.abs(v) * 8e-3, `BF16 ${v} -> ${bf16[i]}`));
  });

  it('converts half floats exactly at known points', () => {
    assert.equal(halfToFloat(0x3c00), 1);
    assert.equal(halfToFloat(0xc000), -2);
    assert.equal(halfToFloat(0x7bff), 65504);
    assert.equal(halfToFloat(0x0001), 2 ** -24);
    assert.equal(halfToFloat(0x7c00), Infinity);
    assert.ok(Number.isNaN(halfToFloat(0x7e00)));
    for (const x of [1, -2, 65504, 2 ** -24, 0.1]) assert.ok(Math.abs(halfToFloat(floatToHalf(x)) - x) <= Math.abs(x) * 5e-4);
  });

  it('rejects truncated files, naming the tensor that does not fit', () => {
    const bytes = encodeSafetensors({ weight: { shape: [4, 4], data: new Float32Array(16) } });
    assert.throws(() => parseSafetensors(bytes.subarray(0, 5), 'm.safetensors'), /m\.safetensors: truncated: .*no header length/);
    assert.throws(() => parseSafetensors(bytes.subarray(0, 20)), /truncated: header of \d+ bytes/);
    assert.throws(() => parseSafetensors(bytes.subarray(0, bytes.length - 4)), /truncated: tensor "weight" ends at byte 64/);
  });

  it('rejects corrupt headers and unsupported dtypes with clear errors', () => {
    const header = (h: object) => {
      const json = new TextEncoder().encode(JSON.stringify(h));
      const out = new Uint8Array(8 + json.length + 16);
      new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
      out.set(json, 8);
      return out;
    };
    const garbage = new Uint8Array(64);
    new DataView(garbage.buffer).setBigUint64(0, 10n, true);
    garbage.fill(0xff, 8);
    assert.throws(() => parseSafetensors(garbage), /corrupt header \(not JSON\)/);
    assert.throws(() => parseSafetensors(header({ x: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } })), /tensor "x" has unsupported dtype I64 \(supported: F32, F16, BF16\)/);
    assert.throws(() => parseSafetensors(header({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } })), /corrupt: tensor "x" of shape \[3\] F32 needs 12 bytes/);
    assert.throws(() => parseSafetensors(header({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } })), /corrupt header entry for "x"/);
    // Unselected tensors are skipped unchecked: checkpoints carry int64 buffers beside the weights.
    const mixed = header({ 'roberta.embeddings.position_ids': { dtype: 'I64', shape: [2], data_offsets: [0, 16] } });
    assert.equal(parseSafetensors(mixed, 'm', { select: (n) => !n.endsWith('position_ids') }).size, 0);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 40n, true);
    assert.throws(() => parseSafetensors(huge), /header length \d+ is implausible/);
  });
});
