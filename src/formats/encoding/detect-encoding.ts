import { isAscii, isUtf8 } from 'node:buffer';
import { createRequire } from 'node:module';
import type * as Chardet from 'chardet';
import { SluiceError } from '../../errors.js';
import { BINARY_PROBE_BYTES, binaryReason } from './binary-content.js';
import { scriptCoherence } from './script-coherence.js';
import { canonicalEncoding, createDecoder, startsWithBom } from './text-encoding.js';

/**
 * Works out a file's text encoding from the sniff sample, in this order:
 *
 *   1. `--encoding` (the user knows best); a BOM of that encoding is skipped.
 *   2. A byte order mark: UTF-8, UTF-16LE/BE (UTF-32 is refused).
 *   3. UTF-16 without a BOM: a CSV is mostly ASCII, so one byte of almost every code unit is zero,
 *      always on the same side, all through the head — checked by decoding the head and finding
 *      text (with line breaks), not noise. One NUL in a UTF-8 file is not that pattern.
 *   4. Binary data — NULs and control bytes beyond a stray one (binary-content.ts) — fails with
 *      SLUICE_ERR_FORMAT_BINARY. A stray NUL in text is left to the parser: a NUL_BYTE reject.
 *   5. Valid UTF-8 (or mostly valid: more well-formed multi-byte sequences than broken ones, so a
 *      UTF-8 file with a few bad rows stays UTF-8 and those rows are rejected, not garbled).
 *   6. chardet's statistics for the rest (Windows-1252, Shift_JIS, GB18030, …); its best guess
 *      that Sluice can read, checked against the other kind (see checkChardet): on a short file
 *      chardet ranks a single-byte code page first for almost anything, so a multi-byte candidate
 *      it ranked lower wins when it decodes the whole sample strictly and reads more coherently
 *      (script-coherence.ts) — and a multi-byte first guess gives way to the best single-byte one
 *      when that reads more coherently. chardet does not know ISO-8859-15: that one needs
 *      `--encoding`.
 *
 * Steps 1–5 cost under a millisecond (isUtf8 is SIMD); chardet (pure JS, ≈0.2 s per MiB) sees a
 * bounded part of the sample (68 KiB) and runs only for files that are not UTF-8.
 */

export interface DetectedEncoding {
  /** Canonical (WHATWG) name: `utf-8`, `utf-16le`, `windows-1252`, `shift_jis`, … */
  encoding: string;
  /** 0..1: how sure the detection is (1 for an override or a BOM). */
  confidence: number;
  /** Length of the byte order mark the file starts with (skipped before the data). */
  bomLength: number;
  /** What decided it. */
  source: 'override' | 'bom' | 'utf-16 pattern' | 'utf-8' | 'chardet' | 'coherence check' | 'fallback';
}

export interface EncodingSample {
  /** The first bytes of the file. */
  head: Uint8Array;
  headIsWholeFile: boolean;
  /** Stretches from later in the file, starting anywhere. */
  spots: Uint8Array[];
}

/**
 * chardet, loaded on first use: its recognisers take ~11 ms of CPU to load in every worker thread,
 * which a pool that only ever sees UTF-8 files should not pay.
 */
let chardet: typeof Chardet | undefined;
function chardetAnalyse(bytes: Uint8Array): Chardet.AnalyseResult {
  chardet ??= createRequire(import.meta.url)('chardet') as typeof Chardet;
  return chardet.analyse(bytes);
}

/** Bytes of the head looked at for the UTF-16 pattern. */
const UTF16_PROBE_BYTES = 64 * 1024;
/** The pattern is looked for in every stretch of this many bytes (32 code units: a short line). */
const UTF16_BLOCK_BYTES = 64;
/** Bytes given to chardet (≈0.2 ms per KiB): the head's first part and a little of each spot. */
const CHARDET_HEAD_BYTES = 48 * 1024;
const CHARDET_SPOT_BYTES = 4 * 1024;
/** A sample that is all ASCII fits every ASCII-compatible encoding: UTF-8 is a guess about the rest. */
const ASCII_ONLY_CONFIDENCE = 0.9;

