import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { EncodePlan } from '../../../src/formats/csv/parse-chunk.js';
import { csvDialect } from '../../../src/formats/csv/dialect.js';
import { ColumnType } from '../../../src/schema/column-type.js';
import { parseText } from './parse-support.js';

/**
 * Rows under a header of another width (the sniffer's padMissing and trailingDelimiter): a row one
 * field short of a wider header loads with NULL for the last column; a row's empty field after a
 * trailing delimiter the header has too is dropped. Without those flags both are rejects.
 */

function encode(text: string, flags: Partial<Pick<EncodePlan, 'padMissing' | 'trailingDelimiter'>>, types = [ColumnType.int, ColumnType.text, ColumnType.text]) {
  const plan: EncodePlan = {
    dialect: csvDialect({}), columnTypes: types, columnNames: types.map((_, i) => `c${i + 1}`), fileId: 7, chunkNo: 0, baseOffset: 0, invalidUtf8: 'reject', ...flags,
  };
  const { stats, rows, rejects } = parseText(text, plan);
  // [offset, ...values] per row, null for NULL.
  return { rows: rows.map((r) => [r.offset, ...r.values]), stats, reasons: rejects.map((r) => r.reason) };
}

describe('CSV chunk parser: rows under a header of another width', () => {
  test('padMissing: a row one field short gets an empty (NULL) last field; full rows are as they are', () => {
    const { rows, stats } = encode('1,ann\n2,"bob, jr"\n3,cy,late\n', { padMissing: true });
    assert.deepEqual([stats.rows, stats.rejected], [3, 0]);
    assert.deepEqual(rows, [[0, '1', 'ann', null], [6, '2', 'bob, jr', null], [18, '3', 'cy', 'late']]);
  });

  test('padMissing: a row two fields short, or a cast failure in a padded row, is still a reject', () => {
    const { stats, reasons } = encode('1\nx,ann\n', { padMissing: true });
    assert.deepEqual([stats.rows, stats.rejected], [0, 2]);
    assert.deepEqual(reasons, ['TOO_FEW_FIELDS', 'CAST']);
  });

  test('trailingDelimiter: the empty field after a trailing delimiter is dropped, rows without one load too', () => {
    const { rows, stats } = encode('1,a,b,\n2,c,d\r\n3,"e,",f,\n', { trailingDelimiter: true });
    assert.deepEqual([stats.rows, stats.rejected, stats.lines], [3, 0, 3]);
    assert.deepEqual(rows, [[0, '1', 'a', 'b'], [7, '2', 'c', 'd'], [14, '3', 'e,', 'f']]);
  });

  test('trailingDelimiter: a value after the last column is still a reject', () => {
    const { stats, reasons } = encode('1,a,b,extra\n', { trailingDelimiter: true });
    assert.deepEqual([stats.rows, reasons], [0, ['TOO_MANY_FIELDS']]);
  });

  test('without the flags both shapes are rejects', () => {
    assert.deepEqual(encode('1,ann\n1,a,b,\n', {}).reasons, ['TOO_FEW_FIELDS', 'TOO_MANY_FIELDS']);
  });
});
