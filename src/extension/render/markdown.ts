/**
 * Review bodies to HTML, safe by construction: markdown-it with raw HTML disabled, a bounded nesting
 * depth, links reduced to http(s)/mailto and rendered without `href` (the panel asks the host to open
 * them after confirmation), images replaced by a placeholder (never loaded), fence languages reduced
 * to a safe class name, hidden characters made visible. The webview sanitizes the result again
 * against an allow-list before inserting it (defence in depth). No vscode import: unit-testable.
 *
 * Nothing of the body may go missing: what markdown would hide (link targets and titles, reference
 * definitions, a fence's info string) is shown beside it, and every rendering is checked against the
 * body's words; when a word is missing (nesting deeper than the renderer goes, a table row with more
 * cells than its header, anything else), the body is shown as plain text with a notice saying why.
 */
import MarkdownIt from 'markdown-it';
import { breakLongRuns, escapeHtml, revealInvisibleHtml } from './reveal';
import { firstMissingWord } from './visibleText';
import { highlightHtml, type Highlighter } from './highlight';

/** Rendering stops after this many bytes of body; the panel offers "show more". */
export const DEFAULT_RENDER_LIMIT = 100 * 1024;
/** The most a "show more" renders, whatever the body size, to keep the panel responsive. */
export const MAX_RENDER_LIMIT = 2 * 1024 * 1024;
/**
 * Block nesting markdown-it follows (quotes in quotes, lists in lists). Deeper content is not rendered
 * by markdown-it at all, so such a body falls back to plain text; 20 levels of indentation already
 * leave little width for the text.
 */
export const MAX_NESTING = 20;

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

export function isSafeLink(url: string): boolean {
  return SAFE_LINK.test(url.trim()) && !/[\u0000-\u001f\u007f\s]/.test(url.trim());
}

type Markdown = ReturnType<typeof MarkdownIt>;
type Token = ReturnType<Markdown['parse']>[number];
/** The source's lines, for the renderer rules that show source text. */
interface RenderEnv { lines?: string[]; [key: string | symbol]: unknown }

/** A URL as a person reads it: percent-escapes of non-ASCII decoded (never the host's punycode). */
function readableUrl(url: string): string {
  try { return decodeURI(url); } catch { return url; }
}

function sameTarget(text: string, href: string): boolean {
  const bare = (s: string) => s.trim().replace(/^(mailto:|https?:\/\/)/i, '').replace(/\/$/, '');
  return bare(text) === bare(readableUrl(href)) || bare(text) === bare(href);
}

/** ` (url "title")`, shown after a link or image whose text does not already say where it points. */
function targetHtml(href: string, title: string): string {
  const shownTitle = title ? ` "${escapeHtml(title)}"` : '';
  return `<span class="link-target"> (${escapeHtml(readableUrl(href))}${shownTitle})</span>`;
}

