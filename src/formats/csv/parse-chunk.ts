import { isUtf8 } from 'node:buffer';
import type { ByteSink } from '../byte-sink.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../schema/column-type.js';
import { fitsType } from '../../schema/value-checks.js';
import { rejectRow } from '../reject-row.js';
import { type ColumnFormat, isNullToken, isPlain, normaliseValue, scratchBuffer } from '../../schema/value-format.js';
import { joinTypes, type WideningBase, widenFor } from '../../schema/type-widening.js';
import { copyQuoteOf, CR, LF, type CsvDialect, NONE } from './dialect.js';
import { parseRecord } from './record-parser.js';
import { DEFAULT_MAX_QUOTED_LINES, nextRowEnd, RecordKind } from './row-boundary.js';

/**
 * Turns one row-aligned chunk of CSV bytes into COPY input for PostgreSQL — the hot path.
 *
 * Like timescaledb-parallel-copy, a well-formed row is not rebuilt: its bytes are copied as they
 * are, behind a provenance prefix (`<file id>,<byte offset>,`), and PostgreSQL's CSV parser reads
 * the fields. Sluice still walks every field, because it must count fields and check that each
 * typed value casts (so that a bad row is rejected here, with its line and offset, rather than
 * failing the whole COPY). Rows the fast path cannot vouch for — stray quotes, escapes, bare
 * CRs, an unclosed quote — are read with the reference record parser (record-parser.ts) and
 * written out in canonical CSV, so the loaded values are the reference reading for every input.
 * Comment lines and blank lines are skipped (counted for line numbers).
 *
 * Output: `data` gets COPY CSV rows (`FORMAT csv`, the file's delimiter and quote — `"` for a
 * file without quoting — LF terminated); `rejects` gets COPY text rows for ingest.rejects:
 *   file_id, chunk_no, chunk_line, byte_offset, reason, detail, raw
 */

export type RejectReason = 'TOO_FEW_FIELDS' | 'TOO_MANY_FIELDS' | 'CAST' | 'CONSTRAINT' | 'UNCLOSED_QUOTE' | 'ENCODING' | 'NUL_BYTE' | 'LINE_TOO_LONG';

export interface EncodePlan {
  dialect: CsvDialect;
  columnTypes: readonly ColumnTypeCode[];
  columnNames: readonly string[];
  fileId: number;
  chunkNo: number;
  /** File byte offset of bytes[start]. */
  baseOffset: number;
  /** `replace` decodes invalid UTF-8 with U+FFFD instead of rejecting the row. */
  invalidUtf8: 'reject' | 'replace';
  /**
   * How each column's values are written, when PostgreSQL cannot read them as they are (decimal
   * commas, day-first dates, null tokens, …). Absent, or all plain: every row is copied as it is.
   */
  columnFormats?: readonly (ColumnFormat | null)[];
  /** A quoted field holding more line ends makes its record broken (row-boundary.ts); the planner cut with the same. */
  maxQuotedLines?: number;
  /**
   * Columns that widen rather than reject a value that does not fit (null: the column keeps its
   * type and such rows are CAST rejects). A misfit is reported in `EncodeStats.widen`; the loader
   * then widens the column and encodes the chunk again, so this chunk's output is not used.
   */
  widening?: readonly (WideningBase | null)[];
  /** The header is one name wider than the rows (see the sniffer): a row one field short gets NULL for the last column. */
  padMissing?: boolean;
  /** The header's last name is empty after a trailing delimiter: a row's empty field after a trailing delimiter is dropped. */
  trailingDelimiter?: boolean;
}

/** A column that must widen for this chunk: to `type` at least, first needed by the row at `byteOffset`. */
export interface WidenRequest {
  column: number;
  type: ColumnTypeCode;
  chunkLine: number;
  byteOffset: number;
  /** A null token (`NA`, `NULL`, …) the column did not expect: read them as NULL rather than widen to text. */
  nullTokens?: boolean;
}

export interface RejectSample {
  chunkLine: number;
  byteOffset: number;
  reason: RejectReason;
  detail: string;
}

export interface EncodeStats {
  rows: number;
  rejected: number;
  /** Row terminators seen (physical lines, quoted newlines included) — for absolute line numbers. */
  lines: number;
  /** Rows that needed the record parser (not well-formed by the fast path's standard). */
  slowRows: number;
  samples: RejectSample[];
  /** Columns the chunk's values need wider (see EncodePlan.widening): when any, encode again. */
  widen?: WidenRequest[];
}

