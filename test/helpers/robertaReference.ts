/**
 * The RoBERTa forward pass in plain TypeScript (loops over Float32Arrays, float64 accumulation).
 * Slow and obviously correct: the encoder graph is checked against it. Follows Hugging Face's
 * RobertaForSequenceClassification in eval mode: positions count from `pad_token_id + 1` over the
 * tokens whose id is not `pad_token_id` (from the ids, as Hugging Face does, not from the mask),
 * padded keys get no attention, GELU is the exact erf form, and the head reads the `<s>` token:
 * dense -> tanh -> out_proj.
 */
import type { RobertaConfig } from '../../python-free-train/roberta/config';
import type { LayerNormWeights, Linear, RobertaWeights } from '../../python-free-train/roberta/weights';

export interface ReferenceInput {
  batch: number;
  seqLen: number;
  inputIds: ArrayLike<number | bigint>;
  attentionMask: ArrayLike<number | bigint>;
}

export interface ReferenceOutput {
  /** [batch, seqLen, hidden] output of the last layer. */
  hidden: Float32Array;
  /** [batch, hidden] the `<s>` row of `hidden`: the text's embedding. */
  cls: Float32Array;
  /** [batch, numLabels] when the weights have a classification head. */
  logits?: Float32Array;
}

/**
 * RoBERTa's position ids as Hugging Face computes them (`create_position_ids_from_input_ids`):
 * `cumsum(ids != pad) * (ids != pad) + pad`. Padding, and a `<pad>` token inside a text, sit at
 * `pad`; the other tokens count from `pad + 1`, skipping any `<pad>` before them.
 */
export function robertaPositionIds(inputIds: ArrayLike<number | bigint>, batch: number, seqLen: number, padTokenId: number): Int32Array {
  const out = new Int32Array(batch * seqLen);
  for (let b = 0; b < batch; b++) {
    let count = 0;
    for (let s = 0; s < seqLen; s++) {
      const real = Number(inputIds[b * seqLen + s]) !== padTokenId ? 1 : 0;
      count += real;
      out[b * seqLen + s] = count * real + padTokenId;
    }
  }
  return out;
}

export function robertaForwardReference(c: RobertaConfig, w: RobertaWeights, input: ReferenceInput): ReferenceOutput {
  const { batch: B, seqLen: S } = input;
  const H = c.hiddenSize, nh = c.numAttentionHeads, hd = H / nh;
  const positions = robertaPositionIds(input.inputIds, B, S, c.padTokenId);
  let x: Float32Array = new Float32Array(B * S * H);
  for (let t = 0; t < B * S; t++) {
    const id = Number(input.inputIds[t]), pos = positions[t]!;
    if (id < 0 || id >= c.vocabSize) throw new Error(`roberta reference: token id ${id} outside the vocabulary`);
    for (let j = 0; j < H; j++) {
      x[t * H + j] = w.wordEmbeddings.data[id * H + j]! + w.positionEmbeddings.data[pos * H + j]! + w.tokenTypeEmbeddings.data[j]!;
    }
  }
  x = layerNorm(x, w.embeddingsLayerNorm, H, c.layerNormEps);
  const rows = B * S;
  for (const layer of w.layers) {
    const q = linear(x, layer.query, rows), k = linear(x, layer.key, rows), v = linear(x, layer.value, rows);
    const context = new Float32Array(rows * H);
    const scores = new Float64Array(S);
    const scale = 1 / Math.sqrt(hd);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < nh; h++) {
        for (let i = 0; i < S; i++) {
          let max = -Infinity;
          for (let j = 0; j < S; j++) {
            if (!Number(input.attentionMask[b * S + j])) { scores[j] = -Infinity; continue; }
            let dot = 0;
            for (let d = 0; d < hd; d++) dot += q[(b * S + i) * H + h * hd + d]! * k[(b * S + j) * H + h * hd + d]!;
            scores[j] = dot * scale;
            if (scores[j]! > max) max = scores[j]!;
          }
          let sum = 0;
          for (let j = 0; j < S; j++) { scores[j] = scores[j] === -Infinity ? 0 : Math.exp(scores[j]! - max); sum += scores[j]!; }
          for (let d = 0; d < hd; d++) {
            let acc = 0;
            for (let j = 0; j < S; j++) acc += scores[j]! * v[(b * S + j) * H + h * hd + d]!;
            context[(b * S + i) * H + h * hd + d] = acc / sum;
          }
        }
      }
    }
    const attended = addInPlace(linear(context, layer.attentionOutput, rows), x);
    x = layerNorm(attended, layer.attentionLayerNorm, H, c.layerNormEps);
    const inner = linear(x, layer.intermediate, rows);
    for (let i = 0; i < inner.length; i++) inner[i] = gelu(inner[i]!);
    x = layerNorm(addInPlace(linear(inner, layer.output, rows), x), layer.outputLayerNorm, H, c.layerNormEps);
  }
  const cls = new Float32Array(B * H);
  for (let b = 0; b < B; b++) cls.set(x.subarray(b * S * H, b * S * H + H), b * H);
  const out: ReferenceOutput = { hidden: x, cls };
  if (w.head) {
    const dense = linear(cls, w.head.dense, B);
    for (let i = 0; i < dense.length; i++) dense[i] = Math.tanh(dense[i]!);
    out.logits = linear(dense, w.head.outProj, B);
  }
  return out;
}

/** x [rows, in] times W^T (W is [out, in]) plus bias. */
function linear(x: Float32Array, l: Linear, rows: number): Float32Array {
  const [outDim, inDim] = l.weight.shape as [number, number];
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outDim; o++) {
      let acc = l.bias.data[o]!;
      for (let i = 0; i < inDim; i++) acc += x[r * inDim + i]! * l.weight.data[o * inDim + i]!;
      y[r * outDim + o] = acc;
    }
  }
  return y;
}

function layerNorm(x: Float32Array, n: LayerNormWeights, width: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let r = 0; r < x.length / width; r++) {
    let mean = 0;
    for (let j = 0; j < width; j++) mean += x[r * width + j]!;
    mean /= width;
    let variance = 0;
    for (let j = 0; j < width; j++) variance += (x[r * width + j]! - mean) ** 2;
    variance /= width;
    const inv = 1 / Math.sqrt(variance + eps);
    for (let j = 0; j < width; j++) y[r * width + j] = (x[r * width + j]! - mean) * inv * n.weight.data[j]! + n.bias.data[j]!;
  }
  return y;
}

function addInPlace(a: Float32Array, b: Float32Array): Float32Array {
  for (let i = 0; i < a.length; i++) a[i]! += b[i]!;
  return a;
}

/** Exact GELU: x/2 (1 + erf(x / sqrt 2)). */
export function gelu(x: number): number { return 0.5 * x * (1 + erf(x / Math.SQRT2)); }

/** erf to ~1e-15 relative (Abramowitz-Stegun is too coarse for a 1e-4 parity test): series near 0, continued fraction beyond. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax > 6) return Math.sign(x);
  if (ax < 2.5) {
    // Maclaurin series: 2/sqrt(pi) * sum (-1)^n x^(2n+1) / (n! (2n+1)).
    let term = ax, sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= -ax * ax / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc continued fraction (Lentz), converges fast for |x| >= 2.5.
  let f = ax, C = ax, D = 0;
  const tiny = 1e-300;
  for (let n = 1; n < 200; n++) {
    const a = n / 2;
    D = ax + a * D; D = Math.abs(D) < tiny ? tiny : D; D = 1 / D;
    C = ax + a / C; C = Math.abs(C) < tiny ? tiny : C;
    const delta = C * D;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}
