import { SluiceError } from '../../errors.js';
import { Windows1252Decoder } from './windows-1252.js';

/**
 * Which text encodings Sluice reads, under which names, and how their code units are laid out.
 *
 * Names are the WHATWG Encoding Standard's (what TextDecoder implements): a label is turned into
 * the decoder's own canonical name, so `latin1`, `cp1252` and `iso-8859-1` all read as
 * `windows-1252` — as in every browser. The two differ only at 0x80–0x9F, where ISO-8859-1 has C1
 * control characters that real text does not contain and Windows-1252 has € ‚ „ … “ ” –.
 *
 * Everything but UTF-16 is ASCII-compatible in the way the row cut needs: a byte below 0x40 (LF,
 * CR, the quote characters `"` and `'`) is always that character, never part of a multi-byte one
 * (Shift_JIS and Big5 trail bytes start at 0x40, GB18030's at 0x30 only in its four-byte form's
 * digit positions, EUC's at 0xA1), so the planner cuts their raw bytes exactly as UTF-8's. Trail
 * bytes may be `\` (0x5C) or `|` (0x7C), which is why fields are only ever split after decoding.
 */

/** How the code units of an encoding sit in the bytes. */
export type CodeUnits = 'bytes' | 'utf16le' | 'utf16be';

/** Encodings TextDecoder knows that Sluice does not read: stateful (ISO-2022-JP: ASCII bytes inside characters) or not text. */
const UNREADABLE = new Set(['iso-2022-jp', 'replacement', 'x-user-defined']);

/** Multi-byte encodings whose trail bytes include 0x40–0x7E: a quote character there would be ambiguous. */
const ASCII_TRAIL_BYTES = new Set(['shift_jis', 'gb18030', 'gbk', 'big5']);

/** The canonical (WHATWG, lowercase) name for a label, or null when Sluice cannot read that encoding. */
export function canonicalEncoding(label: string): string | null {
  let name: string;
  try {
    name = new TextDecoder(label.trim()).encoding;
  } catch {
    return null;
  }
  return UNREADABLE.has(name) ? null : name;
}

/** An `--encoding` value as the canonical name it stands for. */
export function overrideEncoding(label: string): string {
  const name = canonicalEncoding(label);
  if (name === null) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID',
      `--encoding: ${JSON.stringify(label)} is not an encoding Sluice can read (utf-8, utf-16le, utf-16be, windows-1252, iso-8859-15, shift_jis, gb18030, …)`);
  }
  return name;
}

export function codeUnitsOf(encoding: string): CodeUnits {
  if (encoding === 'utf-16le') return 'utf16le';
  if (encoding === 'utf-16be') return 'utf16be';
  return 'bytes';
}

/** Bytes per code unit: where a newline or a quote may sit. */
export function unitWidth(units: CodeUnits): 1 | 2 {
  return units === 'bytes' ? 1 : 2;
}

/** Whether an ASCII byte at or above 0x40 may be the trail byte of a character in this encoding. */
export function hasAsciiTrailBytes(encoding: string): boolean {
  return ASCII_TRAIL_BYTES.has(encoding);
}

/** The byte order mark an encoding may start with (empty when it has none). */
export function byteOrderMark(encoding: string): readonly number[] {
  if (encoding === 'utf-8') return [0xef, 0xbb, 0xbf];
  if (encoding === 'utf-16le') return [0xff, 0xfe];
  if (encoding === 'utf-16be') return [0xfe, 0xff];
  return [];
}

/** Whether `bytes` start with the encoding's byte order mark. */
export function startsWithBom(bytes: Uint8Array, encoding: string): boolean {
  const bom = byteOrderMark(encoding);
  if (bom.length === 0 || bytes.length < bom.length) return false;
  for (let i = 0; i < bom.length; i++) if (bytes[i] !== bom[i]) return false;
  return true;
}

/** What decoding needs of a TextDecoder. */
export interface TextDecoding {
  decode(bytes: Uint8Array, options?: { stream?: boolean }): string;
}

/**
 * A decoder for a canonical encoding name: TextDecoder (ICU; invalid sequences become U+FFFD, a
 * BOM is kept as text — the caller skips it), except Windows-1252, which Node decodes wrongly.
 */
export function createDecoder(encoding: string): TextDecoding {
  return encoding === 'windows-1252' ? new Windows1252Decoder() : new TextDecoder(encoding, { ignoreBOM: true });
}

/** Decodes a whole sample to UTF-8 bytes (invalid sequences become U+FFFD). Not for the hot path. */
export function decodeToUtf8(bytes: Uint8Array, encoding: string): Buffer {
  return Buffer.from(createDecoder(encoding).decode(bytes), 'utf8');
}
