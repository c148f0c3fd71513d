import { BACKSLASH, CR, LF, NONE } from './dialect.js';

/**
 * What a sample's bytes say about quoting, backslashes and comment lines before any dialect is
 * tried: which quote and escape candidates are worth trying at all, and which of two readings that
 * fit equally well is meant. A candidate tried without evidence can only win by splitting fields
 * that were never meant to split (a quote "closing" in the middle of text, a backslash in a path).
 *
 * The scan walks physical lines and reads each field as the reading rule does (dialect.ts): a
 * quote opens a quoted field only at the field's start and closes it only before the delimiter or
 * the line end. A quoted field still open at the line end is counted as opened but not paired:
 * that is either a quoted newline or a stray quote, which the dialect candidates tell apart.
 */

export interface QuotingEvidence {
  /** Fields that start with the quote. */
  opened: number;
  /** Of those, the fields closed on the same line. */
  paired: number;
  /** `\"` where the quote cannot be a closing one (text follows it): backslash escapes. */
  backslashQuotes: number;
  /** `\"` before a delimiter or a line end: a closing quote after a backslash (`"C:\"`), or an escape. */
  backslashClosings: number;
  /** `""` that is not an empty field: RFC 4180 escapes. */
  doubledQuotes: number;
  /** A backslash before a delimiter (any of `, ; \t |`) or a quote outside quotes (`\,`, a text dump's escape). */
  backslashDelimiters: number;
  /** A backslash before anything else outside quotes (`C:\temp`, `\N`): not an escape of a dump. */
  plainBackslashes: number;
  /** A line that ends in a backslash outside quotes (`\<newline>`, a newline in a dump's value). */
  backslashNewlines: number;
}

/** Bytes of the sample scanned for evidence: hundreds of lines, cheap for a dozen scans. */
const EVIDENCE_BYTES = 64 * 1024;

/** Bytes a text dump escapes with a backslash: the delimiters one might use, and `"`. */
const DUMP_ESCAPED = new Uint8Array(256);
for (const byte of [0x2c, 0x3b, 0x09, 0x7c, 0x22]) DUMP_ESCAPED[byte] = 1;

/** Whether bytes[at] is preceded by an odd run of backslashes (so the backslash before it is not itself escaped). */
function afterOddBackslashes(bytes: Uint8Array, from: number, at: number): boolean {
  let run = 0;
  for (let k = at - 1; k >= from && bytes[k] === BACKSLASH; k--) run++;
  return (run & 1) === 1;
}

/** Evidence for `quote` (or NONE) with `delimiter`, over the lines of bytes[from, …); comment lines say nothing. */
export function quotingEvidence(bytes: Uint8Array, from: number, delimiter: number, quote: number, newline: number, comment: number): QuotingEvidence {
  const evidence: QuotingEvidence = { opened: 0, paired: 0, backslashQuotes: 0, backslashClosings: 0, doubledQuotes: 0, backslashDelimiters: 0, plainBackslashes: 0, backslashNewlines: 0 };
  const to = Math.min(bytes.length, from + EVIDENCE_BYTES);
  let lineStart = from;
  while (lineStart < to) {
    let lineEnd = bytes.indexOf(newline, lineStart);
    const next = lineEnd === -1 || lineEnd >= to ? to : lineEnd + 1;
    if (lineEnd === -1 || lineEnd > to) lineEnd = to;
    if (newline === LF && lineEnd > lineStart && bytes[lineEnd - 1] === CR) lineEnd--;
    if (lineEnd === lineStart || bytes[lineStart] !== comment) scanLine(bytes, lineStart, lineEnd, delimiter, quote, evidence);
    lineStart = next;
  }
  if (quote !== NONE) countEscapes(bytes, from, to, delimiter, quote, newline, comment, evidence);
  return evidence;
}

/**
 * `\"` and `""` anywhere in bytes[from, to) outside comment lines: escapes are looked for by their
 * bytes, not by field, because the quoted fields that hold them often span lines (which scanLine
 * gives up on).
 */
