import { ColumnType, type ColumnTypeCode } from '../schema/column-type.js';

/**
 * One chunk's rows after parsing, as columns: what every stage of a worker reads and writes
 * (ARCHITECTURE.md, "Inside a worker"). Every format — CSV in any encoding, JSON / NDJSON, a
 * workbook's spooled CSV — fills the same batch, and there is no object per row or per value:
 *
 * - `bytes` holds UTF-8 text: the chunk's own bytes first (so a plain value is a span of its
 *   input, never copied), then values written while parsing or transforming (an unescaped quoted
 *   field, a normalised date, a mapped value) appended behind them by `appendText`.
 * - per row: the file byte offset where it starts (`_offset`), its 1-based line within the chunk,
 *   and its raw bytes [rowStart, rowEnd) in `bytes` (for a reject row's `raw`); `rejected` is set
 *   by a stage that refuses the row (it is then neither profiled nor encoded).
 * - per column (ColumnVector): a null mask, the value's canonical text as a span of `bytes` (what
 *   PostgreSQL's text input reads), and for typed columns the value as a number in `numbers`.
 *
 * A batch is reused from chunk to chunk in a worker: `reset` keeps the arrays and grows them only
 * when a chunk has more rows than any before it.
 */

/** Days between 0001-01-01 and 1970-01-01 are far inside a double's exact range; so are ms since 1970 for years 1–9999. */
export interface ColumnVector {
  /** The column's name in the table (after renames). */
  name: string;
  type: ColumnTypeCode;
  /** Dropped by a transform: kept in the batch (stages index columns by position), not encoded. */
  dropped: boolean;
  /** 1 where the value is NULL. A byte per row rather than a bit: one load to test, and rows are few next to bytes. */
  nulls: Uint8Array;
  /** The value's text as bytes[starts[r], ends[r]) of the batch (meaningless where nulls[r] is 1). */
  starts: Int32Array;
  ends: Int32Array;
  /**
   * The typed value, filled for bool (0 / 1), int, bigint and float (the number; a bigint beyond
   * ±2^53 is approximate here and exact in its text), date (days since 1970-01-01) and timestamptz
   * (milliseconds since 1970-01-01 UTC, whole; the microseconds within it in `micros`). Unused for
   * text, json and numeric, whose text is the value.
   */
  numbers: Float64Array;
  /** timestamptz: microseconds within the millisecond of `numbers` (0–999). */
  micros: Uint16Array;
  /**
   * The type `numbers` (and `micros`) hold every kept non-null value as, or 0 when they must still
   * be read from the text (batch/typed-values.ts fillTypedValues). The CSV parser reads them while
   * it checks the values and sets it; writing a value's text through the batch (setSpan,
   * appendValue, appendString) clears it, and a column whose `type` a stage changed no longer
   * matches it — so values a transform rewrote are read again from their new text. A stage that
   * rewrites spans in place must call `textChanged`.
   */
  numbersType: ColumnTypeCode | 0;
  /**
   * The values' text is not written yet: it is the canonical text of `numbers` (a derived number
   * or boolean, whose String() costs ~150 ns a value). Binary COPY and the profile read `numbers`
   * only; whatever reads the spans calls ColumnBatch.writeNumberText first (batch.text reads it
   * as it would be).
   */
  textPending: boolean;
}

/** The column types whose values live in `numbers` (see ColumnVector). */
export function hasNumbers(type: ColumnTypeCode): boolean {
  return type === ColumnType.bool || type === ColumnType.int || type === ColumnType.bigint || type === ColumnType.float
    || type === ColumnType.date || type === ColumnType.timestamptz;
}

/** The canonical text of a float or boolean held as a number (String(x): what PostgreSQL reads back as x). */
function textOfNumber(type: ColumnTypeCode, value: number): string {
  if (type === ColumnType.bool) return value !== 0 ? 't' : 'f';
  return String(value);
}

const INITIAL_ROWS = 1024;

function newVector(name: string, type: ColumnTypeCode, capacity: number): ColumnVector {
  return {
    name, type, dropped: false,
    nulls: new Uint8Array(capacity),
    starts: new Int32Array(capacity),
    ends: new Int32Array(capacity),
    numbers: new Float64Array(capacity),
    micros: new Uint16Array(capacity),
    numbersType: 0,
    textPending: false,
  };
}

function grown<T extends Uint8Array | Uint16Array | Int32Array | Float64Array>(array: T, capacity: number): T {
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}

export class ColumnBatch {
  /**
   * A Buffer rather than a plain Uint8Array: its toString and write read and write UTF-8 without a
   * view or a TextDecoder per value (decode + RegExp.test of a short value: 62 ns against 112).
   */
  bytes: Buffer = Buffer.alloc(64 * 1024);
  /** Bytes in use: the chunk's, then appended text. */
  byteLength = 0;
  /** Where the chunk's own bytes end in `bytes` (appended text starts here). */
  inputEnd = 0;
  rowCount = 0;
  capacity = INITIAL_ROWS;
  rowOffset = new Float64Array(INITIAL_ROWS);
  rowLine = new Int32Array(INITIAL_ROWS);
  rowStart = new Int32Array(INITIAL_ROWS);
  rowEnd = new Int32Array(INITIAL_ROWS);
  rejected = new Uint8Array(INITIAL_ROWS);
  /** Rows with `rejected` set. */
  rejectedCount = 0;
  columns: ColumnVector[] = [];
  /** Reused vectors of columns dropped from `columns` by a reset with fewer columns. */
  private spare: ColumnVector[] = [];

