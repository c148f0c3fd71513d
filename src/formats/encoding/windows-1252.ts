/**
 * Windows-1252 decoded by Sluice itself, because Node's TextDecoder gets it wrong: since Node
 * 20.18.3 / 22.13.0 its `windows-1252` (and so `latin1`, `iso-8859-1`, `cp1252`) decoder takes a
 * Latin-1 fast path and turns 0x80–0x9F into C1 control characters instead of € ‚ „ … “ ” – —
 * (nodejs/node#56542, #60888). Windows-1252 is Latin-1 plus 32 code points for those bytes
 * (the WHATWG index), so: decode as Latin-1 (a straight byte → char copy) and patch those bytes
 * when the text has any. Decoding is stateless, so a stream of pieces needs no state either.
 */

/** WHATWG index-windows-1252 for bytes 0x80–0x9F (0x81, 0x8D, 0x8F, 0x90, 0x9D stay as they are). */
const HIGH_HALF = '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F'
  + '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

const C1 = /[\x80-\x9f]/;
const C1_ALL = /[\x80-\x9f]/g;

function windows1252Char(c1: string): string {
  return HIGH_HALF[c1.charCodeAt(0) - 0x80];
}

export class Windows1252Decoder {
  readonly encoding = 'windows-1252';

  decode(bytes: Uint8Array, _options?: { stream?: boolean }): string {
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
    return C1.test(text) ? text.replace(C1_ALL, windows1252Char) : text;
  }
}
