/**
 * Scores new texts with a saved model version: rebuilds its representation from
 * `representation.json` and runs its inference graph `head.onnx` (features -> probabilities).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { probabilityColumn } from '../../src/core/selection';
import { MODEL_FILES, memberFiles, readManifest } from '../../src/store/layout';
import { Backend, Tensor, type Session } from '../backend';
import { type LoadOptions, loadRepresentation } from '../features/registry';
import type { Representation, RepresentationParams } from '../features/representation';

export class Predictor {
  private constructor(readonly version: string, readonly classes: string[], readonly representation: Representation, private readonly session: Session,
    private readonly members: readonly Session[]) {}

  /** Members of the model's ensemble (0 without one). */
  get ensembleSize(): number { return this.members.length; }

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
    const members: Session[] = [];
    for (let m = 0; m < (manifest.record.ensemble?.members ?? 0); m++) {
      const file = path.join(modelDir, memberFiles(m).inference);
      if (!existsSync(file)) throw new Error(`${file} is missing (model ${manifest.record.version} has ${manifest.record.ensemble!.members} ensemble members); retrain to rebuild it`);
      members.push(await b.session(new Uint8Array(readFileSync(file)), `model ${manifest.record.version} member ${m + 1}`));
    }
    return new Predictor(manifest.record.version, manifest.classes, representation, session, members);
  }

  /** Probabilities (texts.length x classes) and, with an ensemble, each member's p(yes) per text. */
  async predictWithMembers(texts: readonly string[]): Promise<{ probs: Float32Array; memberYes: Float32Array[] }> {
    const x = texts.length ? await this.representation.featurize(texts) : new Float32Array(0);
    return { probs: await this.predictFeatures(x, texts.length), memberYes: await this.predictMembersFeatures(x, texts.length) };
  }

  /** Each ensemble member's p(yes) of `rows` feature vectors (none without an ensemble). */
  async predictMembersFeatures(x: Float32Array, rows: number): Promise<Float32Array[]> {
    const yes = this.classes.indexOf('yes'), C = this.classes.length;
    const out: Float32Array[] = [];
    for (const member of this.members) {
      if (!rows) { out.push(new Float32Array(0)); continue; }
      const p = (await member.run({ x: Tensor.float32(x, [rows, this.representation.dim]) }, ['probs'])).probs!.float32;
      out.push(probabilityColumn(p, C, yes));
    }
    return out;
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
    for (const m of this.members) await m.release();
    await this.representation.release?.();
  }
}
