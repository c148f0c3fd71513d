import { isUtf8 } from 'node:buffer';
import type { ColumnBatch, ColumnVector } from '../../batch/column-batch.js';
import type { ByteSink } from '../byte-sink.js';
import { rejectRow } from '../reject-row.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../schema/column-type.js';
import { fitsType } from '../../schema/value-checks.js';
import { type ColumnFormat, isPlain, normaliseValue } from '../../schema/value-format.js';
import { COLON, COMMA, compactJson, decodeStringBody, JsonKind, JsonScanner, LBRACE, LF, QUOTE, RBRACE, ScanError, type ScanErrorCode, skipWhitespace, StringFlag } from './json-scanner.js';
import type { LateColumn } from '../prepared-file.js';
import { KeyTable, keyTableFor } from './key-table.js';
import { readRecords, type RecordVisitor } from './record-reader.js';
import type { JsonLayout } from './row-boundary.js';
import { lateColumnsOf } from './sniffer.js';

/**
 * Parses one row-aligned chunk of JSON records into a ColumnBatch — the JSON hot path, and the
 * parse step of the worker's stages (stages/chunk-stages.ts encodes the batch afterwards).
 *
 * Each record is walked once by the validating scanner: keys are looked up as bytes in the
 * schema's key tables (no string per key), and each column remembers where its value's bytes are.
 * Then the record becomes a batch row, each value as canonical text (what PostgreSQL's text input
 * reads), a span of the chunk's bytes wherever the JSON holds it as it is:
 *
 *   number, true/false   span of the literal (checked against the column's type on its own text,
 *                        so a bigint keeps every digit — JSON.parse would round it to a double)
 *   string               span between the quotes when it has no escape ("" is an empty string, not
 *                        NULL); decoded and appended when it has one. In a typed column the spaces
 *                        PostgreSQL would skip are trimmed, and a boolean word is `true` / `false`
 *   array, object        jsonb: its JSON text without insignificant whitespace (a span when it has
 *                        none); text: its JSON text as written
 *   null, missing key    NULL; so is an empty string in a typed column, as an empty CSV field is
 *
 * A record that is not valid JSON is a JSON_SYNTAX reject, one nested deeper than the scanner's
 * limit a JSON_DEPTH reject, a value that does not fit its column a CAST reject — each with its
 * line and byte offset in the file, written to `rejects` as COPY text rows for ingest.rejects and
 * left out of the batch. Keys outside the schema are skipped and counted — or, when the plan asks
 * (`lateKeys`), reported with their columns typed from the chunk's records (`lateColumns`): the
 * loader then adds them and parses the chunk again, so its batch is not written.
 */

export type JsonRejectReason = 'JSON_SYNTAX' | 'JSON_DEPTH' | 'JSON_NOT_OBJECT' | 'CAST' | 'SCHEMA' | 'ENCODING' | 'NUL_BYTE';

export interface JsonParsePlan {
  layout: JsonLayout;
  /** Names the schema (`paths`), so a worker builds its key tables once per load, not per chunk. */
  schemaKey: string;
  /** Column i's JSON path. */
  paths: readonly (readonly string[])[];
  columnTypes: readonly ColumnTypeCode[];
  columnNames: readonly string[];
  fileId: number;
  chunkNo: number;
  /** File byte offset of bytes[start]. */
  baseOffset: number;
  /** File offset where records end: an array's closing bracket, else the file's size. */
  dataEnd: number;
  /** `replace` decodes invalid UTF-8 (and unpaired surrogate escapes) as U+FFFD instead of rejecting. */
  invalidUtf8: 'reject' | 'replace';
  /** When set, a BigInt64Array over it: slot 0 counts keys outside the schema, summed across workers. */
  counters?: SharedArrayBuffer;
  /** The reason a value that does not fit its column is rejected with: CAST, or SCHEMA under a frozen schema. */
  misfitReason?: 'CAST' | 'SCHEMA';
  /** Per column: how its string values are written (dates, decimal commas, null tokens; string-formats.ts); null or absent: as they are. */
  columnFormats?: readonly (ColumnFormat | null)[];
  /** Set: keys of loaded records outside the schema are reported (JsonParseStats.lateColumns, flattened as the sniff does) rather than skipped. */
  lateKeys?: { flattenDepth: number };
  /** Per column, the table column it lands in, for reject details (default: columnNames). */
  rejectNames?: readonly string[];
}

