import { isUtf8 } from 'node:buffer';
import type { ByteSink } from '../byte-sink.js';
import { rejectRow } from '../reject-row.js';
import { ColumnType, type ColumnTypeCode, columnTypeName } from '../../schema/column-type.js';
import { fitsType } from '../../schema/value-checks.js';
import { COLON, COMMA, CR, decodeStringBody, JsonKind, JsonScanner, LBRACE, LF, QUOTE, RBRACE, ScanError, type ScanErrorCode, skipWhitespace, StringFlag } from './json-scanner.js';
import { KeyTable, keyTableFor } from './key-table.js';
import { readRecords, type RecordVisitor } from './record-reader.js';
import type { JsonLayout } from './row-boundary.js';

/**
 * Turns one row-aligned chunk of JSON records into COPY input — the JSON hot path.
 *
 * Each record is walked once by the validating scanner: keys are looked up as bytes in the
 * schema's key tables (no string per key), and each column remembers where its value's bytes are.
 * Then the row is written in column order as canonical COPY CSV, straight from the input bytes:
 *
 *   number, true/false   as written (checked against the column's type on its own text, so a
 *                        bigint keeps every digit — JSON.parse would round it to a double)
 *   string               its bytes between the quotes when it has no escape (quoted when it holds
 *                        a comma; "" is an empty string, not NULL); decoded when it has one
 *   array, object        its JSON text, quoted, into a jsonb (or text) column
 *   null, missing key    an empty unquoted field: NULL
 *
 * A record that is not valid JSON is a JSON_SYNTAX reject, one nested deeper than the scanner's
 * limit a JSON_DEPTH reject, a value that does not fit its column a CAST reject — each with its
 * line and byte offset in the file. Keys outside the sniffed schema are skipped and counted.
 *
 * Output as the CSV encoder's: `data` gets `<file id>,<byte offset>,fields…\n` (FORMAT csv,
 * delimiter `,`, quote `"`), `rejects` gets COPY text rows for ingest.rejects.
 */

export type JsonRejectReason = 'JSON_SYNTAX' | 'JSON_DEPTH' | 'JSON_NOT_OBJECT' | 'CAST' | 'ENCODING' | 'NUL_BYTE';

export interface JsonEncodePlan {
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
}

export interface JsonRejectSample {
  chunkLine: number;
  byteOffset: number;
  reason: JsonRejectReason;
  detail: string;
}

export interface JsonEncodeStats {
  rows: number;
  rejected: number;
  /** LFs in the chunk: the pipeline turns chunk lines into file lines with them. */
  lines: number;
  /** Always 0: the field exists for the pipeline's stats shape (CSV counts its slow rows here). */
  slowRows: number;
  samples: JsonRejectSample[];
  /** Keys of loaded records that are not in the schema (their values are not loaded). */
  ignoredKeys: number;
}

const MAX_SAMPLES = 5;
const MAX_RAW_BYTES = 64 * 1024;
const MAX_DETAIL_VALUE = 120;
/** Longer than this, Buffer#copy; shorter, a loop (see copy()). */
const SHORT_COPY = 48;

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

interface Schema {
  table: KeyTable;
  columns: number;
}

/** Key tables by schemaKey: a worker encodes many chunks of few loads. */
const schemas = new Map<string, Schema>();
const MAX_SCHEMAS = 16;

function schemaFor(plan: JsonEncodePlan): Schema {
  let schema = schemas.get(plan.schemaKey);
  if (schema === undefined) {
    if (schemas.size >= MAX_SCHEMAS) schemas.delete(schemas.keys().next().value!);
    schema = { table: keyTableFor(plan.paths), columns: plan.paths.length };
    schemas.set(plan.schemaKey, schema);
  }
  return schema;
}

/**
 * The encoder of one worker. Per-row state lives in typed arrays indexed by column and stamped
 * with the row number, so starting a row clears nothing and allocates nothing.
 */
class JsonChunkEncoder implements RecordVisitor {
  private readonly scanner = new JsonScanner();
  private starts = new Int32Array(0);
  private ends = new Int32Array(0);
  private kinds = new Uint8Array(0);
  private flags = new Uint8Array(0);
  private rowOf = new Int32Array(0);
  private row = 0;
  private scratch = Buffer.alloc(4096);
  private keyScratch = Buffer.alloc(256);

