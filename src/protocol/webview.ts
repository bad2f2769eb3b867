/**
 * Messages between the extension host and the labeling panel (webview). The webview says `ready`
 * first; the host answers with `show`. Requests that change data carry a `requestId`; the host
 * answers a failure with `ack` (ok: false, and nothing changed), and a success with the next `show`,
 * posted only after the change is on disk.
 * Untrusted text arrives pre-rendered: `*Html` fields are built by the host's renderer from escaped
 * text (and are sanitized again by the webview); all other strings are set as text, never as HTML.
 */
import { isLabel, LABELS, type Label } from '../core/labels';

export const LABELING_VIEW_TYPE = 'secreview.labeling';

/**
 * `label`: the reviews of a batch; `adjudicate`: the queue of reviews where a language model's
 * second opinion disagrees with the label, where a label key records the final decision; `search`:
 * the results of "Find Reviews...", one after the other.
 */
export const PANEL_MODES = ['label', 'adjudicate', 'search'] as const;
export type PanelMode = (typeof PANEL_MODES)[number];

export function isPanelMode(v: unknown): v is PanelMode {
  return typeof v === 'string' && (PANEL_MODES as readonly string[]).includes(v);
}

/** A review of the same near-duplicate group, as the panel lists it. */
export interface NearDuplicateMember {
  reviewId: string;
  repo: string;
  path: string;
  /** The start of its body on one line (hidden characters shown as markers). */
  excerpt: string;
  label?: Label;
  /** Estimated similarity to the shown review (0-1). */
  similarity?: number;
}

/** The shown review's near-duplicates (other reviews of its group). */
export interface NearDuplicatesView {
  /** Other reviews in the group. */
  total: number;
  unlabeled: number;
  /** Labels among them, most first. */
  labels: { label: Label; count: number }[];
  /** The first few of them, in pool order. */
  members: NearDuplicateMember[];
}

/** "The review you labeled has N near-duplicates without a label: apply its label to them?" */
export interface GroupOffer {
  reviewId: string;
  label: Label;
  /** Near-duplicates without a label, which the key would label. */
  unlabeled: number;
  /** True when the offer is about the review on screen (else about the one just labeled). */
  shown: boolean;
}

/** Where the panel is in the results of "Find Reviews...". */
export interface SearchPosition {
  query: string;
  /** Results held (the count of matches may be larger). */
  results: number;
  matched: number;
  labeled: number;
  /** 1-based position of the shown review among the results. */
  position?: number;
}

/** What the webview keeps with `setState`, so a reloaded window reopens on the same candidate. */
export interface LabelingPanelState {
  reviewId?: string;
  batchId?: string;
  mode?: PanelMode;
  theme?: string;
}

/** The annotators' own labels on a double-coded review whose labels differ, waiting for adjudication. */
export interface CodingsView {
  codings: { annotator: string; label: Label }[];
}

/** The second opinion on a review waiting for adjudication, as the panel shows it. */
export interface SecondOpinionView {
  model: string;
  /** When it was asked. */
  at: string;
  /** The label in force, which the model was asked about. */
  humanLabel: Label;
  samples: number;
  /** Valid votes per label, most votes first. */
  counts: { label: Label; votes: number }[];
  majority?: Label;
  /** Share of valid votes for the majority. */
  agreement: number;
  /** Samples without a usable answer. */
  failures: number;
  /** A few distinct reasonings, the majority's first, then one for the human label if any voted so. */
  reasons: { label: Label; text: string }[];
}

export interface CandidateMeta {
  repo: string;
  pull: number;
  /** The comment on GitHub (http(s) only; opened by the host). */
  url: string;
  pullUrl: string;
  path: string;
  /** e.g. `L42` or `L40-L42`, or `L17 (outdated)`. */
  lineLabel?: string;
  author?: string;
  createdAt?: string;
  prTitle?: string;
  commit?: string;
}

export interface Prediction {
  /** Model label ids, in the model's column order. */
  labels: string[];
  probabilities: number[];
  modelVersion: string;
}

