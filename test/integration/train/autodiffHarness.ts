/**
 * Finite-difference gradient checks: builds f(inputs), a scalar loss over it, appends gradients
 * with `gradients`, runs the model in onnxruntime and compares every gradient element with a
 * central difference of the loss.
 */
import assert from 'node:assert/strict';
import { type Backend, type Feeds, Tensor } from '../../../python-free-train/backend';
import { gradients } from '../../../python-free-train/graph/autodiff';
import type { Value } from '../../../python-free-train/graph/core';
import { Graph } from '../../../python-free-train/graph/ops';
import { toModelBytes } from '../../../python-free-train/graph/serialize';
import type { Dim } from '../../../python-free-train/graph/types';
import { mulberry32 } from '../../../src/core/hash';

export type Precision = 'float64' | 'float32';

export interface InputSpec {
  name: string;
  /** Declared shape (may be symbolic). */
  shape: Dim[];
  /** Shape of the data fed at run time. */
  dims: number[];
  /** Value range of the random data (default [-1, 1]); keep away from kinks and poles. */
  range?: [number, number];
  /** Fixed data instead of random. */
  data?: number[];
  /** Not differentiated (e.g. integer indices or masks). */
  constant?: boolean;
  dtype?: 'float32' | 'float64' | 'int64' | 'int32' | 'bool';
}

export interface GradCase {
  name: string;
  inputs: InputSpec[];
  build: (g: Graph, x: Value[]) => Value;
  precision?: Precision;
}

/** loss = sum(y * y) / 2 + sum(y * 0.37): its gradient dL/dy = y + 0.37 exercises every element. */
function lossOf(g: Graph, y: Value): Value {
  const yf = y;
  return g.add(g.mul(g.reduceSum(g.mul(yf, yf)), g.s(0.5, yf)), g.reduceSum(g.mul(yf, g.s(0.37, yf))));
}

function randomData(spec: InputSpec, seed: number): number[] {
  if (spec.data) return spec.data;
  const n = spec.dims.reduce((a, b) => a * b, 1);
  const [lo, hi] = spec.range ?? [-1, 1];
  const rng = mulberry32(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * rng());
}

function tensorOf(spec: InputSpec, values: number[], precision: Precision): Tensor {
  const dtype = spec.dtype ?? precision;
  switch (dtype) {
    case 'float64': return new Tensor('float64', spec.dims, Float64Array.from(values));
    case 'float32': return new Tensor('float32', spec.dims, Float32Array.from(values));
    case 'int64': return new Tensor('int64', spec.dims, BigInt64Array.from(values, (v) => BigInt(v)));
    case 'int32': return new Tensor('int32', spec.dims, Int32Array.from(values));
    case 'bool': return new Tensor('bool', spec.dims, Uint8Array.from(values));
  }
}

const asNumbers = (t: Tensor): number[] => Array.from(t.data as Float64Array | Float32Array, Number);

export async function checkGradients(backend: Backend, c: GradCase): Promise<void> {
  const precision = c.precision ?? 'float64';
  const g = new Graph(c.name);
  const values = c.inputs.map((s) => g.input(s.name, s.dtype ?? precision, s.shape));
  const y = c.build(g, values);
  const loss = lossOf(g, precision === 'float64' && y.dtype === 'float32' ? g.cast(y, 'float64') : y);
  const wrtIndex = c.inputs.map((s, i) => (s.constant ? -1 : i)).filter((i) => i >= 0);
  const grads = gradients(g, loss, wrtIndex.map((i) => values[i]!));
  const outputs: Record<string, Value> = { loss };
  grads.forEach((gr, k) => { outputs[`grad_${c.inputs[wrtIndex[k]!]!.name}`] = gr; });
  const session = await backend.session(toModelBytes(g, { outputs }), c.name);
  try {
    const data = c.inputs.map((s, i) => randomData(s, 1000 + i * 17));
    const feedsFor = (d: number[][]): Feeds => Object.fromEntries(c.inputs.map((s, i) => [s.name, tensorOf(s, d[i]!, precision)]));
    const base = await session.run(feedsFor(data));
    const h = precision === 'float64' ? 1e-6 : 1e-2;
    const tol = precision === 'float64' ? 1e-6 : 2e-2;
    for (const i of wrtIndex) {
      const spec = c.inputs[i]!;
      const analytic = asNumbers(base[`grad_${spec.name}`]!);
      assert.deepEqual([...base[`grad_${spec.name}`]!.dims], spec.dims, `${c.name}: gradient of ${spec.name} has the input's shape`);
      for (let k = 0; k < analytic.length; k++) {
        const plus = data.map((d) => [...d]), minus = data.map((d) => [...d]);
        plus[i]![k]! += h;
        minus[i]![k]! -= h;
        const lp = asNumbers((await session.run(feedsFor(plus), ['loss'])).loss!)[0]!;
        const lm = asNumbers((await session.run(feedsFor(minus), ['loss'])).loss!)[0]!;
        const numeric = (lp - lm) / (2 * h);
        const err = Math.abs(analytic[k]! - numeric);
        assert.ok(err <= tol * (1 + Math.abs(numeric)),
          `${c.name}: d loss / d ${spec.name}[${k}] = ${analytic[k]} by autodiff, ${numeric} by finite differences`);
      }
    }
  } finally {
    await session.release();
  }
}
