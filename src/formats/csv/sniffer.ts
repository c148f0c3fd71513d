import { SluiceError } from '../../errors.js';
import { ColumnType, type ColumnTypeCode, type ColumnTypeName, columnTypeName, postgresTypeName } from '../../schema/column-type.js';
import { columnNamesFor, normaliseIdentifier } from '../../schema/identifiers.js';
import { candidatesFor, ColumnTypeAccumulator, type InferredColumn, namesTime } from '../../schema/type-inference.js';
import { type ColumnFormat, normaliseValue, scratchBuffer } from '../../schema/value-format.js';
import { binaryReason } from '../encoding/binary-content.js';
import { commentLines, quotingEvidence, type QuotingEvidence } from './dialect-evidence.js';
import { BACKSLASH, CR, type CsvDialect, csvDialect, DOUBLE_QUOTE, HASH, LF, NONE } from './dialect.js';
import { fieldRanges, parseCell, parseRecord } from './record-parser.js';
import { countByte, DEFAULT_LIMITS, DEFAULT_MAX_QUOTED_LINES, nextRowEnd, RecordKind } from './row-boundary.js';
import { type CommaNumbers, commaNumbers, isNameLike, locateTable, MAX_PREAMBLE_LINES, type TableLocation } from './table-layout.js';

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
  /** 0..1 for the quote (`"`, `'` or none), the escape and the comment decisions. */
  quoteConfidence: number;
  escapeConfidence: number;
  commentConfidence: number;
  /** Non-blank lines before the table (a title, an export note, comment lines): not data, skipped. */
  preambleLines: number;
  /** Those lines (at most MAX_REPORTED_PREAMBLE), for rejects on request. */
  preamble: PreambleLine[];
  /** The header is one name wider than the rows: a row one field short gets NULL for the last column. */
  padMissing: boolean;
  /**
   * The header's last name is empty after a trailing delimiter (`a,b,c,`): not a column, and a
   * row's empty field after a trailing delimiter of its own is dropped.
   */
  trailingDelimiter: boolean;
  /** Line ends a quoted field may hold before its record counts as broken (row-boundary.ts). */
  maxQuotedLines: number;
  /**
   * Values of sampled data rows, per column (at most SAMPLE_VALUE_ROWS rows, from the head and the
   * spots later in the file; null for an empty field): what the stages' baselines are computed
   * from on the main thread (value anomalies, transformed types).
   */
  sampleValues: (string | null)[][];
}

/** Sampled rows whose values are kept for the stages (half from the head, the rest from the spots). */
export const SAMPLE_VALUE_ROWS = 4000;

/**
 * Which of `count` records keep their values: `wanted` of them (all when fewer), chosen by a
 * seeded generator (mulberry32) so the same file always keeps the same ones. Not a stride: a stride
 * aliases with a period in the rows (every third row a Paris), and not the first rows: a sorted
 * file's head is not its middle.
 */
function chooseRecords(count: number, wanted: number): Uint8Array {
  const chosen = new Uint8Array(count);
  if (count <= wanted) return chosen.fill(1);
  let state = 0x5eed;
  const random = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let kept = 0; kept < wanted;) {
    const r = Math.floor(random() * count);
    if (chosen[r] === 0) { chosen[r] = 1; kept++; }
  }
  return chosen;
}