const MAX_SAMPLES = 5;
const MAX_RAW_BYTES = 64 * 1024;
const MAX_DETAIL_VALUE = 120;

const specialCache = new Map<string, Uint8Array>();

/** Bytes that end or complicate an unquoted field, as a lookup table: one load per byte. */
function specialBytes(dialect: CsvDialect): Uint8Array {
  const key = `${dialect.delimiter}:${dialect.quote}:${dialect.escape}:${dialect.newline}`;
  let table = specialCache.get(key);
  if (table === undefined) {
    table = new Uint8Array(256);
    table[dialect.delimiter] = 1;
    // Without quoting, a row holding the COPY quote cannot be copied as it is (COPY would read it
    // as quoting); with an escape byte, a row holding one must have it undone.
    table[copyQuoteOf(dialect)] = 1;
    if (dialect.escape !== NONE) table[dialect.escape] = 1;
    table[dialect.newline] = 1;
    table[CR] = 1;
    table[LF] = 1;
    specialCache.set(key, table);
  }
  return table;
}

/**
 * `mapOffset` is for text decoded from another encoding (formats/encoding/chunk-transcoder.ts):
 * `bytes` are then UTF-8 and a row's provenance offset is where it starts in the original file.
 */
export function encodeChunk(bytes: Uint8Array, start: number, end: number, plan: EncodePlan, data: ByteSink, rejects: ByteSink,
  mapOffset?: (utf8Index: number) => number): EncodeStats {
  const { delimiter, quote, newline, comment } = plan.dialect;
  const escape = plan.dialect.escape;
  const maxQuotedLines = plan.maxQuotedLines ?? DEFAULT_MAX_QUOTED_LINES;
  const types = plan.columnTypes;
  const columnCount = types.length;
  const special = specialBytes(plan.dialect);
  const crlf = newline === LF;
  const stats: EncodeStats = { rows: 0, rejected: 0, lines: 0, slowRows: 0, samples: [] };
  // Validating UTF-8 and looking for NUL once per chunk is cheap (native, SIMD); only a chunk
  // that fails either check pays for checking row by row.
  const chunkView = bytes.subarray(start, end);
  const rowChecks = chunkView.indexOf(0) !== -1 || !isUtf8(chunkView);
  const context: ChunkContext = { bytes, start, end, plan, data, rejects, stats, rowChecks, mapOffset };
  // Columns whose values are rewritten: such rows are written field by field instead of copied.
  const formats = plan.columnFormats ?? [];
  const rewritten = new Uint8Array(columnCount);
  let rewrite = false;
  for (let f = 0; f < columnCount; f++) if (!isPlain(formats[f])) { rewritten[f] = 1; rewrite = true; }
  const rawStarts = new Int32Array(columnCount);
  const rawEnds = new Int32Array(columnCount);
  const valueStarts = new Int32Array(columnCount);
  const valueEnds = new Int32Array(columnCount);
  const scratch = scratchBuffer();
  const fileIdPrefix = Buffer.from(`${plan.fileId}${String.fromCharCode(delimiter)}`, 'latin1');

  let line = 1;
  let i = start;
  while (i < end) {
    const rowStart = i;
    const rowLine = line;
    // Blank lines carry no data: skipped, but counted for line numbers.
    if (bytes[i] === newline) { i++; line++; continue; }
    if (crlf && bytes[i] === CR && (i + 1 === end || bytes[i + 1] === LF)) { i += i + 1 === end ? 1 : 2; line++; continue; }
    if (bytes[i] === comment) {
      const lineEnd = bytes.indexOf(newline, i);
      if (lineEnd === -1 || lineEnd >= end) break;
      i = lineEnd + 1;
      line++;
      continue;
    }

    const mark = data.length;
    data.pushBytes(fileIdPrefix, 0, fileIdPrefix.length);
    data.pushUint(mapOffset === undefined ? plan.baseOffset + (rowStart - start) : mapOffset(rowStart));
    data.pushByte(delimiter);

    let field = 0;
    let badField = -1;
    let clean = true;
    for (;;) {
      const fieldStart = i;
      let valueStart: number;
      let valueEnd: number;
      if (i < end && bytes[i] === quote) {
        i++;
        valueStart = i;
        let quotedLines = 0;
        for (;;) {
          if (i >= end) { clean = false; break; }
          const c = bytes[i];
          if (c === quote) {
            if (i + 1 < end && bytes[i + 1] === quote) { i += 2; continue; }
            break;
          }
          if (c === newline) {
            line++;
            // Maybe an unclosed quote (row-boundary.ts): the reference reading decides.
            if (++quotedLines > maxQuotedLines) { clean = false; break; }
          }
          if (c === escape) { clean = false; break; }
          i++;
        }
        if (!clean) break;
        valueEnd = i;
        i++; // the closing quote
        if (i < end) {
          const c = bytes[i];
          if (c !== delimiter && c !== newline && !(crlf && c === CR && (i + 1 === end || bytes[i + 1] === LF))) { clean = false; break; }
        }
      } else {
        valueStart = i;
        while (i < end && special[bytes[i]] === 0) i++;
        valueEnd = i;
        if (i < end) {
          const c = bytes[i];
          if (c !== delimiter && c !== newline && !(crlf && c === CR && (i + 1 === end || bytes[i + 1] === LF))) { clean = false; break; }
        }
      }
      if (field < columnCount) {
        if (rewrite) {
          rawStarts[field] = fieldStart;
          rawEnds[field] = i;
          valueStarts[field] = valueStart;
          valueEnds[field] = valueEnd;
        }
        if (badField < 0 && valueEnd > valueStart && rewritten[field] === 0) {
          const type = types[field];
          if (type !== ColumnType.text && !fitsType(type, bytes, valueStart, valueEnd)) badField = field;
        }
      }
      field++;
      if (i < end && bytes[i] === delimiter) { i++; continue; }
      break;
    }

    if (!clean) {
      data.length = mark;
      line = rowLine;
      const slow = slowRow(context, rowStart, rowLine);
      i = slow.next;
      line += slow.terminators;
      continue;
    }

    let contentEnd = i;
    // The CR of a CRLF; when CR itself is the newline it is the terminator, counted below.
    if (crlf && i < end && bytes[i] === CR) i++;
    if (i < end && bytes[i] === newline) { i++; line++; }

    // A header of another width than the rows (EncodePlan.trailingDelimiter, padMissing).
    if (field === columnCount + 1 && plan.trailingDelimiter === true && bytes[contentEnd - 1] === delimiter) { field--; contentEnd--; }
    if (field !== columnCount) {
      data.length = mark;
      if (field === columnCount - 1 && plan.padMissing === true) {
        const slow = slowRow(context, rowStart, rowLine);
        i = slow.next;
        line = rowLine + slow.terminators;
        continue;
      }
      reject(context, rowStart, contentEnd, rowLine, field < columnCount ? 'TOO_FEW_FIELDS' : 'TOO_MANY_FIELDS', `expected ${columnCount} fields, found ${field}`);
      continue;
    }
    const problem = rowChecks ? rowEncodingProblem(bytes, rowStart, contentEnd) : null;
    // A row rejected for its bytes is rejected before its values are looked at: they say nothing
    // about the column's type (a NUL in a number must not widen the column to text).
    if (problem !== null && refuses(plan, problem)) {
      data.length = mark;
      reject(context, rowStart, contentEnd, rowLine, problem, BYTES_DETAIL[problem]);
      continue;
    }
    if (badField >= 0) {
      data.length = mark;
      const value = parseRecord(bytes, rowStart, contentEnd, plan.dialect)[badField] ?? '';
      noteMisfit(context, badField, value, rowStart, rowLine);
      reject(context, rowStart, contentEnd, rowLine, 'CAST', castDetail(plan, badField, value));
      continue;
    }
    if (problem !== null) {
      // Invalid UTF-8, loaded with U+FFFD.
      data.length = mark;
      writeCanonical(context, parseRecord(bytes, rowStart, contentEnd, plan.dialect), rowStart);
      stats.rows++;
      continue;
    }
    if (rewrite) {
      // Plain fields are copied as written (quotes and all); the others are rewritten into
      // canonical text, which never needs quoting (digits, '-', ':', '.', ' ', 'Z').
      let failed = -1;
      for (let f = 0; f < columnCount; f++) {
        if (f > 0) data.pushByte(delimiter);
        if (rewritten[f] === 0) {
          data.pushBytes(bytes, rawStarts[f], rawEnds[f]);
          continue;
        }
        const length = normaliseValue(types[f], formats[f]!, bytes, valueStarts[f], valueEnds[f], scratch);
        if (length < 0) { failed = f; break; }
        data.pushBytes(scratch, 0, length);
      }
      if (failed >= 0) {
        data.length = mark;
        const value = parseRecord(bytes, rowStart, contentEnd, plan.dialect)[failed] ?? '';
        noteMisfit(context, failed, value, rowStart, rowLine);
        reject(context, rowStart, contentEnd, rowLine, 'CAST', castDetail(plan, failed, value));
        continue;
      }
    } else {
      data.pushBytes(bytes, rowStart, contentEnd);
    }
    data.pushByte(LF);
    stats.rows++;
  }
  stats.lines = line - 1;
  return stats;
}

