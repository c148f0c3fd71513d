import type { ColumnBatch, ColumnVector } from '../batch/column-batch.js';
import { isExactInteger } from '../batch/typed-values.js';
import type { ByteSink } from '../formats/byte-sink.js';
import { ColumnType } from '../schema/column-type.js';
import { BINARY_COPY_SIGNATURE, FIELD_BYTES, PG_EPOCH_DAYS, PG_EPOCH_MS, SHORT_TEXT } from './binary-copy.js';

/**
 * The binary COPY of a batch written a column at a time: the fast path of encodeBinaryCopy
 * (binary-copy-encoder.ts), which keeps the row-at-a-time writer as the reference and for what
 * this one does not write (numeric, bigints beyond 2^53). Both give the same bytes
 * (test/sink/binary-copy-by-column.test.ts).
 *
 * Every field's size is known from the batch before anything is written (fixed widths per type,
 * text lengths), so each kept row's start is computed first and the output reserved once; then
 * one tight loop per column writes its values at their rows' cursors, with DataView's big-endian
 * stores (one store per integer instead of four byte stores, measured 2× faster) and no switch
 * on the type per value. The cursor array is reused from chunk to chunk.
 */

const TWO_32 = 2 ** 32;
const TWO_24 = 2 ** 24;

/** Where each kept row's next field goes, indexed by row. */
let cursors = new Int32Array(4096);

/** False when a column needs the reference writer: numeric, or a bigint whose number is not exact. */
export function writableByColumn(batch: ColumnBatch, columns: readonly ColumnVector[]): boolean {
  for (const column of columns) {
    if (column.type === ColumnType.numeric) return false;
    if (column.type !== ColumnType.bigint) continue;
    const { nulls, numbers } = column;
    for (let r = 0; r < batch.rowCount; r++) if (nulls[r] === 0 && !isExactInteger(numbers[r])) return false;
  }
  return true;
}

/**
 * Writes the batch's kept rows as binary COPY (header to trailer); returns the rows written. `columns`: the batch's columns not dropped.
 *
 * Each loop lives in a function of its own. V8 compiles a function on stack replacement once per
 * hot loop, the whole function each time: with its seven loops inline, this one was compiled 8
 * times per load (~105 ms of compiler time); a function per loop is compiled once or twice, small.
 */
export function encodeBinaryCopyByColumn(batch: ColumnBatch, columns: readonly ColumnVector[], fileId: number, sink: ByteSink): number {
  const rowCount = batch.rowCount;
  if (cursors.length < rowCount) cursors = new Int32Array(Math.max(rowCount, 2 * cursors.length));
  const at = cursors;

  // Row sizes (exact: a NULL is a 4-byte length of -1), then their starts: a kept row's fields
  // follow its 2-byte count and provenance.
  at.fill(2 + 12 + 12, 0, rowCount);
  for (const column of columns) {
    const width = FIELD_BYTES[column.type];
    if (width !== undefined) addFixedSizes(at, column.nulls, rowCount, width);
    else addTextSizes(at, column.nulls, column.starts, column.ends, rowCount, column.type === ColumnType.json ? 5 : 4);
  }
  const headerAt = sink.length;
  const placed = placeRows(at, batch.rejected, rowCount, headerAt);
  const total = placed.total + 2;
  const rows = placed.rows;
  const bytes = sink.reserve(total);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

  bytes.set(BINARY_COPY_SIGNATURE, headerAt);
  view.setInt32(headerAt + 11, 0);
  view.setInt32(headerAt + 15, 0);
  const { rejected } = batch;
  const fileHigh = Math.floor(fileId / TWO_32);
  writeProvenance(view, at, rejected, batch.rowOffset, rowCount, columns.length + 2, fileHigh, fileId - fileHigh * TWO_32);

  // The loops get arrays, not objects: V8 compiles a loop's function during its first, long call,
  // whose first lines ran before the function had feedback, and a property read there deoptimised
  // the compiled function when the next chunk came (here they run uncompiled, once per chunk).
  const source = batch.bytes;
  const sourceView = new DataView(source.buffer, source.byteOffset, source.byteLength);
  for (const column of columns) {
    const { nulls, numbers } = column;
    switch (column.type) {
      case ColumnType.timestamptz: writeTimestamptz(view, at, rejected, rowCount, nulls, numbers, column.micros); break;
      case ColumnType.float: writeFloat8(view, at, rejected, rowCount, nulls, numbers); break;
      case ColumnType.int: writeInt4(view, at, rejected, rowCount, nulls, numbers, 0); break;
      case ColumnType.date: writeInt4(view, at, rejected, rowCount, nulls, numbers, PG_EPOCH_DAYS); break;
      case ColumnType.bigint: writeInt8(view, at, rejected, rowCount, nulls, numbers); break;
      case ColumnType.bool: writeBool(view, bytes, at, rejected, rowCount, nulls, numbers); break;
      case ColumnType.json: writeText(view, bytes, source, sourceView, at, rejected, rowCount, nulls, column.starts, column.ends, true); break;
      default: writeText(view, bytes, source, sourceView, at, rejected, rowCount, nulls, column.starts, column.ends, false);
    }
  }
  view.setInt16(headerAt + total - 2, -1);
  sink.length = headerAt + total;
  return rows;
}

function addFixedSizes(at: Int32Array, nulls: Uint8Array, rowCount: number, width: number): void {
  for (let r = 0; r < rowCount; r++) at[r] += nulls[r] === 1 ? 4 : width;
}

