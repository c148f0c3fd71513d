/**
 * The numbers parseCsvChunk reads while it checks typed values are the ones fillTypedValues reads
 * from the batch's text — on the fast path, for normalised values (from their rewritten text) and
 * for rows read by the record parser — and a column whose text or type a stage changes is read
 * again from its new text.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ColumnBatch } from '../../../src/batch/column-batch.js';
import { fillTypedValues } from '../../../src/batch/typed-values.js';
import { csvDialect } from '../../../src/formats/csv/dialect.js';
import type { EncodePlan } from '../../../src/formats/csv/parse-chunk.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { type ColumnFormat, ValueFormat } from '../../../src/schema/value-format.js';
import { parseText } from './parse-support.js';

const TYPES: ColumnTypeCode[] = [ColumnType.bool, ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.date, ColumnType.timestamptz, ColumnType.float, ColumnType.date, ColumnType.text];
const FORMATS: (ColumnFormat | null)[] = [null, null, null, null, null, null,
  { format: ValueFormat.thousandsDot, nullTokens: true }, { format: ValueFormat.dmy, nullTokens: false }, null];

function plan(): EncodePlan {
  return {
    dialect: csvDialect({}), columnTypes: TYPES, columnNames: TYPES.map((_, i) => `c${i + 1}`), columnFormats: FORMATS,
    fileId: 1, chunkNo: 0, baseOffset: 0, invalidUtf8: 'reject',
  };
}

/** Each typed column's numbers (and micros) for the kept non-null rows. */
function numbersOf(batch: ColumnBatch): number[][] {
  return batch.columns.map((c) => {
    const out: number[] = [];
    for (let r = 0; r < batch.rowCount; r++) if (c.nulls[r] === 0) out.push(c.numbers[r], c.micros[r]);
    return out;
  });
}

const CSV = [
  't,1,9007199254740993,25.853,2024-02-29,2024-01-01T00:00:00.123456Z,"1.234,5",31/12/2023,a',
  ' off ,-2147483648,-42,-0.0,0001-01-01,9999-12-31 23:59:59.9999995+15:59,NA,01/01/2024,b',
  // A stray quote sends this row through the record parser.
  'Yes,+7,9223372036854775807,1.7976931348623157e308,2000-02-29,2024-06-30T12:00-05:30,"3,14",29/02/2024,pipe 12" long',
  'n,0,-9223372036854775808,4.9e-324,1970-01-01,1970-01-01 00:00:00.0000005,,01/02/0001,d',
].join('\n') + '\n';

describe('parseCsvChunk reads typed values as fillTypedValues does', () => {
  test('fast path, normalised values and record-parser rows: the same numbers as reading the text again', () => {
    const { batch, rows, rejects, stats } = parseText(CSV, plan());
    assert.equal(rejects.length, 0);
    assert.equal(stats.slowRows, 1);
    assert.equal(rows.length, 4);
    const parsed = numbersOf(batch);
    for (const column of batch.columns.slice(0, -1)) { assert.equal(column.numbersType, column.type); batch.textChanged(column); column.numbers.fill(-1); }
    fillTypedValues(batch);
    assert.deepEqual(numbersOf(batch), parsed);
  });

  test('fillTypedValues reads a column again once a stage rewrote its text or changed its type', () => {
    const { batch } = parseText('1,2.5\n2,3.5\n', { ...plan(), columnTypes: [ColumnType.int, ColumnType.float], columnNames: ['a', 'b'], columnFormats: undefined });
    const [a, b] = batch.columns;
    batch.appendString(a, 1, '40');
    fillTypedValues(batch);
    assert.deepEqual([a.numbers[0], a.numbers[1], b.numbers[0], b.numbers[1]], [1, 40, 2.5, 3.5]);
    a.type = ColumnType.float;
    batch.appendString(b, 0, '7.25');
    batch.appendString(a, 0, '1.5');
    fillTypedValues(batch);
    assert.deepEqual([a.numbers[0], a.numbers[1], b.numbers[0], b.numbers[1]], [1.5, 40, 7.25, 3.5]);
  });
});
