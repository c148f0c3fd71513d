import { SluiceError } from '../../errors.js';
import { ColumnType, type ColumnTypeCode, type ColumnTypeName, columnTypeName, postgresTypeName } from '../../schema/column-type.js';
import { columnNamesFor, normaliseIdentifier } from '../../schema/identifiers.js';
import { candidatesFor, ColumnTypeAccumulator, type InferredColumn, namesTime } from '../../schema/type-inference.js';
import { type ColumnFormat, normaliseValue, scratchBuffer } from '../../schema/value-format.js';
import { binaryReason } from '../encoding/binary-content.js';
import { CR, type CsvDialect, csvDialect, DOUBLE_QUOTE, LF } from './dialect.js';
import { fieldRanges, parseRecord } from './record-parser.js';
import { countByte, DEFAULT_LIMITS, DEFAULT_MAX_QUOTED_LINES, nextRowEnd, RecordKind } from './row-boundary.js';

/**
 * Works out how a CSV file is written from a sample, not the whole file (as DuckDB's sniffer does):
 * the head of the file plus a few stretches spread through it. Every decision carries a
 * confidence, because a silent guess (a wrong delimiter, a header taken for data) is the most
 * common complaint about sniffers.
 */

export interface SniffSample {
  /** The first bytes of the file. */
  head: Uint8Array;
  /** Whether `head` is the whole file. */
  headIsWholeFile: boolean;
  /** Stretches from later in the file; each starts anywhere (its first partial line is dropped). */
  spots: Uint8Array[];
  /** The last spot ends where the file ends: its last line is a whole record, newline or not. */
  lastSpotEndsFile?: boolean;
}

export interface SniffedColumn {
  name: string;
  source: string;
  type: ColumnTypeCode;
  confidence: number;
  /** How the values are written (plain = as PostgreSQL reads them). */
  format: ColumnFormat;
  /** Day/month order could not be told from the sample (the configured order was used). */
  ambiguous: boolean;
  /** The format each other type would read the values with (an existing table's type may differ). */
  formatsByType: Partial<Record<ColumnTypeCode, ColumnFormat>>;
  /** The type came from `--types`, not from the values. */
  forced?: boolean;
}

export interface CsvSniffResult {
  encoding: 'utf-8';
  bom: boolean;
  dialect: CsvDialect;
  lineEnding: 'LF' | 'CRLF' | 'CR';
  header: boolean;
  delimiterConfidence: number;
  headerConfidence: number;
  /** Byte offset of the first data row (after BOM and header). */
  dataStart: number;
  columns: SniffedColumn[];
  /** Records the sniffer read, for reporting. */
  sampledRecords: number;
  /** Lines before the header that are not data (a title, an export note), skipped. */
  preambleLines: number;
  /** Line ends a quoted field may hold before its record counts as broken (row-boundary.ts). */
  maxQuotedLines: number;
}

/** The overrides the CSV sniffer honours, already checked (see formats/overrides.ts). */
export interface SniffOverrides {
  header?: boolean;
  delimiter?: number;
  /** A quote byte, or NONE: nothing is quoted. */
  quote?: number;
  /** An escape byte, or NONE: quotes are doubled. */
  escape?: number;
  /** A comment byte, or NONE: no comment lines. */
  comment?: number;
  /** Forced column types, by column name or header text. */
  types?: Record<string, ColumnTypeName>;
  /** Day/month order when the values cannot tell. Default: month first (mdy). */
  dateOrder?: 'mdy' | 'dmy';
}

const DELIMITERS = [0x2c, 0x3b, 0x09, 0x7c];
const QUOTES = [DOUBLE_QUOTE, 0x27];
/**
 * Every record the sample holds is typed (inference settles after a few hundred values per column,
 * so this costs little): a value that does not fit, anywhere in the head, is seen before the table
 * exists rather than rejected or widened during the load.
 */