/** A value's length, its 4-byte length word, and jsonb's version byte (`extra` 5). */
function addTextSizes(at: Int32Array, nulls: Uint8Array, starts: Int32Array, ends: Int32Array, rowCount: number, extra: number): void {
  for (let r = 0; r < rowCount; r++) at[r] += nulls[r] === 1 ? 4 : ends[r] - starts[r] + extra;
}

/**
 * Turns each kept row's size in `at` into its start in the sink (rows after the 19-byte header
 * written at `headerAt`); `total`: the header and the rows (the trailer is the caller's, so that
 * nothing but the return follows the loop).
 */
function placeRows(at: Int32Array, rejected: Uint8Array, rowCount: number, headerAt: number): { total: number; rows: number } {
  let total = 19;
  let rows = 0;
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    const size = at[r];
    at[r] = headerAt + total;
    total += size;
    rows++;
  }
  return { total, rows };
}

/** Each kept row's field count and its provenance (_file, _offset as int8); moves the cursors past them. */
function writeProvenance(view: DataView, at: Int32Array, rejected: Uint8Array, offsets: Float64Array, rowCount: number, fields: number,
  fileHigh: number, fileLow: number): void {
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    const p = at[r];
    view.setInt16(p, fields);
    view.setInt32(p + 2, 8);
    view.setInt32(p + 6, fileHigh);
    view.setUint32(p + 10, fileLow);
    const offset = offsets[r];
    const high = Math.floor(offset / TWO_32);
    view.setInt32(p + 14, 8);
    view.setInt32(p + 18, high);
    view.setUint32(p + 22, offset - high * TWO_32);
    at[r] = p + 26;
  }
}

function writeInt4(view: DataView, at: Int32Array, rejected: Uint8Array, rowCount: number, nulls: Uint8Array, numbers: Float64Array, minus: number): void {
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    const p = at[r];
    if (nulls[r] === 1) { view.setInt32(p, -1); at[r] = p + 4; continue; }
    view.setInt32(p, 4);
    view.setInt32(p + 4, numbers[r] - minus);
    at[r] = p + 8;
  }
}

/** Integers within ±2^53 (writableByColumn checked). */
function writeInt8(view: DataView, at: Int32Array, rejected: Uint8Array, rowCount: number, nulls: Uint8Array, numbers: Float64Array): void {
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    const p = at[r];
    if (nulls[r] === 1) { view.setInt32(p, -1); at[r] = p + 4; continue; }
    const value = numbers[r];
    const high = Math.floor(value / TWO_32);
    view.setInt32(p, 8);
    view.setInt32(p + 4, high);
    view.setUint32(p + 8, value - high * TWO_32);
    at[r] = p + 12;
  }
}

function writeFloat8(view: DataView, at: Int32Array, rejected: Uint8Array, rowCount: number, nulls: Uint8Array, numbers: Float64Array): void {
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    const p = at[r];
    if (nulls[r] === 1) { view.setInt32(p, -1); at[r] = p + 4; continue; }
    view.setInt32(p, 8);
    view.setFloat64(p + 4, numbers[r]);
    at[r] = p + 12;
  }
}

function writeBool(view: DataView, bytes: Uint8Array, at: Int32Array, rejected: Uint8Array, rowCount: number, nulls: Uint8Array, numbers: Float64Array): void {
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    const p = at[r];
    if (nulls[r] === 1) { view.setInt32(p, -1); at[r] = p + 4; continue; }
    view.setInt32(p, 1);
    bytes[p + 4] = numbers[r] !== 0 ? 1 : 0;
    at[r] = p + 5;
  }
}

/** Microseconds since 2000 as an int64 built from exact parts of a double (see putTimestamptz). */
function writeTimestamptz(view: DataView, at: Int32Array, rejected: Uint8Array, rowCount: number, nulls: Uint8Array, numbers: Float64Array,
  micros: Uint16Array): void {
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    const p = at[r];
    if (nulls[r] === 1) { view.setInt32(p, -1); at[r] = p + 4; continue; }
    const x = numbers[r] - PG_EPOCH_MS;
    const xh = Math.floor(x / TWO_24);
    const xl = x - xh * TWO_24;
    const a = xh * 1000;
    const a1 = Math.floor(a / 256);
    const c = (a - a1 * 256) * TWO_24 + xl * 1000 + micros[r];
    const carry = Math.floor(c / TWO_32);
    view.setInt32(p, 8);
    view.setInt32(p + 4, a1 + carry);
    view.setUint32(p + 8, c - carry * TWO_32);
    at[r] = p + 12;
  }
}

/** Text (UTF-8, checked) or jsonb (a version byte, then the JSON text) from the batch's bytes. */
function writeText(view: DataView, bytes: Uint8Array, source: Uint8Array, sourceView: DataView, at: Int32Array, rejected: Uint8Array, rowCount: number,
  nulls: Uint8Array, starts: Int32Array, ends: Int32Array, jsonb: boolean): void {
  for (let r = 0; r < rowCount; r++) {
    if (rejected[r] === 1) continue;
    let p = at[r];
    if (nulls[r] === 1) { view.setInt32(p, -1); at[r] = p + 4; continue; }
    const start = starts[r];
    const length = ends[r] - start;
    if (jsonb) { view.setInt32(p, length + 1); bytes[p + 4] = 1; p += 5; } else { view.setInt32(p, length); p += 4; }
    if (length > SHORT_TEXT) {
      bytes.set(source.subarray(start, start + length), p);
    } else {
      // Four bytes per load and store (DataView reads and writes unaligned), then the last few.
      let k = 0;
      for (; k + 4 <= length; k += 4) view.setUint32(p + k, sourceView.getUint32(start + k, true), true);
      for (; k < length; k++) bytes[p + k] = source[start + k];
    }
    at[r] = p + length;
  }
}
