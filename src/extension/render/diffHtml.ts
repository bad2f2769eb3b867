/**
 * A review's diff hunk as HTML rows: syntax-highlighted by highlight.js (language from the file
 * extension, never guessed from content, which is slow and unstable), old/new line numbers, and
 * the commented lines marked. highlight.js escapes its input; hidden characters are made visible.
 */
import hljs from 'highlight.js/lib/common';
import { commentedLineIndexes, parseDiffHunk, type HunkLine } from '../../core/diffHunk';
import { breakLongRuns, escapeHtml, revealInvisibleHtml } from './reveal';

const EXTENSION_LANGUAGE: Record<string, string> = {
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascript', ts: 'typescript', tsx: 'typescript', mts: 'typescript',
  py: 'python', rb: 'ruby', go: 'go', rs: 'rust', java: 'java', kt: 'kotlin', kts: 'kotlin', scala: 'scala', swift: 'swift',
  c: 'c', h: 'c', cc: 'cpp', cpp: 'cpp', cxx: 'cpp', hpp: 'cpp', hh: 'cpp', cs: 'csharp', php: 'php', pl: 'perl', pm: 'perl',
  sh: 'bash', bash: 'bash', zsh: 'bash', ps1: 'powershell', sql: 'sql', json: 'json', yml: 'yaml', yaml: 'yaml', toml: 'ini', ini: 'ini',
  xml: 'xml', html: 'xml', htm: 'xml', svg: 'xml', vue: 'xml', css: 'css', scss: 'scss', less: 'less', md: 'markdown', lua: 'lua',
  r: 'r', m: 'objectivec', mm: 'objectivec', dart: 'dart', gradle: 'gradle', dockerfile: 'dockerfile', mk: 'makefile', diff: 'diff',
};

export function languageOfPath(path: string): string | undefined {
  const base = path.split('/').pop() ?? '';
  const lower = base.toLowerCase();
  if (lower === 'dockerfile') return hljs.getLanguage('dockerfile') ? 'dockerfile' : undefined;
  if (lower === 'makefile') return hljs.getLanguage('makefile') ? 'makefile' : undefined;
  const ext = lower.includes('.') ? lower.split('.').pop()! : '';
  const lang = EXTENSION_LANGUAGE[ext];
  return lang && hljs.getLanguage(lang) ? lang : undefined;
}

const warmed = new Set<string>();

/**
 * Compiles highlight.js's grammar for a file's language ahead of use, if not done yet; true when it
 * did work. A grammar is compiled on its first use, 10-30 ms for the large ones (profiled in the
 * labeling loop: about a third of the extension host's highlighting time), which would otherwise
 * fall on the first review of each language.
 */
export function warmUpHighlighting(path: string): boolean {
  const language = languageOfPath(path);
  if (!language || warmed.has(language)) return false;
  warmed.add(language);
  try { hljs.highlight('x', { language, ignoreIllegals: true }); } catch { /* highlighting falls back to plain text */ }
  return true;
}

/** Highlighted HTML split into lines, closing and reopening spans that cross line ends. */
function highlightLines(code: string, language: string | undefined): string[] {
  if (!language) return code.split('\n').map(escapeHtml);
  let html: string;
  try {
    html = hljs.highlight(code, { language, ignoreIllegals: true }).value;
  } catch {
    return code.split('\n').map(escapeHtml);
  }
  const out: string[] = [];
  const open: string[] = [];
  let line = '';
  const tag = /<span class="[^"]*">|<\/span>|\n/g;
  let last = 0;
  for (let m = tag.exec(html); m; m = tag.exec(html)) {
    line += html.slice(last, m.index);
    last = m.index + m[0].length;
    if (m[0] === '\n') {
      out.push(line + '</span>'.repeat(open.length));
      line = open.join('');
    } else if (m[0] === '</span>') {
      open.pop();
      line += m[0];
    } else {
      open.push(m[0]);
      line += m[0];
    }
  }
  out.push(line + html.slice(last) + '</span>'.repeat(open.length));
  return out;
}

export interface DiffPosition { originalLine?: number; originalStartLine?: number; line?: number; startLine?: number }

/** Hunks longer than this are cut to the lines before the commented one (GitHub's hunks end there). */
const MAX_DIFF_LINES = 400;

export function renderDiffHunk(diffHunk: string, path: string, position: DiffPosition): { html: string; language?: string; commentedLines: number } {
  const hunks = parseDiffHunk(diffHunk.length > 400_000 ? diffHunk.slice(-400_000) : diffHunk);
  const language = languageOfPath(path);
  const marked = commentedLineIndexes(hunks, position);
  const lines: HunkLine[] = hunks.flatMap((h) => h.lines);
  const first = Math.max(0, lines.length - MAX_DIFF_LINES);
  const rows: string[] = [];
  if (first > 0) rows.push(`<tr class="diff-skipped"><td colspan="3">${first} earlier lines not shown</td></tr>`);
  // Highlight each side's text separately so tokens spanning lines (comments, strings) stay right.
  const code = lines.slice(first).map((l) => l.text).join('\n');
  const highlighted = highlightLines(code, language);
  let headerIndex = 0;
  const headerAt = new Map<number, string>();
  for (const h of hunks) {
    headerAt.set(headerIndex, `@@ -${h.oldStart},${h.oldCount} +${h.newStart},${h.newCount} @@ ${h.section}`);
    headerIndex += h.lines.length;
  }
  for (let i = first; i < lines.length; i++) {
    const header = headerAt.get(i);
    if (header !== undefined) rows.push(`<tr class="diff-header"><td colspan="3">${escapeHtml(header)}</td></tr>`);
    const l = lines[i]!;
    const sign = l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : l.kind === 'meta' ? '' : ' ';
    const cls = `diff-${l.kind}${marked.has(i) ? ' diff-commented' : ''}`;
    rows.push(`<tr class="${cls}"><td class="ln">${l.oldLine ?? ''}</td><td class="ln">${l.newLine ?? ''}</td>` +
      `<td class="code"><span class="sign">${sign}</span>${l.kind === 'meta' ? escapeHtml(l.text) : highlighted[i - first] ?? ''}</td></tr>`);
  }
  return { html: breakLongRuns(revealInvisibleHtml(`<table class="diff">${rows.join('')}</table>`)), language, commentedLines: marked.size };
}