/** What the rare-path helpers need to know about the chunk being encoded. */
interface ChunkContext {
  bytes: Uint8Array;
  /** Index of the chunk's first byte in `bytes`; its file offset is plan.baseOffset. */
  start: number;
  end: number;
  plan: EncodePlan;
  data: ByteSink;
  rejects: ByteSink;
  stats: EncodeStats;
  rowChecks: boolean;
  /** File offset of a row start when `bytes` were decoded from another encoding. */
  mapOffset: ((index: number) => number) | undefined;
}

function fileOffset(context: ChunkContext, index: number): number {
  return context.mapOffset === undefined ? context.plan.baseOffset + (index - context.start) : context.mapOffset(index);
}

/**
 * A row the fast path could not vouch for: find its end the way csv-parser does (quote parity),
 * read it with the reference record parser, check it, and write it in canonical CSV.
 * Returns the index after the row and the number of row terminators it spans.
 */
function slowRow(context: ChunkContext, rowStart: number, rowLine: number): { next: number; terminators: number } {
  const { bytes, end, plan, stats } = context;
  const { newline } = plan.dialect;
  stats.slowRows++;
  // The chunk ends where a record does (the planner cut it so) or where the file does: final.
  const { end: rowEnd, kind } = nextRowEnd(bytes, rowStart, end, plan.dialect, { maxQuotedLines: plan.maxQuotedLines ?? DEFAULT_MAX_QUOTED_LINES }, true);
  let terminators = 0;
  for (let k = rowStart; k < rowEnd; k++) if (bytes[k] === newline) terminators++;
  let contentEnd = rowEnd;
  if (contentEnd > rowStart && bytes[contentEnd - 1] === newline) contentEnd--;
  if (newline === LF && contentEnd > rowStart && bytes[contentEnd - 1] === CR) contentEnd--;
  const result = { next: rowEnd, terminators };

  if (kind === RecordKind.broken) {
    reject(context, rowStart, contentEnd, rowLine, 'UNCLOSED_QUOTE', 'a quoted field opened on this line is not closed (reading resumes on the next line)');
    return result;
  }
  const values = parseRecord(bytes, rowStart, contentEnd, plan.dialect);
  const columnCount = plan.columnTypes.length;
  if (values.length === columnCount - 1 && plan.padMissing === true) values.push('');
  if (values.length === columnCount + 1 && plan.trailingDelimiter === true && values[columnCount] === '') values.pop();
  if (values.length !== columnCount) {
    reject(context, rowStart, contentEnd, rowLine, values.length < columnCount ? 'TOO_FEW_FIELDS' : 'TOO_MANY_FIELDS',
      `expected ${columnCount} fields, found ${values.length}`);
    return result;
  }
  if (context.rowChecks) {
    const problem = rowEncodingProblem(bytes, rowStart, contentEnd);
    if (problem !== null && refuses(plan, problem)) {
      reject(context, rowStart, contentEnd, rowLine, problem, BYTES_DETAIL[problem]);
      return result;
    }
  }
  const scratch = scratchBuffer();
  for (let f = 0; f < columnCount; f++) {
    const type = plan.columnTypes[f];
    const format = plan.columnFormats?.[f];
    if (values[f] === '' || (type === ColumnType.text && isPlain(format))) continue;
    const encoded = Buffer.from(values[f], 'utf8');
    if (isPlain(format)) {
      if (fitsType(type, encoded, 0, encoded.length)) continue;
    } else {
      const length = normaliseValue(type, format!, encoded, 0, encoded.length, scratch);
      if (length >= 0) { values[f] = Buffer.from(scratch.subarray(0, length)).toString('latin1'); continue; }
    }
    noteMisfit(context, f, values[f], rowStart, rowLine);
    reject(context, rowStart, contentEnd, rowLine, 'CAST', castDetail(plan, f, values[f]));
    return result;
  }
  writeCanonical(context, values, rowStart);
  stats.rows++;
  return result;
}