export interface JsonRejectSample {
  chunkLine: number;
  byteOffset: number;
  reason: JsonRejectReason;
  detail: string;
}

export interface JsonParseStats {
  /** Records in the batch. */
  rows: number;
  /** Records rejected while parsing (not in the batch). */
  rejected: number;
  /** LFs in the chunk: the pipeline turns chunk lines into file lines with them. */
  lines: number;
  /** Always 0: the field exists for the pipeline's stats shape (CSV counts its slow rows here). */
  slowRows: number;
  samples: JsonRejectSample[];
  /** Keys of loaded records that are not in the schema (their values are not loaded). */
  ignoredKeys: number;
  /** With plan.lateKeys: the columns under the keys outside the schema that loaded records hold (none: absent). */
  lateColumns?: LateColumn[];
}

const MAX_SAMPLES = 5;
/** Key paths outside the schema one chunk reports at most; the rest are found when the chunk is parsed again with these. */
const MAX_LATE_PATHS = 128;
const MAX_RAW_BYTES = 64 * 1024;
const MAX_DETAIL_VALUE = 120;
const SPACE = 0x20;
const NO_LF = 0x7fffffff;
const TRUE_TEXT = Buffer.from('true');
const FALSE_TEXT = Buffer.from('false');

const OK = 0;
const CAST = 1;
const NUL = 2;
const ENCODING = 3;

const KIND_NAME: Record<number, string> = {
  [JsonKind.null]: 'null', [JsonKind.bool]: 'a boolean', [JsonKind.number]: 'a number',
  [JsonKind.string]: 'a string', [JsonKind.object]: 'an object', [JsonKind.array]: 'an array',
};

function kindAt(byte: number): string {
  if (byte === QUOTE) return KIND_NAME[JsonKind.string];
  if (byte === LBRACE) return KIND_NAME[JsonKind.object];
  if (byte === 0x5b) return KIND_NAME[JsonKind.array];
  if (byte === 0x74 || byte === 0x66) return KIND_NAME[JsonKind.bool];
  if (byte === 0x6e) return KIND_NAME[JsonKind.null];
  return KIND_NAME[JsonKind.number];
}

/** Whether bytes[start, end) is `true` or `false` as written (a boolean's canonical text). */
function isCanonicalBool(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start === 4) return bytes[start] === 0x74 && bytes[start + 1] === 0x72 && bytes[start + 2] === 0x75 && bytes[start + 3] === 0x65;
  return end - start === 5 && bytes[start] === 0x66 && bytes[start + 1] === 0x61 && bytes[start + 2] === 0x6c && bytes[start + 3] === 0x73 && bytes[start + 4] === 0x65;
}

/** A word isBool accepted (true, t, yes, y, on, false, …) read as a boolean: t, y and on are true. */
function boolWordValue(bytes: Uint8Array, start: number): boolean {
  const first = bytes[start] | 0x20;
  return first === 0x74 || first === 0x79 || (first === 0x6f && (bytes[start + 1] | 0x20) === 0x6e);
}

interface Schema {
  table: KeyTable;
  columns: number;
}

/** Key tables by schemaKey: a worker parses many chunks of few loads. */
const schemas = new Map<string, Schema>();
const MAX_SCHEMAS = 16;

