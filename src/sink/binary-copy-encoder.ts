import type { ColumnBatch, ColumnVector } from '../batch/column-batch.js';
import { isExactInteger } from '../batch/typed-values.js';
import type { ByteSink } from '../formats/byte-sink.js';
import { ColumnType } from '../schema/column-type.js';
import { encodeBinaryCopyByColumn, writableByColumn } from './binary-copy-by-column.js';
import { BinaryCopyEncoder, FIELD_BYTES, putBool, putDate, putFloat8, putInt4, putInt8, putJsonb, putNull, putText, putTimestamptz } from './binary-copy.js';

/**
 * A ColumnBatch as binary COPY (`FORMAT binary`): the header, per row kept a tuple of
 * `_file bigint, _offset bigint` (staging-table.ts) then each column not dropped, and the trailer.
 * Written a column at a time (binary-copy-by-column.ts) unless a column needs the row writer below.
 */
export function encodeBinaryCopy(batch: ColumnBatch, fileId: number, sink: ByteSink): number {
  const columns = batch.columns.filter((c) => !c.dropped);
  return writableByColumn(batch, columns) ? encodeBinaryCopyByColumn(batch, columns, fileId, sink) : encodeBinaryCopyByRow(batch, fileId, sink);
}

/**
 * The reference writer, a row at a time: every type, numeric and bigints beyond 2^53 included.
 * Typed columns are written from `numbers` (the CSV parser or batch/typed-values.ts fills them),
 * so PostgreSQL parses nothing; text, jsonb and numeric from their text. Loads the same table as
 * the CSV reference encoder (csv-copy-encoder.ts; test/sink/copy-format-differential.test.ts).
 *
 * This runs once per value of every load, so a row is written the cheap way: its size is added
 * up first (fixed widths per type, plus the text lengths), the sink reserves it once, and every
 * field is written at a local index with no bounds check or length update per value. Only numeric
 * and bigints beyond 2^53 (rare) go through the BinaryCopyEncoder methods, which reserve their own.
 */
export function encodeBinaryCopyByRow(batch: ColumnBatch, fileId: number, sink: ByteSink): number {
  const copy = new BinaryCopyEncoder(sink);
  const columns = batch.columns.filter((c) => !c.dropped);
  const count = columns.length;
  const types = columns.map((c) => c.type);
  // Bytes a row takes apart from its text: field count, provenance, and each typed field's width
  // (a NULL, 4 bytes, is never wider than that).
  let fixed = 2 + 12 + 12;
  for (const type of types) fixed += FIELD_BYTES[type] ?? 4;
  const variable = columns.filter((c) => FIELD_BYTES[c.type] === undefined);
  const source = batch.bytes;
  copy.header();
  let rows = 0;
  for (let r = 0; r < batch.rowCount; r++) {
    if (batch.rejected[r] === 1) continue;
    rows++;
    let size = fixed;
    for (let v = 0; v < variable.length; v++) {
      const column = variable[v];
      if (column.nulls[r] === 0) size += column.ends[r] - column.starts[r] + 1;
    }
    let bytes = sink.reserve(size);
    let at = sink.length;
    bytes[at] = (count + 2) >> 8;
    bytes[at + 1] = (count + 2) & 0xff;
    at = putInt8(bytes, at + 2, fileId);
    at = putInt8(bytes, at, batch.rowOffset[r]);
    for (let c = 0; c < count; c++) {
      const column = columns[c];
      if (column.nulls[r] === 1) { at = putNull(bytes, at); continue; }
      switch (types[c]) {
        case ColumnType.timestamptz: at = putTimestamptz(bytes, at, column.numbers[r], column.micros[r]); break;
        case ColumnType.float: at = putFloat8(bytes, at, column.numbers[r]); break;
        case ColumnType.int: at = putInt4(bytes, at, column.numbers[r]); break;
        case ColumnType.text: at = putText(bytes, at, source, column.starts[r], column.ends[r]); break;
        case ColumnType.date: at = putDate(bytes, at, column.numbers[r]); break;
        case ColumnType.bool: at = putBool(bytes, at, column.numbers[r] !== 0); break;
        case ColumnType.json: at = putJsonb(bytes, at, source, column.starts[r], column.ends[r]); break;
        case ColumnType.bigint:
          if (isExactInteger(column.numbers[r])) { at = putInt8(bytes, at, column.numbers[r]); break; }
          sink.length = at;
          copy.int8Text(textOf(source, column, r));
          at = sink.length;
          bytes = sink.reserve(size);
          break;
        case ColumnType.numeric:
          // Its own size (the encoder reserves it); then the rest of the row is reserved again.
          sink.length = at;
          writeNumeric(copy, source, column.starts[r], column.ends[r]);
          at = sink.length;
          bytes = sink.reserve(size);
          break;
        default: at = putText(bytes, at, source, column.starts[r], column.ends[r]);
      }
    }
    sink.length = at;
  }
  copy.trailer();
  return rows;
}

function textOf(bytes: Uint8Array, column: ColumnVector, r: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + column.starts[r], column.ends[r] - column.starts[r]).toString('latin1').trim();
}

function writeNumeric(copy: BinaryCopyEncoder, bytes: Uint8Array, start: number, end: number): void {
  if (copy.numeric(bytes, start, end)) return;
  const plain = plainDecimal(bytes, start, end);
  // isNumeric accepted the text, so its plain form is a plain decimal.
  if (!copy.numeric(plain, 0, plain.length)) throw new Error('numeric text is not a decimal literal');
}

/**
 * A numeric literal isNumeric accepts that BinaryCopyEncoder.numeric does not read as it is
 * (surrounding spaces, an exponent) as plain decimal text: `1.50e3` → `1500`, `1.5e-3` → `0.0015`,
 * keeping the digits after the point PostgreSQL keeps (its display scale: fraction digits minus
 * the exponent, at least 0). Rare, so it builds a small string.
 */
export function plainDecimal(bytes: Uint8Array, start: number, end: number): Buffer {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1').trim();
  const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (match === null) return Buffer.from(text, 'latin1');
  const [, sign, int, frac = '', exp = '0'] = match;
  const exponent = Number(exp);
  const digits = int + frac;
  // The decimal point sits after `point` digits of `digits`.
  const point = int.length + exponent;
  let integer: string;
  let fraction: string;
  if (point <= 0) { integer = '0'; fraction = '0'.repeat(-point) + digits; }
  else if (point >= digits.length) { integer = digits + '0'.repeat(point - digits.length); fraction = ''; }
  else { integer = digits.slice(0, point); fraction = digits.slice(point); }
  return Buffer.from(`${sign}${integer === '' ? '0' : integer}${fraction === '' ? '' : `.${fraction}`}`, 'latin1');
}
