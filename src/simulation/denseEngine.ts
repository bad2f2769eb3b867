/** The engine in plain TypeScript: no native code; the reference in tests and the fallback. */
import { collapseToDifference, softplus, type Engine } from './engine';
import { createMlp, forward, trainClassifier } from './network';

export function createDenseEngine(): Engine {
  return {
    kind: 'dense',
    async fit(nets, x, y, lists, options, rngs) {
      nets.forEach((net, k) => trainClassifier(net, x, y, lists[k]!, { ...options, rng: rngs[k]! }));
    },
    async score(nets, x, rows, y) {
      const d: Float32Array[] = [];
      const meanLoss: number[] = [];
      for (const net of nets) {
        const out = new Float32Array(rows);
        forward(collapseToDifference(net, createMlp), x, rows, out);
        let lossSum = 0;
        if (y) for (let r = 0; r < rows; r++) lossSum += softplus(out[r]!) - y[r]! * out[r]!;
        d.push(out);
        meanLoss.push(y ? lossSum / rows : NaN);
      }
      return { d, meanLoss };
    },
    async close() {},
  };
}