const MAX_SNIFF_RECORDS = Number.MAX_SAFE_INTEGER;
/** Leading lines that may precede the header without being data. */
const MAX_PREAMBLE_LINES = 20;
/** Records each dialect candidate is tried on: enough to see ragged rows, cheap for 8 candidates. */
const DIALECT_RECORDS = 500;

interface RecordSpan {
  start: number;
  end: number;
}

/**
 * Splits bytes into records by the dialect's reading rule (row-boundary.ts), up to `limit`: blank
 * lines, comment lines and broken records (an unclosed quote: its first line) are not samples.
 * `dropLastPartial`: the bytes stop before the file does, so a record running into their end is
 * not complete.
 */
function splitRecords(bytes: Uint8Array, from: number, dialect: CsvDialect, limit: number, dropLastPartial: boolean): RecordSpan[] {
  const { newline } = dialect;
  const records: RecordSpan[] = [];
  let i = from;
  while (i < bytes.length && records.length < limit) {
    const { end, kind } = nextRowEnd(bytes, i, bytes.length, dialect, DEFAULT_LIMITS, !dropLastPartial);
    if (kind === RecordKind.partial) break;
    if (kind === RecordKind.row) {
      const terminated = end > i && bytes[end - 1] === newline;
      let contentEnd = terminated ? end - 1 : end;
      if (newline === LF && contentEnd > i && bytes[contentEnd - 1] === CR) contentEnd--;
      if (contentEnd > i) records.push({ start: i, end: contentEnd });
    }
    i = end;
  }
  return records;
}

/** Most line ends a quoted field of this file may hold before its record counts as broken. */
const MAX_QUOTED_LINES_CAP = 10_000;

/**
 * How many line ends a quoted field may hold in this file (row-boundary.ts): sixteen times what
 * the sampled records' 99th percentile holds, at least the default — a file of one-line records
 * resynchronises after an unclosed quote within a hundred lines, one of multi-line addresses or
 * notes allows for longer ones. A percentile, not the maximum, so that one stray quote in the
 * sample cannot raise the bound for the whole file.
 */
function maxQuotedLinesFor(bytes: Uint8Array, records: readonly RecordSpan[], newline: number): number {
  if (records.length === 0) return DEFAULT_MAX_QUOTED_LINES;
  const inside = records.map((r) => countByte(bytes, newline, r.start, r.end)).sort((a, b) => a - b);
  const p99 = inside[Math.min(inside.length - 1, Math.floor(inside.length * 0.99))];
  return Math.min(MAX_QUOTED_LINES_CAP, Math.max(DEFAULT_MAX_QUOTED_LINES, 16 * p99));
}

/** Whether `quote` occurs at the start of a field somewhere: at the start, after a newline or a delimiter. */
function opensAField(bytes: Uint8Array, from: number, quote: number, delimiter: number): boolean {
  for (let i = bytes.indexOf(quote, from); i !== -1; i = bytes.indexOf(quote, i + 1)) {
    if (i === from) return true;
    const before = bytes[i - 1];
    if (before === delimiter || before === LF || before === CR) return true;
  }
  return false;
}

function mode(values: number[]): { value: number; count: number } {
  const counts = new Map<number, number>();
  let best = { value: 0, count: 0 };
  for (const v of values) {
    const c = (counts.get(v) ?? 0) + 1;
    counts.set(v, c);
    if (c > best.count || (c === best.count && v > best.value)) best = { value: v, count: c };
  }
  return best;
}

export function detectNewline(head: Uint8Array): { newline: number; lineEnding: 'LF' | 'CRLF' | 'CR' } {
  const lf = head.indexOf(LF);
  const cr = head.indexOf(CR);
  if (lf === -1 && cr !== -1) return { newline: CR, lineEnding: 'CR' };
  if (lf > 0 && head[lf - 1] === CR) return { newline: LF, lineEnding: 'CRLF' };
  return { newline: LF, lineEnding: 'LF' };
}

