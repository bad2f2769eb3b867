/**
 * The simulation study's graphs as `secreview doctor` cases: one Adam train-step run (two networks,
 * two unrolled steps) and one scoring run, at the study's network sizes, with fixed inputs.
 */
import { Tensor } from '../../python-free-train/backend';
import { type GraphCase, modelCase } from '../../python-free-train/doctor';
import { buildEnsembleScoring, buildEnsembleTrainSteps } from '../../python-free-train/models/mlpEnsemble';
import { mulberry32 } from '../core/hash';
import { ADAM } from './engine';
import { parameterCount } from './network';

/** The simulation study's train-step and scoring graphs, at the study's network sizes. */
export function simulationCases(): GraphCase[] {
  const sizes = [20, 15, 15, 15, 2], S = 2, B = 16, K = 2, R = 64;
  const P = parameterCount(sizes);
  const r = mulberry32(7);
  const floats = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
  const x = floats(R * 20), params = floats(S * P, 0.3);
  const y = new Float32Array(R * 2);
  for (let i = 0; i < R; i++) y[i * 2 + (i % 3 === 0 ? 1 : 0)] = 1;
  const rows = Int32Array.from({ length: K * S * B }, (_, i) => (i * 7) % R);
  const scoreSizes = [...sizes.slice(0, -1), 1];
  const scoreP = parameterCount(scoreSizes);
  const poolX = floats(20 * 256), poolY = Float32Array.from({ length: 256 }, (_, i) => i % 2), scoreParams = floats(S * scoreP, 0.3);
  return [
    modelCase('simulation train step (Adam, 2 networks, 2 steps)', 1e-4, () => buildEnsembleTrainSteps(sizes, ADAM, K, B), () => ({
      x: Tensor.float32(x, [R, 20]), y: Tensor.float32(y, [R, 2]), rows: Tensor.int32(rows, [K, S, B]),
      params: Tensor.float32(params, [S, P]), m: Tensor.float32(new Float32Array(S * P), [S, P]), v: Tensor.float32(new Float32Array(S * P), [S, P]),
      alpha: Tensor.float32(Float32Array.of(0.01, 0.01), [K]),
    }), ['params_out', 'm_out', 'v_out']),
    modelCase('simulation scoring (2 networks)', 1e-4, () => buildEnsembleScoring(scoreSizes, S), () => ({
      x: Tensor.float32(poolX, [20, 256]), y: Tensor.float32(poolY, [1, 256]), params: Tensor.float32(scoreParams, [S * scoreP]),
    }), ['d0', 'd1', 'loss']),
  ];
}