  /**
   * Starts a chunk: copies its bytes [start, end) to the front of `bytes` (one memcpy; spans then
   * need no second buffer) and sets up the columns, all rows cleared.
   */
  reset(input: Uint8Array, start: number, end: number, columns: ReadonlyArray<{ name: string; type: ColumnTypeCode }>): void {
    const length = end - start;
    if (this.bytes.length < length * 1.25 + 1024) this.bytes = Buffer.alloc(Math.ceil(length * 1.5) + 64 * 1024);
    this.bytes.set(input.subarray(start, end), 0);
    this.byteLength = length;
    this.inputEnd = length;
    this.rowCount = 0;
    this.rejectedCount = 0;
    this.spare.push(...this.columns.splice(0));
    for (const { name, type } of columns) this.addColumn(name, type);
  }

  /** A column after the existing ones (a derived column), NULL in rows already added. */
  addColumn(name: string, type: ColumnTypeCode): ColumnVector {
    let vector = this.spare.pop();
    if (vector === undefined || vector.nulls.length < this.capacity) vector = newVector(name, type, this.capacity);
    else { vector.name = name; vector.type = type; vector.dropped = false; vector.numbersType = 0; vector.textPending = false; }
    vector.nulls.fill(1, 0, this.rowCount);
    this.columns.push(vector);
    return vector;
  }

  /** Appends a row (its values are then set column by column); returns its index. */
  addRow(offset: number, line: number, rowStart: number, rowEnd: number): number {
    if (this.rowCount === this.capacity) this.grow();
    const r = this.rowCount++;
    this.rowOffset[r] = offset;
    this.rowLine[r] = line;
    this.rowStart[r] = rowStart;
    this.rowEnd[r] = rowEnd;
    this.rejected[r] = 0;
    return r;
  }

  /** Undoes the last addRow (a row found bad after it was started). */
  dropLastRow(): void {
    this.rowCount--;
  }

  /** Marks a row rejected by a stage: later stages and the encoder skip it. */
  reject(row: number): void {
    if (this.rejected[row] === 0) { this.rejected[row] = 1; this.rejectedCount++; }
  }

  setNull(column: ColumnVector, row: number): void {
    column.nulls[row] = 1;
  }

  /** The value is bytes[start, end) of the batch. */
  setSpan(column: ColumnVector, row: number, start: number, end: number): void {
    column.nulls[row] = 0;
    column.starts[row] = start;
    column.ends[row] = end;
    column.numbersType = 0;
  }

  /** The column's text was changed in place: its `numbers` are read again from the text before the stages that use them. */
  textChanged(column: ColumnVector): void {
    column.numbersType = 0;
  }

  /** Room for `extra` more bytes of appended text; returns the array to write into at `byteLength` (it may have moved). */
  reserve(extra: number): Buffer {
    const needed = this.byteLength + extra;
    if (needed > this.bytes.length) {
      const next = Buffer.alloc(Math.max(needed, this.bytes.length * 2));
      next.set(this.bytes.subarray(0, this.byteLength));
      this.bytes = next;
    }
    return this.bytes;
  }

  /** Appends source[start, end) as the value of (column, row). */
  appendValue(column: ColumnVector, row: number, source: Uint8Array, start: number, end: number): void {
    const at = this.byteLength;
    this.reserve(end - start).set(source.subarray(start, end), at);
    this.byteLength = at + (end - start);
    this.setSpan(column, row, at, this.byteLength);
  }

  /** Appends a string (a mapped or derived value: rare next to spans) as the value of (column, row). */
  appendString(column: ColumnVector, row: number, value: string): void {
    const at = this.byteLength;
    const bytes = this.reserve(value.length * 3);
    const written = bytes.write(value, at, 'utf8');
    this.byteLength = at + written;
    this.setSpan(column, row, at, this.byteLength);
  }

  /** The value's text (null for NULL) — for rare paths and tests; stages read spans. */
  text(column: ColumnVector, row: number): string | null {
    if (column.nulls[row] === 1) return null;
    if (column.textPending) return textOfNumber(column.type, column.numbers[row]);
    return this.bytes.toString('utf8', column.starts[row], column.ends[row]);
  }

  /** Writes the text of a column whose text is pending (see ColumnVector.textPending); nothing otherwise. */
  writeNumberText(column: ColumnVector): void {
    if (!column.textPending) return;
    column.textPending = false;
    const { nulls, numbers, type } = column;
    const numbersType = column.numbersType;
    for (let r = 0; r < this.rowCount; r++) if (nulls[r] === 0) this.appendString(column, r, textOfNumber(type, numbers[r]));
    // The numbers still hold every value: the text was written from them.
    column.numbersType = numbersType;
  }

  /** The row's raw bytes as text (a reject row's `raw`). */
  rawText(row: number): string {
    return this.bytes.toString('utf8', this.rowStart[row], this.rowEnd[row]);
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    this.rowOffset = grown(this.rowOffset, capacity);
    this.rowLine = grown(this.rowLine, capacity);
    this.rowStart = grown(this.rowStart, capacity);
    this.rowEnd = grown(this.rowEnd, capacity);
    this.rejected = grown(this.rejected, capacity);
    for (const column of this.columns) {
      column.nulls = grown(column.nulls, capacity);
      column.starts = grown(column.starts, capacity);
      column.ends = grown(column.ends, capacity);
      column.numbers = grown(column.numbers, capacity);
      column.micros = grown(column.micros, capacity);
    }
    this.spare = [];
    this.capacity = capacity;
  }
}
