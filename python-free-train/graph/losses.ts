/**
 * Loss functions as graph pieces.
 */
import type { Value } from './core';
import type { Graph } from './ops';

export interface CrossEntropy {
  /** Scalar loss: mean over the batch, or the weighted mean when class weights are given. */
  loss: Value;
  /** Per-example negative log-likelihood [batch] (unweighted). */
  nll: Value;
  /** Log-probabilities [batch, classes]. */
  logProbs: Value;
}

/**
 * Softmax cross-entropy of `logits` [batch, classes] against class indices `labels` [batch]
 * (int32 or int64). With `classWeights` [classes] the loss is sum(w[y] * nll) / sum(w[y]), the
 * weighted mean that PyTorch's `CrossEntropyLoss(weight=...)` computes.
 */
export function softmaxCrossEntropy(g: Graph, logits: Value, labels: Value, classWeights?: Value): CrossEntropy {
  return g.scope('cross_entropy', () => {
    if (logits.rank !== 2) g.fail('cross_entropy', `logits must be [batch, classes], got ${logits}`);
    const classes = logits.shape[1];
    if (typeof classes !== 'number') g.fail('cross_entropy', `the number of classes must be known, got ${logits}`);
    const logProbs = g.logSoftmax(logits, 1);
    // One-hot through Equal against 0..C-1: works for every float type (OneHot kernels do not).
    const classIds = g.constant(labels.dtype, [classes], Array.from({ length: classes }, (_, i) => i));
    const oneHot = g.cast(g.equal(g.unsqueeze(labels, [1]), classIds), logits.dtype);
    const nll = g.neg(g.reduceSum(g.mul(oneHot, logProbs), [1], false));
    if (!classWeights) return { loss: g.reduceMean(nll), nll, logProbs };
    const w = g.gather(classWeights, labels, 0);
    const loss = g.div(g.reduceSum(g.mul(w, nll)), g.reduceSum(w));
    return { loss, nll, logProbs };
  });
}
