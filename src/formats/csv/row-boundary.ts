import { bufferView } from '../encoding/code-units.js';
import { CR, type CsvDialect, LF, NONE } from './dialect.js';

/**
 * Where records end, without building fields — what the scheduler needs to cut a file into
 * row-aligned chunks, the encoder to step over a row it cannot copy as it is, and the sniffer to
 * split its sample. The reading rule is the one in dialect.ts (RFC 4180, read leniently):
 *
 *   1,pizza 12" large,3      a quote inside an unquoted field is text
 *   2,"say ""hi""",4         a quote opens a field only at its start; doubled, it is one quote
 *   3,"XXX: "XXX XXX",5      inside, a quote not followed by a delimiter or line end is text
 *   4,"multi                 a line end inside quotes is part of the value
 *   line",6
 *
 * A quote that opens a field by mistake (`1,"12 inch,3`) and never closes would make the rest of
 * the file one record. So a record is *broken* when one of its quoted fields holds more than
 * `maxQuotedLines` line ends — far more than the file's records hold (the sniffer sets it per
 * file) — or when the last data ends inside one of its quoted fields. A broken record is only
 * its first physical line — rejected by the encoder — and reading resumes on the next line.
 * (Stricter rules were weighed and left out: breaking a multi-line field at a quote taken as
 * text, or at a record of the wrong width, splits readable records like `"oven\n12" stone",99`
 * into lines whose second one can pass for a row.) The rule depends only on the bytes from the record's start, so every
 * reader of a file (planner, encoder, sniffer) cuts the same records wherever it starts reading,
 * as long as it starts at a record start. It counts line ends rather than bytes because decoding
 * keeps line ends one for one: the planner reads a UTF-16 or Windows-1252 file's own bytes, the
 * encoder their UTF-8, and both must cut alike.
 *
 * `final` says the data ends where the file does (or where a planned chunk does, which the planner
 * only cuts after a record): a record may end there without a terminator. Otherwise a record that
 * reaches the end of the data is *partial*: more bytes are needed to tell where it ends.
 */

/** What makes a record broken (see above). */
export interface RecordLimits {
  /** Line ends a quoted field may hold (the sniffer sets it per file). */
  maxQuotedLines: number;
}

/** A quoted field holding more line ends than this makes its record broken, unless the file says otherwise. */
export const DEFAULT_MAX_QUOTED_LINES = 100;

export const DEFAULT_LIMITS: RecordLimits = { maxQuotedLines: DEFAULT_MAX_QUOTED_LINES };

/** For well-formed text (COPY rows Sluice wrote): nothing is broken. */
export const NO_LIMITS: RecordLimits = { maxQuotedLines: Number.MAX_SAFE_INTEGER };

export const RecordKind = {
  /** A complete record. */
  row: 0,
  /** An unclosed quote: the record is its first line (see above). */
  broken: 1,
  /** The data ended inside the record (never when `final`). */
  partial: 2,
  /** A comment line (dialect.comment at its start). */
  comment: 3,
} as const;

export type RecordKindCode = (typeof RecordKind)[keyof typeof RecordKind];

export interface RecordEnd {
  /** Index just after the record's terminator, or the end of the data. */
  end: number;
  kind: RecordKindCode;
}

/**
 * The code unit at `i`: the byte itself when `width` is 1; in UTF-16, the ASCII character of the
 * two-byte unit (`low` is the index of its low byte within the unit), or 0x100 for any other character.
 */
function unitAt(bytes: Uint8Array, i: number, width: number, low: number): number {
  if (width === 1) return bytes[i];
  return bytes[i + 1 - low] === 0 ? bytes[i + low] : 0x100;
}

/** Index just after the first line terminator at or after `from`, or `to`. */
function firstLineEnd(bytes: Uint8Array, from: number, to: number, newline: number, width: number, low: number): number {
  for (let i = from; i + width <= to; i += width) if (unitAt(bytes, i, width, low) === newline) return i + width;
  return to;
}

/**
 * The reference reading of one record starting at `from` (a record start), in code units of
 * `width` bytes: every dialect (escapes, comments, no quote) and UTF-16. Byte by byte; the plain
 * dialect has a faster path for the planner (lastPlainRowEnd), tested to agree with this one.
 */
