/**
 * Loss functions as graph pieces.
 */
import type { Value } from './core';
import type { Graph } from './ops';
import { isFloat } from './types';

export interface CrossEntropy {
  /** Scalar loss: mean over the batch (summed over leading model axes), or the weighted mean when class weights are given. */
  loss: Value;
  /** Per-example negative log-likelihood [...models, batch] (unweighted). */
  nll: Value;
  /** Log-probabilities [...models, batch, classes]. */
  logProbs: Value;
}

/**
 * Softmax cross-entropy of `logits` [batch, classes] against `labels`: class indices [batch]
 * (int32 or int64), or float targets shaped like the logits whose rows sum to 1 (one-hot or
 * class probabilities). With `classWeights` [classes] (class indices only) the loss is
 * sum(w[y] * nll) / sum(w[y]), the weighted mean that PyTorch's `CrossEntropyLoss(weight=...)`
 * computes.
 *
 * Leading axes before the batch ([models, batch, classes]) hold independent models trained side by
 * side: the loss is the sum of each model's mean, so each one's gradient is its own.
 *
 * The gradient with respect to the logits is the fused textbook form `(softmax - target) / batch`
 * (weighted: times w[y] / sum(w[y])), not the chain through LogSoftmax, one-hot and the mean:
 * fewer backward nodes, and the arithmetic of the reference implementations.
 */
export function softmaxCrossEntropy(g: Graph, logits: Value, labels: Value, classWeights?: Value): CrossEntropy {
  return g.scope('cross_entropy', () => {
    if (logits.rank < 2) g.fail('cross_entropy', `logits must be [batch, classes] (or [models, batch, classes]), got ${logits}`);
    const r = logits.rank;
    const classes = logits.shape[r - 1];
    if (typeof classes !== 'number') g.fail('cross_entropy', `the number of classes must be known, got ${logits}`);
    const soft = isFloat(labels.dtype);
    if (soft) {
      if (labels.dtype !== logits.dtype || labels.rank !== r) g.fail('cross_entropy', `float targets must be shaped and typed like the logits ${logits}, got ${labels}`);
      if (classWeights) g.fail('cross_entropy', 'class weights need class indices, not float targets');
    } else if (labels.rank !== r - 1) g.fail('cross_entropy', `class indices must be [${logits.shape.slice(0, -1).join(', ')}], got ${labels}`);
    const firstNode = g.nodes.length;
    const logProbs = g.logSoftmax(logits, -1);
    // One-hot through Equal against 0..C-1: works for every float type (OneHot kernels do not).
    const target = soft ? labels
      : g.cast(g.equal(g.unsqueeze(labels, [-1]), g.constant(labels.dtype, [classes], Array.from({ length: classes }, (_, i) => i))), logits.dtype);
    const nll = g.neg(g.reduceSum(g.mul(target, logProbs), [-1], false));
    const batchAxis = r - 2;
    let loss: Value;
    let weightShare: Value | undefined;
    if (!classWeights) {
      loss = r === 2 ? g.reduceMean(nll) : g.reduceSum(g.reduceMean(nll, [batchAxis]));
    } else {
      const w = g.gather(classWeights, labels, 0);
      if (r === 2) {
        const total = g.reduceSum(w);
        loss = g.div(g.reduceSum(g.mul(w, nll)), total);
        weightShare = g.div(w, total);
      } else {
        const total = g.reduceSum(w, [batchAxis], true);
        loss = g.reduceSum(g.div(g.reduceSum(g.mul(w, nll), [batchAxis], true), total));
        weightShare = g.div(w, total);
      }
    }
    g.defineGradient(loss, {
      firstNode,
      inputs: [logits],
      rule: (dy) => [g.mul(g.sub(g.softmax(logits, -1), target), weightShare
        ? scaled(g, g.unsqueeze(weightShare, [-1]), dy)
        : perExample(g, logits, batchAxis, dy))],
    });
    return { loss, nll, logProbs };
  });
}

/**
 * dy / batch: a constant when the batch size is known and dy is the seed 1; else 1 / batch from the
 * logits' shape, as a Reciprocal (onnxruntime's DivMulFusion would turn Div(1, n) followed by a Mul
 * into a division of the whole gradient, rounding differently from the reference's multiply).
 */
function perExample(g: Graph, logits: Value, batchAxis: number, dy: Value): Value {
  const batch = logits.shape[batchAxis]!;
  if (typeof batch === 'number') return scaled(g, g.s(1 / batch, dy), dy);
  const count = g.cast(g.gather(g.shapeOf(logits), g.constant('int64', [], [batchAxis]), 0), dy.dtype);
  return scaled(g, g.reciprocal(count), dy);
}

/** x * dy, or x itself when dy is the constant 1 (the loss's own seed). */
function scaled(g: Graph, x: Value, dy: Value): Value {
  const d = g.constantData(dy);
  return d?.length === 1 && Number(d[0]) === 1 ? x : g.mul(x, dy);
}

/**
 * Binary cross-entropy of logits `d` against 0/1 (or probability) targets `y`, element by element:
 * softplus(d) - y * d, which is -[y log sigmoid(d) + (1 - y) log(1 - sigmoid(d))] without overflow.
 */
export function sigmoidCrossEntropy(g: Graph, d: Value, y: Value): Value {
  return g.scope('sigmoid_cross_entropy', () => g.sub(g.softplus(d), g.mul(y, d)));
}
