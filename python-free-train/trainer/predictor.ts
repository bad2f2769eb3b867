/**
 * Scores new texts with a saved model version: rebuilds its representation from
 * `representation.json` and runs its inference graph `head.onnx` (features -> probabilities).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { MODEL_FILES, readManifest } from '../../src/store/layout';
import { Backend, Tensor, type Session } from '../backend';
import { type LoadOptions, loadRepresentation } from '../features/registry';
import type { Representation, RepresentationParams } from '../features/representation';

export class Predictor {
  private constructor(readonly version: string, readonly classes: string[], readonly representation: Representation, private readonly session: Session) {}

  static async load(modelDir: string, backend?: Backend, options: LoadOptions = {}): Promise<Predictor> {
    const manifest = readManifest(modelDir);
    const params = JSON.parse(readFileSync(path.join(modelDir, MODEL_FILES.representation), 'utf8')) as RepresentationParams;
    // A fine-tuned RoBERTa model carries its encoder in its own folder, named relatively.
    const ownEncoder = params.id === 'roberta' && !path.isAbsolute(params.model) && existsSync(path.join(modelDir, params.model, 'config.json'))
      ? path.join(modelDir, params.model) : undefined;
    const representation = await loadRepresentation(params, ownEncoder ? { ...options, roberta: { ...options.roberta, modelPath: ownEncoder } } : options);
    if (representation.fingerprint() !== manifest.record.representationFingerprint) {
      throw new Error(`${modelDir}: the stored representation does not match the one the model was trained with (fingerprint ${representation.fingerprint()} vs ${manifest.record.representationFingerprint}): `
        + 'its weights, its settings or the version of its computation changed since: give the encoder it was trained with, or retrain (secreview train)');
    }
    const b = backend ?? await Backend.create({ device: 'cpu' });
    const session = await b.session(new Uint8Array(readFileSync(path.join(modelDir, MODEL_FILES.inference))), `model ${manifest.record.version}`);
    return new Predictor(manifest.record.version, manifest.classes, representation, session);
  }

  /** Probabilities, texts.length x classes, row-major in `classes` order. */
  async predict(texts: readonly string[]): Promise<Float32Array> {
    if (!texts.length) return new Float32Array(0);
    return this.predictFeatures(await this.representation.featurize(texts), texts.length);
  }

  /** Probabilities of `rows` feature vectors already computed (e.g. read from an embedding cache). */
  async predictFeatures(x: Float32Array, rows: number): Promise<Float32Array> {
    if (!rows) return new Float32Array(0);
    const out = await this.session.run({ x: Tensor.float32(x, [rows, this.representation.dim]) }, ['probs']);
    return out.probs!.float32;
  }

  async release(): Promise<void> {
    await this.session.release();
    await this.representation.release?.();
  }
}
