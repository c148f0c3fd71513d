import type { CsvDialect } from './dialect.js';

/**
 * The reference reading of one CSV record, field for field the way csv-parser reads it
 * (including its treatment of stray quotes inside unquoted fields). The hot path in
 * chunk-encoder.ts handles well-formed rows itself and falls back to this for anything unusual,
 * so Sluice's values match csv-parser's on every input; the sniffer uses it for headers and samples.
 *
 * `start`/`end` delimit the record without its terminator (a trailing CR before LF already removed).
 */
export function parseRecord(bytes: Uint8Array, start: number, end: number, dialect: CsvDialect): string[] {
  const ranges: number[] = [];
  const count = fieldRanges(bytes, start, end, dialect, ranges);
  const cells = new Array<string>(count);
  for (let f = 0; f < count; f++) cells[f] = parseCell(bytes, ranges[2 * f], ranges[2 * f + 1], dialect.quote);
  return cells;
}

/**
 * Where each field of a record lies, raw (quotes included), as [start, end) pairs in `ranges`;
 * returns the number of fields. The same reading as parseRecord without building strings, for
 * the sniffer's sample of thousands of records.
 */
export function fieldRanges(bytes: Uint8Array, start: number, end: number, dialect: CsvDialect, ranges: number[]): number {
  const { delimiter, quote } = dialect;
  ranges.length = 0;
  let inQuotes = false;
  let fieldStart = start;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    if (c === quote) {
      // A quote opens quoting anywhere outside quotes; inside, it closes only before a delimiter,
      // and a doubled quote is an escaped quote character.
      if (!inQuotes) { inQuotes = true; continue; }
      if (i + 1 < end && bytes[i + 1] === delimiter) { inQuotes = false; continue; }
      if (i + 1 < end && bytes[i + 1] === quote) { i++; continue; }
    }
    if (c === delimiter && !inQuotes) {
      ranges.push(fieldStart, i);
      fieldStart = i + 1;
    }
  }
  if (fieldStart < end) ranges.push(fieldStart, end);
  if (end > start && bytes[end - 1] === delimiter) ranges.push(end, end);
  return ranges.length / 2;
}

/** A field's value: outer quotes removed when it both starts and ends with one, doubled quotes undone. */
export function parseCell(bytes: Uint8Array, start: number, end: number, quote: number): string {
  if (end > start && bytes[start] === quote && bytes[end - 1] === quote) {
    start++;
    end--;
  }
  if (end <= start) return '';
  let hasQuote = false;
  for (let i = start; i < end; i++) if (bytes[i] === quote) { hasQuote = true; break; }
  if (!hasQuote) return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  const unescaped = Buffer.allocUnsafe(end - start);
  let length = 0;
  for (let i = start; i < end; i++) {
    if (bytes[i] === quote && i + 1 < end && bytes[i + 1] === quote) i++;
    unescaped[length++] = bytes[i];
  }
  return unescaped.toString('utf8', 0, length);
}