function createMarkdown(): Markdown {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false, maxNesting: MAX_NESTING });
  md.validateLink = (url) => isSafeLink(url);
  // Link text exactly as written: no percent-decoding, no punycode-to-Unicode (a look-alike host).
  md.normalizeLinkText = (url) => url;
  // CommonMark turns NUL into U+FFFD; keep it, so it is shown as a marked control character like the others.
  md.core.ruler.at('normalize', (state) => { state.src = state.src.replace(/\r\n?/g, '\n'); });
  // Reference definitions stay in the token stream, to be shown (rules.reference_definition below).
  md.core.ruler.disable('strip_references');
  const rules = md.renderer.rules;
  rules.link_open = (tokens, idx) => {
    const open = tokens[idx]!;
    const href = String(open.attrGet('href') ?? '');
    let close = idx + 1;
    while (close < tokens.length && tokens[close]!.type !== 'link_close') close++;
    const text = md.renderer.renderInlineAsText(tokens.slice(idx + 1, close), md.options, {});
    if (close < tokens.length && !sameTarget(text, href)) tokens[close]!.meta = { target: targetHtml(href, String(open.attrGet('title') ?? '')) };
    // No href: a click never navigates the webview; the panel posts the URL to the host instead.
    return `<a class="body-link" data-href="${escapeHtml(href)}" title="${escapeHtml(href)}" tabindex="0" role="link">`;
  };
  rules.link_close = (tokens, idx) => `</a>${(tokens[idx]!.meta as { target?: string } | null)?.target ?? ''}`;
  rules.image = (tokens, idx) => {
    const t = tokens[idx]!;
    const src = String(t.attrGet('src') ?? '');
    const title = String(t.attrGet('title') ?? '');
    const alt = String(t.children ? md.renderer.renderInlineAsText(t.children, md.options, {}) : t.content);
    const target = isSafeLink(src) ? ` data-href="${escapeHtml(src)}"` : '';
    const where = src ? `${escapeHtml(readableUrl(src))}${title ? ` "${escapeHtml(title)}"` : ''}` : 'no address';
    return `<span class="image-placeholder"><span class="image-label">image not loaded: ${escapeHtml(alt || 'no description')} (${where})</span>` +
      (target ? `<button class="image-consent"${target} type="button">Open image in browser...</button>` : '') + '</span>';
  };
  rules.fence = (tokens, idx) => {
    const t = tokens[idx]!;
    const info = t.info.trim();
    const lang = /^[A-Za-z0-9_+-]{1,30}/.exec(info)?.[0];
    const caption = info ? `<div class="code-info">${escapeHtml(info)}</div>` : '';
    return `${caption}<pre class="code-block"><code${lang ? ` data-lang="${escapeHtml(lang)}"` : ''}>${escapeHtml(t.content)}</code></pre>\n`;
  };
  // A link reference definition renders nothing in markdown; here it stays visible where it was written.
  rules.reference_definition = (tokens, idx, _options, env) => {
    const map = tokens[idx]!.map;
    const lines = (env as RenderEnv | undefined)?.lines;
    const text = map && lines ? lines.slice(map[0], map[1]).join('\n') : '';
    return text ? `<p class="reference-def">${escapeHtml(text)}</p>\n` : '';
  };
  return md;
}

let shared: Markdown | undefined;

export interface RenderedBody {
  html: string;
  /** Bytes (UTF-16 code units) rendered and in total; `shown < total` means truncated. */
  shown: number;
  total: number;
  /** Set when the body is shown as plain text instead of markdown: why. */
  plainTextReason?: string;
}

/**
 * Renders at most `limit` characters of the body (cut at a line end when one is near), with the
 * matches of `highlighters` marked in its text.
 */
export function renderBody(body: string, limit = DEFAULT_RENDER_LIMIT, highlighters: readonly Highlighter[] = []): RenderedBody {
  shared ??= createMarkdown();
  const cap = Math.min(Math.max(limit, 1024), MAX_RENDER_LIMIT);
  let source = body;
  if (body.length > cap) {
    const nl = body.lastIndexOf('\n', cap);
    let end = nl > cap - 4096 ? nl : cap;
    if (/[\ud800-\udbff]/.test(body[end - 1] ?? '')) end--; // never split a surrogate pair
    source = body.slice(0, end);
  }
  let html = '';
  let plainTextReason: string | undefined;
  try {
    const env: RenderEnv = { lines: source.replace(/\r\n?/g, '\n').split('\n') };
    const tokens = shared.parse(source, env);
    html = shared.renderer.render(tokens, shared.options, env);
    const missing = firstMissingWord(source, html);
    if (missing !== undefined) {
      plainTextReason = nestingLimitReached(tokens) ? 'nesting too deep'
        : `the formatted view would hide some of its text (from "${missing.slice(0, 40)}")`;
    }
  } catch (e) {
    // markdown-it never throws on text, but a bug must not blank the panel: show the source instead.
    plainTextReason = `markdown rendering failed (${(e as Error).message})`;
  }
  if (plainTextReason !== undefined) {
    html = `<p class="render-notice" role="note">Shown as plain text: ${escapeHtml(plainTextReason)}.</p><pre class="plain-body">${escapeHtml(source)}</pre>`;
  }
  return { html: breakLongRuns(revealInvisibleHtml(highlightHtml(html, highlighters))), shown: source.length, total: body.length, plainTextReason };
}

/** markdown-it stops rendering a container's content at MAX_NESTING levels: a container opened one level above means it did. */
function nestingLimitReached(tokens: Token[]): boolean {
  return tokens.some((t) => t.nesting === 1 && t.level >= MAX_NESTING - 1);
}
