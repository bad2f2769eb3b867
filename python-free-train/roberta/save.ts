/**
 * Writing a RoBERTa model folder in Hugging Face layout (e.g. after fine-tuning): `config.json`,
 * `model.safetensors` (F32, `roberta.`-prefixed names, head as `classifier.*`), and the tokenizer
 * files copied from the folder the model came from. Files are written to temporary names and
 * renamed, so a crash never leaves a folder that loads with half its weights.
 */
import { copyFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type RobertaConfig, toHfConfig } from './config';
import { MODEL_FILES } from './model';
import { type TensorToWrite, encodeSafetensors } from './safetensors';
import { type RobertaWeights, robertaTensorEntries } from './weights';

export interface SaveOptions {
  /** Write tensors without the `roberta.` prefix. */
  unprefixed?: boolean;
  dtype?: 'F32' | 'F16' | 'BF16';
  /** Folder whose tokenizer files are copied. */
  tokenizerFrom?: string;
  /** Or a tokenizer.json object to write. */
  tokenizerJson?: unknown;
}

export async function saveRobertaModel(dir: string, config: RobertaConfig, weights: RobertaWeights, o: SaveOptions = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tensors: Record<string, TensorToWrite> = {};
  for (const [name, t] of robertaTensorEntries(weights)) {
    tensors[o.unprefixed ? name.replace(/^roberta\./, '') : name] = { shape: t.shape, data: t.data, dtype: o.dtype ?? 'F32' };
  }
  const atomic = async (file: string, write: (tmp: string) => Promise<void>) => {
    const tmp = path.join(dir, `${file}.${process.pid}.tmp`);
    await write(tmp);
    await rename(tmp, path.join(dir, file));
  };
  await atomic(MODEL_FILES.weights, (tmp) => writeFile(tmp, encodeSafetensors(tensors, { format: 'pt' })));
  if (o.tokenizerFrom) {
    for (const f of [MODEL_FILES.tokenizer, MODEL_FILES.tokenizerConfig]) {
      const src = path.join(o.tokenizerFrom, f);
      if (existsSync(src)) await atomic(f, (tmp) => copyFile(src, tmp));
    }
  } else if (o.tokenizerJson) {
    await atomic(MODEL_FILES.tokenizer, (tmp) => writeFile(tmp, JSON.stringify(o.tokenizerJson)));
    await atomic(MODEL_FILES.tokenizerConfig, (tmp) => writeFile(tmp, `${JSON.stringify({ tokenizer_class: 'RobertaTokenizer', model_max_length: 512 }, null, 2)}\n`));
  }
  // config.json last: a folder is complete once it has one.
  await atomic(MODEL_FILES.config, (tmp) => writeFile(tmp, `${JSON.stringify(toHfConfig(config), null, 2)}\n`));
}
