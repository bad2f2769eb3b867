import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { robertaInferenceModel } from '../../../python-free-train/roberta/encoder';
import { randomRobertaWeights, tinyRobertaConfig } from '../../helpers/robertaFixtures';
import { quantizeColumns, quantizeMatMulsDynamic } from '../../../python-free-train/roberta/quantize';

describe('dynamic int8 quantization of the encoder graph', () => {
  it('quantizes each weight column to 7 bits within half a step', () => {
    const w = Float32Array.of(0.5, -2, 0.25, 1, -0.125, 0); // [3, 2]
    const { q, scales } = quantizeColumns(w, 3, 2, 63);
    assert.deepEqual(Array.from(scales), [0.5 / 63, 2 / 63].map((x) => Math.fround(x)));
    for (let i = 0; i < w.length; i++) {
      assert.ok(Math.abs(q[i]!) <= 63);
      assert.ok(Math.abs(q[i]! * scales[i % 2]! - w[i]!) <= scales[i % 2]! / 2 + 1e-7);
    }
    assert.equal(q[0], 63);
    assert.equal(q[1], -63);
  });

  it('replaces the 6 weight MatMuls per layer and the 2 of the head, keeps attention MatMuls in float, shares one activation quantization for Q, K and V', () => {
    const config = tinyRobertaConfig({ layers: 2, hidden: 8, heads: 2, intermediate: 12, bpeTokens: 256 });
    const fp32 = robertaInferenceModel(config, randomRobertaWeights(config, 1), 'fp32');
    const { bytes, report } = quantizeMatMulsDynamic(fp32);
    assert.equal(report.quantized, 2 * 6 + 2);
    assert.equal(report.kept, 2 * 2);
    const ops = onnx.ModelProto.decode(bytes).graph!.node!.map((n) => n.opType);
    const count = (op: string) => ops.filter((o) => o === op).length;
    assert.equal(count('MatMulInteger'), 14);
    assert.equal(count('MatMul'), 4);
    // Per layer: x (Q, K, V), context, attended, inner; head: cls, tanh output. Each row (token) on its own.
    assert.equal(count('ReduceMax'), 2 * 4 + 2);
    assert.equal(count('DynamicQuantizeLinear'), 0);
    const perTensor = onnx.ModelProto.decode(quantizeMatMulsDynamic(fp32, { activations: 'per-tensor' }).bytes).graph!.node!.map((n) => n.opType);
    assert.equal(perTensor.filter((o) => o === 'DynamicQuantizeLinear').length, 2 * 4 + 2);
    assert.throws(() => quantizeMatMulsDynamic(fp32, { activations: 'per-column' as never }), /unknown activation quantization "per-column". Should be one of: per-row, per-tensor/);
    const int8 = onnx.ModelProto.decode(bytes).graph!.initializer!.filter((t) => t.dataType === onnx.TensorProto.DataType.INT8 && t.name!.endsWith('.q'));
    assert.equal(int8.length, 14);
    assert.ok(report.bytesAfter < report.bytesBefore);
  });
});
