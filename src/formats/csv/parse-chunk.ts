import { isUtf8 } from 'node:buffer';
import { type ColumnBatch, type ColumnVector, hasNumbers } from '../../batch/column-batch.js';
import type { ChunkStagesPlan } from '../../stages/chunk-stages.js';
import type { ByteSink } from '../byte-sink.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../schema/column-type.js';
import { checked, checkedValue } from '../../batch/checked-values.js';
import { rejectRow } from '../reject-row.js';
import { type ColumnFormat, isNullToken, isPlain, normaliseValue, scratchBuffer } from '../../schema/value-format.js';
import { joinTypes, type WideningBase, widenFor } from '../../schema/type-widening.js';
import { copyQuoteOf, CR, LF, type CsvDialect, NONE } from './dialect.js';
import { parseRecord } from './record-parser.js';
import { DEFAULT_MAX_QUOTED_LINES, nextRowEnd, RecordKind } from './row-boundary.js';

/**
 * Parses one row-aligned chunk of CSV bytes into a ColumnBatch — the worker's parse step and its
 * hot path (ARCHITECTURE.md, "Inside a worker").
 *
 * The batch starts as one copy of the chunk's bytes, so a well-formed field costs no copy: a plain
 * field is a span of those bytes, a quoted field without doubled quotes the span inside its
 * quotes. Only a value that must be rewritten — doubled quotes undone, a formatted value
 * normalised (decimal commas, day-first dates, null tokens; schema/value-format.ts), a row read by
 * the record parser — is appended behind them. Every field is still looked at, because fields must
 * be counted and each typed value must cast, so that a bad row is rejected here, with its line and
 * offset, rather than failing the whole COPY; the check reads the value's number into the batch in
 * the same pass (batch/checked-values.ts), for the stages and the binary encoder. Rows the fast path cannot vouch for — stray quotes,
 * escapes, bare CRs, an unclosed quote — are read with the reference record parser
 * (record-parser.ts), so the values are the reference reading for every input. Comment lines and
 * blank lines are skipped (counted for line numbers).
 *
 * NULL is what PostgreSQL's CSV COPY made of the file before: an unquoted empty field is NULL; a
 * quoted empty field (`""`) is an empty string in a text column and NULL in a typed one.
 *
 * Output: the batch's rows (stages and the COPY encoders read them); `rejects` gets COPY text rows
 * for ingest.rejects: file_id, chunk_no, chunk_line, byte_offset, reason, detail, raw
 */

export type RejectReason = 'TOO_FEW_FIELDS' | 'TOO_MANY_FIELDS' | 'CAST' | 'SCHEMA' | 'CONSTRAINT' | 'UNCLOSED_QUOTE' | 'ENCODING' | 'NUL_BYTE' | 'LINE_TOO_LONG';

/**
 * What a worker needs to parse a file's chunks. The stage fields (`dataset`, `stagesKey`, `stages`,
 * `copyFormat`) are not read here: the encode task hands them to the stages after parsing.
 */
export interface EncodePlan extends Pick<ChunkStagesPlan, 'dataset' | 'stagesKey' | 'stages' | 'copyFormat'> {
  dialect: CsvDialect;
  columnTypes: readonly ColumnTypeCode[];
  columnNames: readonly string[];
  /** Per column, the table column it lands in, for reject details (default: columnNames). */
  rejectNames?: readonly string[];
  fileId: number;
  chunkNo: number;
  /** File byte offset of bytes[start]. */
  baseOffset: number;
  /** `replace` decodes invalid UTF-8 with U+FFFD instead of rejecting the row. */
  invalidUtf8: 'reject' | 'replace';
  /**
   * How each column's values are written, when PostgreSQL cannot read them as they are (decimal
   * commas, day-first dates, null tokens, …): such values are normalised into the batch. Absent,
   * or all plain: every value is a span of the chunk.
   */
  columnFormats?: readonly (ColumnFormat | null)[];
  /** A quoted field holding more line ends makes its record broken (row-boundary.ts); the planner cut with the same. */
  maxQuotedLines?: number;
  /**
   * Columns that widen rather than reject a value that does not fit (null: the column keeps its
   * type and such rows are CAST rejects). A misfit is reported in `EncodeStats.widen`; the loader
   * then widens the column and parses the chunk again, so this chunk's batch is not used.
   */
  widening?: readonly (WideningBase | null)[];
  /** The reason a value that does not fit its column is rejected with: CAST, or SCHEMA under a frozen schema. */
  misfitReason?: 'CAST' | 'SCHEMA';
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
  /** Columns the chunk's values need wider (see EncodePlan.widening): when any, parse again. */
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
    // A stray quote in an unquoted field (and, without quoting, a `"`) is read by the reference
    // parser, so the fast path only ever sees fields it reads exactly as the reference does; with
    // an escape byte, a row holding one must have it undone.
    table[copyQuoteOf(dialect)] = 1;
    if (dialect.escape !== NONE) table[dialect.escape] = 1;
    table[dialect.newline] = 1;
    table[CR] = 1;
    table[LF] = 1;
    specialCache.set(key, table);
  }
  return table;
}

