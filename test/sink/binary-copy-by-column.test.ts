/**
 * The column-at-a-time binary COPY writer against the row-at-a-time reference (whose output
 * PostgreSQL reads as the CSV encoder's: binary-copy-encoder.test.ts): the same bytes for random
 * batches of every type it writes, with NULLs, rejected rows, dropped columns, short and long text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ColumnBatch } from '../../src/batch/column-batch.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { encodeBinaryCopyByColumn, writableByColumn } from '../../src/sink/binary-copy-by-column.js';
import { encodeBinaryCopy, encodeBinaryCopyByRow } from '../../src/sink/binary-copy-encoder.js';

const TYPES: ColumnTypeCode[] = [ColumnType.bool, ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.date, ColumnType.timestamptz, ColumnType.text, ColumnType.json];

/** A value of a column: its number (typed) or its text, or null. */
type Value = number | string | null;

const valueOf = (type: ColumnTypeCode): fc.Arbitrary<Value> => {
  const value: fc.Arbitrary<Value> = (() => {
    switch (type) {
      case ColumnType.bool: return fc.constantFrom(0, 1);
      case ColumnType.int: return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
      case ColumnType.bigint: return fc.maxSafeInteger();
      case ColumnType.float: return fc.double();
      case ColumnType.date: return fc.integer({ min: -719_162, max: 2_932_896 });
      case ColumnType.timestamptz: return fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 });
      case ColumnType.json: return fc.json({ maxDepth: 2 });
      default: return fc.oneof(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ maxLength: 80 }));
    }
  })();
  return fc.option(value, { freq: 5, nil: null });
};

const batchArb = fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 8 }).chain((types) => fc.record({
  types: fc.constant(types),
  rows: fc.array(fc.tuple(fc.tuple(...types.map(valueOf)), fc.boolean(), fc.integer({ min: 0, max: 2 ** 40 }), fc.integer({ min: 0, max: 999 })), { maxLength: 60 }),
  dropped: fc.array(fc.boolean(), { minLength: types.length, maxLength: types.length }),
  fileId: fc.integer({ min: 1, max: 2 ** 40 }),
}));

function batchFrom(types: readonly ColumnTypeCode[], rows: readonly [Value[], boolean, number, number][], dropped: readonly boolean[]): ColumnBatch {
  const batch = new ColumnBatch();
  batch.reset(new Uint8Array(0), 0, 0, types.map((type, c) => ({ name: `c${c}`, type })));
  for (const [values, rejected, offset, micros] of rows) {
    const row = batch.addRow(offset, batch.rowCount + 1, 0, 0);
    values.forEach((value, c) => {
      const column = batch.columns[c];
      if (value === null) batch.setNull(column, row);
      else if (typeof value === 'string') batch.appendString(column, row, value);
      else { batch.setSpan(column, row, 0, 0); column.numbers[row] = value; column.micros[row] = micros; }
    });
    if (rejected) batch.reject(row);
  }
  batch.columns.forEach((column, c) => { column.dropped = dropped[c] && batch.columns.some((_, k) => !dropped[k]); });
  return batch;
}

describe('binary COPY, a column at a time', () => {
  test('writes the bytes of the row-at-a-time reference', () => {
    fc.assert(fc.property(batchArb, ({ types, rows, dropped, fileId }) => {
      const batch = batchFrom(types, rows, dropped);
      const byRow = new ByteSink(new Uint8Array(64));
      const byColumn = new ByteSink(new Uint8Array(64));
      const rowCount = encodeBinaryCopyByRow(batch, fileId, byRow);
      const columns = batch.columns.filter((c) => !c.dropped);
      assert.ok(writableByColumn(batch, columns));
      assert.equal(encodeBinaryCopyByColumn(batch, columns, fileId, byColumn), rowCount);
      assert.deepEqual(Buffer.from(byColumn.view()), Buffer.from(byRow.view()));
    }), { numRuns: 400 });
  });

  test('after what a sink already holds, and growing it', () => {
    const batch = batchFrom([ColumnType.text, ColumnType.int], [[['x'.repeat(100), 5], false, 7, 0], [[null, null], false, 8, 0]], [false, false]);
    const sink = new ByteSink(new Uint8Array(16));
    sink.pushBytes(Buffer.from('prefix'), 0, 6);
    encodeBinaryCopy(batch, 3, sink);
    const reference = new ByteSink(new Uint8Array(16));
    encodeBinaryCopyByRow(batch, 3, reference);
    assert.deepEqual(Buffer.from(sink.view()), Buffer.concat([Buffer.from('prefix'), Buffer.from(reference.view())]));
  });

  test('numeric and bigints beyond 2^53 go to the reference writer', () => {
    const numeric = batchFrom([ColumnType.numeric], [[['1.5'], false, 0, 0]], [false]);
    assert.equal(writableByColumn(numeric, numeric.columns), false);
    const big = batchFrom([ColumnType.bigint], [[[2 ** 60], false, 0, 0]], [false]);
    assert.equal(writableByColumn(big, big.columns), false);
    const rejectedBig = batchFrom([ColumnType.bigint], [[[null], false, 0, 0]], [false]);
    assert.equal(writableByColumn(rejectedBig, rejectedBig.columns), true);
  });
});
