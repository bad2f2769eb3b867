/**
 * The label taxonomy of the paper (Table 4). Keys 1-6 in this order; the classifier is trained on
 * `yes`, `no`, `unclear` and `language` only: broken links and bot comments can hardly be predicted
 * from text, so the paper excluded them from training and from its identification rates.
 */
export const LABELS = ['yes', 'no', 'unclear', 'broken', 'bot', 'language'] as const;
export type Label = (typeof LABELS)[number];

/** Labels the classifier predicts, in the column order of every probability matrix. */
export const MODEL_LABELS = ['yes', 'no', 'unclear', 'language'] as const;
export type ModelLabel = (typeof MODEL_LABELS)[number];

/** The rare target label that active learning hunts for. */
export const TARGET_LABEL: ModelLabel = 'yes';

export interface LabelInfo {
  readonly id: Label;
  /** The keyboard key that sets this label in the labeling panel. */
  readonly key: string;
  readonly title: string;
  /** The labeling guideline, as in the paper's Table 4. */
  readonly description: string;
  /** Whether the classifier is trained on (and predicts) this label. */
  readonly trained: boolean;
}

export const LABEL_INFO: readonly LabelInfo[] = [
  { id: 'yes', key: '1', title: 'Potential Security Defect', trained: true,
    description: 'The review discusses a potential security defect of code or other artifacts.' },
  { id: 'no', key: '2', title: 'No Security Defect', trained: true,
    description: 'The review does not discuss a security defect of code or other artifacts.' },
  { id: 'unclear', key: '3', title: 'Unclear', trained: true,
    description: 'The relation to a security defect is unclear.' },
  { id: 'broken', key: '4', title: 'Broken', trained: false,
    description: 'The review is a broken link (it cannot be opened). This is a technical problem with the input data.' },
  { id: 'bot', key: '5', title: 'Bot', trained: false,
    description: 'The review is written by a bot.' },
  { id: 'language', key: '6', title: 'Non-English', trained: true,
    description: 'The review is not written in English.' },
];

const byId = new Map<string, LabelInfo>(LABEL_INFO.map((l) => [l.id, l]));

export function isLabel(value: unknown): value is Label {
  return typeof value === 'string' && byId.has(value);
}

export function isModelLabel(label: Label): label is ModelLabel {
  return (MODEL_LABELS as readonly string[]).includes(label);
}

/** The label a key (1-6) sets, or undefined. */
export function labelForKey(key: string): Label | undefined {
  return LABEL_INFO.find((l) => l.key === key)?.id;
}

/** Aliases accepted when labels are parsed from user input or from other tools' files. */
const ALIASES: Record<string, Label> = {
  'potential security defect': 'yes', security: 'yes', positive: 'yes', true: 'yes',
  'no security defect': 'no', negative: 'no', false: 'no',
  'non-english': 'language', nonenglish: 'language', 'not english': 'language',
  'broken link': 'broken',
};

/**
 * Parses a label from a label id, a key (1-6), a title from Table 4 or a common alias,
 * case-insensitively. Returns undefined for anything else.
 */
export function parseLabel(input: string): Label | undefined {
  const s = input.trim().toLowerCase();
  if (byId.has(s)) return s as Label;
  const fromKey = labelForKey(s);
  if (fromKey) return fromKey;
  const fromTitle = LABEL_INFO.find((l) => l.title.toLowerCase() === s);
  return fromTitle?.id ?? ALIASES[s];
}

export function labelListText(): string {
  return LABEL_INFO.map((l) => `${l.key}=${l.id}`).join(', ');
}