export function detectEncoding(sample: EncodingSample, override?: string): DetectedEncoding {
  const { head } = sample;
  if (override !== undefined) {
    const encoding = canonicalEncoding(override);
    if (encoding === null) throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `--encoding: ${JSON.stringify(override)} is not an encoding Sluice can read`);
    return { encoding, confidence: 1, bomLength: bomLengthFor(head, encoding), source: 'override' };
  }

  if (head.length >= 4 && ((head[0] === 0xff && head[1] === 0xfe && head[2] === 0 && head[3] === 0) || (head[0] === 0 && head[1] === 0 && head[2] === 0xfe && head[3] === 0xff))) {
    throw new SluiceError('SLUICE_ERR_FORMAT_UNSUPPORTED', 'UTF-32 text is not supported (a UTF-32 byte order mark); convert it to UTF-8 or UTF-16');
  }
  for (const encoding of ['utf-8', 'utf-16le', 'utf-16be']) {
    if (startsWithBom(head, encoding)) return { encoding, confidence: 1, bomLength: bomLengthFor(head, encoding), source: 'bom' };
  }

  const utf16 = utf16Pattern(head, sample.headIsWholeFile);
  if (utf16 !== null) return { encoding: utf16, confidence: 0.95, bomLength: 0, source: 'utf-16 pattern' };

  const binary = binaryReason(head.subarray(0, BINARY_PROBE_BYTES));
  if (binary !== null) throw new SluiceError('SLUICE_ERR_FORMAT_BINARY', `not a text file: ${binary} (and not UTF-16)`);

  const regions = textRegions(sample);
  if (regions.every((r) => isUtf8(r))) {
    return { encoding: 'utf-8', confidence: regions.every((r) => isAscii(r)) ? ASCII_ONLY_CONFIDENCE : 1, bomLength: 0, source: 'utf-8' };
  }
  let valid = 0;
  let invalid = 0;
  for (const region of regions) {
    const counts = utf8Sequences(region);
    valid += counts.valid;
    invalid += counts.invalid;
  }
  if (valid > invalid) return { encoding: 'utf-8', confidence: round(valid / (valid + invalid)), bomLength: 0, source: 'utf-8' };

  const matches = chardetAnalyse(chardetSample(sample)).filter((m) => !m.name.startsWith('UTF-') && canonicalEncoding(m.name) !== null);
  // Not UTF-8 (counted above); UTF-16/32 would have had a BOM or the pattern. chardet's statistics
  // often rank a Central European code page first for short Western text ("crème" read as
  // "crčme"); Windows-1252 is by far the most common legacy encoding, so it wins whenever chardet
  // finds it at least half as likely as a Latin neighbour it put first.
  const top = matches[0];
  if (top !== undefined) {
    const western = matches.find((m) => canonicalEncoding(m.name) === 'windows-1252');
    const chosen = western !== undefined && LATIN_NEIGHBOURS.has(canonicalEncoding(top.name)!) && western.confidence * 2 >= top.confidence ? western : top;
    const checked = checkChardet(sample, matches.map((m) => canonicalEncoding(m.name)!), canonicalEncoding(chosen.name)!, chosen.confidence);
    if (checked !== null) return checked;
    return { encoding: canonicalEncoding(chosen.name)!, confidence: round(chosen.confidence / 100), bomLength: 0, source: 'chardet' };
  }
  // Nothing fits: read it as UTF-8, so the rows that are not are rejected rather than garbled.
  return { encoding: 'utf-8', confidence: 0, bomLength: 0, source: 'fallback' };
}

/** Encodings with characters of two or more bytes that chardet may offer (all ASCII-compatible). */
const MULTI_BYTE: ReadonlySet<string> = new Set(['shift_jis', 'euc-jp', 'gb18030', 'gbk', 'big5', 'euc-kr']);

/**
 * chardet's choice checked against the other kind of reading, by strict decoding and script
 * coherence; null to keep it. Competing: the choice (a multi-byte one that does not decode
 * strictly is read leniently — a broken row or two), chardet's best single-byte candidate when it
 * chose a multi-byte one, and every multi-byte candidate it ranked that decodes strictly. The most
 * coherent reading wins; on a tie a strict multi-byte reading first (text in another encoding
 * hardly ever decodes strictly as one), between two of those the one with more Hangul or kana
 * (see Coherence.phonetic), then chardet's order.
 */
