/**
 * The renderer's promise, checked on every body: the text a reader sees holds every word of the
 * source, in order. Words are runs of letters, digits and combining marks; what is markdown syntax
 * and never a word of the text (character references such as `&amp;`, which render as the character
 * they name, and the numbers of ordered-list items, which the list draws itself) is left out of the
 * words expected. Hidden characters separate words, as the panel shows them as markers.
 */
import { INVISIBLE_CHARS } from './reveal';

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const CHARACTER_REFERENCE = /&(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});/g;
const LIST_ITEM_NUMBERS = /^(?:[ \t]*(?:>+|[-+*](?=[ \t]|$)|[0-9]{1,9}[.)](?=[ \t]|$)))+/gm;

/** The words a reader must find in the rendering of `source`, in order. */
export function expectedWords(source: string): string[] {
  const text = source.replace(CHARACTER_REFERENCE, ' ').replace(INVISIBLE_CHARS, ' ').replace(LIST_ITEM_NUMBERS, ' ');
  return text.match(WORD) ?? [];
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" };

/** The text of renderer HTML as a reader sees it: tags gone (they carry no text), entities decoded. */
export function textOfHtml(html: string): string {
  return html.replace(/<[^>]*>/g, '').replace(/&(amp|lt|gt|quot|#39);/g, (_, name: string) => ENTITY[name]!);
}

/** The first word of `source` the rendered `html` does not show (in order), or undefined when it shows them all. */
export function firstMissingWord(source: string, html: string): string | undefined {
  const text = textOfHtml(html);
  let at = 0;
  for (const word of expectedWords(source)) {
    const found = text.indexOf(word, at);
    if (found < 0) return word;
    at = found + word.length;
  }
  return undefined;
}
