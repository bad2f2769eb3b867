/**
 * The Hugging Face parity oracle: a tiny random RoBERTa in Hugging Face layout with the outputs
 * that Hugging Face's RobertaForSequenceClassification computes for it in float64 (its README says
 * how), kept beside the project at `../shared/reference/roberta-hf-parity/`. Every path that
 * computes RoBERTa is compared with it. Without the folder those tests skip with one line, except
 * under CI=true, where they run and fail.
 */
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type RobertaConfig, parseRobertaConfig } from '../../python-free-train/roberta/config';
import { isEncoderTensor } from '../../python-free-train/roberta/model';
import { readSafetensors } from '../../python-free-train/roberta/safetensors';
import { type RobertaWeights, mapRobertaWeights } from '../../python-free-train/roberta/weights';
import { repoRoot } from './tmp';

export const HF_ORACLE_DIR = path.resolve(repoRoot, '..', 'shared', 'reference', 'roberta-hf-parity');
/** fp32 against Hugging Face's float64: float32 rounding is about 2e-6 here. */
export const HF_TOLERANCE = 1e-5;

/** `skip` option of the oracle's test suites: a reason when the folder is missing (never under CI=true). */
export function hfOracleSkip(): string | false {
  if (existsSync(path.join(HF_ORACLE_DIR, 'expected.json')) || process.env.CI === 'true') return false;
  return 'Hugging Face parity oracle ../shared/reference/roberta-hf-parity/ is missing (under CI=true this fails)';
}

export interface OracleBatch {
  name: string;
  batch: number;
  seqLen: number;
  inputIds: BigInt64Array;
  attentionMask: BigInt64Array;
  /** Tokens per row (mask 1). */
  lengths: Int32Array;
  /** Each row's token ids, padding removed. */
  rows: number[][];
  /** [batch, hidden] the `<s>` vector of the last layer. */
  cls: Float64Array;
  /** [batch, numLabels]. */
  logits: Float64Array;
  /** Per row, [tokens, hidden] the last layer at its real (unpadded) tokens. */
  realTokens: Float64Array[];
}

export interface HfOracle { config: RobertaConfig; weights: RobertaWeights; batches: OracleBatch[] }

interface ExpectedBatch {
  input_ids: number[][];
  attention_mask: number[][];
  cls: number[][];
  logits: number[][];
  last_hidden_state_real_tokens: number[][][];
}

export async function loadHfOracle(): Promise<HfOracle> {
  if (!existsSync(HF_ORACLE_DIR)) throw new Error(`the Hugging Face parity oracle ${HF_ORACLE_DIR} is missing`);
  const config = parseRobertaConfig(JSON.parse(readFileSync(path.join(HF_ORACLE_DIR, 'config.json'), 'utf8')));
  const file = path.join(HF_ORACLE_DIR, 'model.safetensors');
  const weights = mapRobertaWeights(await readSafetensors(file, { select: isEncoderTensor }), config, file);
  const expected = JSON.parse(readFileSync(path.join(HF_ORACLE_DIR, 'expected.json'), 'utf8')) as Record<string, ExpectedBatch>;
  const batches = Object.entries(expected).map(([name, e]): OracleBatch => {
    const batch = e.input_ids.length, seqLen = e.input_ids[0]!.length;
    return {
      name, batch, seqLen,
      inputIds: BigInt64Array.from(e.input_ids.flat(), BigInt),
      attentionMask: BigInt64Array.from(e.attention_mask.flat(), BigInt),
      lengths: Int32Array.from(e.attention_mask, (m) => m.filter((x) => x === 1).length),
      rows: e.input_ids.map((ids, b) => ids.filter((_, s) => e.attention_mask[b]![s] === 1)),
      cls: Float64Array.from(e.cls.flat()),
      logits: Float64Array.from(e.logits.flat()),
      realTokens: e.last_hidden_state_real_tokens.map((row) => Float64Array.from(row.flat())),
    };
  });
  if (!batches.some((b) => b.name === 'pad_id_inside_text')) throw new Error(`${HF_ORACLE_DIR}: expected.json has no batch pad_id_inside_text`);
  return { config, weights, batches };
}

export function maxAbsDiff(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) throw new Error(`lengths differ: ${got.length} vs ${want.length}`);
  let d = 0;
  for (let i = 0; i < got.length; i++) d = Math.max(d, Math.abs(got[i]! - want[i]!));
  return d;
}

/** The rows of `hidden` [batch, seqLen, H] at real tokens (mask 1), per text, as the oracle lists them. */
export function realTokenRows(hidden: Float32Array, b: OracleBatch, H: number): Float32Array[] {
  return b.rows.map((_, r) => {
    const out: number[] = [];
    for (let s = 0; s < b.seqLen; s++) {
      if (b.attentionMask[r * b.seqLen + s] === 1n) out.push(...hidden.subarray((r * b.seqLen + s) * H, (r * b.seqLen + s + 1) * H));
    }
    return Float32Array.from(out);
  });
}

/**
 * The oracle as a model folder the project loads (`config.json`, `model.safetensors` copied into
 * `dir`), with a word-level `tokenizer.json` that spells token id `i` as the word `t<i>` and keeps
 * RoBERTa's special tokens, so texts map to exactly the oracle's ids (see `oracleText`).
 */
export function writeOracleFolder(dir: string, config: RobertaConfig): void {
  for (const f of ['config.json', 'model.safetensors']) copyFileSync(path.join(HF_ORACLE_DIR, f), path.join(dir, f));
  const special = ['<s>', '<pad>', '</s>', '<unk>'];
  const vocab: Record<string, number> = {};
  for (let id = 0; id < config.vocabSize; id++) vocab[special[id] ?? `t${id}`] = id;
  const tokenizer = {
    version: '1.0', truncation: null, padding: null, normalizer: null, post_processor: null, decoder: null,
    added_tokens: special.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    pre_tokenizer: { type: 'WhitespaceSplit' },
    model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
  };
  writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
}

/** The text that the folder of `writeOracleFolder` tokenizes to `row` (a `<pad>` id inside is written `<pad>`). */
export function oracleText(row: readonly number[]): string {
  if (row[0] !== 0 || row.at(-1) !== 2) throw new Error(`oracle row ${row.join(' ')} does not start with <s> and end with </s>`);
  return row.slice(1, -1).map((id) => (id === 1 ? '<pad>' : id === 3 ? '<unk>' : id === 0 ? '<s>' : id === 2 ? '</s>' : `t${id}`)).join(' ');
}