function scanRecord(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, limits: RecordLimits, final: boolean,
  width = 1, low = 0): RecordEnd {
  const { delimiter, quote, newline, comment } = dialect;
  const { maxQuotedLines } = limits;
  const escape = dialect.escape === quote ? NONE : dialect.escape;
  const crlf = newline === LF;
  to = from + (((to - from) / width) | 0) * width;
  if (from < to && comment !== NONE && unitAt(bytes, from, width, low) === comment) {
    const end = firstLineEnd(bytes, from, to, newline, width, low);
    return { end, kind: end === to && !final && unitAt(bytes, to - width, width, low) !== newline ? RecordKind.partial : RecordKind.comment };
  }
  let i = from;
  let fieldStart = true;
  while (i < to) {
    const c = unitAt(bytes, i, width, low);
    if (fieldStart && c === quote) {
      let lines = 0;
      i += width;
      for (;;) {
        if (i >= to) {
          return final ? { end: firstLineEnd(bytes, from, to, newline, width, low), kind: RecordKind.broken } : { end: to, kind: RecordKind.partial };
        }
        const q = unitAt(bytes, i, width, low);
        if (q === escape) { i += 2 * width; continue; }
        if (q === quote) {
          if (i + width >= to) {
            // A quote at the very end closes the field only if nothing follows it.
            if (final) { i += width; break; }
            return { end: to, kind: RecordKind.partial };
          }
          const next = unitAt(bytes, i + width, width, low);
          if (next === quote) { i += 2 * width; continue; }
          i += width;
          if (next === delimiter || next === newline || (crlf && next === CR && (i + width >= to || unitAt(bytes, i + width, width, low) === LF))) break;
          continue;
        }
        if (q === newline && ++lines > maxQuotedLines) return { end: firstLineEnd(bytes, from, to, newline, width, low), kind: RecordKind.broken };
        i += width;
      }
      fieldStart = false;
      continue;
    }
    if (c === escape) { i += 2 * width; fieldStart = false; continue; }
    if (c === delimiter) { i += width; fieldStart = true; continue; }
    if (c === newline) return { end: i + width, kind: RecordKind.row };
    fieldStart = false;
    i += width;
  }
  return { end: to, kind: final ? RecordKind.row : RecordKind.partial };
}

/**
 * The record starting at `from` (a record start): where it ends and what it is. `final`: the data
 * ends at `to` (see the file comment); the encoder passes true, the planner never asks.
 */
export function nextRowEnd(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, limits = DEFAULT_LIMITS, final = true): RecordEnd {
  return scanRecord(bytes, from, to, dialect, limits, final);
}

/**
 * The index just after the last record that ends in bytes[from, to), `from` being a record start;
 * -1 when none does. What the planner cuts a chunk at: the records before it read the same
 * whatever follows `to`.
 */
export function lastRowEnd(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, limits = DEFAULT_LIMITS): number {
  if (dialect.escape === NONE && dialect.comment === NONE) return lastPlainRowEnd(bytes, from, to, dialect, limits);
  return lastRowEndReference(bytes, from, to, dialect, limits);
}

/** lastRowEnd by the reference reading, record by record (what the fast path is tested and measured against). */
export function lastRowEndReference(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, limits = DEFAULT_LIMITS): number {
  return lastRowEndByRecords(bytes, from, to, dialect, limits, 1, 0);
}

/** lastRowEnd for UTF-16 (little- or big-endian) bytes, in code units: a 0x22 or 0x0A byte of another character never counts. */
export function lastRowEndUtf16(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, bigEndian: boolean, limits = DEFAULT_LIMITS): number {
  return lastRowEndByRecords(bytes, from, to, dialect, limits, 2, bigEndian ? 1 : 0);
}

function lastRowEndByRecords(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, limits: RecordLimits, width: number, low: number): number {
  let last = -1;
  for (let at = from; at < to;) {
    const record = scanRecord(bytes, at, to, dialect, limits, false, width, low);
    if (record.kind === RecordKind.partial) break;
    // A record that ends at `to` without its terminator has not been seen to end.
    if (record.end === to && unitAt(bytes, to - width, width, low) !== dialect.newline) break;
    last = record.end;
    at = record.end;
  }
  return last;
}

/**
 * lastRowEnd for the common dialect (a quote or none, no escape, no comments) at memchr speed:
 * it jumps from quote to quote with indexOf and looks at bytes only around them — a quote that
 * does not start a field is text, so only quotes right after a delimiter or a line end matter.
 * Row ends are the line ends outside quoted fields. Where the latest one lies is worked out only
 * when it is needed (usually once, at the end, walking back less than a row): the scan keeps the
 * latest stretch of unquoted text known to hold a line end. When quotes are
 * dense (every field quoted), one native call per quote costs more than looking at every byte,
 * so the rest of the range is read by a byte loop instead (lastDenseRowEnd).
 */