function schemaFor(plan: JsonParsePlan): Schema {
  let schema = schemas.get(plan.schemaKey);
  if (schema === undefined) {
    if (schemas.size >= MAX_SCHEMAS) schemas.delete(schemas.keys().next().value!);
    schema = { table: keyTableFor(plan.paths), columns: plan.paths.length };
    schemas.set(plan.schemaKey, schema);
  }
  return schema;
}

/**
 * The parser of one worker. Per-record state lives in typed arrays indexed by column and stamped
 * with the record number, so starting a record clears nothing and allocates nothing.
 */
class JsonChunkParser implements RecordVisitor {
  private readonly scanner = new JsonScanner();
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private kinds = new Uint8Array(0);
  private flags = new Uint8Array(0);
  private rowOf = new Int32Array(0);
  private row = 0;
  private scratch = Buffer.alloc(4096);
  /** Normalised values of formatted string columns are written here first. */
  private normalised = Buffer.alloc(256);
  private keyScratch = Buffer.alloc(256);

  // The chunk being parsed, and where values are read from (the chunk, or one record re-decoded).
  private chunk: Buffer = Buffer.alloc(0);
  private src: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  private plan!: JsonParsePlan;
  private batch!: ColumnBatch;
  private rejects!: ByteSink;
  private stats!: JsonParseStats;
  private table!: KeyTable;
  private rowChecks = false;
  /** The chunk line of the cursor, and the first LF at or after it (NO_LF when there is none). */
  private line = 1;
  private nextLf = NO_LF;
  /** Per record: keys outside the schema, and the first flattened path that held a non-object. */
  private ignored = 0;
  /** With plan.lateKeys: the record's key paths outside the schema, and those of the chunk's loaded records. */
  private recordLate: string[][] = [];
  private readonly chunkLate = new Map<string, string[]>();
  private shapeError: KeyTable | null = null;
  private shapeKind = 0;

  parse(bytes: Uint8Array, start: number, end: number, plan: JsonParsePlan, batch: ColumnBatch, rejects: ByteSink): JsonParseStats {
    const schema = schemaFor(plan);
    this.ensureColumns(schema.columns);
    // A Buffer view (no copy): Buffer#indexOf is memchr, a Uint8Array's is a generic loop.
    this.chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    this.src = this.chunk;
    this.chunkStart = start;
    this.plan = plan;
    this.batch = batch;
    this.rejects = rejects;
    this.table = schema.table;
    this.stats = { rows: 0, rejected: 0, lines: 0, slowRows: 0, samples: [], ignoredKeys: 0 };
    batch.reset(bytes, start, end, plan.columnNames.map((name, c) => ({ name, type: plan.columnTypes[c] })));
    this.line = 1;
    const lf = this.chunk.indexOf(LF, start);
    this.nextLf = lf === -1 || lf >= end ? NO_LF : lf;
    // Validating UTF-8 once per chunk is native and fast; only a chunk that fails pays per record.
    this.rowChecks = !isUtf8(this.chunk.subarray(start, end));
    const dataEnd = Math.min(end, Math.max(start, start + (plan.dataEnd - plan.baseOffset)));
    this.chunkLate.clear();
    readRecords(this.scanner, this.chunk, start, dataEnd, plan.layout, this);
    this.stats.lines = this.lineOf(end) - 1;
    if (this.chunkLate.size > 0) {
      this.stats.lateColumns = lateColumnsOf({ bytes: this.chunk, start, end: dataEnd, base: plan.baseOffset - start }, plan.layout,
        plan.lateKeys!.flattenDepth, [...this.chunkLate.values()]);
    }
    return this.stats;
  }

  private ensureColumns(count: number): void {
    if (this.starts.length >= count) return;
    this.starts = new Int32Array(count);
    this.ends = new Int32Array(count);
    this.kinds = new Uint8Array(count);
    this.flags = new Uint8Array(count);
    this.rowOf = new Int32Array(count);
    this.row = 0;
  }

  // ── RecordVisitor ───────────────────────────────────────────────────────────────────────────

