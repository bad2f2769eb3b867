/**
 * Diff hunks of GitHub review comments (`diff_hunk`): parsing `@@ -a,b +c,d @@` headers, numbering
 * old and new lines, and reconstructing the partial before/after texts a hunk shows. Pure.
 */

export type HunkLineKind = 'context' | 'add' | 'del' | 'meta';

export interface HunkLine {
  kind: HunkLineKind;
  /** The line without its `+`, `-` or ` ` prefix. */
  text: string;
  /** 1-based line number in the old file (context and deleted lines). */
  oldLine?: number;
  /** 1-based line number in the new file (context and added lines). */
  newLine?: number;
}

export interface Hunk {
  oldStart: number;
  oldCount: number;
  newStart: number;
  newCount: number;
  /** Text after the second `@@` (often the enclosing function). */
  section: string;
  lines: HunkLine[];
}

const HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

export function parseHunkHeader(line: string): Omit<Hunk, 'lines'> | undefined {
  const m = HEADER.exec(line);
  if (!m) return undefined;
  return {
    oldStart: Number(m[1]), oldCount: m[2] === undefined ? 1 : Number(m[2]),
    newStart: Number(m[3]), newCount: m[4] === undefined ? 1 : Number(m[4]),
    section: m[5] ?? '',
  };
}

/**
 * Parses a diff hunk (one or more `@@` sections). Lines before the first header (e.g. `diff --git`)
 * are ignored; `\ No newline at end of file` is kept as a `meta` line. A hunk without any header is
 * read as one section starting at line 1 on both sides, so truncated inputs still show something.
 */
export function parseDiffHunk(text: string): Hunk[] {
  const hunks: Hunk[] = [];
  let cur: Hunk | undefined;
  let oldNo = 0;
  let newNo = 0;
  const rows = text.replace(/\r\n?/g, '\n').split('\n');
  if (rows.at(-1) === '') rows.pop();
  for (const row of rows) {
    const header = row.startsWith('@@') ? parseHunkHeader(row) : undefined;
    if (header) {
      cur = { ...header, lines: [] };
      hunks.push(cur);
      oldNo = header.oldStart;
      newNo = header.newStart;
      continue;
    }
    if (!cur) {
      if (/^(diff |index |--- |\+\+\+ )/.test(row)) continue;
      cur = { oldStart: 1, oldCount: 0, newStart: 1, newCount: 0, section: '', lines: [] };
      hunks.push(cur);
      oldNo = 1;
      newNo = 1;
    }
    const sign = row[0];
    const body = row.slice(1);
    if (sign === '+') cur.lines.push({ kind: 'add', text: body, newLine: newNo++ });
    else if (sign === '-') cur.lines.push({ kind: 'del', text: body, oldLine: oldNo++ });
    else if (sign === '\\') cur.lines.push({ kind: 'meta', text: row });
    else cur.lines.push({ kind: 'context', text: sign === ' ' ? body : row, oldLine: oldNo++, newLine: newNo++ });
  }
  return hunks;
}

/**
 * Which hunk lines the comment marks. GitHub's `diff_hunk` ends at the commented line, and
 * `originalLine`/`originalStartLine` number the hunk's own new side; `line` numbers the latest
 * commit, which can differ. Without usable numbers, the last line of the hunk is the commented one.
 */
export function commentedLineIndexes(hunks: readonly Hunk[], position: { originalLine?: number; originalStartLine?: number; line?: number; startLine?: number }): Set<number> {
  const all = hunks.flatMap((h) => h.lines);
  const out = new Set<number>();
  const tryRange = (end: number | undefined, start: number | undefined): boolean => {
    if (end === undefined) return false;
    const lo = Math.min(start ?? end, end);
    all.forEach((l, i) => {
      if (l.newLine !== undefined && l.newLine >= lo && l.newLine <= end && l.kind !== 'del') out.add(i);
    });
    return out.size > 0;
  };
  if (tryRange(position.originalLine, position.originalStartLine)) return out;
  if (tryRange(position.line, position.startLine)) return out;
  for (let i = all.length - 1; i >= 0; i--) {
    if (all[i]!.kind !== 'meta') { out.add(i); break; }
  }
  return out;
}

export interface PartialSide {
  /** The file's text as far as the hunk shows it; lines the hunk does not show are blank. */
  text: string;
  /** 1-based line numbers (in `text`) that the hunk shows. */
  shown: number[];
}

/**
 * Reconstructs the before and after texts from the hunk: each known line lands at its real line
 * number, unknown lines stay empty, so positions match the real file and a diff editor aligns them.
 */
export function reconstructSides(hunks: readonly Hunk[]): { before: PartialSide; after: PartialSide } {
  const oldLines = new Map<number, string>();
  const newLines = new Map<number, string>();
  for (const h of hunks) {
    for (const l of h.lines) {
      if (l.oldLine !== undefined) oldLines.set(l.oldLine, l.text);
      if (l.newLine !== undefined) newLines.set(l.newLine, l.text);
    }
  }
  return { before: side(oldLines), after: side(newLines) };
}

function side(lines: Map<number, string>): PartialSide {
  const shown = [...lines.keys()].sort((a, b) => a - b);
  const last = shown.at(-1) ?? 0;
  const out: string[] = new Array<string>(last).fill('');
  for (const n of shown) out[n - 1] = lines.get(n)!;
  return { text: out.join('\n') + (last ? '\n' : ''), shown };
}
