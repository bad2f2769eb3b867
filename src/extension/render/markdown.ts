/**
 * Review bodies to HTML, safe by construction: markdown-it with raw HTML disabled, a bounded nesting
 * depth, links reduced to http(s)/mailto and rendered without `href` (the panel asks the host to open
 * them after confirmation), images replaced by a placeholder (never loaded), fence languages reduced
 * to a safe class name, hidden characters made visible. The webview sanitizes the result again
 * against an allow-list before inserting it (defence in depth). No vscode import: unit-testable.
 */
import MarkdownIt from 'markdown-it';
import { breakLongRuns, escapeHtml, revealInvisibleHtml } from './reveal';

/** Rendering stops after this many bytes of body; the panel offers "show more". */
export const DEFAULT_RENDER_LIMIT = 100 * 1024;
/** The most a "show more" renders, whatever the body size, to keep the panel responsive. */
export const MAX_RENDER_LIMIT = 2 * 1024 * 1024;

const SAFE_LINK = /^(https?:\/\/|mailto:)/i;

export function isSafeLink(url: string): boolean {
  return SAFE_LINK.test(url.trim()) && !/[\u0000-\u001f\u007f\s]/.test(url.trim());
}

type Markdown = ReturnType<typeof MarkdownIt>;

function createMarkdown(): Markdown {
  const md = new MarkdownIt({ html: false, linkify: true, typographer: false, breaks: false, maxNesting: 20 });
  md.validateLink = (url) => isSafeLink(url);
  const rules = md.renderer.rules;
  rules.link_open = (tokens, idx) => {
    const href = String(tokens[idx]!.attrGet('href') ?? '');
    // No href: a click never navigates the webview; the panel posts the URL to the host instead.
    return `<a class="body-link" data-href="${escapeHtml(href)}" title="${escapeHtml(href)}" tabindex="0" role="link">`;
  };
  rules.link_close = () => '</a>';
  rules.image = (tokens, idx) => {
    const t = tokens[idx]!;
    const src = String(t.attrGet('src') ?? '');
    const alt = String(t.children ? md.renderer.renderInlineAsText(t.children, md.options, {}) : t.content);
    const target = isSafeLink(src) ? ` data-href="${escapeHtml(src)}"` : '';
    return `<span class="image-placeholder"><span class="image-label">image not loaded: ${escapeHtml(alt || 'no description')} (${escapeHtml(hostOf(src))})</span>` +
      (target ? `<button class="image-consent"${target} type="button">Open image in browser...</button>` : '') + '</span>';
  };
  rules.fence = (tokens, idx) => {
    const t = tokens[idx]!;
    const lang = /^[A-Za-z0-9_+-]{1,30}/.exec(t.info.trim())?.[0];
    return `<pre class="code-block"><code${lang ? ` data-lang="${escapeHtml(lang)}"` : ''}>${escapeHtml(t.content)}</code></pre>\n`;
  };
  return md;
}

function hostOf(url: string): string {
  const m = /^[a-z]+:\/\/([^/?#]+)/i.exec(url);
  return m ? m[1]! : url ? 'not an http(s) link' : 'no address';
}

let shared: Markdown | undefined;

export interface RenderedBody {
  html: string;
  /** Bytes (UTF-16 code units) rendered and in total; `shown < total` means truncated. */
  shown: number;
  total: number;
}

/** Renders at most `limit` characters of the body (cut at a line end when one is near). */
export function renderBody(body: string, limit = DEFAULT_RENDER_LIMIT): RenderedBody {
  shared ??= createMarkdown();
  const cap = Math.min(Math.max(limit, 1024), MAX_RENDER_LIMIT);
  let source = body;
  if (body.length > cap) {
    const nl = body.lastIndexOf('\n', cap);
    source = body.slice(0, nl > cap - 4096 ? nl : cap);
  }
  let html: string;
  try {
    html = shared.render(source);
  } catch (e) {
    // markdown-it never throws on text, but a bug must not blank the panel: show the source instead.
    html = `<pre class="render-error">${escapeHtml(source)}</pre><p class="notice">Markdown rendering failed: ${escapeHtml((e as Error).message)}</p>`;
  }
  return { html: breakLongRuns(revealInvisibleHtml(html)), shown: source.length, total: body.length };
}