/** Normalised values are written here first; it grows for a long value (a text column with null tokens). */
let scratch = scratchBuffer();

/**
 * `batch` is reset to this chunk (its bytes copied once to the batch's front) and gets one row per
 * good record; bad records go to `rejects`. `mapOffset` is for text decoded from another encoding
 * (formats/encoding/chunk-transcoder.ts): `bytes` are then UTF-8 and a row's offset is where it
 * starts in the original file.
 */
export function parseCsvChunk(bytes: Uint8Array, start: number, end: number, plan: EncodePlan, batch: ColumnBatch, rejects: ByteSink,
  mapOffset?: (utf8Index: number) => number): EncodeStats {
  const stats: EncodeStats = { rows: 0, rejected: 0, lines: 0, slowRows: 0, samples: [] };
  // Validating UTF-8 and looking for NUL once per chunk is cheap (native, SIMD); only a chunk
  // that fails either check pays for checking row by row.
  const chunkView = bytes.subarray(start, end);
  const rowChecks = chunkView.indexOf(0) !== -1 || !isUtf8(chunkView);
  batch.reset(bytes, start, end, batchColumns(plan));
  stats.lines = parseRows({ bytes, start, end, plan, batch, rejects, stats, rowChecks, mapOffset }) - 1;
  // Every kept typed value got its number (fast path, rewriteValue, addParsedRow).
  const types = plan.columnTypes;
  for (let f = 0; f < types.length; f++) if (hasNumbers(types[f])) batch.columns[f].numbersType = types[f];
  return stats;
}

/**
 * The rows of the chunk into the batch and the rejects; returns the line number after the last.
 * A function of its own, apart from what follows the loop: V8 compiles the first chunk's loop on
 * stack replacement, before that chunk ever reached the code after its loop, and such code, with
 * no type feedback yet, deoptimised the compiled function as the first chunk ended (then it was
 * compiled again, twice).
 */