export function sniffCsv(sample: SniffSample, overrides: SniffOverrides = {}): CsvSniffResult {
  const { head } = sample;
  const bom = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf;
  const from = bom ? 3 : 0;
  // A stray NUL is the parser's business (a NUL_BYTE reject); only binary data stops here.
  const binary = binaryReason(head);
  if (binary !== null) throw new SluiceError('SLUICE_ERR_FORMAT_BINARY', `not a text file: ${binary}`);
  const { newline, lineEnding } = detectNewline(head);
  const dropLastPartial = !sample.headIsWholeFile;

  // Try every delimiter × quote; keep the one whose records agree on the most fields.
  let best = { dialect: csvDialect({ delimiter: overrides.delimiter ?? DELIMITERS[0], quote: overrides.quote ?? DOUBLE_QUOTE, newline }), score: -1, consistency: 0, records: [] as RecordSpan[], fields: 1 };
  const quotes = overrides.quote !== undefined ? [overrides.quote] : QUOTES;
  const delimiters = overrides.delimiter !== undefined ? [overrides.delimiter] : DELIMITERS;
  for (const quote of quotes) {
    for (const delimiter of delimiters) {
      // An alternative quote must be seen quoting: one that never opens a field would only win by
      // splitting the double-quoted fields that hold a delimiter (more fields, same consistency).
      if (quote !== DOUBLE_QUOTE && overrides.quote === undefined && !opensAField(head, from, quote, delimiter)) continue;
      const dialect = csvDialect({ delimiter, quote, newline });
      const records = splitRecords(head, from, dialect, DIALECT_RECORDS, dropLastPartial);
      if (records.length === 0) continue;
      const ranges: number[] = [];
      const counts = records.map((r) => fieldRanges(head, r.start, r.end, dialect, ranges));
      const { value: fields, count } = mode(counts);
      const consistency = count / records.length;
      // More fields in agreement is better; a single column only wins when nothing splits.
      const score = fields > 1 ? consistency * fields : consistency * 0.5;
      if (score > best.score + 1e-9) best = { dialect, score, consistency, records, fields };
    }
  }
  const dialect = best.dialect;
  let records = splitRecords(head, from, dialect, MAX_SNIFF_RECORDS, dropLastPartial);
  const columnCount = best.fields;
  const ranges: number[] = [];
  // A preamble (a title, "exported on …") is a few leading lines that do not have the file's
  // number of fields; the header is the first line that has it.
  let preambleLines = 0;
  while (preambleLines < Math.min(MAX_PREAMBLE_LINES, records.length - 1)
    && fieldRanges(head, records[preambleLines].start, records[preambleLines].end, dialect, ranges) !== columnCount) preambleLines++;
  if (preambleLines > 0 && fieldRanges(head, records[preambleLines].start, records[preambleLines].end, dialect, ranges) !== columnCount) preambleLines = 0;
  records = records.slice(preambleLines);
  if (records.length === 0) {
    return {
      encoding: 'utf-8', bom, dialect, lineEnding, header: overrides.header ?? true, delimiterConfidence: 0, headerConfidence: 0,
      dataStart: head.length, columns: [], sampledRecords: 0, preambleLines: 0, maxQuotedLines: DEFAULT_MAX_QUOTED_LINES,
    };
  }
  const first = parseRecord(head, records[0].start, records[0].end, dialect);
  const hints = { decimalComma: dialect.delimiter === 0x3b, dateOrder: overrides.dateOrder ?? 'mdy' } as const;
  // A number in a column named like a time (created_at, ts, epoch) may be epoch seconds.
  const candidates = Array.from({ length: columnCount }, (_, i) => candidatesFor(hints, namesTime(normaliseIdentifier(first[i] ?? '', ''))));

  // Types of the rows after the first, including the spots later in the file — read as byte
  // ranges: thousands of records, so no strings are built for them.
  const rest = new ColumnTypeAccumulator(columnCount, candidates);
  for (let r = 1; r < records.length; r++) {
    if (fieldRanges(head, records[r].start, records[r].end, dialect, ranges) === columnCount) rest.addRecord(head, ranges, dialect.quote);
  }
  for (let k = 0; k < sample.spots.length; k++) {
    const spot = sample.spots[k];
    const firstNewline = spot.indexOf(newline);
    if (firstNewline === -1) continue;
    const endsFile = k === sample.spots.length - 1 && sample.lastSpotEndsFile === true;
    for (const record of splitRecords(spot, firstNewline + 1, dialect, MAX_SNIFF_RECORDS, !endsFile)) {
      if (fieldRanges(spot, record.start, record.end, dialect, ranges) === columnCount) rest.addRecord(spot, ranges, dialect.quote);
    }
  }
  const restTypes = rest.result();
  const following = records.slice(1, 201).map((r) => parseRecord(head, r.start, r.end, dialect));

  const { header, confidence: headerConfidence } = overrides.header === undefined
    ? detectHeader(first, restTypes, following)
    : { header: overrides.header, confidence: 1 };

  let sources: string[];
  let names: string[];
  if (header) {
    sources = Array.from({ length: columnCount }, (_, i) => first[i] ?? '');
    names = columnNamesFor(sources);
  } else {
    // The first row is data: fold it into the types.
    if (fieldRanges(head, records[0].start, records[0].end, dialect, ranges) === columnCount) rest.addRecord(head, ranges, dialect.quote);
    sources = Array.from({ length: columnCount }, () => '');
    names = columnNamesFor(sources);
  }
  const forced = names.map((name, i) => {
    const type = overrides.types?.[name] ?? overrides.types?.[sources[i]];
    return type === undefined ? undefined : ColumnType[type];
  });
  const columns: SniffedColumn[] = rest.result(forced).map((c, i) => ({
    name: names[i], source: sources[i], type: c.type, confidence: forced[i] !== undefined ? 1 : c.confidence, format: c.format, ambiguous: c.ambiguous,
    formatsByType: c.formatsByType, ...(forced[i] !== undefined ? { forced: true } : {}),
  }));
  const headerEnd = nextRowEnd(head, records[0].start, head.length, dialect).end;
  return {
    encoding: 'utf-8', bom, dialect, lineEnding, header, headerConfidence,
    delimiterConfidence: Math.round(best.consistency * 1000) / 1000,
    dataStart: header ? headerEnd : records[0].start,
    columns,
    sampledRecords: records.length,
    preambleLines,
    maxQuotedLines: maxQuotedLinesFor(head, records, newline),
  };
}

