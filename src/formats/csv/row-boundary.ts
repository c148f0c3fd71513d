import type { CsvDialect } from './dialect.js';
import { bufferView, countUnits } from '../encoding/code-units.js';

/**
 * Finding where rows end without parsing fields — what the scheduler needs to cut a file into
 * row-aligned chunks. A newline ends a row only outside quotes, and "outside quotes" is the parity
 * of the quote bytes seen since a known row start: a doubled (escaped) quote adds two and keeps the
 * parity, so counting quotes is exact for RFC 4180 files. It is also exactly how csv-parser
 * decides where its lines end, so chunking never disagrees with the reference parser.
 *
 * Quotes are usually rare, so they are found with `indexOf` (memchr speed); when they turn out to
 * be dense (every field quoted), a plain byte loop is cheaper than one native call per quote.
 */

/** Number of `byte` occurrences in bytes[from, to). */
export function countByte(bytes: Uint8Array, byte: number, from: number, to: number): number {
  // A view bounds indexOf to the range; without it every miss would scan to the end of the buffer.
  const view = bytes.subarray(from, to);
  const length = view.length;
  let count = 0;
  let i = 0;
  // indexOf pays a native call per hit; once hits are denser than one per 64 bytes, loop instead.
  let budget = 64;
  while (i < length) {
    const hit = view.indexOf(byte, i);
    if (hit === -1) return count;
    count++;
    i = hit + 1;
    if (--budget === 0) {
      if (i < count * 64) {
        for (; i < length; i++) if (view[i] === byte) count++;
        return count;
      }
      budget = 64;
    }
  }
  return count;
}

/**
 * The index just after the last row terminator in bytes[from, to) that lies outside quotes,
 * given that `from` is a row start (outside quotes). -1 when no row ends in the range.
 */
export function lastRowEnd(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect): number {
  const { quote, newline } = dialect;
  // Parity of the quotes before `to`, then walk back byte by byte (usually less than one row)
  // until a newline with an even number of quotes before it.
  let parity = countByte(bytes, quote, from, to) & 1;
  for (let i = to - 1; i >= from; i--) {
    const c = bytes[i];
    if (c === quote) parity ^= 1;
    else if (c === newline && parity === 0) return i + 1;
  }
  return -1;
}

/**
 * lastRowEnd for UTF-16 (little- or big-endian) bytes: the same quote parity, counted in code
 * units — a quote or newline is a unit at an even offset from `from` whose other byte is zero, so
 * the 0x22 or 0x0A byte of another character (U+220A, U+0A22) never counts. The cut is always on
 * a unit boundary; an odd last byte (a unit cut in half by `to`) is left to the next chunk.
 */
export function lastRowEndUtf16(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, bigEndian: boolean): number {
  const { quote, newline } = dialect;
  const end = from + ((to - from) & ~1);
  const units = bigEndian ? 'utf16be' : 'utf16le';
  let parity = countUnits(bufferView(bytes, from, end), quote, units) & 1;
  const low = bigEndian ? 1 : 0;
  const high = 1 - low;
  for (let i = end - 2; i >= from; i -= 2) {
    if (bytes[i + high] !== 0) continue;
    const c = bytes[i + low];
    if (c === quote) parity ^= 1;
    else if (c === newline && parity === 0) return i + 2;
  }
  return -1;
}

/**
 * The index just after the first row terminator at or after `from` that lies outside quotes
 * (`from` being a row start), or `to` when the range ends first (the last row of a file).
 * Also reports whether a quote was still open at `to`.
 */
export function nextRowEnd(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect): { end: number; unclosedQuote: boolean } {
  const { quote, newline } = dialect;
  let inQuotes = false;
  for (let i = from; i < to; i++) {
    const c = bytes[i];
    if (c === quote) inQuotes = !inQuotes;
    else if (c === newline && !inQuotes) return { end: i + 1, unclosedQuote: false };
  }
  return { end: to, unclosedQuote: inQuotes };
}