export interface CandidateView {
  reviewId: string;
  /**
   * This rendering of the review: a new number each time the host renders it again (its label,
   * note or near-duplicates changed). A view with the version already on screen needs no repaint.
   */
  version: number;
  batchId?: string;
  iteration?: number;
  /** 1-based position in the batch. */
  index?: number;
  batchSize?: number;
  /** The strategy (or rule) and score that proposed this review. */
  strategy?: string;
  score?: number;
  modelVersion?: string | null;
  prediction?: Prediction;
  meta: CandidateMeta;
  bodyHtml: string;
  bodyShown: number;
  bodyTotal: number;
  diffHtml?: string;
  diffLanguage?: string;
  currentLabel?: Label;
  /** CWE tags of the `yes` label shown, with their titles where listed. */
  cwe?: { id: string; title?: string }[];
  note?: string;
  /** In adjudication mode: the disagreeing second opinion to decide on. */
  secondOpinion?: SecondOpinionView;
  /** Other reviews whose text is nearly the same (absent when there are none, or groups are not computed yet). */
  nearDuplicates?: NearDuplicatesView;
  /** In adjudication mode: the annotators whose labels differ, and their labels. */
  disagreement?: CodingsView;
  /** Double coding: this review is coded by these annotators (the others' labels stay hidden until all have labeled). */
  coders?: string[];
  /** Who labels here (the label events are recorded under this name). */
  annotator?: string;
  /** Why this candidate is shown: the next one of the batch, an undo, or an explicit pick (relabel). */
  reason: 'next' | 'undo' | 'open' | 'restore';
}

export interface BatchProgress {
  batchId?: string;
  iteration?: number;
  /** Items of the batch with a label. */
  done: number;
  total: number;
  /** Labels in this batch so far, per label. */
  counts: Record<Label, number>;
  /** Labels set in this session (since the panel opened) and how many were `yes`. */
  sessionLabeled: number;
  sessionPositive: number;
  /** Positives / labeled (excluding broken and bot, as in the paper), over the session. */
  sessionIdentificationRate?: number;
  totalLabeled: number;
  mode: PanelMode;
  /** Disagreements waiting for a decision (second opinions and annotators, or the filtered source). */
  disagreements: number;
  /** The source the adjudication queue is filtered to, if any. */
  adjudicationSource?: 'second-opinion' | 'annotators';
  /** Decisions recorded since adjudication started in this panel. */
  adjudicated: number;
  /** In search mode: the results being labeled. */
  search?: SearchPosition;
}

export interface LabelGuideline { id: Label; key: string; title: string; description: string }

export type HostToWebview =
  | {
      type: 'show';
      /** Increases with each show; the webview reports it back in `rendered`. */
      seq: number;
      /** The request (label, undo, skip, mode) this view answers; absent when another event caused it. */
      requestId?: number;
      candidate: CandidateView | null;
      /** Shown instead of a candidate: no workspace, no batch, batch finished... */
      emptyMessage?: string;
      progress: BatchProgress;
      readOnlyReason?: string;
      guidelines: LabelGuideline[];
      /** Near-duplicates that the near-duplicates key (PANEL_KEYS.nearDuplicates) would label. */
      groupOffer?: GroupOffer;
      /**
       * Host-side milliseconds of the action that led here: awaiting the store's write, building the
       * view, and all of it from the request's arrival to this message (queueing included).
       */
      hostTiming?: { saveMs: number; viewMs: number; hostMs: number };
    }
  /**
   * The view a label on review `after` leads to (labeling a batch), sent ahead while `after` is
   * shown: a label key shows it at once, marked as saving, while the host writes the label. The
   * `show` that answers the label (sent once it is on disk) is the truth, and a failed write (`ack`
   * ok: false) brings `after` back. Void once another `show` arrives.
   */
  | { type: 'upcoming'; after: string; candidate: CandidateView }
  | { type: 'progress'; progress: BatchProgress }
  | { type: 'bodyMore'; reviewId: string; bodyHtml: string; bodyShown: number; bodyTotal: number }
  | { type: 'ack'; requestId: number; ok: boolean; error?: string }
  | { type: 'notice'; level: 'info' | 'warning' | 'error'; text: string }
  /** Sent by commands run from the palette or keybindings while the panel has focus. */
  | { type: 'toggleHelp' }
  | { type: 'toggleGuidelines' };

