import { bufferView } from '../encoding/code-units.js';
import { CR, type CsvDialect, LF, NONE } from './dialect.js';

/**
 * The reference reading of one CSV record's fields, by the rule in dialect.ts: a field is quoted
 * only when it starts with the quote; inside, a quote closes it only before a delimiter or the
 * record's end (a doubled quote is one quote, any other quote is text); an escape byte makes the
 * next byte text. The hot path in parse-chunk.ts handles well-formed rows itself and falls back
 * to this for anything unusual; the sniffer uses it for headers and samples.
 *
 * `start`/`end` delimit the record without its terminator (a trailing CR before LF already
 * removed), as row-boundary.ts found it.
 */
export function parseRecord(bytes: Uint8Array, start: number, end: number, dialect: CsvDialect): string[] {
  const ranges: number[] = [];
  const count = fieldRanges(bytes, start, end, dialect, ranges);
  const cells = new Array<string>(count);
  for (let f = 0; f < count; f++) cells[f] = parseCell(bytes, ranges[2 * f], ranges[2 * f + 1], dialect);
  return cells;
}

/**
 * Where each field of a record lies, raw (quotes and escapes included), as [start, end) pairs in
 * `ranges`; returns the number of fields. The same reading as parseRecord without building
 * strings, for the sniffer's sample of thousands of records.
 */
export function fieldRanges(bytes: Uint8Array, start: number, end: number, dialect: CsvDialect, ranges: number[]): number {
  const { delimiter, quote } = dialect;
  const escape = dialect.escape === quote ? NONE : dialect.escape;
  ranges.length = 0;
  if (end <= start) return 0;
  let i = start;
  for (;;) {
    const fieldStart = i;
    if (i < end && bytes[i] === quote) {
      const closed = quotedFieldEnd(bytes, i, end, dialect);
      i = closed === -1 ? end : closed;
    }
    while (i < end && bytes[i] !== delimiter) i += bytes[i] === escape ? 2 : 1;
    if (i > end) i = end;
    ranges.push(fieldStart, i);
    if (i >= end) break;
    i++;
    if (i === end) { ranges.push(end, end); break; }
  }
  return ranges.length / 2;
}

/** Index just after the closing quote of the quoted field opening at `open`, or -1 if it does not close before `end`. */
function quotedFieldEnd(bytes: Uint8Array, open: number, end: number, dialect: CsvDialect): number {
  const { delimiter, quote, newline } = dialect;
  const escape = dialect.escape === quote ? NONE : dialect.escape;
  let i = open + 1;
  while (i < end) {
    const c = bytes[i];
    if (c === escape) { i += 2; continue; }
    if (c === quote) {
      if (i + 1 >= end) return end;
      const next = bytes[i + 1];
      if (next === quote) { i += 2; continue; }
      // A line end can be inside a record only as part of a quoted value; a CR of a CRLF still closes.
      if (next === delimiter || next === newline || (newline === LF && next === CR && (i + 2 >= end || bytes[i + 2] === LF))) return i + 1;
    }
    i++;
  }
  return -1;
}

/**
 * A field's value from its raw range: a quoted field loses its outer quotes and has its doubled
 * quotes undone; escapes are undone in either kind (`\N` alone, a MySQL dump's NULL, reads as
 * empty: NULL). Text after a closing quote that is not a delimiter cannot occur (the quote would
 * have been text), so a quoted field's value is everything between its quotes.
 */
export function parseCell(bytes: Uint8Array, start: number, end: number, dialect: CsvDialect): string {
  const { quote } = dialect;
  const escape = dialect.escape === quote ? NONE : dialect.escape;
  // A quoted field that does not close (only in a broken record) reads as written.
  const quoted = end > start && bytes[start] === quote && quotedFieldEnd(bytes, start, end, dialect) === end;
  if (quoted) {
    start++;
    end--;
  }
  if (end <= start) return '';
  if (!quoted && escape !== NONE && end - start === 2 && bytes[start] === escape && bytes[start + 1] === 0x4e) return '';
  let special = false;
  for (let i = start; i < end; i++) if ((quoted && bytes[i] === quote) || bytes[i] === escape) { special = true; break; }
  if (!special) return utf8Text(bytes, start, end);
  const unescaped = Buffer.allocUnsafe(end - start);
  let length = 0;
  for (let i = start; i < end; i++) {
    if (bytes[i] === escape && i + 1 < end) i++;
    else if (quoted && bytes[i] === quote && i + 1 < end && bytes[i + 1] === quote) i++;
    unescaped[length++] = bytes[i];
  }
  return unescaped.toString('utf8', 0, length);
}

/** bytes[start, end) as UTF-8 text: a Buffer decodes a range of itself; a plain Uint8Array needs a Buffer view over it first. */
function utf8Text(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.isBuffer(bytes) ? bytes.toString('utf8', start, end) : bufferView(bytes, start, end).toString('utf8');
}
