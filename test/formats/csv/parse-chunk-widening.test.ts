import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EncodePlan } from '../../../src/formats/csv/parse-chunk.js';
import { csvDialect } from '../../../src/formats/csv/dialect.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import type { WideningBase } from '../../../src/schema/type-widening.js';
import { ValueFormat } from '../../../src/schema/value-format.js';
import { parseText } from './parse-support.js';

const PLAIN: WideningBase = { format: { format: ValueFormat.plain, nullTokens: false }, formatsByType: {} };

function encode(text: string, widening: EncodePlan['widening'], columnFormats?: EncodePlan['columnFormats']) {
  const plan: EncodePlan = {
    dialect: csvDialect({ delimiter: 0x2c }), columnTypes: [ColumnType.int, ColumnType.int], columnNames: ['id', 'v'],
    fileId: 1, chunkNo: 0, baseOffset: 1000, invalidUtf8: 'reject', widening, columnFormats,
  };
  return parseText(text, plan).stats;
}

test('a value that does not fit a widening column is reported with the narrowest type that holds it', () => {
  const stats = encode('1,10\n2,3000000000\n3,2.5\n4,"quoted, 7"\n', [null, PLAIN]);
  // The first misfit's row, and the join of every misfit's need.
  assert.deepEqual(stats.widen, [{ column: 1, type: ColumnType.text, chunkLine: 2, byteOffset: 1005 }]);
});

test('the same values without widening are CAST rejects, and nothing asks to widen', () => {
  const stats = encode('1,10\n2,3000000000\n3,2.5\n', [null, null]);
  assert.equal(stats.widen, undefined);
  assert.deepEqual([stats.rows, stats.rejected, stats.samples.map((s) => s.reason)], [1, 2, ['CAST', 'CAST']]);
});

test('rewritten values and rows read by the record parser report their needs too', () => {
  const thousands: WideningBase = { format: { format: ValueFormat.thousandsComma, nullTokens: false }, formatsByType: {} };
  const formats = [null, thousands.format];
  assert.deepEqual(encode('1,"1,234"\n2,"1,234.5"\n', [null, thousands], formats).widen?.map((w) => [w.column, w.type, w.chunkLine]), [[1, ColumnType.float, 2]]);
  // A stray quote sends the row to the record parser; its misfit widens all the same.
  assert.deepEqual(encode('1,10\n2,5 "x" 6\n', [null, PLAIN]).widen?.map((w) => [w.column, w.type, w.chunkLine]), [[1, ColumnType.text, 2]]);
});