function lastPlainRowEnd(bytes: Uint8Array, from: number, to: number, dialect: CsvDialect, limits: RecordLimits): number {
  const { delimiter, quote, newline } = dialect;
  const { maxQuotedLines } = limits;
  // Bounded at `to`, so that no search reads past it.
  const view = bufferView(bytes, 0, to);
  const crlf = newline === LF;
  /** A record start: `from`, or just after a row end found so far. */
  let rowStart = from;
  /** The latest stretch of unquoted text known to hold a line end, [stretchFrom, stretchTo); its last line end is a row end after rowStart. */
  let stretchFrom = -1;
  let stretchTo = -1;
  /** Where the current stretch of unquoted text starts. */
  let unquoted = from;
  /** The first line end at or after `unquoted`, or `to`: found with indexOf, reused while it lies ahead. */
  let lineEnd = -1;
  let search = from;
  let quotes = 0;
  /** Whether the text from `unquoted` to `to` is unquoted (else a field opened in it is still open at `to`). */
  let tailUnquoted = true;
  while (quote !== NONE) {
    const q = view.indexOf(quote, search);
    if (q === -1) break;
    // In unquoted text, a line end is a row end and a delimiter ends a field: a quote after either
    // (or at `from`, a record start) opens a field; any other is text.
    if (q !== from && bytes[q - 1] !== delimiter && bytes[q - 1] !== newline) { search = q + 1; continue; }
    if (lineEnd < unquoted) {
      lineEnd = view.indexOf(newline, unquoted);
      if (lineEnd === -1) lineEnd = to;
    }
    if (lineEnd < q) {
      // The unquoted text before the quote holds a row end.
      stretchFrom = lineEnd;
      stretchTo = q;
      lineEnd = view.indexOf(newline, q);
      if (lineEnd === -1) lineEnd = to;
    }
    // Find where the field closes: a quote followed by a delimiter or a line end (a doubled quote is text).
    let j = q + 1;
    let closed = -1;
    for (;;) {
      const c = view.indexOf(quote, j);
      if (c === -1 || c + 1 >= to) break;  // a quote at `to - 1` may still be doubled
      const next = bytes[c + 1];
      if (next === quote) { j = c + 2; continue; }
      if (next === delimiter || next === newline || (crlf && next === CR && (c + 2 >= to || bytes[c + 2] === LF))) { closed = c; break; }
      j = c + 1;
    }
    const reach = closed === -1 ? to : closed;
    if (lineEnd < reach) {
      // The quoted field holds line ends, which are not row ends; more than the limit make its record broken.
      if (reach - q > maxQuotedLines && countByte(bytes, newline, q, reach) > maxQuotedLines) {
        if (stretchFrom !== -1) { rowStart = latestLineEnd(bytes, stretchFrom, stretchTo, newline) + 1; stretchFrom = -1; }
        // The record is its first line; reading resumes after it.
        rowStart = view.indexOf(newline, rowStart) + 1;
        unquoted = rowStart;
        search = rowStart;
        lineEnd = -1;
        continue;
      }
      if (closed !== -1) {
        lineEnd = view.indexOf(newline, closed);
        if (lineEnd === -1) lineEnd = to;
      }
    }
    if (closed === -1) { tailUnquoted = false; break; }
    unquoted = closed + 1;
    search = closed + 1;
    // Quotes closer together than every 16 bytes on average: finish with the byte loop.
    if (++quotes === 256 && search - from < quotes * 32) {
      if (stretchFrom !== -1) { rowStart = latestLineEnd(bytes, stretchFrom, stretchTo, newline) + 1; stretchFrom = -1; }
      const dense = lastDenseRowEnd(bytes, unquoted, to, dialect, limits, rowStart);
      return dense === from ? -1 : dense;
    }
  }
  if (tailUnquoted) {
    if (lineEnd < unquoted) {
      lineEnd = view.indexOf(newline, unquoted);
      if (lineEnd === -1) lineEnd = to;
    }
    if (lineEnd < to) { stretchFrom = lineEnd; stretchTo = to; }
  }
  if (stretchFrom !== -1) rowStart = latestLineEnd(bytes, stretchFrom, stretchTo, newline) + 1;
  return rowStart === from ? -1 : rowStart;
}

/** Index of the last line end in bytes[from, to); bytes[from] is one. */
function latestLineEnd(bytes: Uint8Array, from: number, to: number, newline: number): number {
  let k = to - 1;
  while (bytes[k] !== newline) k--;
  return k;
}

/**
 * The rest of lastPlainRowEnd as a byte loop, for dense quotes: the same rule as scanRecord for
 * the plain dialect, inline. `at` is in unquoted text (a delimiter or line end follows a closed
 * field there) of the record that starts at `rowStart`; returns the latest record start.
 */
function lastDenseRowEnd(bytes: Uint8Array, at: number, to: number, dialect: CsvDialect, limits: RecordLimits, rowStart: number): number {
  const { delimiter, quote, newline } = dialect;
  const crlf = newline === LF;
  const { maxQuotedLines } = limits;
  let recordStart = rowStart;
  let fieldStart = false;
  let i = at;
  outer: while (i < to) {
    const c = bytes[i];
    if (c === quote && fieldStart) {
      let lines = 0;
      i++;
      for (;;) {
        if (i >= to) return recordStart;
        const d = bytes[i];
        if (d === quote) {
          if (i + 1 >= to) return recordStart;
          const next = bytes[i + 1];
          if (next === quote) { i += 2; continue; }
          i++;
          if (next === delimiter || next === newline || (crlf && next === CR && (i + 1 >= to || bytes[i + 1] === LF))) break;
          continue;
        }
        if (d === newline && ++lines > maxQuotedLines) {
          // Broken: the record is its first line; reading resumes after it.
          let k = recordStart;
          while (bytes[k] !== newline) k++;
          i = k + 1;
          recordStart = i;
          fieldStart = true;
          continue outer;
        }
        i++;
      }
      fieldStart = false;
      continue;
    }
    if (c === delimiter) fieldStart = true;
    else if (c === newline) { recordStart = i + 1; fieldStart = true; }
    else fieldStart = false;
    i++;
  }
  return recordStart;
}

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
