import { BACKSLASH, COMMA, LBRACE, LBRACKET, LF, QUOTE, RBRACE, RBRACKET } from './json-scanner.js';

/**
 * Where JSON records end, found by structure alone (strings and brackets, not full parsing): the
 * chunk planner's cut rule, and how the encoder skips a broken record to the next one.
 *
 *   ndjson    one value per line. A JSON string cannot hold a raw newline, so every LF ends a
 *             record: the cut is a plain last-newline search (memrchr speed).
 *   array     `[ {…}, {…} ]`. Records are the array's elements: `dataStart` is just after the `[`,
 *             and every later chunk starts just after a comma, so a range always starts between
 *             two elements, outside any string, at depth 0 — which is all the rule needs to know.
 *             A cut lands just after a comma at depth 0. The closing `]` (depth -1) is not data:
 *             everything from it on is cut-able, and the encoder stops at `dataEnd`.
 *   sequence  values one after another without commas: one pretty-printed object, or `jq`'s
 *             output. A cut lands after a bracket that closes depth 0.
 *
 * The string state is exact for valid JSON: inside a string a `"` is always escaped, and an escape
 * is a backslash and the one byte after it. For a malformed record the rule still terminates and
 * is deterministic; the encoder then rejects what it cannot read.
 */
export type JsonLayout = 'ndjson' | 'array' | 'sequence';

export function lastNdjsonRowEnd(bytes: Buffer, from: number, to: number): number {
  if (to <= from) return -1;
  const i = bytes.lastIndexOf(LF, to - 1);
  return i >= from ? i + 1 : -1;
}

/** Bytes that change the structural state outside strings, as a table: one load per byte. */
const STRUCTURAL = new Uint8Array(256);
STRUCTURAL[QUOTE] = 1;
STRUCTURAL[LBRACE] = 2;
STRUCTURAL[LBRACKET] = 2;
STRUCTURAL[RBRACE] = 3;
STRUCTURAL[RBRACKET] = 3;
STRUCTURAL[COMMA] = 4;

/**
 * Inside a string from `i`: the index after its closing quote, or -1 if it does not close before
 * `to`. A byte loop, not indexOf: strings are short, and a native call per string costs more.
 */
export function stringEnd(bytes: Uint8Array, i: number, to: number): number {
  while (i < to) {
    const c = bytes[i];
    if (c === QUOTE) return i + 1;
    i += c === BACKSLASH ? 2 : 1;
  }
  return -1;
}

export function lastArrayRowEnd(bytes: Buffer, from: number, to: number): number {
  let depth = 0;
  let last = -1;
  let i = from;
  while (i < to) {
    const kind = STRUCTURAL[bytes[i]];
    if (kind === 0) { i++; continue; }
    if (kind === 1) {
      const after = stringEnd(bytes, i + 1, to);
      if (after === -1) return last;
      i = after;
      continue;
    }
    if (kind === 2) depth++;
    else if (kind === 3) {
      // The array's own `]`: nothing after it is an element.
      if (--depth < 0) return to;
    } else if (depth === 0) {
      last = i + 1;
    }
    i++;
  }
  return last;
}

export function lastSequenceRowEnd(bytes: Buffer, from: number, to: number): number {
  let depth = 0;
  let last = -1;
  let i = from;
  while (i < to) {
    const kind = STRUCTURAL[bytes[i]];
    if (kind === 0 || kind === 4) { i++; continue; }
    if (kind === 1) {
      const after = stringEnd(bytes, i + 1, to);
      if (after === -1) return last;
      i = after;
      continue;
    }
    if (kind === 2) {
      depth++;
    } else if (--depth <= 0) {
      // A stray closing bracket (depth -1) is a cut too: the rule must keep moving on bad input.
      depth = 0;
      last = i + 1;
    }
    i++;
  }
  return last;
}

export function lastRowEndFor(layout: JsonLayout): (bytes: Buffer, from: number, to: number) => number {
  switch (layout) {
    case 'ndjson': return lastNdjsonRowEnd;
    case 'array': return lastArrayRowEnd;
    case 'sequence': return lastSequenceRowEnd;
  }
}

/**
 * Where a broken record that starts at `start` ends, so that reading resumes at the next one:
 * the next LF (ndjson), the next comma at depth 0 (array; the comma is not part of the record),
 * or the bracket that closes depth 0 (sequence). `end` when there is none.
 */
export function brokenRecordEnd(bytes: Uint8Array, start: number, end: number, layout: JsonLayout): number {
  if (layout === 'ndjson') {
    const i = bytes.indexOf(LF, start);
    return i === -1 || i >= end ? end : i;
  }
  let depth = 0;
  let i = start;
  while (i < end) {
    const kind = STRUCTURAL[bytes[i]];
    if (kind === 0) { i++; continue; }
    if (kind === 1) {
      const after = stringEnd(bytes, i + 1, end);
      if (after === -1) return end;
      i = after;
      continue;
    }
    if (kind === 2) {
      // In a sequence, junk before an opening bracket at depth 0 is a record of its own.
      if (layout === 'sequence' && depth === 0 && i > start) return i;
      depth++;
    } else if (kind === 3) {
      depth--;
      if (layout === 'sequence' && depth <= 0) return i + 1;
      if (depth < 0) depth = 0;
    } else if (layout === 'array' && depth === 0) {
      return i;
    }
    i++;
  }
  return end;
}
