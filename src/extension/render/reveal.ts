/**
 * Characters that can hide or reorder text (bidi overrides and isolates, zero-width characters,
 * C0/C1 controls) are made visible: review bodies are untrusted and "Trojan Source" style text
 * must not look different from what it is.
 */

/** Bidi embeddings/overrides/isolates, zero-width and other invisible formatting characters. */
export const INVISIBLE_CHARS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\ufff9-\ufffb]/g;

export function codePointLabel(ch: string): string {
  return 'U+' + ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
}

/** For plain-text fields (set with textContent): each hidden character becomes `⟦U+202E⟧`. */
export function revealInvisibleText(text: string): string {
  return text.replace(INVISIBLE_CHARS, (ch) => `\u27e6${codePointLabel(ch)}\u27e7`);
}

/**
 * For already-escaped HTML: each hidden character becomes a visible marker element. Safe because
 * the characters are never part of markup the renderer emits (tags and attribute names are ASCII,
 * and attribute values never carry them: links are percent-encoded, titles are dropped).
 */
export function revealInvisibleHtml(html: string): string {
  return html.replace(INVISIBLE_CHARS, (ch) => `<span class="invisible-char" title="hidden character ${codePointLabel(ch)}">${codePointLabel(ch)}</span>`);
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Inserts `<wbr>` break opportunities into long unbroken runs of text in renderer HTML. Browsers
 * lay out a 100 KB "word" with overflow-wrap one character at a time (seconds to minutes), so a
 * body made of one huge token could freeze the panel; short runs keep layout linear. Only text
 * between tags is touched (the renderers escape `<` and `>` inside attribute values), and a run
 * never spans `&`, so entities stay whole.
 */
export function breakLongRuns(html: string, every = 64): string {
  const run = new RegExp(`[^\\s<>&]{${every}}(?=[^\\s<>&])`, 'g');
  return html.split(/(<[^>]*>)/).map((part, i) => (i % 2 === 1 ? part : part.replace(run, '$&<wbr>'))).join('');
}
