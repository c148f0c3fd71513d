import type { ColumnBatch, ColumnVector } from '../batch/column-batch.js';
import { isExactInteger } from '../batch/typed-values.js';
import type { ByteSink } from '../formats/byte-sink.js';
import { ColumnType } from '../schema/column-type.js';
import { BinaryCopyEncoder } from './binary-copy.js';

/**
 * A ColumnBatch as binary COPY (`FORMAT binary`): the header, per row kept a tuple of
 * `_file bigint, _offset bigint` (staging-table.ts) then each column not dropped, and the trailer.
 * Typed columns are written from `numbers` (batch/typed-values.ts fills them), so PostgreSQL
 * parses nothing; text, jsonb and numeric from their text. Loads the same table as the CSV
 * reference encoder (csv-copy-encoder.ts; test/sink/copy-format-differential.test.ts).
 */
export function encodeBinaryCopy(batch: ColumnBatch, fileId: number, sink: ByteSink): number {
  const copy = new BinaryCopyEncoder(sink);
  const columns = batch.columns.filter((c) => !c.dropped);
  const fields = columns.length + 2;
  const bytes = batch.bytes;
  copy.header();
  let rows = 0;
  for (let r = 0; r < batch.rowCount; r++) {
    if (batch.rejected[r] === 1) continue;
    rows++;
    copy.row(fields);
    copy.int8(fileId);
    copy.int8(batch.rowOffset[r]);
    for (let c = 0; c < columns.length; c++) {
      const column = columns[c];
      if (column.nulls[r] === 1) { copy.null(); continue; }
      writeValue(copy, column, bytes, r);
    }
  }
  copy.trailer();
  return rows;
}

function writeValue(copy: BinaryCopyEncoder, column: ColumnVector, bytes: Uint8Array, r: number): void {
  const start = column.starts[r];
  const end = column.ends[r];
  switch (column.type) {
    case ColumnType.bool: copy.bool(column.numbers[r] !== 0); return;
    case ColumnType.int: copy.int4(column.numbers[r]); return;
    case ColumnType.bigint: {
      const value = column.numbers[r];
      if (isExactInteger(value)) copy.int8(value);
      else copy.int8Text(Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1').trim());
      return;
    }
    case ColumnType.float: copy.float8(column.numbers[r]); return;
    case ColumnType.date: copy.date(column.numbers[r]); return;
    case ColumnType.timestamptz: copy.timestamptz(column.numbers[r], column.micros[r]); return;
    case ColumnType.json: copy.jsonb(bytes, start, end); return;
    case ColumnType.numeric:
      if (!copy.numeric(bytes, start, end)) {
        const plain = plainDecimal(bytes, start, end);
        // isNumeric accepted the text, so its plain form is a plain decimal.
        if (!copy.numeric(plain, 0, plain.length)) throw new Error('numeric text is not a decimal literal');
      }
      return;
    default: copy.text(bytes, start, end);
  }
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