  read(scanner: JsonScanner): boolean {
    if (++this.row === 0x7fffffff) {
      this.rowOf.fill(0);
      this.row = 1;
    }
    this.ignored = 0;
    if (this.recordLate.length > 0) this.recordLate = [];
    this.shapeError = null;
    if (scanner.bytes[scanner.pos] !== LBRACE) {
      const at = scanner.pos;
      if (scanner.skipValue(0) < 0) return false;
      scanner.fail(ScanError.notObject, at);
      return false;
    }
    return this.object(scanner, this.table, 0);
  }

  accept(start: number, end: number): void {
    if (this.rowChecks && !isUtf8(this.chunk.subarray(start, end))) {
      if (this.plan.invalidUtf8 === 'reject') {
        this.reject(start, end, 'ENCODING', 'invalid UTF-8');
        return;
      }
      // Read the record again from its U+FFFD-decoded text: same structure, valid bytes.
      this.src = Buffer.from(this.chunk.toString('utf8', start, end), 'utf8');
      this.scanner.reset(this.src, 0, this.src.length);
      if (this.read(this.scanner)) this.writeRow(start, end);
      else this.reject(start, end, 'ENCODING', 'invalid UTF-8');
      this.src = this.chunk;
      return;
    }
    this.writeRow(start, end);
  }

  broken(start: number, end: number, error: ScanErrorCode): void {
    const at = this.scanner.errorAt - start;
    if (error === ScanError.depth) {
      this.reject(start, end, 'JSON_DEPTH', `nested deeper than ${this.scanner.maxDepth} levels (at byte ${at} of the record)`);
    } else if (error === ScanError.notObject) {
      this.reject(start, end, 'JSON_NOT_OBJECT', `a record must be a JSON object, found ${kindAt(this.chunk[start])}`);
    } else {
      const found = this.scanner.errorAt >= this.scanner.end || this.scanner.errorAt >= end
        ? 'the record ends' : `unexpected ${JSON.stringify(String.fromCharCode(this.chunk[this.scanner.errorAt]))}`;
      this.reject(start, end, 'JSON_SYNTAX', `invalid JSON: ${found} at byte ${at} of the record`);
    }
  }

  // ── reading a record ────────────────────────────────────────────────────────────────────────

  /** Finds a key that has escapes: decoded, then looked up. */
  private findEscaped(table: KeyTable, bytes: Uint8Array, start: number, end: number): number {
    if (this.keyScratch.length < end - start) this.keyScratch = Buffer.alloc(2 * (end - start));
    return table.find(this.keyScratch, 0, decodeStringBody(bytes, start, end, this.keyScratch));
  }