/**
 * A first row is a header when it does not fit the types the other rows have (a name in a column
 * of numbers). When every column is text the types cannot tell: then a row of distinct, non-empty,
 * name-like values that do not recur below is taken as a header, with lower confidence.
 */
function detectHeader(first: string[], columns: InferredColumn[], rest: string[][]): { header: boolean; confidence: number } {
  let typedColumns = 0;
  let misfits = 0;
  const scratch = scratchBuffer();
  for (let i = 0; i < columns.length; i++) {
    const { type, format } = columns[i];
    if (type === ColumnType.text) continue;
    typedColumns++;
    const value = first[i] ?? '';
    const bytes = Buffer.from(value, 'utf8');
    if (value !== '' && normaliseValue(type, format, bytes, 0, bytes.length, scratch) < 0) misfits++;
  }
  if (typedColumns > 0) {
    if (misfits > 0) return { header: true, confidence: Math.min(1, 0.5 + misfits / typedColumns / 2) };
    return { header: false, confidence: 0.9 };
  }
  const distinct = new Set(first).size === first.length;
  const nameLike = first.every((v) => v.trim() !== '' && v.length <= 128 && /\p{L}/u.test(v));
  const recurs = first.some((v, i) => rest.some((row) => row[i] === v));
  if (distinct && nameLike && !recurs) return { header: true, confidence: 0.6 };
  return { header: false, confidence: 0.6 };
}

export function describeColumns(columns: SniffedColumn[]): { name: string; source: string; type: string; inferred: string; confidence: number }[] {
  return columns.map((c) => ({ name: c.name, source: c.source, type: postgresTypeName(c.type), inferred: columnTypeName(c.type), confidence: c.confidence }));
}