function parseRows(context: ChunkContext): number {
  const { bytes, start, end, plan, batch, stats, rowChecks, mapOffset } = context;
  const { delimiter, quote, newline, comment } = plan.dialect;
  const escape = plan.dialect.escape;
  const maxQuotedLines = plan.maxQuotedLines ?? DEFAULT_MAX_QUOTED_LINES;
  const types = plan.columnTypes;
  const columnCount = types.length;
  const special = specialBytes(plan.dialect);
  const crlf = newline === LF;
  const columns = batch.columns;
  // Columns whose values are normalised into the batch rather than read as spans.
  const formats = plan.columnFormats ?? [];
  const rewritten = new Uint8Array(columnCount);
  for (let f = 0; f < columnCount; f++) if (!isPlain(formats[f])) rewritten[f] = 1;

  let line = 1;
  let i = start;
  while (i < end) {
    const rowStart = i;
    const rowLine = line;
    // Blank lines carry no data: skipped, but counted for line numbers.
    if (bytes[i] === newline) { i++; line++; continue; }
    if (crlf && bytes[i] === CR && (i + 1 === end || bytes[i + 1] === LF)) {
      // A CR that ends the data is a blank line's end but not a line break (no LF): lines count LF bytes.
      if (i + 1 === end) { i++; continue; }
      i += 2;
      line++;
      continue;
    }
    if (bytes[i] === comment) {
      const lineEnd = bytes.indexOf(newline, i);
      if (lineEnd === -1 || lineEnd >= end) break;
      i = lineEnd + 1;
      line++;
      continue;
    }

    // The row is filled while its fields are read and taken back (dropLastRow, appended bytes
    // forgotten) if it turns out bad: one pass, and no per-field scratch arrays.
    const row = batch.addRow(mapOffset === undefined ? plan.baseOffset + (rowStart - start) : mapOffset(rowStart), rowLine, rowStart - start, rowStart - start);
    const byteMark = batch.byteLength;
    let field = 0;
    // The first value that does not fit a plain column, and the first that fails to normalise.
    let badField = -1;
    let badRewrite = -1;
    let clean = true;
    for (;;) {
      let valueStart: number;
      let valueEnd: number;
      let quoted = false;
      let doubled = false;
      if (i < end && bytes[i] === quote) {
        quoted = true;
        i++;
        valueStart = i;
        let quotedLines = 0;
        for (;;) {
          if (i >= end) { clean = false; break; }
          const c = bytes[i];
          if (c === quote) {
            if (i + 1 < end && bytes[i + 1] === quote) { doubled = true; i += 2; continue; }
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
      if (field < columnCount && badField < 0) {
        const column = columns[field];
        const type = types[field];
        if (rewritten[field] === 1) {
          // Once one formatted value failed the row is rejected: the later ones need no work.
          if (badRewrite < 0) {
            const from = doubled ? appendUnquoted(batch, bytes, valueStart, valueEnd, quote) : valueStart - start;
            const to = doubled ? batch.byteLength : valueEnd - start;
            if (!rewriteValue(batch, column, row, type, formats[field]!, from, to)) badRewrite = field;
          }
        } else if (valueEnd === valueStart) {
          // `""` is an empty string in a text column; every other empty field is NULL.
          if (quoted && type === ColumnType.text) batch.setSpan(column, row, 0, 0);
          else batch.setNull(column, row);
        } else {
          // A typed value is checked and read in the same pass (NaN: it does not fit).
          const value = type === ColumnType.text ? 0 : checkedValue(type, bytes, valueStart, valueEnd);
          if (value !== value) badField = field;
          else {
            if (doubled) batch.setSpan(column, row, appendUnquoted(batch, bytes, valueStart, valueEnd, quote), batch.byteLength);
            else batch.setSpan(column, row, valueStart - start, valueEnd - start);
            column.numbers[row] = value;
            if (type === ColumnType.timestamptz) column.micros[row] = checked.micros;
          }
        }
      }
      field++;
      if (i < end && bytes[i] === delimiter) { i++; continue; }
      break;
    }

    if (!clean) {
      batch.dropLastRow();
      batch.byteLength = byteMark;
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
      batch.dropLastRow();
      batch.byteLength = byteMark;
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
    // A value that does not fit its plain column is named before one that failed to normalise.
    const misfit = badField >= 0 ? badField : badRewrite;
    if (problem !== null || misfit >= 0) {
      batch.dropLastRow();
      batch.byteLength = byteMark;
      // A row rejected for its bytes is rejected before its values are looked at: they say nothing
      // about the column's type (a NUL in a number must not widen the column to text).
      if (problem !== null && refuses(plan, problem)) {
        reject(context, rowStart, contentEnd, rowLine, problem, BYTES_DETAIL[problem]);
        continue;
      }
      if (misfit >= 0) {
        const value = parseRecord(bytes, rowStart, contentEnd, plan.dialect)[misfit] ?? '';
        noteMisfit(context, misfit, value, rowStart, rowLine);
        reject(context, rowStart, contentEnd, rowLine, plan.misfitReason ?? 'CAST', castDetail(plan, misfit, value));
        continue;
      }
      // Invalid UTF-8, loaded with U+FFFD.
      addParsedRow(context, parseRecord(bytes, rowStart, contentEnd, plan.dialect), rowStart, contentEnd, rowLine);
      continue;
    }
    batch.rowEnd[row] = contentEnd - start;
    stats.rows++;
  }
  return line;
}

/** The batch's columns for a plan, as it names and types them. */
function batchColumns(plan: EncodePlan): { name: string; type: ColumnTypeCode }[] {
  return plan.columnTypes.map((type, f) => ({ name: plan.columnNames[f], type }));
}

/**
 * Appends the inside of a quoted field with its doubled quotes undone (the field was read on the
 * fast path, so every quote in it is doubled); returns where it starts in the batch.
 */
function appendUnquoted(batch: ColumnBatch, bytes: Uint8Array, start: number, end: number, quote: number): number {
  const from = batch.byteLength;
  const out = batch.reserve(end - start);
  let at = from;
  for (let i = start; i < end; i++) {
    const c = bytes[i];
    out[at++] = c;
    if (c === quote) i++;
  }
  batch.byteLength = at;
  return from;
}

/**
 * The value at batch bytes [from, to) of a formatted column, normalised into the batch (NULL for
 * an empty value or a null token). False when it does not fit the column's type.
 */
function rewriteValue(batch: ColumnBatch, column: ColumnVector, row: number, type: ColumnTypeCode, format: ColumnFormat, from: number, to: number): boolean {
  if (to - from > scratch.length) scratch = new Uint8Array(2 * (to - from));
  const length = normaliseValue(type, format, batch.bytes, from, to, scratch);
  if (length < 0) return false;
  if (length === 0) { batch.setNull(column, row); return true; }
  const at = batch.byteLength;
  const out = batch.reserve(length);
  for (let k = 0; k < length; k++) out[at + k] = scratch[k];
  batch.byteLength = at + length;
  batch.setSpan(column, row, at, at + length);
  // The number is read from the normalised text (normaliseValue checked that it fits).
  column.numbers[row] = checkedValue(type, out, at, at + length);
  if (type === ColumnType.timestamptz) column.micros[row] = checked.micros;
  return true;
}

/** What the rare-path helpers need to know about the chunk being parsed. */
interface ChunkContext {
  bytes: Uint8Array;
  /** Index of the chunk's first byte in `bytes`; its file offset is plan.baseOffset. */
  start: number;
  end: number;
  plan: EncodePlan;
  batch: ColumnBatch;
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
 * read it with the reference record parser, check it, and add its values to the batch.
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
  addParsedRow(context, values, rowStart, contentEnd, rowLine);
  return result;
}

/**
 * Adds a row from the record parser's values (rare path: strings are fine here), each checked as
 * on the fast path, or rejects it for the first value that does not fit. An empty value is NULL:
 * the record parser does not tell `""` from an empty field.
 */
function addParsedRow(context: ChunkContext, values: readonly string[], rowStart: number, contentEnd: number, rowLine: number): void {
  const { batch, plan, start } = context;
  const row = batch.addRow(fileOffset(context, rowStart), rowLine, rowStart - start, contentEnd - start);
  const byteMark = batch.byteLength;
  for (let f = 0; f < values.length; f++) {
    const column = batch.columns[f];
    const type = plan.columnTypes[f];
    const format = plan.columnFormats?.[f];
    const value = values[f];
    if (value === '') { batch.setNull(column, row); continue; }
    const encoded = Buffer.from(value, 'utf8');
    if (isPlain(format)) {
      const number = type === ColumnType.text ? 0 : checkedValue(type, encoded, 0, encoded.length);
      if (number === number) {
        batch.appendValue(column, row, encoded, 0, encoded.length);
        column.numbers[row] = number;
        if (type === ColumnType.timestamptz) column.micros[row] = checked.micros;
        continue;
      }
    } else {
      const at = batch.byteLength;
      batch.appendValue(column, row, encoded, 0, encoded.length);
      if (rewriteValue(batch, column, row, type, format!, at, batch.byteLength)) continue;
    }
    batch.dropLastRow();
    batch.byteLength = byteMark;
    noteMisfit(context, f, value, rowStart, rowLine);
    reject(context, rowStart, contentEnd, rowLine, plan.misfitReason ?? 'CAST', castDetail(plan, f, value));
    return;
  }
  context.stats.rows++;
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
 * A value that does not fit its column: when the column widens, note the type it needs (the row is
 * still rejected here — the chunk is parsed again under the wider type, and this batch dropped).
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
  return `column ${(plan.rejectNames ?? plan.columnNames)[field]} (${columnTypeName(plan.columnTypes[field])}): ${JSON.stringify(shown)}`;
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
