/**
 * The `roberta` representation slot. The encoder (RoBERTa weights from a Hugging Face folder, run
 * as an ONNX graph, embeddings cached per pool row) is not part of this build yet; choosing it
 * fails early with a message that says what to do instead.
 */
import { RepresentationUnavailableError, type RobertaParams, type Representation } from './representation';

export const ROBERTA_UNAVAILABLE =
  'representation "roberta" is not available yet: set the representation to "hashing" (secreview train --representation hashing, or the setting secreview.representation)';

export function robertaAvailability(): { ok: true } | { ok: false; reason: string } {
  return { ok: false, reason: ROBERTA_UNAVAILABLE };
}

export function loadRoberta(_params: RobertaParams): Representation {
  throw new RepresentationUnavailableError(ROBERTA_UNAVAILABLE);
}
