import { COMMA, isWhitespace, type JsonScanner, LF, ScanError, type ScanErrorCode, skipWhitespace } from './json-scanner.js';
import { brokenRecordEnd, type JsonLayout } from './row-boundary.js';

/**
 * Walks the records of a row-aligned range — the one loop the sniffer and the encoder share, so
 * that both see the same records. The visitor reads each record (it knows what to do with the
 * object); the walk checks what follows it (end of line, a comma, the next value) and, when a
 * record is broken, skips it by structure to the next one, as the planner's cut rule would.
 */
export interface RecordVisitor {
  /** Reads the value at scanner.pos: true when valid (pos after it), false with scanner.error set. */
  read(scanner: JsonScanner): boolean;
  /** A valid record, bytes[start, end). */
  accept(start: number, end: number): void;
  /** A record that cannot be loaded, bytes[start, end) (whitespace trimmed), and why. */
  broken(start: number, end: number, error: ScanErrorCode): void;
}

function trimEnd(bytes: Uint8Array, start: number, end: number): number {
  while (end > start && isWhitespace(bytes[end - 1])) end--;
  return end;
}

export function readRecords(scanner: JsonScanner, bytes: Uint8Array, start: number, end: number, layout: JsonLayout, visitor: RecordVisitor): void {
  let i = start;
  for (;;) {
    i = skipWhitespace(bytes, i, end);
    if (i >= end) return;
    if (layout === 'array' && bytes[i] === COMMA) {
      // `[,` or `,,`: an element that is not there.
      visitor.broken(i, i + 1, ScanError.syntax);
      i++;
      continue;
    }
    let recordEnd = end;
    if (layout === 'ndjson') {
      const lf = bytes.indexOf(LF, i);
      if (lf !== -1 && lf < end) recordEnd = lf;
    }
    scanner.reset(bytes, i, recordEnd);
    let ok = visitor.read(scanner);
    let after = ok ? skipWhitespace(bytes, scanner.pos, recordEnd) : i;
    if (ok) {
      // What may follow a record: the end of its line; a comma or the end (array); anything (sequence).
      if (layout === 'ndjson') ok = after === recordEnd;
      else if (layout === 'array') ok = after === end || bytes[after] === COMMA;
      if (!ok) scanner.fail(ScanError.syntax, after);
    }
    if (ok) {
      visitor.accept(i, scanner.pos);
      i = layout === 'array' && after < end ? after + 1 : after;
      continue;
    }
    after = layout === 'ndjson' ? recordEnd : brokenRecordEnd(bytes, i, end, layout);
    visitor.broken(i, trimEnd(bytes, i, after), scanner.error === ScanError.none ? ScanError.syntax : scanner.error);
    i = layout === 'sequence' ? after : after + 1;
  }
}
