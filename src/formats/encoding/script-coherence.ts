/**
 * How much a decoding reads like text: chardet's statistics need a few hundred characters, and
 * on a short file they rank a single-byte code page first for almost anything (a Shift_JIS file of
 * names read as KOI8-R or Windows-1252). A wrong decoding is told apart by its words: text in the
 * wrong encoding mixes scripts inside a word (ASCII letters with kanji when Western text is read
 * as Shift_JIS, Cyrillic or box-drawing characters between the ASCII trail bytes of Shift_JIS read
 * as KOI8-R, half-width katakana glued to kanji when KOI8-R is read as Shift_JIS) and holds
 * characters no exporter writes (C1 controls, private-use code points, U+FFFD).
 *
 * A word is a run of characters between ASCII spaces, digits and punctuation. It is coherent when
 * its letters are of one script and no symbol sits inside it (quotes and brackets at its edges are
 * fine). The score is the share of non-ASCII characters in coherent words minus the share in
 * incoherent ones, with noise counted twice: 1 for clean text, below 0 for most wrong decodings.
 */

const Script = {
  /** ASCII other than letters: ends a word. */
  Break: 0,
  Latin: 1,
  Greek: 2,
  Cyrillic: 3,
  Hebrew: 4,
  Arabic: 5,
  Thai: 6,
  /** Han, kana, Hangul and the full-width forms and punctuation written among them. */
  Cjk: 7,
  HalfwidthKatakana: 8,
  /** Punctuation and signs (“ ” – € ° ×), emoji: fine at a word's edge, not inside it. */
  Symbol: 9,
  /** C1 controls, private use, U+FFFD, box drawing: not in real text. */
  Noise: 10,
} as const;
type ScriptCode = (typeof Script)[keyof typeof Script];

function scriptOf(c: number): ScriptCode {
  if (c < 0x80) return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? Script.Latin : Script.Break;
  if (c < 0xa0) return Script.Noise;
  if (c < 0xc0) return Script.Symbol;
  if (c < 0x250) return c === 0xd7 || c === 0xf7 ? Script.Symbol : Script.Latin;
  if (c >= 0x370 && c < 0x400) return Script.Greek;
  if (c >= 0x400 && c < 0x530) return Script.Cyrillic;
  if (c >= 0x590 && c < 0x600) return Script.Hebrew;
  if (c >= 0x600 && c < 0x700) return Script.Arabic;
  if (c >= 0xe00 && c < 0xe80) return Script.Thai;
  if (c >= 0x1100 && c < 0x1200) return Script.Cjk;
  if (c >= 0x1e00 && c < 0x1f00) return Script.Latin;
  if (c >= 0x2500 && c < 0x25a0) return Script.Noise;
  if (c >= 0x3000 && c < 0xa000) return Script.Cjk;
  if (c >= 0xac00 && c < 0xd7b0) return Script.Cjk;
  if (c >= 0xe000 && c < 0xf900) return Script.Noise;
  if (c >= 0xf900 && c < 0xfb00) return Script.Cjk;
  if (c >= 0xff01 && c < 0xff61) return Script.Cjk;
  if (c >= 0xff61 && c < 0xffa0) return Script.HalfwidthKatakana;
  if (c >= 0xffe0 && c < 0xffe7) return Script.Cjk;
  if (c === 0xfffd) return Script.Noise;
  return Script.Symbol;
}

export interface Coherence {
  /** -2..1: see the module comment. */
  score: number;
  /** Non-ASCII characters looked at. */
  characters: number;
  /**
   * Share of them that are Hangul syllables or full-width kana in coherent words. Han characters
   * come out of almost any pairing of high bytes (Korean read as Big5 is all hanzi); Hangul and
   * kana only where the text is written in them — so between two clean CJK readings, the one with
   * more of them is the text's own. (Half-width katakana are left out: every byte 0xA1–0xDF reads
   * as one in Shift_JIS.)
   */
  phonetic: number;
}

function isPhonetic(c: number): boolean {
  return (c >= 0xac00 && c < 0xd7b0) || (c >= 0x3041 && c < 0x3100);
}

export function scriptCoherence(text: string): Coherence {
  let coherent = 0;
  let incoherent = 0;
  let noise = 0;
  let phonetic = 0;
  const length = text.length;
  let i = 0;
  while (i < length) {
    // One word: [start, end), its edges' symbols stripped.
    while (i < length && scriptOf(text.charCodeAt(i)) === Script.Break) i++;
    const start = i;
    while (i < length && scriptOf(text.charCodeAt(i)) !== Script.Break) i++;
    let from = start;
    let to = i;
    let outerNonAscii = 0;
    while (from < to && scriptOf(text.charCodeAt(from)) === Script.Symbol) { from++; outerNonAscii++; }
    while (to > from && scriptOf(text.charCodeAt(to - 1)) === Script.Symbol) { to--; outerNonAscii++; }
    let script: ScriptCode = Script.Break;
    let mixed = false;
    let nonAscii = 0;
    let wordPhonetic = 0;
    for (let k = from; k < to; k++) {
      const c = text.charCodeAt(k);
      const s = scriptOf(c);
      if (c >= 0x80) nonAscii++;
      if (isPhonetic(c)) wordPhonetic++;
      if (s === Script.Noise) noise++;
      if (s === Script.Symbol || s === Script.Noise) mixed = true;
      else if (script === Script.Break) script = s;
      else if (s !== script) mixed = true;
    }
    if (nonAscii === 0) continue;
    if (mixed) {
      incoherent += nonAscii + outerNonAscii;
    } else {
      coherent += nonAscii + outerNonAscii;
      phonetic += wordPhonetic;
    }
  }
  const characters = coherent + incoherent;
  if (characters === 0) return { score: 0, characters, phonetic: 0 };
  return { score: (coherent - incoherent - noise) / characters, characters, phonetic: phonetic / characters };
}
