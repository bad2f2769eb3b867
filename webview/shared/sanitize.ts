/**
 * Allow-list sanitizer for HTML built by the host's renderers (defence in depth: the host already
 * escapes all untrusted text). The HTML is parsed in an inert document (DOMParser: no scripts run,
 * no images load) and rebuilt element by element: unknown elements are replaced by their text,
 * only the attributes below survive, and no element can carry a URL the browser would fetch. No
 * text is ever dropped: what is not allowed as markup stays as text.
 */
const ALLOWED_TAGS = new Set([
  'P', 'BR', 'HR', 'EM', 'STRONG', 'S', 'DEL', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI',
  'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'A', 'SPAN', 'MARK', 'TABLE', 'THEAD', 'TBODY', 'TR', 'TH', 'TD', 'BUTTON', 'DIV', 'BDI', 'WBR',
]);
const ALLOWED_ATTRIBUTES = new Set(['class', 'data-href', 'data-lang', 'title', 'colspan', 'role', 'tabindex', 'type', 'start']);
const SAFE_HREF = /^(https?:\/\/|mailto:)[^\s\u0000-\u001f]*$/i;

export function sanitizeToFragment(html: string): DocumentFragment {
  const parsed = new DOMParser().parseFromString(`<body>${html}</body>`, 'text/html');
  const out = document.createDocumentFragment();
  copyChildren(parsed.body, out, 0);
  return out;
}

const MAX_DEPTH = 64;

function copyChildren(from: Node, to: Node, depth: number): void {
  for (let n = from.firstChild; n; n = n.nextSibling) {
    if (n.nodeType === Node.TEXT_NODE) {
      to.appendChild(document.createTextNode(n.textContent ?? ''));
    } else if (n.nodeType === Node.ELEMENT_NODE) {
      const el = n as Element;
      if (!ALLOWED_TAGS.has(el.tagName) || depth >= MAX_DEPTH) {
        to.appendChild(document.createTextNode(textOf(el)));
        continue;
      }
      const copy = document.createElement(el.tagName.toLowerCase());
      for (const attr of Array.from(el.attributes)) {
        if (!ALLOWED_ATTRIBUTES.has(attr.name)) continue;
        if (attr.name === 'data-href' && !SAFE_HREF.test(attr.value)) continue;
        if (attr.name === 'type' && attr.value !== 'button') continue;
        copy.setAttribute(attr.name, attr.value);
      }
      copyChildren(el, copy, depth + 1);
      to.appendChild(copy);
    } else if (n.nodeType === Node.COMMENT_NODE) {
      // The host's renderers escape every `<`, so a comment here is text that was not escaped: show it.
      to.appendChild(document.createTextNode(`<!--${n.textContent ?? ''}-->`));
    }
    // nothing else a parsed body can hold carries text (doctype, processing instructions parse as comments)
  }
}

/** The text of an element that is replaced by its text (a template keeps its text in its content). */
function textOf(el: Element): string {
  return el instanceof HTMLTemplateElement ? el.content.textContent ?? '' : el.textContent ?? '';
}