  // The chunk being encoded, and where values are read from (the chunk, or one record re-decoded).
  private chunk: Buffer = Buffer.alloc(0);
  private src: Buffer = Buffer.alloc(0);
  private chunkStart = 0;
  private plan!: JsonEncodePlan;
  private data!: ByteSink;
  private rejects!: ByteSink;
  private stats!: JsonEncodeStats;
  private table!: KeyTable;
  private prefix: Buffer = Buffer.alloc(0);
  private rowChecks = false;
  private lineIndex = 0;
  private line = 1;
  /** Per record: keys outside the schema, and the first flattened path that held a non-object. */
  private ignored = 0;
  private shapeError: KeyTable | null = null;
  private shapeKind = 0;

  encode(bytes: Uint8Array, start: number, end: number, plan: JsonEncodePlan, data: ByteSink, rejects: ByteSink): JsonEncodeStats {
    const schema = schemaFor(plan);
    this.ensureColumns(schema.columns);
    // A Buffer view (no copy): Buffer#indexOf is memchr, a Uint8Array's is a generic loop.
    this.chunk = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    this.src = this.chunk;
    this.chunkStart = start;
    this.plan = plan;
    this.data = data;
    this.rejects = rejects;
    this.table = schema.table;
    this.stats = { rows: 0, rejected: 0, lines: 0, slowRows: 0, samples: [], ignoredKeys: 0 };
    this.prefix = Buffer.from(`${plan.fileId},`, 'latin1');
    this.lineIndex = start;
    this.line = 1;
    // Validating UTF-8 once per chunk is native and fast; only a chunk that fails pays per record.
    this.rowChecks = !isUtf8(this.chunk.subarray(start, end));
    const dataEnd = Math.min(end, Math.max(start, start + (plan.dataEnd - plan.baseOffset)));
    readRecords(this.scanner, this.chunk, start, dataEnd, plan.layout, this);
    this.lineOf(end);
    this.stats.lines = this.line - 1;
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
      }
      i = skipWhitespace(bytes, scanner.pos, end);
      if (i < end && bytes[i] === COMMA) { i = skipWhitespace(bytes, i + 1, end); continue; }
      if (i < end && bytes[i] === RBRACE) { scanner.pos = i + 1; return true; }
      return scanner.invalid(ScanError.syntax, i);
    }
  }

  // ── writing a row ───────────────────────────────────────────────────────────────────────────

  /** Writes the record at chunk[start, end) from the values found in `src`. */
  private writeRow(start: number, end: number): void {
    const { data, plan } = this;
    if (this.shapeError !== null) {
      this.reject(start, end, 'CAST', `${this.shapeError.path}: expected an object, found ${KIND_NAME[this.shapeKind]}`);
      return;
    }
    const mark = data.length;
    this.copy(this.prefix, 0, this.prefix.length);
    data.pushUint(plan.baseOffset + (start - this.chunkStart));
    const columns = plan.columnTypes.length;
    for (let c = 0; c < columns; c++) {
      data.pushByte(COMMA);
      if (this.rowOf[c] !== this.row || this.kinds[c] === JsonKind.null) continue;
      const problem = this.writeValue(c);
      if (problem !== OK) {
        data.length = mark;
        this.rejectValue(start, end, c, problem);
        return;
      }
    }
    data.pushByte(LF);
    this.stats.rows++;
    this.stats.ignoredKeys += this.ignored;
  }

  private writeValue(c: number): number {
    const src = this.src;
    const type = this.plan.columnTypes[c];
    const kind = this.kinds[c];
    const flags = this.flags[c];
    const start = this.starts[c];
    const end = this.ends[c];
    if (type === ColumnType.json) {
      // jsonb reads the JSON text itself, escapes included — except these two, which it refuses.
      if ((flags & StringFlag.nul) !== 0) return NUL;
      if ((flags & StringFlag.loneSurrogate) !== 0) return ENCODING;
      if (kind === JsonKind.number || kind === JsonKind.bool) this.copy(src, start, end);
      else this.writeQuoted(src, start, end);
      return OK;
    }
    if (kind === JsonKind.string) {
      if ((flags & StringFlag.escape) === 0) {
        const from = start + 1;
        const to = end - 1;
        if (type !== ColumnType.text) {
          // An empty string in a typed column is a missing value, as an empty CSV field is.
          if (from === to) return OK;
          if (!fitsType(type, src, from, to)) return CAST;
        }
        if (from === to || (flags & StringFlag.comma) !== 0) {
          // No raw `"` can be inside (it would be escaped): quoting needs no doubling.
          this.data.pushByte(QUOTE);
          this.copy(src, from, to);
          this.data.pushByte(QUOTE);
        } else {
          this.copy(src, from, to);
        }
        return OK;
      }
      if ((flags & StringFlag.nul) !== 0) return NUL;
      if ((flags & StringFlag.loneSurrogate) !== 0 && this.plan.invalidUtf8 === 'reject') return ENCODING;
      const length = this.decode(src, start + 1, end - 1);
      if (type !== ColumnType.text) {
        if (length === 0) return OK;
        if (!fitsType(type, this.scratch, 0, length)) return CAST;
      }
      this.writeCsvValue(this.scratch, length);
      return OK;
    }
    if (kind === JsonKind.number || kind === JsonKind.bool) {
      if (type !== ColumnType.text && !fitsType(type, src, start, end)) return CAST;
      this.copy(src, start, end);
      return OK;
    }
    // An array or object: its JSON text fits a text column; any other type is a CAST.
    if (type !== ColumnType.text) return CAST;
    this.writeQuoted(src, start, end);
    return OK;
  }

  /**
   * Appends bytes[start, end). JSON values are short (a few to a few dozen bytes), and for those an
   * indexed loop beats Buffer#copy, whose per-call cost dominated a profile of this encoder (~20%).
   */
  private copy(bytes: Uint8Array, start: number, end: number): void {
    const data = this.data;
    if (end - start > SHORT_COPY) { data.pushBytes(bytes, start, end); return; }
    const out = data.reserve(end - start);
    let o = data.length;
    for (let i = start; i < end; i++) out[o++] = bytes[i];
    data.length = o;
  }

  private decode(bytes: Uint8Array, start: number, end: number): number {
    if (this.scratch.length < end - start) this.scratch = Buffer.alloc(2 * (end - start));
    return decodeStringBody(bytes, start, end, this.scratch);
  }

  /** A decoded value, quoted (quotes doubled) when it holds a quote, comma, CR or LF, or is empty. */
  private writeCsvValue(value: Buffer, length: number): void {
    let plain = length > 0;
    for (let i = 0; plain && i < length; i++) {
      const c = value[i];
      if (c === QUOTE || c === COMMA || c === LF || c === CR) plain = false;
    }
    if (plain) this.copy(value, 0, length);
    else this.writeQuoted(value, 0, length);
  }

  /** bytes[start, end) as one quoted CSV field: `"` around, every `"` inside doubled. */
  private writeQuoted(bytes: Buffer, start: number, end: number): void {
    const data = this.data;
    data.pushByte(QUOTE);
    let from = start;
    for (let q = bytes.indexOf(QUOTE, from); q !== -1 && q < end; q = bytes.indexOf(QUOTE, from)) {
      this.copy(bytes, from, q + 1);
      data.pushByte(QUOTE);
      from = q + 1;
    }
    this.copy(bytes, from, end);
    data.pushByte(QUOTE);
  }

  // ── rejects (rare path: strings are fine here) ──────────────────────────────────────────────

  /** 1-based line in the chunk of bytes[index]; records come in order, so a cursor suffices. */
  private lineOf(index: number): number {
    const chunk = this.chunk;
    for (let lf = chunk.indexOf(LF, this.lineIndex); lf !== -1 && lf < index; lf = chunk.indexOf(LF, lf + 1)) {
      this.line++;
      this.lineIndex = lf + 1;
    }
    if (this.lineIndex < index) this.lineIndex = index;
    return this.line;
  }

  private rejectValue(start: number, end: number, column: number, problem: number): void {
    const { plan } = this;
    const name = plan.columnNames[column];
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
      this.reject(start, end, 'CAST', `column ${name} (${columnTypeName(plan.columnTypes[column])}): ${shown}`);
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

const encoder = new JsonChunkEncoder();

/** Encodes the records of bytes[start, end) (a row-aligned chunk) into `data` and `rejects`. */
export function encodeJsonChunk(bytes: Uint8Array, start: number, end: number, plan: JsonEncodePlan, data: ByteSink, rejects: ByteSink): JsonEncodeStats {
  const stats = encoder.encode(bytes, start, end, plan, data, rejects);
  if (plan.counters !== undefined && stats.ignoredKeys > 0) Atomics.add(new BigInt64Array(plan.counters), 0, BigInt(stats.ignoredKeys));
  return stats;
}