function checkChardet(sample: EncodingSample, ranked: readonly string[], chosen: string, chosenConfidence: number): DetectedEncoding | null {
  const chosenIsMultiByte = MULTI_BYTE.has(chosen);
  const chosenIsStrict = chosenIsMultiByte && decodesStrictly(sample, chosen);
  // chardet found the encoding's frequent characters (its multi-byte recognisers score exactly 10
  // on none): no other reading is worth the cost of decoding the sample again.
  if (chosenIsStrict && chosenConfidence > CHARDET_NO_FREQUENT_CHARACTERS) return null;
  const contenders = ranked.filter((e, i) => MULTI_BYTE.has(e) && e !== chosen && ranked.indexOf(e) === i && decodesStrictly(sample, e));
  if (!chosenIsMultiByte && contenders.length === 0) return null;
  const bytes = chardetSample(sample);
  const read = (encoding: string, strictMultiByte: boolean) => ({ encoding, strictMultiByte, ...scriptCoherence(createDecoder(encoding).decode(bytes)) });
  const readings = [read(chosen, chosenIsStrict)];
  if (chosenIsMultiByte) {
    const single = ranked.find((e) => !MULTI_BYTE.has(e));
    if (single !== undefined) readings.push(read(single, false));
  }
  for (const encoding of contenders) readings.push(read(encoding, true));
  let best = readings[0];
  for (const reading of readings.slice(1)) {
    if (reading.score <= 0) continue;
    if (reading.score > best.score) best = reading;
    else if (reading.score === best.score && reading.strictMultiByte && (!best.strictMultiByte || reading.phonetic > best.phonetic)) best = reading;
  }
  if (best === readings[0]) return null;
  // Sure in proportion to how clean the reading is and how much of it there was.
  const confidence = Math.max(0, best.score) * (best.characters / (best.characters + HALF_CONFIDENCE_CHARACTERS));
  return { encoding: best.encoding, confidence: round(confidence), bomLength: 0, source: 'coherence check' };
}

/** chardet's score for a multi-byte encoding whose frequent characters it did not find (few, or none, in the sample). */
const CHARDET_NO_FREQUENT_CHARACTERS = 10;
/** Characters of a coherent reading for half confidence. */
const HALF_CONFIDENCE_CHARACTERS = 10;

/**
 * Whether every region of the sample decodes without an invalid sequence (a fatal TextDecoder).
 * A region cut before the file's end may end inside a character (streamed, not flushed); a spot
 * starts anywhere, so it is decoded from its first line feed on — a byte no multi-byte character
 * of these encodings contains.
 */
function decodesStrictly(sample: EncodingSample, encoding: string): boolean {
  try {
    new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(sample.head, { stream: !sample.headIsWholeFile });
    for (const spot of sample.spots) {
      const lf = spot.indexOf(0x0a);
      if (lf !== -1) new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(spot.subarray(lf + 1), { stream: true });
    }
    return true;
  } catch {
    return false;
  }
}

/** Single-byte Latin code pages chardet confuses with Windows-1252. */
const LATIN_NEIGHBOURS: ReadonlySet<string> = new Set(['windows-1250', 'iso-8859-2', 'windows-1252', 'iso-8859-15']);

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function bomLengthFor(head: Uint8Array, encoding: string): number {
  if (startsWithBom(head, encoding)) return encoding === 'utf-8' ? 3 : 2;
  return 0;
}

/**
 * UTF-16 without a BOM, from where the zero bytes are: in an ASCII-heavy text most units have a
 * zero high byte (odd offsets in little-endian, even in big-endian) and few have a zero low byte. Binary data can show a pattern too (arrays of small integers), so the candidate must
 * also decode to text: line breaks, hardly any control characters or broken surrogates.
 */
