/**
 * Reading `COPY … TO STDOUT (FORMAT binary)` off the socket (src/sink/copy-out.ts) and into tuples
 * (src/sink/binary-copy-reader.ts), against pg-copy-streams' `to()` as the reference: the same
 * bytes, row for row, whatever the socket's chunks and PostgreSQL's interspersed messages; errors
 * from the server or from the consumer fail the read and leave the connection usable.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import { BinaryTupleDecoder, type BinaryTuple, readBinaryCopy } from '../../src/sink/binary-copy-reader.js';
import { copyOut } from '../../src/sink/copy-out.js';
import { connectedClient, createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let client: pg.Client;

before(async () => {
  db = await createTestDatabase();
  client = await connectedClient(db);
  await client.query(`CREATE TABLE t AS
    SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'row ' || i END AS label, i * 1.5::float8 AS x, now() + i * interval '1 second' AS at
      FROM generate_series(1, 20000) i`);
  // Values longer than any socket chunk, so a tuple spans several.
  await client.query(`INSERT INTO t SELECT 20000 + i, repeat(md5(i::text), 10000 * i), i, now() FROM generate_series(1, 3) i`);
  await client.query(`CREATE FUNCTION noisy(n int) RETURNS int LANGUAGE plpgsql AS $$
    BEGIN IF n % 500 = 0 THEN RAISE NOTICE 'row %', n; END IF; RETURN n; END $$`);
});

after(async () => {
  await client.end();
  await db.drop();
});

/** Each tuple as the hex of its fields (null for NULL). */
function collect(rows: (string | null)[][]): (tuple: BinaryTuple) => void {
  return ({ bytes, fields, starts, lengths }) => {
    const row: (string | null)[] = [];
    for (let f = 0; f < fields; f++) row.push(lengths[f] < 0 ? null : bytes.subarray(starts[f], starts[f] + lengths[f]).toString('hex'));
    rows.push(row);
  };
}

/** The reference: pg-copy-streams' stream, joined, decoded in one piece. */
async function referenceRows(sql: string): Promise<(string | null)[][]> {
  const pieces: Buffer[] = [];
  for await (const piece of client.query(copyTo(sql)) as AsyncIterable<Buffer>) pieces.push(piece);
  const rows: (string | null)[][] = [];
  const decoder = new BinaryTupleDecoder(collect(rows));
  const whole = Buffer.concat(pieces);
  decoder.feed(whole, 0, whole.length);
  decoder.finish();
  return rows;
}

test('tuples read off the socket are the ones pg-copy-streams reads, long values and NULLs included', async () => {
  const sql = 'COPY (SELECT i, label, x, at FROM t ORDER BY i) TO STDOUT (FORMAT binary)';
  const rows: (string | null)[][] = [];
  const count = await readBinaryCopy(client, sql, collect(rows));
  const expected = await referenceRows(sql);
  assert.equal(count, 20_003);
  assert.equal(rows.length, expected.length);
  assert.deepEqual(rows, expected);
  assert.equal(rows[6][1], null, 'row 7 has a NULL label');
  assert.equal(Buffer.from(rows[20_002][1]!, 'hex').length, 32 * 30_000, 'the longest value whole');
});

test('notices PostgreSQL sends between the rows are skipped', async () => {
  const sql = 'COPY (SELECT noisy(i), label FROM t WHERE i <= 5000 ORDER BY i) TO STDOUT (FORMAT binary)';
  const notices: string[] = [];
  const onNotice = (notice: { message?: string }): void => { notices.push(notice.message ?? ''); };
  client.on('notice', onNotice);
  try {
    const rows: (string | null)[][] = [];
    assert.equal(await readBinaryCopy(client, sql, collect(rows)), 5000);
    assert.deepEqual(rows, await referenceRows(sql));
  } finally {
    client.off('notice', onNotice);
  }
});

test('a server error part way fails the read with its code, and the connection still answers', async () => {
  const sql = 'COPY (SELECT i, 1 / (i - 3000) FROM t ORDER BY i) TO STDOUT (FORMAT binary)';
  let seen = 0;
  await assert.rejects(readBinaryCopy(client, sql, () => { seen++; }), (error: Error & { code?: string }) => error.code === '22012');
  assert.ok(seen < 3000, `${seen} rows before the error`);
  assert.equal((await client.query('SELECT 41 + 1 AS v')).rows[0].v, 42);
});

test('a consumer that throws fails the read once the server is done, and the connection still answers', async () => {
  const sql = 'COPY (SELECT i, label FROM t ORDER BY i) TO STDOUT (FORMAT binary)';
  let calls = 0;
  await assert.rejects(readBinaryCopy(client, sql, () => { calls++; if (calls === 10) throw new Error('consumer failed'); }), /consumer failed/);
  assert.equal(calls, 10, 'no tuple after the failure');
  assert.equal((await client.query('SELECT count(*)::int AS n FROM t')).rows[0].n, 20_003);
});

test('a query that is not a COPY fails cleanly', async () => {
  await assert.rejects(copyOut(client, 'COPY (SELECT nope FROM t) TO STDOUT (FORMAT binary)', () => undefined), (error: Error & { code?: string }) => error.code === '42703');
  assert.equal((await client.query('SELECT 1 AS v')).rows[0].v, 1);
});

test('the server row count is the result of copyOut', async () => {
  let bytes = 0;
  assert.equal(await copyOut(client, 'COPY (SELECT i FROM t WHERE i <= 1234) TO STDOUT', (_b, start, end) => { bytes += end - start; }), 1234);
  assert.ok(bytes > 1234);
});

test('property: binary COPY data cut anywhere decodes to the tuples it holds whole', async () => {
  const sql = 'COPY (SELECT i, label, x FROM t WHERE i <= 300 OR i > 20000 ORDER BY i) TO STDOUT (FORMAT binary)';
  const pieces: Buffer[] = [];
  for await (const piece of client.query(copyTo(sql)) as AsyncIterable<Buffer>) pieces.push(piece);
  const whole = Buffer.concat(pieces);
  const expected: (string | null)[][] = [];
  const once = new BinaryTupleDecoder(collect(expected));
  once.feed(whole, 0, whole.length);
  once.finish();
  assert.equal(expected.length, 303);
  fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 0, max: whole.length }), { maxLength: 40 }), (cuts) => {
    const at = [0, ...cuts.sort((a, b) => a - b), whole.length];
    const rows: (string | null)[][] = [];
    const decoder = new BinaryTupleDecoder(collect(rows));
    // Each piece inside a bigger buffer, as a payload sits inside a socket chunk.
    for (let k = 0; k + 1 < at.length; k++) {
      const framed = Buffer.concat([Buffer.from([1, 2, 3]), whole.subarray(at[k], at[k + 1]), Buffer.from([4])]);
      decoder.feed(framed, 3, 3 + at[k + 1] - at[k]);
    }
    decoder.finish();
    assert.deepEqual(rows, expected);
  }), { numRuns: 60 });
});

test('data without its trailer, or without the binary signature, is an error', () => {
  const decoder = new BinaryTupleDecoder(() => undefined);
  decoder.feed(Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1'), 0, 19);
  assert.throws(() => decoder.finish(), /before its trailer/);
  const text = new BinaryTupleDecoder(() => undefined);
  assert.throws(() => text.feed(Buffer.from('1\tone\n'.repeat(5)), 0, 30), /not binary COPY data/);
});