/** A line before the table, as the sample holds it. */
export interface PreambleLine {
  /** 1-based physical line (a BOM is not a line). */
  line: number;
  /** Offsets in the sample, the terminator excluded. */
  start: number;
  end: number;
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
const COMMA = 0x2c;
const SINGLE_QUOTE = 0x27;
/**
 * Every record the sample holds is typed (inference settles after a few hundred values per column,
 * so this costs little): a value that does not fit, anywhere in the head, is seen before the table
 * exists rather than rejected or widened during the load.
 */
const MAX_SNIFF_RECORDS = Number.MAX_SAFE_INTEGER;
/** Records each dialect candidate is tried on: enough to see ragged rows, cheap for two dozen candidates. */
const DIALECT_RECORDS = 500;
/** Readings whose consistency is this close count as equally consistent: fit from line 1, then width decide. */
const CONSISTENCY_BAND = 0.05;
/** Lines starting with `#` looked at to decide whether they are comments. */
const MAX_COMMENT_LINES = 10_000;
const MAX_REPORTED_PREAMBLE = 10_000;

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

/** The records that are data: comment lines are not (splitRecords skips them; this keeps it so). */
function dataRecords(bytes: Uint8Array, from: number, dialect: CsvDialect, limit: number, dropLastPartial: boolean): RecordSpan[] {
  const records = splitRecords(bytes, from, dialect, limit, dropLastPartial);
  return dialect.comment === NONE ? records : records.filter((r) => bytes[r.start] !== dialect.comment);
}

/** One dialect candidate, read over the first records of the sample. */
interface Reading {
  dialect: CsvDialect;
  records: RecordSpan[];
  location: TableLocation;
  /** Lines from the table's first one on that have its width (a header of another width counted in). */
  consistency: number;
  /** 2: the table starts on line 1 with the rows' width; 1: on line 1 with a header one field wider or narrower; 0: after a preamble. */
  fit: number;
  numbers: CommaNumbers;
  /** Place in the order tried: the earlier wins a tie. */
  order: number;
}

const NO_NUMBERS: CommaNumbers = { numeric: false, decimalComma: false };

/**
 * Non-blank lines after `after` (the end of the last record read), at most `cap`: what a reading
 * that stopped early (a quote opened and never closed) left unread counts against it.
 */
function unreadLines(bytes: Uint8Array, after: number, dialect: CsvDialect, dropLastPartial: boolean, cap: number): number {
  const { newline } = dialect;
  let i = bytes.indexOf(newline, after);
  if (i === -1) return 0;
  let lines = 0;
  for (i++; i < bytes.length && lines < cap;) {
    const at = bytes.indexOf(newline, i);
    if (at === -1 && dropLastPartial) break;
    const end = at === -1 ? bytes.length : at;
    if (isDataLine(bytes, i, end, dialect.comment)) lines++;
    if (at === -1) break;
    i = at + 1;
  }
  return lines;
}

/** Whether bytes[start, end) holds a line that is data: not blank, not a comment. */
function isDataLine(bytes: Uint8Array, start: number, end: number, comment: number): boolean {
  if (end === start || (end === start + 1 && bytes[start] === CR)) return false;
  return bytes[start] !== comment;
}

/**
 * Lines of data between and before the records that no record covers: lines a reading dropped
 * (a record it found broken, an unclosed quote's first line). They count against the reading.
 */
function droppedLines(bytes: Uint8Array, from: number, records: readonly RecordSpan[], newline: number, comment: number): number {
  let dropped = 0;
  let lineStart = from;
  for (const record of records) {
    while (lineStart < record.start) {
      const at = bytes.indexOf(newline, lineStart);
      const end = at === -1 || at >= record.start ? record.start : at;
      if (isDataLine(bytes, lineStart, end, comment)) dropped++;
      lineStart = end + 1;
    }
    const at = bytes.indexOf(newline, record.end);
    lineStart = at === -1 ? bytes.length : at + 1;
  }
  return dropped;
}

function readCandidate(head: Uint8Array, from: number, dialect: CsvDialect, dropLastPartial: boolean, order: number): Reading | null {
  const records = dataRecords(head, from, dialect, DIALECT_RECORDS, dropLastPartial);
  if (records.length === 0) return null;
  const ranges: number[] = [];
  const counts = records.map((r) => fieldRanges(head, r.start, r.end, dialect, ranges));
  const location = locateTable(counts, mode(counts).value, (r) => isNameLike(parseRecord(head, records[r].start, records[r].end, dialect)));
  let matching = location.headerWidth === location.fields ? 0 : 1;
  for (let r = location.preamble; r < records.length; r++) if (counts[r] === location.fields) matching++;
  const unread = records.length < DIALECT_RECORDS
    ? unreadLines(head, records[records.length - 1].end, dialect, dropLastPartial, DIALECT_RECORDS - records.length) : 0;
  const dropped = droppedLines(head, records[location.preamble].start, records.slice(location.preamble), dialect.newline, dialect.comment);
  const consistency = matching / (records.length - location.preamble + unread + dropped);
  const fit = location.preamble > 0 ? 0 : location.headerWidth === location.fields ? 2 : 1;
  const numbers = dialect.delimiter === COMMA && location.fields > 1
    ? commaNumbers(records.map((r) => Buffer.from(head.buffer, head.byteOffset + r.start, r.end - r.start).toString('latin1')))
    : NO_NUMBERS;
  return { dialect, records, location, consistency, fit, numbers, order };
}

/** The quotes worth trying with `delimiter`: `"`; `'` when it is seen quoting; none when `"` opens fields but never closes one. */
function quoteCandidates(head: Uint8Array, from: number, delimiter: number, newline: number, comment: number, doubleQuote: QuotingEvidence, overrides: SniffOverrides): number[] {
  if (overrides.quote !== undefined) return [overrides.quote];
  const quotes = [DOUBLE_QUOTE];
  // An alternative quote must be seen quoting: one that never closes a field would only win by
  // splitting the double-quoted fields that hold a delimiter.
  if (quotingEvidence(head, from, delimiter, SINGLE_QUOTE, newline, comment).paired > 0) quotes.push(SINGLE_QUOTE);
  // No quoting: values start with `"` (`"12 inch`) and more of them stay open than close on their
  // line. One such value is a stray quote the reading rule copes with; two or more, in a file
  // where quotes (nearly) never pair up, may be a file that quotes nothing: consistency decides.
  const unpaired = doubleQuote.opened - doubleQuote.paired;
  if (unpaired >= 2 && unpaired > doubleQuote.paired) quotes.push(NONE);
  return quotes;
}

/**
 * Escapes worth trying: none, and a backslash when one is seen before a quote, a delimiter or a
 * line end. The backslash goes first, and so wins a tie — `"say \"hi\" now"`, or `a\|b` in a
 * `;` file, reads the same fields either way — when `\"` outnumbers doubled quotes, or, with no
 * doubled quotes, when a dump's escapes outnumber backslashes before other text (`C:\temp`).
 */
function escapeCandidates(evidence: QuotingEvidence, overrides: SniffOverrides): number[] {
  if (overrides.escape !== undefined) return [overrides.escape];
  const unquoted = evidence.backslashDelimiters + evidence.backslashNewlines;
  if (evidence.backslashQuotes === 0 && evidence.backslashClosings === 0 && unquoted === 0) return [NONE];
  const first = evidence.backslashQuotes > evidence.doubledQuotes || (evidence.doubledQuotes === 0 && unquoted > evidence.plainBackslashes);
  return first ? [BACKSLASH, NONE] : [NONE, BACKSLASH];
}

interface DialectChoice {
  reading: Reading;
  delimiterConfidence: number;
  quoteConfidence: number;
  escapeConfidence: number;
  /** The comma reading's numbers, when commas only ever sit inside numbers (a one-column file). */
  oneColumnNumbers: CommaNumbers;
}

/** Confidence from how much better the chosen reading fitted than the best alternative (0.5: a tie). */
function marginConfidence(best: Reading, others: Reading[]): number {
  if (others.length === 0) return 1;
  const margin = best.consistency - Math.max(...others.map((o) => o.consistency));
  return Math.round(Math.min(1, 0.5 + margin * 5) * 1000) / 1000;
}

/**
 * Tries every delimiter × quote × escape worth trying (see the evidence) and keeps one. For each
 * delimiter, the quote and escape whose reading is the most consistent; across delimiters, as
 * DuckDB's sniffer does, consistency first — then, among readings about as consistent, one that
 * fits from line 1 on beats one that needs lines skipped (`a;b` over `x,y;x,y` rows is `;` with a
 * header), fewer lines skipped beat more, and then the wider one wins. A single column wins only when no split is consistent, and a
 * comma that only ever sits inside numbers is no split.
 */
function chooseDialect(head: Uint8Array, from: number, newline: number, comment: number, dropLastPartial: boolean, overrides: SniffOverrides): DialectChoice | null {
  const delimiters = overrides.delimiter !== undefined ? [overrides.delimiter] : DELIMITERS;
  const perDelimiter: { best: Reading; quoteConfidence: number; escapeConfidence: number }[] = [];
  let order = 0;
  for (const delimiter of delimiters) {
    const readings: Reading[] = [];
    const doubleQuote = quotingEvidence(head, from, delimiter, DOUBLE_QUOTE, newline, comment);
    for (const quote of quoteCandidates(head, from, delimiter, newline, comment, doubleQuote, overrides)) {
      const evidence = quote === DOUBLE_QUOTE ? doubleQuote : quotingEvidence(head, from, delimiter, quote, newline, comment);
      for (const escape of escapeCandidates(evidence, overrides)) {
        const reading = readCandidate(head, from, csvDialect({ delimiter, quote, escape, newline, comment }), dropLastPartial, order++);
        if (reading !== null) readings.push(reading);
      }
    }
    if (readings.length === 0) continue;
    let best = readings[0];
    for (const reading of readings) if (reading.consistency > best.consistency + 1e-9) best = reading;
    perDelimiter.push({
      best,
      quoteConfidence: marginConfidence(best, readings.filter((r) => r.dialect.quote !== best.dialect.quote)),
      escapeConfidence: marginConfidence(best, readings.filter((r) => r.dialect.escape !== best.dialect.escape)),
    });
  }
  if (perDelimiter.length === 0) return null;
  const oneColumnNumbers = perDelimiter.find((p) => p.best.numbers.numeric)?.best.numbers ?? NO_NUMBERS;
  const splits = perDelimiter.filter(({ best: r }) => r.location.fields > 1 && !r.numbers.numeric && r.consistency * r.location.fields > 0.5);
  if (splits.length === 0) {
    // One column: a delimiter that splits nothing, else the least bad split.
    const single = perDelimiter.find((p) => p.best.location.fields === 1)
      ?? perDelimiter.filter((p) => !p.best.numbers.numeric).sort((a, b) => b.best.consistency * b.best.location.fields - a.best.consistency * a.best.location.fields)[0]
      ?? perDelimiter[0];
    return { ...single, reading: single.best, delimiterConfidence: Math.round(single.best.consistency * 1000) / 1000, oneColumnNumbers };
  }
  const top = Math.max(...splits.map((p) => p.best.consistency));
  const band = splits.filter((p) => p.best.consistency >= top - CONSISTENCY_BAND);
  band.sort((a, b) => b.best.fit - a.best.fit || a.best.location.preamble - b.best.location.preamble
    || b.best.location.fields - a.best.location.fields || b.best.consistency - a.best.consistency || a.best.order - b.best.order);
  const winner = band[0];
  // Another delimiter about as consistent lost on fit or width only: say so.
  const contested = band.length > 1 ? 0.75 : 1;
  return { ...winner, reading: winner.best, delimiterConfidence: Math.round(winner.best.consistency * contested * 1000) / 1000, oneColumnNumbers };
}

/**
 * Comment lines (`#` at a line's start, or `--comment`) are chosen before the delimiter, so they do
 * not steer it. `#` lines are comments unless those among the data have the table's width — a
 * first column of `#ff0000` colours or `#tags` is data, and reading it as comments would drop rows.
 */
function chooseComment(head: Uint8Array, from: number, newline: number, dropLastPartial: boolean, overrides: SniffOverrides): { comment: number; confidence: number; choice: DialectChoice | null } {
  if (overrides.comment !== undefined) return { comment: overrides.comment, confidence: 1, choice: chooseDialect(head, from, newline, overrides.comment, dropLastPartial, overrides) };
  const hashLines = commentLines(head, from, HASH, newline, MAX_COMMENT_LINES);
  if (hashLines.length > 0) {
    const choice = chooseDialect(head, from, newline, HASH, dropLastPartial, overrides);
    if (choice !== null) {
      const { dialect, records, location } = choice.reading;
      const plain = { ...dialect, comment: NONE };
      const ranges: number[] = [];
      const inData = hashLines.filter((l) => l.start > records[0].start);
      const rowLike = inData.filter((l) => fieldRanges(head, l.start, l.end, plain, ranges) === location.fields).length;
      if (rowLike === 0) return { comment: HASH, confidence: inData.length === 0 ? 0.9 : 1, choice };
      return { comment: NONE, confidence: Math.round((rowLike / inData.length) * 1000) / 1000, choice: chooseDialect(head, from, newline, NONE, dropLastPartial, overrides) };
    }
  }
  return { comment: NONE, confidence: 1, choice: chooseDialect(head, from, newline, NONE, dropLastPartial, overrides) };
}

/** How the table sits in the records: its first line, its header's names, its width. */
interface TableShape {
  /** Records from the table's first line (the header, or the first row) on. */
  records: RecordSpan[];
  /** The first line's fields, as many as there are columns (names when it is the header). */
  headerFields: string[];
  columnCount: number;
  /** Decided from the shape (a name-like line of another width, a `#` header line), else undefined. */
  header: { header: boolean; confidence: number } | undefined;
  padMissing: boolean;
  trailingDelimiter: boolean;
}

/** Whether every record of `width` fields (and there is one) ends with an empty field after a delimiter. */
function rowsEndEmpty(head: Uint8Array, records: RecordSpan[], dialect: CsvDialect, width: number): boolean {
  const ranges: number[] = [];
  let seen = 0;
  for (const r of records) {
    if (fieldRanges(head, r.start, r.end, dialect, ranges) !== width) continue;
    if (ranges[2 * width - 1] !== ranges[2 * width - 2]) return false;
    seen++;
  }
  return seen > 0;
}

/** The comment line just above `at` (blank lines between allowed), or null. */
function commentLineAbove(head: Uint8Array, from: number, at: number, comment: number, newline: number): RecordSpan | null {
  let end = at - 1;
  while (end > from) {
    let start = head.lastIndexOf(newline, end - 1) + 1;
    if (start < from) start = from;
    let contentEnd = end;
    if (newline === LF && contentEnd > start && head[contentEnd - 1] === CR) contentEnd--;
    if (contentEnd > start) return head[start] === comment ? { start, end: contentEnd } : null;
    end = start - 1;
  }
  return null;
}

function shapeTable(head: Uint8Array, from: number, allRecords: RecordSpan[], location: TableLocation, dialect: CsvDialect, overrides: SniffOverrides): TableShape {
  const { fields } = location;
  let preamble = location.preamble;
  let records = allRecords.slice(preamble);
  let headerFields = parseRecord(head, records[0].start, records[0].end, dialect);
  let columnCount = fields;
  let header: TableShape['header'];
  let padMissing = false;
  let trailingDelimiter = false;
  const rows = (): RecordSpan[] => records.slice(1, DIALECT_RECORDS);
  if (location.headerWidth !== fields && overrides.header !== false) {
    const trailingEmpty = headerFields.length === fields + 1 && headerFields[fields] === '';
    const names = trailingEmpty ? headerFields.slice(0, fields) : headerFields;
    // The line below is the header itself (name-like over rows that are not): this one is a title.
    const below = records.slice(1, 3).map((r) => parseRecord(head, r.start, r.end, dialect));
    const belowIsHeader = isNameLike(below[0]) && (below.length === 1 || !isNameLike(below[1]));
    // One name over two columns is a title line far more often than R's row names.
    if (isNameLike(names) && !belowIsHeader && (headerFields.length > fields || headerFields.length >= 2)) {
      header = { header: true, confidence: 0.8 };
      if (trailingEmpty) {
        // `a,b,c,` over `1,2,3`: the empty last name is no column.
        headerFields = names;
        trailingDelimiter = true;
      } else if (headerFields.length === fields + 1) {
        // A name more than the rows have values: the rows get NULL for it.
        columnCount = fields + 1;
        padMissing = true;
      } else if (rowsEndEmpty(head, rows(), dialect, fields)) {
        // `a,b,c` over `1,2,3,`: the rows' trailing delimiter.
        columnCount = fields - 1;
        trailingDelimiter = true;
      } else {
        // A name fewer than the rows have values: the first column is unnamed (R's row names).
        headerFields = ['', ...headerFields];
      }
    } else {
      // Not a header: the table starts below it, as after any preamble line.
      preamble++;
    }
  }
  if (header === undefined && overrides.header !== false) {
    // A note that happens to have the table's width (`Source: ledger export, 2024`) above a
    // name-like line over rows that are not: the note is preamble, the name-like line the header.
    while (preamble + 2 < allRecords.length && preamble < MAX_PREAMBLE_LINES) {
      const [note, names, row] = allRecords.slice(preamble, preamble + 3).map((r) => parseRecord(head, r.start, r.end, dialect));
      if (note.length !== fields || names.length !== fields || isNameLike(note) || !note.some((v) => /\p{L}/u.test(v)) || !isNameLike(names) || isNameLike(row)) break;
      preamble++;
    }
    records = allRecords.slice(preamble);
    headerFields = parseRecord(head, records[0].start, records[0].end, dialect);
  }
  if (header === undefined && fields > 1 && headerFields[fields - 1] === '' && overrides.header !== false && rowsEndEmpty(head, records, dialect, fields)) {
    // `a,b,c,` over `1,2,3,`: every line ends with a delimiter; the empty field after it is no column.
    columnCount = fields - 1;
    headerFields = headerFields.slice(0, columnCount);
    trailingDelimiter = true;
  }
  if (header === undefined && preamble === 0 && dialect.comment !== NONE && overrides.header !== false) {
    // `#id,name` (or VCF's `#CHROM…` after `##` lines) over the rows: the comment line just above
    // them is the header when it has their width and names — unless the first row is itself a
    // header over rows that are not name-like.
    const above = commentLineAbove(head, from, records[0].start, dialect.comment, dialect.newline);
    if (above !== null) {
      const names = parseRecord(head, above.start, above.end, { ...dialect, comment: NONE });
      names[0] = names[0].slice(1).trimStart();
      const firstIsHeader = isNameLike(headerFields) && records.length > 1
        && !isNameLike(parseRecord(head, records[1].start, records[1].end, dialect));
      if (names.length === fields && isNameLike(names) && !firstIsHeader) {
        records = [above, ...records];
        headerFields = names;
        header = { header: true, confidence: 0.7 };
      }
    }
  }
  while (headerFields.length < columnCount) headerFields.push('');
  return { records, headerFields: headerFields.slice(0, columnCount), columnCount, header, padMissing, trailingDelimiter };
}

/** The non-blank lines of bytes[from, tableStart): the preamble. */
function preambleLinesBefore(head: Uint8Array, from: number, tableStart: number, newline: number): { count: number; lines: PreambleLine[] } {
  const lines: PreambleLine[] = [];
  let count = 0;
  let line = 1;
  for (let i = from; i < tableStart; line++) {
    const at = head.indexOf(newline, i);
    const end = at === -1 || at >= tableStart ? tableStart : at;
    let contentEnd = end;
    if (newline === LF && contentEnd > i && head[contentEnd - 1] === CR) contentEnd--;
    if (contentEnd > i) {
      count++;
      if (lines.length < MAX_REPORTED_PREAMBLE) lines.push({ line, start: i, end: contentEnd });
    }
    i = end + 1;
  }
  return { count, lines };
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

  const { comment, confidence: commentConfidence, choice } = chooseComment(head, from, newline, dropLastPartial, overrides);
  const dialect = choice?.reading.dialect ?? csvDialect({ delimiter: overrides.delimiter ?? DELIMITERS[0], quote: overrides.quote ?? DOUBLE_QUOTE, escape: overrides.escape ?? NONE, newline, comment });
  const allRecords = choice === null ? [] : dataRecords(head, from, dialect, MAX_SNIFF_RECORDS, dropLastPartial);
  if (choice === null || allRecords.length === 0) {
    return {
      encoding: 'utf-8', bom, dialect, lineEnding, header: overrides.header ?? true, delimiterConfidence: 0, headerConfidence: 0,
      quoteConfidence: 0, escapeConfidence: 0, commentConfidence, dataStart: head.length, columns: [], sampledRecords: 0,
      preambleLines: 0, preamble: [], padMissing: false, trailingDelimiter: false, maxQuotedLines: DEFAULT_MAX_QUOTED_LINES, sampleValues: [],
    };
  }
  const shape = shapeTable(head, from, allRecords, choice.reading.location, dialect, overrides);
  const { records, columnCount, padMissing, trailingDelimiter } = shape;
  const ranges: number[] = [];
  // Rows of the table's width — or one short of a wider header, or with a trailing delimiter — give types.
  const fitsRow = (count: number): boolean => count === columnCount || (padMissing && count === columnCount - 1) || (trailingDelimiter && count === columnCount + 1);
  const preamble = preambleLinesBefore(head, from, records[0].start, newline);
  const first = shape.headerFields;
  // Commas that only ever sit inside numbers (a one-column file): decimal commas or thousands.
  const decimalComma = choice.oneColumnNumbers.numeric ? choice.oneColumnNumbers.decimalComma : dialect.delimiter === 0x3b;
  const hints = { decimalComma, dateOrder: overrides.dateOrder ?? 'mdy' } as const;
  // A number in a column named like a time (created_at, ts, epoch) may be epoch seconds.
  const candidates = Array.from({ length: columnCount }, (_, i) => candidatesFor(hints, namesTime(normaliseIdentifier(first[i] ?? '', ''))));

  // Types of the rows after the first, including the spots later in the file — read as byte
  // ranges: thousands of records, so no strings are built for them.
  const rest = new ColumnTypeAccumulator(columnCount, candidates);
  const sampleValues: (string | null)[][] = Array.from({ length: columnCount }, () => []);
  const keptHead = chooseRecords(records.length, SAMPLE_VALUE_ROWS / 2);
  // The record's fields are in `ranges` (fieldRanges just read it): its values are decoded from them.
  const keepValues = (bytes: Uint8Array, limit: number): void => {
    if (sampleValues.length === 0 || sampleValues[0].length >= limit) return;
    const fields = ranges.length / 2;
    for (let c = 0; c < columnCount; c++) {
      const value = c < fields ? parseCell(bytes, ranges[2 * c], ranges[2 * c + 1], dialect) : '';
      sampleValues[c].push(value === '' ? null : value);
    }
  };
  // A record holding a NUL byte is a NUL_BYTE reject, not a row: its values must not steer the types.
  const holdsNul = (bytes: Uint8Array, record: RecordSpan): boolean => bytes.subarray(record.start, record.end).indexOf(0) !== -1;
  const headHasNul = head.indexOf(0) !== -1;
  for (let r = 1; r < records.length; r++) {
    if (headHasNul && holdsNul(head, records[r])) continue;
    if (fitsRow(fieldRanges(head, records[r].start, records[r].end, dialect, ranges))) {
      rest.addRecord(head, ranges, dialect.quote);
      if (keptHead[r] === 1) keepValues(head, SAMPLE_VALUE_ROWS / 2);
    }
  }
  for (let k = 0; k < sample.spots.length; k++) {
    const spot = sample.spots[k];
    const firstNewline = spot.indexOf(newline);
    if (firstNewline === -1) continue;
    const endsFile = k === sample.spots.length - 1 && sample.lastSpotEndsFile === true;
    const spotHasNul = spot.indexOf(0) !== -1;
    for (const record of dataRecords(spot, firstNewline + 1, dialect, MAX_SNIFF_RECORDS, !endsFile)) {
      if (spotHasNul && holdsNul(spot, record)) continue;
      if (fitsRow(fieldRanges(spot, record.start, record.end, dialect, ranges))) {
        rest.addRecord(spot, ranges, dialect.quote);
        keepValues(spot, SAMPLE_VALUE_ROWS);
      }
    }
  }
  const restTypes = rest.result();
  const following = records.slice(1, 201).map((r) => parseRecord(head, r.start, r.end, dialect));

  const { header, confidence: headerConfidence } = overrides.header === undefined
    ? shape.header ?? detectHeader(first, restTypes, following)
    : { header: overrides.header, confidence: 1 };

  let sources: string[];
  let names: string[];
  if (header) {
    sources = Array.from({ length: columnCount }, (_, i) => first[i] ?? '');
    names = columnNamesFor(sources);
  } else {
    // The first row is data: fold it into the types.
    if (fitsRow(fieldRanges(head, records[0].start, records[0].end, dialect, ranges))) {
      rest.addRecord(head, ranges, dialect.quote);
      keepValues(head, SAMPLE_VALUE_ROWS);
    }
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
    delimiterConfidence: choice.delimiterConfidence, quoteConfidence: choice.quoteConfidence, escapeConfidence: choice.escapeConfidence, commentConfidence,
    dataStart: header ? headerEnd : records[0].start,
    columns,
    sampledRecords: records.length,
    preambleLines: preamble.count,
    preamble: preamble.lines,
    padMissing: header && padMissing,
    trailingDelimiter,
    maxQuotedLines: maxQuotedLinesFor(head, records, newline),
    sampleValues,
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
