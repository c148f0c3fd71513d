import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { encodeChunk, type EncodePlan } from '../../../src/formats/csv/chunk-encoder.js';
import { csvDialect } from '../../../src/formats/csv/dialect.js';
import { ColumnType } from '../../../src/schema/column-type.js';

/**
 * Rows under a header of another width (the sniffer's padMissing and trailingDelimiter): a row one
 * field short of a wider header loads with NULL for the last column; a row's empty field after a
 * trailing delimiter the header has too is dropped. Without those flags both are rejects.
 */

function encode(text: string, flags: Pick<EncodePlan, 'padMissing' | 'trailingDelimiter'>, types = [ColumnType.int, ColumnType.text, ColumnType.text]) {
  const bytes = Buffer.from(text, 'utf8');
  const plan: EncodePlan = {
    dialect: csvDialect({}), columnTypes: types, columnNames: types.map((_, i) => `c${i + 1}`), fileId: 7, chunkNo: 0, baseOffset: 0, invalidUtf8: 'reject', ...flags,
  };
  const data = new ByteSink(new Uint8Array(1024));
  const rejects = new ByteSink(new Uint8Array(1024));
  const stats = encodeChunk(bytes, 0, bytes.length, plan, data, rejects);
  const reasons = Buffer.from(rejects.view()).toString('utf8').split('\n').filter((l) => l !== '').map((l) => l.split('\t')[4]);
  return { rows: Buffer.from(data.view()).toString('utf8'), stats, reasons };
}

describe('chunk encoder: rows under a header of another width', () => {
  test('padMissing: a row one field short gets an empty (NULL) last field; full rows are as they are', () => {
    const { rows, stats } = encode('1,ann\n2,"bob, jr"\n3,cy,late\n', { padMissing: true });
    assert.deepEqual([stats.rows, stats.rejected], [3, 0]);
    assert.equal(rows, '7,0,1,ann,\n7,6,2,"bob, jr",\n7,18,3,cy,late\n');
  });

  test('padMissing: a row two fields short, or a cast failure in a padded row, is still a reject', () => {
    const { stats, reasons } = encode('1\nx,ann\n', { padMissing: true });
    assert.deepEqual([stats.rows, stats.rejected], [0, 2]);
    assert.deepEqual(reasons, ['TOO_FEW_FIELDS', 'CAST']);
  });

  test('trailingDelimiter: the empty field after a trailing delimiter is dropped, rows without one load too', () => {
    const { rows, stats } = encode('1,a,b,\n2,c,d\r\n3,"e,",f,\n', { trailingDelimiter: true });
    assert.deepEqual([stats.rows, stats.rejected, stats.lines], [3, 0, 3]);
    assert.equal(rows, '7,0,1,a,b\n7,7,2,c,d\n7,14,3,"e,",f\n');
  });

  test('trailingDelimiter: a value after the last column is still a reject', () => {
    const { stats, reasons } = encode('1,a,b,extra\n', { trailingDelimiter: true });
    assert.deepEqual([stats.rows, reasons], [0, ['TOO_MANY_FIELDS']]);
  });

  test('without the flags both shapes are rejects', () => {
    assert.deepEqual(encode('1,ann\n1,a,b,\n', {}).reasons, ['TOO_FEW_FIELDS', 'TOO_MANY_FIELDS']);
  });
});
