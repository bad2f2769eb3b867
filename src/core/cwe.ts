/**
 * CWE tags: an optional secondary tag on `yes` labels naming the kind of weakness a review points
 * at, as a CWE id (`CWE-89`). The quick pick offers the 2024 CWE Top 25 and weaknesses that code
 * reviews commonly discuss beyond it; any other CWE id can be typed. A review may carry several.
 */

export interface CweInfo { id: string; title: string; group: 'top25' | 'review' }

/** The 2024 CWE Top 25 Most Dangerous Software Weaknesses, in rank order. */
const TOP_25: [number, string][] = [
  [79, 'Cross-site Scripting'],
  [787, 'Out-of-bounds Write'],
  [89, 'SQL Injection'],
  [352, 'Cross-Site Request Forgery'],
  [22, 'Path Traversal'],
  [125, 'Out-of-bounds Read'],
  [78, 'OS Command Injection'],
  [416, 'Use After Free'],
  [862, 'Missing Authorization'],
  [434, 'Unrestricted Upload of File with Dangerous Type'],
  [94, 'Code Injection'],
  [20, 'Improper Input Validation'],
  [77, 'Command Injection'],
  [287, 'Improper Authentication'],
  [269, 'Improper Privilege Management'],
  [502, 'Deserialization of Untrusted Data'],
  [200, 'Exposure of Sensitive Information to an Unauthorized Actor'],
  [863, 'Incorrect Authorization'],
  [918, 'Server-Side Request Forgery'],
  [119, 'Improper Restriction of Operations within the Bounds of a Memory Buffer'],
  [476, 'NULL Pointer Dereference'],
  [798, 'Use of Hard-coded Credentials'],
  [190, 'Integer Overflow or Wraparound'],
  [400, 'Uncontrolled Resource Consumption'],
  [306, 'Missing Authentication for Critical Function'],
];

/** Weaknesses reviewers often raise that are not in the Top 25 (cryptography, secrets, races, logging, dependencies...). */
const REVIEW_LEVEL: [number, string][] = [
  [284, 'Improper Access Control'],
  [327, 'Use of a Broken or Risky Cryptographic Algorithm'],
  [330, 'Use of Insufficiently Random Values'],
  [295, 'Improper Certificate Validation'],
  [311, 'Missing Encryption of Sensitive Data'],
  [312, 'Cleartext Storage of Sensitive Information'],
  [532, 'Insertion of Sensitive Information into Log File'],
  [117, 'Improper Output Neutralization for Logs'],
  [209, 'Generation of Error Message Containing Sensitive Information'],
  [362, 'Race Condition'],
  [367, 'Time-of-check Time-of-use (TOCTOU) Race Condition'],
  [401, 'Missing Release of Memory after Effective Lifetime'],
  [770, 'Allocation of Resources Without Limits or Throttling'],
  [1333, 'Inefficient Regular Expression Complexity (ReDoS)'],
  [611, 'Improper Restriction of XML External Entity Reference'],
  [601, 'Open Redirect'],
  [384, 'Session Fixation'],
  [613, 'Insufficient Session Expiration'],
  [916, 'Use of Password Hash With Insufficient Computational Effort'],
  [345, 'Insufficient Verification of Data Authenticity'],
  [754, 'Improper Check for Unusual or Exceptional Conditions'],
  [1104, 'Use of Unmaintained Third Party Components'],
];

export const CWE_CHOICES: readonly CweInfo[] = [
  ...TOP_25.map(([n, title]): CweInfo => ({ id: `CWE-${n}`, title, group: 'top25' })),
  ...REVIEW_LEVEL.map(([n, title]): CweInfo => ({ id: `CWE-${n}`, title, group: 'review' })),
];

const byId = new Map(CWE_CHOICES.map((c) => [c.id, c]));

const CWE_ID = /^CWE-[1-9]\d{0,5}$/;

export function isCweId(value: unknown): value is string {
  return typeof value === 'string' && CWE_ID.test(value);
}

/** `CWE-89`, `cwe 89`, `cwe_89` or `89` as `CWE-89`; undefined for anything else. */
export function parseCweId(input: string): string | undefined {
  const m = /^\s*(?:cwe[\s_-]*)?0*([1-9]\d{0,5})\s*$/i.exec(input);
  return m ? `CWE-${m[1]}` : undefined;
}

/**
 * A list of tags from user input (comma- or space-separated), normalized, without duplicates, in
 * the order given. Throws naming the first entry that is not a CWE id.
 */
export function parseCweList(input: string): string[] {
  const out: string[] = [];
  for (const part of input.split(/[\s,;]+/).filter(Boolean)) {
    const id = parseCweId(part);
    if (!id) throw new Error(`"${part}" is not a CWE id (write it as CWE-89 or 89)`);
    if (!out.includes(id)) out.push(id);
  }
  return out;
}

/** The title of a listed CWE, else undefined (the tag is still valid). */
export function cweTitle(id: string): string | undefined {
  return byId.get(id)?.title;
}

/** Tags sorted by their CWE number, so equal sets compare equal. */
export function sortCwe(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort((a, b) => Number(a.slice(4)) - Number(b.slice(4)));
}

/** A tag the CWE-tag head rates likely for a review: shown first in the tag picker. */
export interface CweSuggestion { id: string; p: number }

/** The least probability at which the tag picker suggests a tag the model rated. */
export const CWE_SUGGESTION_MIN_P = 0.2;
/** The most tags suggested for one review. */
export const CWE_SUGGESTION_MAX = 5;

/**
 * The tags a review's ratings make worth suggesting: at least `minP`, likeliest first (ties by CWE
 * number), at most `max`. `tags[i]` is rated `probs[i]`.
 */
export function cweSuggestions(tags: readonly string[], probs: ArrayLike<number>, minP = CWE_SUGGESTION_MIN_P, max = CWE_SUGGESTION_MAX): CweSuggestion[] {
  return tags.map((id, i) => ({ id, p: probs[i]! }))
    .filter((s) => s.p >= minP)
    .sort((a, b) => b.p - a.p || Number(a.id.slice(4)) - Number(b.id.slice(4)))
    .slice(0, max);
}

/** A row of the tag picker: a section heading, or a tag with what is said beside it. */
export type CwePickRow = { heading: string } | { id: string; description: string };

/**
 * The tag picker's rows, in order: tags typed before that no list holds (`typed`), the model's
 * suggestions (with their probability), the CWE Top 25, then weaknesses common in reviews; each
 * tag once, in the first section that holds it.
 */
export function cwePickRows(typed: readonly string[], suggested?: { model: string; tags: readonly CweSuggestion[] }): CwePickRow[] {
  const first = new Set(suggested?.tags.map((t) => t.id));
  const extra = [...new Set(typed)].filter((id) => !byId.has(id) && !first.has(id));
  const listed = (group: CweInfo['group']) => CWE_CHOICES.filter((c) => c.group === group && !first.has(c.id)).map((c) => ({ id: c.id, description: c.title }));
  return [
    ...extra.map((id) => ({ id, description: 'typed' })),
    ...(suggested?.tags.length ? [
      { heading: `Suggested by model ${suggested.model}` },
      ...suggested.tags.map((t) => ({ id: t.id, description: `${cweTitle(t.id) ? `${cweTitle(t.id)} · ` : ''}p = ${t.p.toFixed(2)}` })),
    ] : []),
    { heading: 'CWE Top 25 (2024)' }, ...listed('top25'),
    { heading: 'Common in code reviews' }, ...listed('review'),
  ];
}