const BYTES_DETAIL = { ENCODING: 'invalid UTF-8', NUL_BYTE: 'NUL byte in row' } as const;

/** Whether a row with this problem in its bytes is rejected (invalid UTF-8 may load with U+FFFD instead). */
function refuses(plan: EncodePlan, problem: 'ENCODING' | 'NUL_BYTE'): boolean {
  return problem === 'NUL_BYTE' || plan.invalidUtf8 !== 'replace';
}

function rowEncodingProblem(bytes: Uint8Array, start: number, end: number): 'ENCODING' | 'NUL_BYTE' | null {
  const row = bytes.subarray(start, end);
  if (row.indexOf(0) !== -1) return 'NUL_BYTE';
  if (!isUtf8(row)) return 'ENCODING';
  return null;
}

/**
 * Writes one row from parsed values: a value that needs it is quoted with its quotes doubled, and
 * an empty value is left unquoted (NULL), as an empty unquoted field is on the fast path.
 */
function writeCanonical(context: ChunkContext, values: readonly string[], rowStart: number): void {
  const { plan, data } = context;
  const quoteChar = String.fromCharCode(copyQuoteOf(plan.dialect));
  const delimiterChar = String.fromCharCode(plan.dialect.delimiter);
  let text = `${plan.fileId}${delimiterChar}${fileOffset(context, rowStart)}`;
  for (let f = 0; f < values.length; f++) {
    const value = values[f];
    text += delimiterChar;
    if (value === '') continue;
    if (value.includes(quoteChar) || value.includes(delimiterChar) || value.includes('\n') || value.includes('\r')) {
      text += quoteChar + value.split(quoteChar).join(quoteChar + quoteChar) + quoteChar;
    } else {
      text += value;
    }
  }
  data.pushString(`${text}\n`);
}

