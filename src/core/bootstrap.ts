/**
 * The paper's bootstrap classifier M1: a deliberately basic keyword rule that proposes the first
 * batch before any model exists. For every case-insensitive match of `secur`, the match is rejected
 * when it is part of a path, a file name or an identifier:
 *  - the character before it is `.`, `/` or `_`;
 *  - the text from the match on starts like a file or folder name:
 *    `^[A-Za-z0-9-_]*\.[A-Za-z0-9]+` or `^[A-Za-z0-9-_]*\/`;
 *  - the text from the match on starts like a CamelCase identifier: `^[a-z0-9]*[A-Z]`.
 * The review is a candidate if any match survives.
 *
 * Note that the CamelCase test applies to the match itself, so a match that begins with a capital
 * (`Security` at the start of a sentence, `SECURITY`) is rejected, exactly as in the paper: M1 catches
 * lower-case `security`, `secure`, `insecure`, `securely`. User patterns cover what it misses.
 */
const KEYWORD = /secur/gi;
const FILE_NAME = /^[A-Za-z0-9\-_]*\.[A-Za-z0-9]+/;
const FOLDER_NAME = /^[A-Za-z0-9\-_]*\//;
const CAMEL_CASE = /^[a-z0-9]*[A-Z]/;

export interface M1Match { index: number; accepted: boolean; reason?: 'path-separator-before' | 'file-name' | 'folder-name' | 'camel-case' }

/** Every `secur` match in the text with the rule's verdict, for explaining a decision. */
export function explainM1(text: string): M1Match[] {
  const out: M1Match[] = [];
  for (const m of text.matchAll(KEYWORD)) {
    const i = m.index!;
    const prev = i > 0 ? text[i - 1] : '';
    const rest = text.slice(i, i + 256);
    let reason: M1Match['reason'];
    if (prev === '.' || prev === '/' || prev === '_') reason = 'path-separator-before';
    else if (FILE_NAME.test(rest)) reason = 'file-name';
    else if (FOLDER_NAME.test(rest)) reason = 'folder-name';
    else if (CAMEL_CASE.test(rest)) reason = 'camel-case';
    out.push(reason ? { index: i, accepted: false, reason } : { index: i, accepted: true });
  }
  return out;
}

/** The paper's rule M1: true if any `secur` match survives the rejections. */
export function matchesM1(text: string): boolean {
  for (const m of text.matchAll(KEYWORD)) {
    const i = m.index!;
    const prev = i > 0 ? text[i - 1] : '';
    if (prev === '.' || prev === '/' || prev === '_') continue;
    const rest = text.slice(i, i + 256);
    if (FILE_NAME.test(rest) || FOLDER_NAME.test(rest) || CAMEL_CASE.test(rest)) continue;
    return true;
  }
  return false;
}

/** A user-supplied bootstrap pattern: a regular expression source with optional flags. */
export interface UserPattern { source: string; flags?: string }

export interface BootstrapRule { test(text: string): boolean; describe(): string }

/**
 * Compiles user patterns, reporting which one is invalid and why. `g` and `y` flags are dropped
 * because they make `RegExp.test` stateful.
 */
export function compilePatterns(patterns: readonly (UserPattern | string)[]): RegExp[] {
  return patterns.map((p, i) => {
    const { source, flags = 'i' } = typeof p === 'string' ? parsePatternLiteral(p) : p;
    try {
      return new RegExp(source, flags.replace(/[gy]/g, ''));
    } catch (e) {
      throw new Error(`bootstrap pattern ${i + 1} (${JSON.stringify(source)}) is not a valid regular expression: ${(e as Error).message}`);
    }
  });
}

/** Accepts `/source/flags` or a bare source (then case-insensitive). */
function parsePatternLiteral(p: string): UserPattern {
  const m = /^\/(.*)\/([a-z]*)$/s.exec(p);
  return m ? { source: m[1]!, flags: m[2]! } : { source: p, flags: 'i' };
}

/** M1 (unless disabled) or any user pattern. */
export function bootstrapRule(options: { useM1?: boolean; patterns?: readonly (UserPattern | string)[] } = {}): BootstrapRule {
  const useM1 = options.useM1 ?? true;
  const regexes = compilePatterns(options.patterns ?? []);
  if (!useM1 && regexes.length === 0) throw new Error('bootstrap rule is empty: enable M1 or give at least one pattern');
  return {
    test: (text) => (useM1 && matchesM1(text)) || regexes.some((r) => r.test(text)),
    describe: () => [useM1 ? 'M1 (secur)' : '', ...regexes.map((r) => String(r))].filter(Boolean).join(' or '),
  };
}
