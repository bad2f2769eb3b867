/**
 * Defaults every surface shares: the CLI's options, the extension's settings (package.json's
 * contributed defaults are held to these by a test), the trainer requests built from them, and the
 * labeling panel's own keys.
 */

/**
 * Candidate-selection mixture of a model-based batch: `auto`, the ensemble's mean p(yes) where the
 * head is a network (RoBERTa's, or hidden layers), the one strategy whose gain over rare-label in
 * the paired simulation study of networks reaches +20%, and rare label over the linear head, where
 * bootstrap members found no more `yes` than rare label on the replay of real labels (README,
 * "Beyond the paper"). It proposes no random share: a prevalence estimate needs one (e.g.
 * auto:0.9,random:0.1).
 */
export const DEFAULT_MIXTURE = 'auto';
/**
 * Heads trained beside the model when the mixture has an ensemble strategy (ensemble, thompson,
 * ucb, or auto over a network head): each fitted on its own bootstrap resample of the labels. The
 * simulation study measured its gain with 5 networks.
 */
export const DEFAULT_ENSEMBLE_SIZE = 5;
/** Most ensemble members a request may ask for. */
export const MAX_ENSEMBLE_SIZE = 32;
/** Reviews per proposed batch (the paper used 200). */
export const DEFAULT_BATCH_SIZE = 200;
/** Training epochs of a head with hidden layers; the epoch with the lowest test loss is kept. */
export const DEFAULT_EPOCHS = 20;
/** Gaps between two labels longer than this (seconds) are breaks, not labeling time. */
export const DEFAULT_IDLE_SECONDS = 300;
/** Positives the ETA counts to when no target is set: this many more than found so far. */
export const DEFAULT_TARGET_STEP = 10;
/** The labeling panel's own keys (letters count in either case; digits are the label keys). */
export const PANEL_KEYS = {
  skip: 's', note: 'n', openComment: 'o', diff: 'd', guidelines: 'g', adjudicate: 'a', nearDuplicates: 'p', cwe: 'c', help: '?',
} as const;
/**
 * Width of the hashing representation. 16,384 buckets rank `yes` better than 4,096 in 5-fold
 * cross-validation on the paper's labels on every fold seed tried (fewer n-grams share a bucket;
 * bench/crossval.ts), for about a quarter slower pool scoring and four times the memory per
 * labeled review (64 KiB).
 */
export const DEFAULT_HASHING_DIM = 16384;
/**
 * Keys the labeling panel keeps for its actions: skip, note, open on GitHub, diff, guidelines,
 * adjudicate, apply to near-duplicates, CWE tags (either case) and help. A label key set to one of them is ignored.
 */
export const PANEL_ACTION_KEYS: readonly string[] = Object.values(PANEL_KEYS).flatMap((k) => (k.toUpperCase() === k ? [k] : [k, k.toUpperCase()]));