export type WebviewToHost =
  | { type: 'ready'; state?: LabelingPanelState }
  | { type: 'label'; requestId: number; reviewId: string; label: Label }
  | { type: 'undo'; requestId: number }
  | { type: 'skip'; requestId: number; reviewId: string }
  | { type: 'note'; requestId: number; reviewId: string }
  /** C: tag a `yes` label with CWE ids (the host asks with a quick pick). */
  | { type: 'cwe'; requestId: number; reviewId: string }
  | { type: 'openComment'; reviewId: string }
  | { type: 'openDiff'; reviewId: string }
  | { type: 'openLink'; url: string }
  | { type: 'showMore'; reviewId: string; limit: number }
  /** Label the near-duplicates of the offer's review with its label. */
  | { type: 'applyToGroup'; requestId: number; reviewId: string; keyAt?: number }
  /** Show another review (a near-duplicate in the list). */
  | { type: 'openReview'; requestId: number; reviewId: string }
  /** Switch between labeling the batch and adjudicating second-opinion disagreements. */
  | { type: 'mode'; requestId: number; mode: PanelMode }
  /** After a `show` is painted (the host may then prefetch the next candidate). */
  | { type: 'rendered'; seq: number };

/** A message from the webview checked whole, or why not (with its request id, when it has one, so the reply can say so). */
export type ParsedWebviewMessage = { ok: true; message: WebviewToHost } | { ok: false; error: string; requestId?: number };

/**
 * Checks a message from the webview field by field: the one place its shape is validated. A
 * request that fails the check still carries its request id out, so the host can answer it.
 */
export function parseWebviewToHost(value: unknown): ParsedWebviewMessage {
  if (typeof value !== 'object' || value === null) return { ok: false, error: 'not an object' };
  const m = value as Record<string, unknown>;
  const requestId = typeof m.requestId === 'number' && Number.isSafeInteger(m.requestId) ? m.requestId : undefined;
  const fail = (error: string): ParsedWebviewMessage => ({ ok: false, error: `${String(m.type)}: ${error}`, ...(requestId !== undefined ? { requestId } : {}) });
  const str = (k: string) => typeof m[k] === 'string' && (m[k] as string).length > 0;
  const needs = (...fields: ('requestId' | 'reviewId')[]): string | undefined =>
    fields.map((f) => (f === 'requestId' ? (requestId === undefined ? 'requestId must be a whole number' : undefined) : str(f) ? undefined : `${f} must be a non-empty string`)).find(Boolean);
  let problem: string | undefined;
  switch (m.type) {
    case 'ready':
      problem = m.state === undefined || isPanelState(m.state) ? undefined : 'state has the wrong shape';
      break;
    case 'label':
      problem = needs('requestId', 'reviewId') ?? (isLabel(m.label) ? undefined : `unknown label ${JSON.stringify(m.label)}; one of ${LABELS.join(', ')}`);
      break;
    case 'undo': problem = needs('requestId'); break;
    case 'skip': case 'note': case 'cwe': problem = needs('requestId', 'reviewId'); break;
    case 'openComment': case 'openDiff': problem = needs('reviewId'); break;
    case 'openLink': problem = str('url') ? undefined : 'url must be a non-empty string'; break;
    case 'showMore': problem = needs('reviewId') ?? (Number.isSafeInteger(m.limit) && (m.limit as number) > 0 ? undefined : 'limit must be a positive whole number'); break;
    case 'applyToGroup': case 'openReview': problem = needs('requestId', 'reviewId') ?? (m.keyAt === undefined || typeof m.keyAt === 'number' ? undefined : 'keyAt must be a number'); break;
    case 'mode': problem = needs('requestId') ?? (isPanelMode(m.mode) ? undefined : `mode must be one of ${PANEL_MODES.join(', ')}`); break;
    case 'rendered': problem = Number.isSafeInteger(m.seq) ? undefined : 'seq must be a whole number'; break;
    default: return fail('unknown message type');
  }
  return problem ? fail(problem) : { ok: true, message: value as WebviewToHost };
}

function isPanelState(v: unknown): v is LabelingPanelState {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (['reviewId', 'batchId', 'theme'] as const).every((k) => o[k] === undefined || typeof o[k] === 'string')
    && (o.mode === undefined || isPanelMode(o.mode));
}