  /** At `{`: reads an object whose keys are in `table` (recursion only as deep as the flattening). */
  private object(scanner: JsonScanner, table: KeyTable, depth: number): boolean {
    const bytes = scanner.bytes;
    const end = scanner.end;
    let i = skipWhitespace(bytes, scanner.pos + 1, end);
    if (i < end && bytes[i] === RBRACE) { scanner.pos = i + 1; return true; }
    let previous = -1;
    for (;;) {
      if (i >= end || bytes[i] !== QUOTE) return scanner.invalid(ScanError.syntax, i);
      const keyAt = i;
      let keyEnd = -1;
      // The key the last record had here: if these bytes are it, followed by its closing quote
      // (it holds no backslash, so that quote ends the string), the key is found.
      let entry = table.guess(previous);
      const raw = entry < 0 ? null : table.rawKey(entry);
      let matched = false;
      if (raw !== null) {
        const length = raw.length;
        if (i + 1 + length < end && bytes[i + 1 + length] === QUOTE) {
          let k = 0;
          while (k < length && bytes[i + 1 + k] === raw[k]) k++;
          matched = k === length;
        }
      }
      if (matched) {
        scanner.pos = i + 2 + raw!.length;
      } else {
        scanner.pos = i;
        if (!scanner.scanString()) return false;
        keyEnd = scanner.pos - 1;
        entry = (scanner.stringFlags & StringFlag.escape) === 0
          ? table.find(bytes, i + 1, scanner.pos - 1)
          : this.findEscaped(table, bytes, i + 1, scanner.pos - 1);
        if (entry >= 0) table.learn(previous, entry);
      }
      if (entry >= 0) previous = entry;
      i = skipWhitespace(bytes, scanner.pos, end);
      if (i >= end || bytes[i] !== COLON) return scanner.invalid(ScanError.syntax, i);
      i = skipWhitespace(bytes, i + 1, end);
      if (i >= end) return scanner.invalid(ScanError.syntax, i);
      scanner.pos = i;
      const column = entry < 0 ? -1 : table.column(entry);
      if (column >= 0) {
        scanner.flags = 0;
        const kind = scanner.skipValue(depth + 1);
        if (kind < 0) return false;
        this.starts[column] = i;
        this.ends[column] = scanner.pos;
        this.kinds[column] = kind;
        this.flags[column] = scanner.flags;
        this.rowOf[column] = this.row;
      } else if (entry >= 0) {
        const child = table.child(entry)!;
        if (bytes[i] === LBRACE) {
          if (!this.object(scanner, child, depth + 1)) return false;
        } else {
          const kind = scanner.skipValue(depth + 1);
          if (kind < 0) return false;
          if (kind !== JsonKind.null && this.shapeError === null) {
            this.shapeError = child;
            this.shapeKind = kind;
          }
        }
      } else {
        if (scanner.skipValue(depth + 1) < 0) return false;
        this.ignored++;
        if (this.plan.lateKeys !== undefined) this.noteLateKey(table, bytes, keyAt + 1, keyEnd);
      }
      i = skipWhitespace(bytes, scanner.pos, end);
      if (i < end && bytes[i] === COMMA) { i = skipWhitespace(bytes, i + 1, end); continue; }
      if (i < end && bytes[i] === RBRACE) { scanner.pos = i + 1; return true; }
      return scanner.invalid(ScanError.syntax, i);
    }
  }

  /** Rare path: the key in bytes[start, end) (inside its quotes) is outside the schema; its path is kept with the record's. */
  private noteLateKey(table: KeyTable, bytes: Uint8Array, start: number, end: number): void {
    const length = this.decode(bytes, start, end);
    this.recordLate.push([...table.route, this.scratch.toString('utf8', 0, length)]);
  }

  // ── filling a row ───────────────────────────────────────────────────────────────────────────

