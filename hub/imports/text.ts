/** Small string helpers shared by the import readers and validators (pure). */

const NON_ASCII = /[\u0080-\uffff]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * Full-width letters, digits and punctuation as typed with a Chinese IME ("Ｒ３", "２０２６／０１／０５",
 * "期限（月）") folded to ASCII by NFKC. ASCII strings are returned as they are, without normalising.
 */
export function foldWidth(value: string): string {
  return NON_ASCII.test(value) ? value.normalize("NFKC") : value;
}

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value);
}

/** Length in Unicode code points, so that a CJK extension character counts once. */
export function codePointLength(value: string): number {
  let length = 0;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    // a high surrogate followed by its low surrogate is one code point
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < value.length) {
      const next = value.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++;
    }
    length++;
  }
  return length;
}

/** 0 → "A", 25 → "Z", 26 → "AA": the spreadsheet letter of a 0-based column index. */
export function columnLetter(index: number): string {
  let letters = "";
  let n = index + 1;
  while (n > 0) {
    const rest = (n - 1) % 26;
    letters = String.fromCharCode(65 + rest) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}
