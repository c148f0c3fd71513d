/**
 * A binary COPY chunk with a tuple the worker accepted but the table refuses (a CHECK constraint,
 * a varchar length): the writer cuts that tuple out, rejects it with the database's message, its
 * `_offset` and its values as text, and commits the rest.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { fillTypedValues } from '../../src/batch/typed-values.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { ColumnType } from '../../src/schema/column-type.js';
import { encodeBinaryCopy } from '../../src/sink/binary-copy-encoder.js';
import { CopyWriter, type CopyJob } from '../../src/sink/copy-writer.js';
import { batchOf } from '../helpers/batch.js';
import { createTestDatabase, prepareLedgerFile, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let writer: CopyWriter;

before(async () => {
  db = await createTestDatabase();
  await prepareLedgerFile(db, `CREATE TABLE t (_file bigint, _offset bigint, n integer CHECK (n < 100), code varchar(3), at timestamptz, amount numeric)`);
  writer = new CopyWriter(async () => { const c = new pg.Client({ connectionString: db.url }); await c.connect(); await c.query(`SET TimeZone = 'UTC'`); return c; });
});

after(async () => {
  await writer?.close();
  await db.drop();
});

const TYPES = [ColumnType.int, ColumnType.text, ColumnType.timestamptz, ColumnType.numeric];

function job(chunkNo: number, rows: (string | null)[][]): CopyJob {
  const batch = batchOf(TYPES.map((type, i) => ({ name: `c${i}`, type })), rows);
  fillTypedValues(batch);
  const sink = new ByteSink(new Uint8Array(0));
  const count = encodeBinaryCopy(batch, 1, sink);
  return {
    fileId: 1, chunkNo, attempt: 1, byteStart: 0, byteEnd: 100 * rows.length, rows: count, rejected: 0, lines: rows.length,
    data: sink.view().slice(), rejects: new Uint8Array(0), delimiter: 0x2c, quote: 0x22, columnTypes: TYPES,
    copySql: 'COPY t (_file, _offset, n, code, at, amount) FROM STDIN WITH (FORMAT binary)',
    chunkLineOf: (offset) => offset / 100 + 1,
  };
}

test('the refused tuples are rejected (CONSTRAINT, CAST) and the others load', async () => {
  const rows = [
    ['1', 'ab', '2000-01-01 00:00:00.5Z', '1.5'],
    ['500', 'ok', '2000-01-01T00:00Z', '-2'],
    ['2', 'toolong, "x"', null, '0.001'],
    ['3', null, '1999-12-31 23:59:59.000001+01', null],
  ];
  assert.equal(await writer.write(job(0, rows)), 'committed');
  const loaded = await db.query<{ _offset: string; n: number }>(`SELECT _offset::text, n FROM t ORDER BY _offset`);
  assert.deepEqual(loaded.rows, [{ _offset: '0', n: 1 }, { _offset: '300', n: 3 }]);
  const rejects = await db.query<{ chunk_line: number; byte_offset: string; reason: string; detail: string; raw: string }>(
    `SELECT chunk_line, byte_offset::text, reason, detail, raw FROM ingest.rejects WHERE chunk_no = 0 ORDER BY byte_offset`);
  assert.deepEqual(rejects.rows.map((r) => [r.chunk_line, r.byte_offset, r.reason]), [[2, '100', 'CONSTRAINT'], [3, '200', 'CAST']]);
  assert.match(rejects.rows[0].detail, /check constraint/);
  assert.match(rejects.rows[1].detail, /character varying\(3\).*COPY t, line/);
  assert.equal(rejects.rows[0].raw, '500,ok,2000-01-01T00:00:00.000000Z,-2');
  assert.equal(rejects.rows[1].raw, '2,"toolong, ""x""",,0.001');
});