function utf16Pattern(head: Uint8Array, headIsWholeFile: boolean): 'utf-16le' | 'utf-16be' | null {
  const length = Math.min(head.length, UTF16_PROBE_BYTES) & ~1;
  const units = length / 2;
  if (units < 2) return null;
  let zeroEven = 0;
  let zeroOdd = 0;
  for (let i = 0; i < length; i += 2) {
    if (head[i] === 0) zeroEven++;
    if (head[i + 1] === 0) zeroOdd++;
  }
  let candidate: 'utf-16le' | 'utf-16be';
  // A low byte is zero only for U+xx00 characters (and half of some emoji): rare, but not never.
  if (zeroOdd >= units * 0.1 && zeroEven * 4 <= zeroOdd) candidate = 'utf-16le';
  else if (zeroEven >= units * 0.1 && zeroOdd * 4 <= zeroEven) candidate = 'utf-16be';
  else return null;
  // The pattern must run through the head, not sit in one place (a stray NUL in a short UTF-8 file).
  const zeroSide = candidate === 'utf-16le' ? 1 : 0;
  let blocks = 0;
  let blocksWithZero = 0;
  for (let block = 0; block < length; block += UTF16_BLOCK_BYTES) {
    blocks++;
    const blockEnd = Math.min(length, block + UTF16_BLOCK_BYTES);
    for (let i = block + zeroSide; i < blockEnd; i += 2) {
      if (head[i] === 0) {
        blocksWithZero++;
        break;
      }
    }
  }
  if ((candidate === 'utf-16le' ? zeroOdd : zeroEven) < 2 || blocksWithZero * 2 < blocks) return null;

  const text = new TextDecoder(candidate, { ignoreBOM: true }).decode(head.subarray(0, length));
  let noise = 0;
  let lineBreaks = 0;
  // The last unit may be half of a surrogate pair cut by the sample's end.
  const checked = headIsWholeFile ? text.length : text.length - 1;
  for (let i = 0; i < checked; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) lineBreaks++;
    else if ((c < 0x20 && c !== 0x09) || c === 0xfffd) noise++;
  }
  if (noise > units * 0.01) return null;
  // No line break in the UTF-16 reading while the bytes hold line feeds: they are lines of a
  // byte-oriented text, split by its own LF bytes.
  if (lineBreaks === 0 && (!headIsWholeFile || head.subarray(0, length).indexOf(0x0a) !== -1)) return null;
  return candidate;
}

/**
 * The sample as whole characters: a spot starts anywhere (skip continuation bytes) and a region
 * cut before the file's end may end inside a character (drop that character).
 */
function textRegions(sample: EncodingSample): Buffer[] {
  const regions: Buffer[] = [];
  const head = Buffer.from(sample.head.buffer, sample.head.byteOffset, sample.head.length);
  const headFrom = startsWithBom(head, 'utf-8') ? 3 : 0;
  regions.push(head.subarray(headFrom, sample.headIsWholeFile ? head.length : completeUtf8End(head)));
  for (const spot of sample.spots) {
    const bytes = Buffer.from(spot.buffer, spot.byteOffset, spot.length);
    let from = 0;
    while (from < bytes.length && from < 3 && (bytes[from] & 0xc0) === 0x80) from++;
    regions.push(bytes.subarray(from, completeUtf8End(bytes)));
  }
  return regions;
}

/** The end of `bytes` without a trailing, incomplete UTF-8 sequence. */
function completeUtf8End(bytes: Uint8Array): number {
  const length = bytes.length;
  for (let back = 1; back <= 4 && back <= length; back++) {
    const b = bytes[length - back];
    if ((b & 0xc0) === 0x80) continue;
    const needed = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return needed > back ? length - back : length;
  }
  return length;
}

/** Well-formed multi-byte UTF-8 sequences and broken ones (a lead without its continuation bytes, a stray byte). */
function utf8Sequences(bytes: Uint8Array): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  const length = bytes.length;
  for (let i = 0; i < length; i++) {
    const b = bytes[i];
    if (b < 0x80) continue;
    const trail = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let k = 0;
    while (k < trail && i + 1 + k < length && (bytes[i + 1 + k] & 0xc0) === 0x80) k++;
    if (trail > 0 && k === trail) {
      valid++;
      i += trail;
    } else {
      invalid++;
      i += k;
    }
  }
  return { valid, invalid };
}

function chardetSample(sample: EncodingSample): Uint8Array {
  const parts = [sample.head.subarray(0, CHARDET_HEAD_BYTES), ...sample.spots.map((s) => s.subarray(0, CHARDET_SPOT_BYTES))];
  return Buffer.concat(parts);
}
