/**
 * RoBERTa inference through onnxruntime (via the project's backend): texts -> `<s>` embeddings
 * and, with a classification head, logits. fp32 or dynamic int8; texts are sorted by token count
 * and batched so each batch is padded only to its own longest text.
 */
import type { Backend, Placement, Session } from '../backend';
import { Tensor } from '../backend';
import type { RobertaConfig } from './config';
import { ATTENTION_MASK, INPUT_IDS } from './encoderGraph';
import { type Precision, robertaInferenceModel } from './inferenceGraph';
import type { QuantizeOptions } from './quantize';
import type { EncodedBatch, RobertaTokenizer } from './tokenizer';
import type { RobertaWeights } from './weights';

export { PRECISIONS, type Precision, robertaInferenceModel } from './inferenceGraph';

export interface EncoderOptions {
  precision?: Precision;
  /** Texts per onnxruntime run (default 32). */
  batchSize?: number;
  /** Record onnxruntime's profile, for `placement()` (diagnostics). */
  profile?: boolean;
  /** int8: how weights and activations are quantized (default: `quantize.ts`'s; benchmarks compare others). */
  quantize?: QuantizeOptions;
}

export interface EncoderResult {
  /** [texts, hidden] `<s>` embeddings. */
  embeddings: Float32Array;
  /** [texts, numLabels] when the weights have a head. */
  logits?: Float32Array;
}

/** fp16 is a GPU option and int8 a CPU one (WebGPU has no integer MatMul kernel; the CPU provider few fp16 kernels). */
export function checkPrecisionOn(precision: Precision, device: Backend['device']): void {
  if (precision === 'fp16' && device === 'cpu') {
    throw new Error('roberta encoder: fp16 runs on a GPU (device webgpu, cuda or dml); on the CPU use fp32 or int8');
  }
  if (precision === 'int8' && device === 'webgpu') {
    throw new Error('roberta encoder: int8 runs on the CPU (the WebGPU provider has no integer MatMul); on a GPU use fp16 or fp32');
  }
}

export class RobertaEncoder {
  private constructor(private readonly session: Session, readonly config: RobertaConfig, readonly tokenizer: RobertaTokenizer,
    readonly precision: Precision, readonly batchSize: number, readonly hasHead: boolean) {}

  static async create(backend: Backend, model: { config: RobertaConfig; weights: RobertaWeights; tokenizer: RobertaTokenizer }, o: EncoderOptions = {}): Promise<RobertaEncoder> {
    const precision = o.precision ?? 'fp32';
    checkPrecisionOn(precision, backend.device);
    if (precision === 'fp16' && !(await backend.supportsFloat16())) {
      throw new Error(`roberta encoder: fp16 does not run on this GPU (${backend.describe()}: no shader-f16); use fp32`);
    }
    const bytes = robertaInferenceModel(model.config, model.weights, precision, o.quantize);
    const session = await backend.session(bytes, `roberta encoder (${precision})`, { profile: o.profile });
    return new RobertaEncoder(session, model.config, model.tokenizer, precision, o.batchSize ?? 32, !!model.weights.head);
  }

  get dim(): number { return this.config.hiddenSize; }

  /** Runs one already-encoded batch. */
  async runBatch(b: EncodedBatch): Promise<EncoderResult> {
    const dims = [b.batch, b.seqLen];
    const out = await this.session.run({ [INPUT_IDS]: new Tensor('int64', dims, b.inputIds), [ATTENTION_MASK]: new Tensor('int64', dims, b.attentionMask) });
    return { embeddings: out.cls!.float32, ...(out.logits ? { logits: out.logits.float32 } : {}) };
  }

  /** Embeddings (and logits) of `texts` in their order; batches group texts of similar length. */
  async encode(texts: readonly string[], onProgress?: (done: number) => void): Promise<EncoderResult> {
    const H = this.dim, L = this.config.numLabels;
    const ids = texts.map((t) => this.tokenizer.encode(t));
    const order = texts.map((_, i) => i).sort((a, b) => ids[a]!.length - ids[b]!.length || a - b);
    const embeddings = new Float32Array(texts.length * H);
    const logits = this.hasHead ? new Float32Array(texts.length * L) : undefined;
    for (let start = 0; start < order.length; start += this.batchSize) {
      const rows = order.slice(start, start + this.batchSize);
      const r = await this.runBatch(this.tokenizer.batchOf(rows.map((i) => ids[i]!)));
      rows.forEach((row, k) => {
        embeddings.set(r.embeddings.subarray(k * H, (k + 1) * H), row * H);
        if (logits && r.logits) logits.set(r.logits.subarray(k * L, (k + 1) * L), row * L);
      });
      onProgress?.(Math.min(order.length, start + rows.length));
    }
    return { embeddings, ...(logits ? { logits } : {}) };
  }

  /** Where the encoder's nodes ran (created with `profile: true`). */
  placement(): Placement { return this.session.placement(); }

  async release(): Promise<void> { await this.session.release(); }
}