function countEscapes(bytes: Uint8Array, from: number, to: number, delimiter: number, quote: number, newline: number, comment: number,
  evidence: QuotingEvidence): void {
  const ends = (k: number): boolean => k >= to || bytes[k] === delimiter || bytes[k] === LF || bytes[k] === CR;
  const starts = (k: number): boolean => k === from || bytes[k - 1] === delimiter || bytes[k - 1] === LF || bytes[k - 1] === CR;
  // A view bounds indexOf to the range (on the whole buffer every miss would scan to its end).
  const view = bytes.subarray(0, to);
  let lineEnd = -1;
  let commentLine = false;
  for (let k = view.indexOf(quote, from); k !== -1; k = view.indexOf(quote, k + 1)) {
    if (k > lineEnd) {
      // A new line with a quote in it: where it starts says whether it is a comment (once per line).
      const next = view.indexOf(newline, k);
      lineEnd = next === -1 ? to : next;
      commentLine = comment !== NONE && bytes[Math.max(from, view.lastIndexOf(newline, k) + 1)] === comment;
    }
    if (commentLine) continue;
    if (k > from && bytes[k - 1] === BACKSLASH && afterOddBackslashes(bytes, from, k)) {
      // Text, or the real closing quote, after `\"`: RFC 4180 cannot read it as a closing quote.
      if (!ends(k + 1) || (bytes[k + 1] === quote && ends(k + 2))) evidence.backslashQuotes++;
      else evidence.backslashClosings++;
      continue;
    }
    if (k + 1 < to && bytes[k + 1] === quote) {
      // `""` as a whole field is an empty value, not an escape.
      if (!(starts(k) && ends(k + 2))) evidence.doubledQuotes++;
      k++;
    }
  }
}

function scanLine(bytes: Uint8Array, start: number, end: number, delimiter: number, quote: number, evidence: QuotingEvidence): void {
  let i = start;
  for (;;) {
    if (quote !== NONE && i < end && bytes[i] === quote) {
      evidence.opened++;
      let j = i + 1;
      let closed = false;
      while (j < end) {
        const c = bytes[j];
        if (c === BACKSLASH && j + 1 < end && bytes[j + 1] === quote) {
          // `\"` with text (or the real closing quote) after it: an escape, whose quote neither
          // closes nor doubles.
          const after = j + 2 < end ? bytes[j + 2] : delimiter;
          if (after !== delimiter) { j += 2; continue; }
        }
        if (c === quote) {
          if (j + 1 < end && bytes[j + 1] === quote) { j += 2; continue; }
          if (j + 1 === end || bytes[j + 1] === delimiter) { closed = true; break; }
        }
        j++;
      }
      // Open past the line end: a quoted newline or a stray quote; the rest of the line says nothing.
      if (!closed) return;
      evidence.paired++;
      i = j + 1;
    } else {
      // An unquoted field: to the next delimiter not escaped, noting what backslashes precede.
      let j = i;
      while (j < end && bytes[j] !== delimiter) {
        if (bytes[j] !== BACKSLASH) { j++; continue; }
        if (j + 1 === end) { evidence.backslashNewlines++; j++; break; }
        const next = bytes[j + 1];
        if (next === delimiter || DUMP_ESCAPED[next] === 1 || next === quote) evidence.backslashDelimiters++;
        else if (next !== BACKSLASH) evidence.plainBackslashes++;
        j += 2;
      }
      i = j;
    }
    if (i < end && bytes[i] === delimiter) { i++; continue; }
    return;
  }
}

/** Spans of the physical lines of bytes[from, …) whose first byte is `comment` (at most `limit`). */
export function commentLines(bytes: Uint8Array, from: number, comment: number, newline: number, limit: number): { start: number; end: number }[] {
  const lines: { start: number; end: number }[] = [];
  let lineStart = from;
  while (lineStart < bytes.length && lines.length < limit) {
    const at = bytes.indexOf(newline, lineStart);
    const lineEnd = at === -1 ? bytes.length : at;
    if (bytes[lineStart] === comment) {
      let end = lineEnd;
      if (newline === LF && end > lineStart && bytes[end - 1] === CR) end--;
      lines.push({ start: lineStart, end });
    }
    lineStart = lineEnd + 1;
  }
  return lines;
}
