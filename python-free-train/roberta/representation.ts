/**
 * RoBERTa as a `Representation`: the `<s>` embedding of the last layer (what the paper's
 * classification head reads), computed by the ONNX encoder. The fingerprint covers everything the
 * vectors depend on (weights' sha256, truncation length, precision, the encoder's version), so
 * cached pool embeddings are reused exactly when they are still valid.
 */
import { type Backend, defaultBackend } from '../backend';
import type { Representation, RobertaParams } from '../features/representation';
import { type Precision, RobertaEncoder } from './encoder';
import { type ModelSource, resolveModelFolder } from './hub';
import { type RobertaModel, loadRobertaModel, robertaFingerprint } from './model';

export interface RobertaRepresentationOptions {
  maxTokens?: number;
  precision?: Precision;
  batchSize?: number;
  backend?: Backend;
  /** Called with the number of texts embedded so far in the current `featurize` call. */
  onProgress?: (done: number, total: number) => void;
}

export class RobertaRepresentation implements Representation {
  readonly id = 'roberta' as const;
  private constructor(private readonly model: RobertaModel, private readonly encoder: RobertaEncoder,
    private readonly modelName: string, private readonly o: RobertaRepresentationOptions) {}

  /** Loads the model (local folder, cache, or Hub download) and builds the encoder session. */
  static async create(source: ModelSource, o: RobertaRepresentationOptions = {}): Promise<RobertaRepresentation> {
    const dir = await resolveModelFolder(source);
    const model = await loadRobertaModel(dir, { maxTokens: o.maxTokens });
    return RobertaRepresentation.fromModel(model, source.path ?? `${source.repo ?? 'FacebookAI/roberta-base'}@${source.revision ?? 'main'}`, o);
  }

  static async fromModel(model: RobertaModel, modelName: string, o: RobertaRepresentationOptions = {}): Promise<RobertaRepresentation> {
    const backend = o.backend ?? await defaultBackend();
    const encoder = await RobertaEncoder.create(backend, model, { precision: o.precision ?? 'fp32', batchSize: o.batchSize });
    return new RobertaRepresentation(model, encoder, modelName, o);
  }

  get dim(): number { return this.model.config.hiddenSize; }
  get precision(): Precision { return this.encoder.precision; }

  async featurize(texts: readonly string[]): Promise<Float32Array> {
    const r = await this.encoder.encode(texts, (done) => this.o.onProgress?.(done, texts.length));
    return r.embeddings;
  }

  fingerprint(): string {
    return robertaFingerprint(this.model.weightsSha256, this.model.tokenizer.maxTokens, this.encoder.precision);
  }

  params(): RobertaParams {
    return { id: 'roberta', model: this.modelName, maxTokens: this.model.tokenizer.maxTokens };
  }

  async release(): Promise<void> { await this.encoder.release(); }
}