/**
 * A value that does not fit its column: when the column widens, note the type it needs (the row is
 * still rejected here — the chunk is encoded again under the wider type, and this output dropped).
 */
function noteMisfit(context: ChunkContext, field: number, value: string, rowStart: number, rowLine: number): void {
  const { plan, stats } = context;
  const base = plan.widening?.[field];
  if (base === null || base === undefined) return;
  const bytes = Buffer.from(value, 'utf8');
  const current = plan.columnTypes[field];
  // A late `NA` in a column whose sample had no null tokens is a missing value, not text.
  const nullToken = plan.columnFormats?.[field]?.nullTokens !== true && isNullToken(bytes, 0, bytes.length);
  const type = nullToken ? current : widenFor(current, base, bytes, 0, bytes.length, scratchBuffer());
  if (type === current && !nullToken) return;
  stats.widen ??= [];
  const known = stats.widen.find((w) => w.column === field);
  if (known === undefined) {
    stats.widen.push({ column: field, type, chunkLine: rowLine, byteOffset: fileOffset(context, rowStart), ...(nullToken ? { nullTokens: true } : {}) });
  } else {
    known.type = joinTypes(known.type, type);
    if (nullToken) known.nullTokens = true;
  }
}

function castDetail(plan: EncodePlan, field: number, value: string): string {
  const shown = value.length > MAX_DETAIL_VALUE ? `${value.slice(0, MAX_DETAIL_VALUE)}…` : value;
  return `column ${plan.columnNames[field]} (${columnTypeName(plan.columnTypes[field])}): ${JSON.stringify(shown)}`;
}

/** Appends one ingest.rejects row in COPY text format. Rare path: strings are fine here. */
function reject(context: ChunkContext, rowStart: number, rowEnd: number, rowLine: number, reason: RejectReason, detail: string): void {
  const { bytes, plan, stats } = context;
  const byteOffset = fileOffset(context, rowStart);
  stats.rejected++;
  if (stats.samples.length < MAX_SAMPLES) stats.samples.push({ chunkLine: rowLine, byteOffset, reason, detail });
  const rawEnd = Math.min(rowEnd, rowStart + MAX_RAW_BYTES);
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset + rowStart, rawEnd - rowStart).toString('utf8');
  context.rejects.pushString(rejectRow({ fileId: plan.fileId, chunkNo: plan.chunkNo, chunkLine: rowLine, byteOffset, reason, detail, raw }));
}