  /** Adds the record at chunk[start, end) to the batch, from the values found in `src`. */
  private writeRow(start: number, end: number): void {
    const { batch, plan } = this;
    if (this.shapeError !== null) {
      this.reject(start, end, 'CAST', `${this.shapeError.path}: expected an object, found ${KIND_NAME[this.shapeKind]}`);
      return;
    }
    const mark = batch.byteLength;
    const chunkStart = this.chunkStart;
    const row = batch.addRow(plan.baseOffset + (start - chunkStart), this.lineOf(start), start - chunkStart, end - chunkStart);
    const columns = batch.columns;
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c];
      if (this.rowOf[c] !== this.row || this.kinds[c] === JsonKind.null) { batch.setNull(column, row); continue; }
      const problem = this.setValue(column, row, c);
      if (problem !== OK) {
        // Text appended for the row's earlier values is given back with it.
        batch.dropLastRow();
        batch.byteLength = mark;
        this.rejectValue(start, end, c, problem);
        return;
      }
    }
    this.stats.rows++;
    this.stats.ignoredKeys += this.ignored;
    for (const path of this.recordLate) {
      if (this.chunkLate.size >= MAX_LATE_PATHS) break;
      this.chunkLate.set(path.join('\u0000'), path);
    }
  }

  private setValue(column: ColumnVector, row: number, c: number): number {
    const src = this.src;
    const type = column.type;
    const kind = this.kinds[c];
    const flags = this.flags[c];
    const start = this.starts[c];
    const end = this.ends[c];
    if (type === ColumnType.json) {
      // jsonb reads the JSON text itself, escapes included — except these two, which it refuses.
      if ((flags & StringFlag.nul) !== 0) return NUL;
      if ((flags & StringFlag.loneSurrogate) !== 0) return ENCODING;
      if (kind === JsonKind.object || kind === JsonKind.array) this.setCompactJson(column, row, start, end);
      else this.setText(column, row, src, start, end);
      return OK;
    }
    if (kind === JsonKind.string) {
      if ((flags & StringFlag.escape) === 0) {
        const from = start + 1;
        const to = end - 1;
        if (type === ColumnType.text) { this.setText(column, row, src, from, to); return OK; }
        return this.setTyped(column, row, c, src, from, to);
      }
      if ((flags & StringFlag.nul) !== 0) return NUL;
      if ((flags & StringFlag.loneSurrogate) !== 0 && this.plan.invalidUtf8 === 'reject') return ENCODING;
      const length = this.decode(src, start + 1, end - 1);
      if (type === ColumnType.text) { this.batch.appendValue(column, row, this.scratch, 0, length); return OK; }
      return this.setTyped(column, row, c, this.scratch, 0, length);
    }
    if (kind === JsonKind.number || kind === JsonKind.bool) {
      if (type !== ColumnType.text && !fitsType(type, src, start, end)) return CAST;
      this.setText(column, row, src, start, end);
      return OK;
    }
    // An array or object: its JSON text fits a text column; any other type is a CAST.
    if (type !== ColumnType.text) return CAST;
    this.setText(column, row, src, start, end);
    return OK;
  }

  /**
   * A string's text into a typed column: checked, then without the surrounding spaces PostgreSQL
   * skips, a boolean word as `true` / `false`. An empty string is a missing value, as an empty CSV field is.
   */
  private setTyped(column: ColumnVector, row: number, c: number, bytes: Buffer, from: number, to: number): number {
    if (from === to) { this.batch.setNull(column, row); return OK; }
    const format = this.plan.columnFormats?.[c];
    if (!isPlain(format)) return this.setNormalised(column, row, bytes, format!, from, to);
    if (!fitsType(column.type, bytes, from, to)) return CAST;
    while (bytes[from] === SPACE) from++;
    while (bytes[to - 1] === SPACE) to--;
    if (column.type === ColumnType.bool && !isCanonicalBool(bytes, from, to)) {
      const word = boolWordValue(bytes, from) ? TRUE_TEXT : FALSE_TEXT;
      this.batch.appendValue(column, row, word, 0, word.length);
      return OK;
    }
    this.setText(column, row, bytes, from, to);
    return OK;
  }

  /** A string in a formatted column (`31/12/2023`, `3,14`, `N/A`), normalised into the batch as the CSV parser does; NULL for a null token. */
  private setNormalised(column: ColumnVector, row: number, bytes: Buffer, format: ColumnFormat, from: number, to: number): number {
    if (this.normalised.length < 2 * (to - from) + 64) this.normalised = Buffer.alloc(2 * (to - from) + 64);
    const length = normaliseValue(column.type, format, bytes, from, to, this.normalised);
    if (length < 0) return CAST;
    if (length === 0) { this.batch.setNull(column, row); return OK; }
    this.batch.appendValue(column, row, this.normalised, 0, length);
    return OK;
  }

  /** bytes[from, to) as the value: a span of the batch's copy of the chunk, or appended when read from elsewhere. */
  private setText(column: ColumnVector, row: number, bytes: Buffer, from: number, to: number): void {
    if (bytes === this.chunk) this.batch.setSpan(column, row, from - this.chunkStart, to - this.chunkStart);
    else this.batch.appendValue(column, row, bytes, from, to);
  }

  /** An array or object for jsonb as compact JSON: compacted behind the batch's text, or a span when it has no whitespace to drop. */
  private setCompactJson(column: ColumnVector, row: number, start: number, end: number): void {
    const batch = this.batch;
    const at = batch.byteLength;
    const length = compactJson(this.src, start, end, batch.reserve(end - start), at) - at;
    if (length === end - start) { this.setText(column, row, this.src, start, end); return; }
    batch.byteLength = at + length;
    batch.setSpan(column, row, at, at + length);
  }

  private decode(bytes: Uint8Array, start: number, end: number): number {
    if (this.scratch.length < end - start) this.scratch = Buffer.alloc(2 * (end - start));
    return decodeStringBody(bytes, start, end, this.scratch);
  }

  // ── rejects (rare path: strings are fine here) ──────────────────────────────────────────────

  /**
   * 1-based line in the chunk of chunk[index]. Records come in order, so a cursor suffices: it keeps
   * the next LF, and an NDJSON record costs one memchr to the one after it.
   */
  private lineOf(index: number): number {
    while (this.nextLf < index) {
      this.line++;
      const lf = this.chunk.indexOf(LF, this.nextLf + 1);
      this.nextLf = lf === -1 ? NO_LF : lf;
    }
    return this.line;
  }

  private rejectValue(start: number, end: number, column: number, problem: number): void {
    const { plan } = this;
    const name = (plan.rejectNames ?? plan.columnNames)[column];
    if (problem === NUL) {
      this.reject(start, end, 'NUL_BYTE', `\\u0000 in column ${name}`);
    } else if (problem === ENCODING) {
      this.reject(start, end, 'ENCODING', `unpaired UTF-16 surrogate escape in column ${name}`);
    } else {
      const kind = this.kinds[column];
      let shown: string;
      if (kind === JsonKind.object || kind === JsonKind.array) {
        shown = KIND_NAME[kind];
      } else {
        const from = kind === JsonKind.string ? this.starts[column] + 1 : this.starts[column];
        const to = kind === JsonKind.string ? this.ends[column] - 1 : this.ends[column];
        const text = this.src.toString('utf8', from, Math.min(to, from + 4 * MAX_DETAIL_VALUE));
        shown = JSON.stringify(text.length > MAX_DETAIL_VALUE ? `${text.slice(0, MAX_DETAIL_VALUE)}…` : text);
      }
      this.reject(start, end, plan.misfitReason ?? 'CAST', `column ${name} (${columnTypeName(plan.columnTypes[column])}): ${shown}`);
    }
  }

  /** A reject row for the record at chunk[start, end). */
  private reject(start: number, end: number, reason: JsonRejectReason, detail: string): void {
    const { plan, stats } = this;
    const byteOffset = plan.baseOffset + (start - this.chunkStart);
    const line = this.lineOf(start);
    stats.rejected++;
    if (stats.samples.length < MAX_SAMPLES) stats.samples.push({ chunkLine: line, byteOffset, reason, detail });
    const raw = this.chunk.toString('utf8', start, Math.min(end, start + MAX_RAW_BYTES));
    this.rejects.pushString(rejectRow({ fileId: plan.fileId, chunkNo: plan.chunkNo, chunkLine: line, byteOffset, reason, detail, raw }));
  }
}

const parser = new JsonChunkParser();

/** Parses the records of bytes[start, end) (a row-aligned chunk) into `batch` (reset first); rejects go to `rejects`. */
export function parseJsonChunk(bytes: Uint8Array, start: number, end: number, plan: JsonParsePlan, batch: ColumnBatch, rejects: ByteSink): JsonParseStats {
  const stats = parser.parse(bytes, start, end, plan, batch, rejects);
  // A chunk that reports keys is parsed again with them: nothing of it is ignored.
  if (plan.counters !== undefined && stats.ignoredKeys > 0 && stats.lateColumns === undefined) Atomics.add(new BigInt64Array(plan.counters), 0, BigInt(stats.ignoredKeys));
  return stats;
}
