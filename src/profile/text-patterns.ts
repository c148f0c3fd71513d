/**
 * Pattern classes of a text value, read from its UTF-8 bytes in one pass (no decoding, no regular
 * expression), together with its length in characters (bytes that are not UTF-8 continuation
 * bytes). Letters are ASCII letters and every non-ASCII character; the shapes are checked first:
 *
 *   empty       ''
 *   uuid        8-4-4-4-12 hexadecimal digits
 *   date        YYYY-MM-DD, optionally followed by a time ('T' or ' ' and anything)
 *   url         http:// or https:// and at least one more character
 *   email       one '@' with text before it, and a '.' after it with text on both sides; no spaces
 *   digits      ASCII digits only
 *   letters     letters only
 *   alphanumeric letters and digits only, both present
 *   other       anything else (spaces, punctuation, signs, decimal points, …)
 */

export const PATTERN_CLASSES = ['empty', 'uuid', 'date', 'url', 'email', 'digits', 'letters', 'alphanumeric', 'other'] as const;
export type PatternClass = (typeof PATTERN_CLASSES)[number];

export const PATTERN_EMPTY = 0;
export const PATTERN_UUID = 1;
export const PATTERN_DATE = 2;
export const PATTERN_URL = 3;
export const PATTERN_EMAIL = 4;
export const PATTERN_DIGITS = 5;
export const PATTERN_LETTERS = 6;
export const PATTERN_ALPHANUMERIC = 7;
export const PATTERN_OTHER = 8;

/** Characters in the last value classified (see classifyText). */
export let textLength = 0;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isUuid(bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < 36; i++) {
    const c = bytes[start + i];
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!isHex(c)) return false;
  }
  return true;
}

function isDate(bytes: Uint8Array, start: number, length: number): boolean {
  if (length < 10) return false;
  for (let i = 0; i < 10; i++) {
    const c = bytes[start + i];
    if (i === 4 || i === 7) {
      if (c !== 0x2d) return false;
    } else if (!isDigit(c)) return false;
  }
  return length === 10 || bytes[start + 10] === 0x54 || bytes[start + 10] === 0x20;
}

function startsWithAscii(bytes: Uint8Array, start: number, end: number, prefix: string): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[start + i] !== prefix.charCodeAt(i)) return false;
  return true;
}

// Per byte, what the main loop counts: bit 0 starts a character (not a UTF-8 continuation byte),
// bit 1 an ASCII digit, bit 2 a letter (ASCII letter or any non-ASCII byte), bit 3 an '@'.
const STARTS = 1;
const DIGIT = 2;
const LETTER = 4;
const AT = 8;
const BYTE_CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  let bits = (c & 0xc0) !== 0x80 ? STARTS : 0;
  if (isDigit(c)) bits |= DIGIT;
  else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c >= 0x80) bits |= LETTER;
  else if (c === 0x40) bits |= AT;
  BYTE_CLASS[c] = bits;
}

/** The one '@' at `at`: a '.' after it with text on both sides, no space or control character, no final '.'. */
function isEmail(bytes: Uint8Array, start: number, end: number, at: number): boolean {
  if (at === start || bytes[end - 1] === 0x2e) return false;
  let dotAfterAt = false;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c <= 0x20) return false;
    if (c === 0x2e && i > at + 1 && i < end - 1) dotAfterAt = true;
  }
  return dotAfterAt;
}

/** Returns the PATTERN_* index of bytes[start, end) and leaves its character count in textLength. */
export function classifyText(bytes: Uint8Array, start: number, end: number): number {
  // One table load per byte and no branch on it; the rarer shapes are checked after, on their own.
  let characters = 0;
  let digits = 0;
  let letters = 0;
  let ats = 0;
  let at = -1;
  for (let i = start; i < end; i++) {
    const bits = BYTE_CLASS[bytes[i]];
    characters += bits & STARTS;
    digits += (bits >> 1) & 1;
    letters += (bits >> 2) & 1;
    if (bits >= AT) {
      ats++;
      at = i;
    }
  }
  textLength = characters;
  const length = end - start;
  if (length === 0) return PATTERN_EMPTY;
  if (length === 36 && isUuid(bytes, start)) return PATTERN_UUID;
  if (isDate(bytes, start, length)) return PATTERN_DATE;
  if ((startsWithAscii(bytes, start, end, 'http://') && length > 7) || (startsWithAscii(bytes, start, end, 'https://') && length > 8)) {
    return PATTERN_URL;
  }
  if (ats === 1 && isEmail(bytes, start, end, at)) return PATTERN_EMAIL;
  if (digits + letters < length) return PATTERN_OTHER;
  if (letters === 0) return PATTERN_DIGITS;
  if (digits === 0) return PATTERN_LETTERS;
  return PATTERN_ALPHANUMERIC;
}
