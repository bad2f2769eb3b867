/**
 * Highlights in a rendered review body: where the bootstrap rule M1 fires, where the person's own
 * bootstrap patterns match, and the words of the search that led to the review. Applied to the
 * renderer's HTML, inside text only (never in tags or attributes), as `<mark>` elements around the
 * text they cover: the text itself is never changed, and the result is checked against that (a
 * highlighted rendering whose text differs from the plain one is not used). A match split by
 * markup (`se**cur**ity`) is not highlighted. No vscode import: unit-testable.
 */
import { explainM1 } from '../../core/bootstrap';
import { queryRanges, regexRanges, type SearchQuery } from '../../core/search';
import { escapeHtml } from './reveal';
import { textOfHtml } from './visibleText';

export type HighlightKind = 'm1' | 'pattern' | 'search';

export interface Highlighter {
  kind: HighlightKind;
  /** Shown as the mark's tooltip: what matched. */
  title: string;
  /** [start, end) ranges of the matches in a text. */
  ranges(text: string): [number, number][];
}

const WORD_CHAR = /[\p{L}\p{N}]/u;

/** Where M1 fires, each match widened to its whole word (`insecure`, `security`). */
export function m1Highlighter(): Highlighter {
  return {
    kind: 'm1', title: 'keyword rule M1 (secur)',
    ranges: (text) => explainM1(text).filter((m) => m.accepted).map((m) => {
      let start = m.index, end = m.index + 5;
      while (start > 0 && WORD_CHAR.test(text[start - 1]!)) start--;
      while (end < text.length && WORD_CHAR.test(text[end]!)) end++;
      return [start, end] as [number, number];
    }),
  };
}

export function patternHighlighter(pattern: RegExp): Highlighter {
  return { kind: 'pattern', title: `your bootstrap pattern ${String(pattern)}`, ranges: (text) => regexRanges(pattern, text) };
}

export function searchHighlighter(query: SearchQuery): Highlighter {
  return { kind: 'search', title: `search: ${query.text}`, ranges: (text) => queryRanges(query, text) };
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };
const decode = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (_, n: string) => ENTITY[n]!);

interface Span { start: number; end: number; kinds: Set<HighlightKind>; titles: Set<string> }

/** Overlapping ranges of any highlighters become one mark carrying all their kinds and titles. */
function spans(text: string, highlighters: readonly Highlighter[]): Span[] {
  const all: { start: number; end: number; h: Highlighter }[] = [];
  for (const h of highlighters) for (const [start, end] of h.ranges(text)) if (end > start) all.push({ start, end, h });
  all.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const r of all) {
    const last = out.at(-1);
    if (last && r.start < last.end) {
      last.end = Math.max(last.end, r.end);
      last.kinds.add(r.h.kind);
      last.titles.add(r.h.title);
    } else out.push({ start: r.start, end: r.end, kinds: new Set([r.h.kind]), titles: new Set([r.h.title]) });
  }
  return out;
}

/**
 * Wraps the matches in the text of renderer HTML in `<mark class="hl hl-KIND" title="...">`.
 * The notice of a body shown as plain text is not the body's text and is left alone.
 */
export function highlightHtml(html: string, highlighters: readonly Highlighter[]): string {
  if (!highlighters.length) return html;
  const parts = html.split(/(<[^>]*>)/);
  let inNotice = false;
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    if (i % 2 === 1) {
      if (part.startsWith('<p class="render-notice"')) inNotice = true;
      else if (inNotice && part === '</p>') inNotice = false;
      continue;
    }
    if (!part || inNotice) continue;
    const text = decode(part);
    const found = spans(text, highlighters);
    if (!found.length) continue;
    let out = '';
    let at = 0;
    for (const s of found) {
      out += escapeHtml(text.slice(at, s.start));
      out += `<mark class="hl ${[...s.kinds].map((k) => `hl-${k}`).join(' ')}" title="${escapeHtml([...s.titles].join('; '))}">${escapeHtml(text.slice(s.start, s.end))}</mark>`;
      at = s.end;
    }
    parts[i] = out + escapeHtml(text.slice(at));
    changed = true;
  }
  if (!changed) return html;
  const result = parts.join('');
  // The promise: highlighting adds marks, never changes a character of what the reader sees.
  return textOfHtml(result) === textOfHtml(html) ? result : html;
}
