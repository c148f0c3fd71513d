/**
 * Binary COPY from a batch against the CSV reference encoder: the same batches (random values at
 * the edges of every type, as the parsers would leave them) go into one table by binary COPY and
 * into another by CSV COPY; the tables, provenance included and every value as text, must be
 * identical (EXCEPT ALL both ways).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { fillTypedValues } from '../../src/batch/typed-values.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { fitsType } from '../../src/schema/value-checks.js';
import { encodeBinaryCopy, plainDecimal } from '../../src/sink/binary-copy-encoder.js';
import { copyIn } from '../../src/sink/copy-writer.js';
import { encodeCsvCopy } from '../../src/sink/csv-copy-encoder.js';
import { floatText, timestampText } from '../helpers/literals.js';
import { batchOf } from '../helpers/batch.js';
import { connectedClient, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const COLUMNS: { name: string; type: ColumnTypeCode; sql: string }[] = [
  { name: 'b', type: ColumnType.bool, sql: 'boolean' },
  { name: 'i', type: ColumnType.int, sql: 'integer' },
  { name: 'g', type: ColumnType.bigint, sql: 'bigint' },
  { name: 'f', type: ColumnType.float, sql: 'double precision' },
  { name: 'd', type: ColumnType.date, sql: 'date' },
  { name: 't', type: ColumnType.timestamptz, sql: 'timestamptz' },
  { name: 's', type: ColumnType.text, sql: 'text' },
  { name: 'j', type: ColumnType.json, sql: 'jsonb' },
  { name: 'n', type: ColumnType.numeric, sql: 'numeric' },
];
const TABLE = `(_file bigint, _offset bigint, ${COLUMNS.map((c) => `${c.name} ${c.sql}`).join(', ')})`;
const AS_TEXT = `_file, _offset, ${COLUMNS.map((c) => `${c.name}::text`).join(', ')}`;

const fits = (type: ColumnTypeCode) => (text: string): boolean => { const b = Buffer.from(text, 'utf8'); return fitsType(type, b, 0, b.length); };
const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const nullable = (arb: fc.Arbitrary<string>): fc.Arbitrary<string | null> => fc.option(arb, { freq: 6, nil: null });

const valueArbs: fc.Arbitrary<string>[] = [
  fc.constantFrom('true', 'FALSE', 't', 'f', 'Yes', 'no', 'Y', 'n', 'on', 'OFF', ' true '),
  fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map(String), fc.constantFrom('2147483647', '-2147483648', '0', '-0', '+5', ' 12 ')).filter(fits(ColumnType.int)),
  fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    fc.constantFrom('9223372036854775807', '-9223372036854775808', '9007199254740993', '-9007199254740993', '9007199254740992', ' -42 ')).filter(fits(ColumnType.bigint)),
  floatText,
  fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
    .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`).filter(fits(ColumnType.date))
    .chain((d) => fc.constantFrom(d, '0001-01-01', '9999-12-31', '2000-02-29', '1900-02-28', '2024-02-29')),
  timestampText,
  fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ minLength: 2000, maxLength: 4000 }),
    fc.constantFrom('', ' ', 'a,b', 'say "hi"', 'line\nbreak', 'cr\rlf\r\n', '\\N', 'NULL', 'ünïcødé 日本 😀', 'NaN', 'Infinity'))
    .map((s) => s.replaceAll('\0', '')),
  fc.json({ maxDepth: 3 }).filter((j) => !j.includes('\\u0000')),
  fc.oneof(
    fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[1-9][0-9]{0,30}$/), fc.option(fc.stringMatching(/^[0-9]{1,20}$/), { nil: undefined }),
      fc.option(fc.integer({ min: -40, max: 40 }), { nil: undefined }))
      .map(([sign, int, frac, exp]) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}${exp === undefined ? '' : `e${exp}`}`),
    fc.constantFrom('0', '-0', '0.000', ' 1.50e3 ', '1.5E-3', '.5', '5.', '-0.0001e-10', '123456789012345678901234567890')).filter(fits(ColumnType.numeric)),
];
const rowArb = fc.tuple(...valueArbs.map(nullable));

function encode(rows: readonly (string | null)[][], format: 'csv' | 'binary', fileId: number): { bytes: Uint8Array; rows: number } {
  const batch = batchOf(COLUMNS, rows);
  fillTypedValues(batch);
  const sink = new ByteSink(new Uint8Array(256));
  const count = format === 'binary' ? encodeBinaryCopy(batch, fileId, sink) : encodeCsvCopy(batch, fileId, 0x2c, 0x22, sink);
  return { bytes: sink.view(), rows: count };
}

const typed = COLUMNS.filter((c) => c.type !== ColumnType.text).map((c) => c.name).join(', ');
const CSV_COPY = `COPY by_csv (_file, _offset, ${COLUMNS.map((c) => c.name).join(', ')}) FROM STDIN WITH (FORMAT csv, DELIMITER ',', QUOTE '"', FORCE_NULL (${typed}))`;
const BINARY_COPY = `COPY by_binary (_file, _offset, ${COLUMNS.map((c) => c.name).join(', ')}) FROM STDIN WITH (FORMAT binary)`;

describe('binary COPY from a batch', () => {
  let db: TestDatabase;
  let client: pg.Client;

  before(async () => {
    db = await createTestDatabase();
    client = await connectedClient(db);
    // As the writers set it: a timestamp without a zone is UTC in both formats.
    await client.query(`SET TimeZone = 'UTC'; SET extra_float_digits = 3`);
  });

  after(async () => {
    await client.end();
    await db.drop();
  });

  async function differences(rows: (string | null)[][]): Promise<number> {
    await client.query(`DROP TABLE IF EXISTS by_binary, by_csv; CREATE TABLE by_binary ${TABLE}; CREATE TABLE by_csv ${TABLE}`);
    const binary = encode(rows, 'binary', 9_007_199_254_740_000);
    const csv = encode(rows, 'csv', 9_007_199_254_740_000);
    assert.equal(binary.rows, rows.length);
    assert.equal(csv.rows, rows.length);
    await copyIn(client, BINARY_COPY, binary.bytes);
    await copyIn(client, CSV_COPY, csv.bytes);
    const result = await client.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM (SELECT ${AS_TEXT} FROM by_binary EXCEPT ALL SELECT ${AS_TEXT} FROM by_csv) x)::int
            + (SELECT count(*) FROM (SELECT ${AS_TEXT} FROM by_csv EXCEPT ALL SELECT ${AS_TEXT} FROM by_binary) y)::int AS n`);
    return result.rows[0].n;
  }

  test('edge values load as the CSV reference loads them', async () => {
    const edges: (string | null)[][] = [
      ['true', '2147483647', '9223372036854775807', '-0', '0001-01-01', '0001-01-01 00:00:00.000001+15:59', '', '{"a":[1,{"b":null}]}', ' 1.50e3 '],
      ['off', '-2147483648', '-9223372036854775808', '1.7976931348623157e308', '9999-12-31', '9999-12-31T23:59:59.9999994-15', 'ünïcødé 日本 😀', '"x"', '-0.0001e-10'],
      ['Y', '0', '9007199254740993', '4.9e-324', '2000-02-29', '2000-02-29 12:34:56.123456789Z', 'x'.repeat(100_000), '[]', '123456789012345678901234567890.5'],
      [null, null, null, null, null, null, null, null, null],
      ['n', ' 12 ', ' -42 ', '0.1', '1970-01-01', '1970-01-01 00:00', 'a,"b"\nc', '{}', '.5'],
    ];
    assert.equal(await differences(edges), 0);
    const one = await client.query<{ t: string; n: string; g: string }>(`SELECT t::text, n::text, g::text FROM by_binary WHERE i = 0`);
    assert.deepEqual(one.rows[0], { t: '2000-02-29 12:34:56.123457+00', n: '123456789012345678901234567890.5', g: '9007199254740993' });
  });

  test('random rows at the edges (property)', { timeout: 120_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 40 }), async (rows) => {
      assert.equal(await differences(rows), 0);
    }), { numRuns: 60 });
  });

  test('COPY data cut into pieces anywhere (copyIn of pieces, as the time-series pass sends it) loads as the whole does', { timeout: 60_000 }, async () => {
    const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 12 });
    await fc.assert(fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 20 }), cuts, async (rows, at) => {
      await client.query(`DROP TABLE IF EXISTS by_binary, by_csv; CREATE TABLE by_binary ${TABLE}; CREATE TABLE by_csv ${TABLE}`);
      const { bytes } = encode(rows, 'binary', 1);
      await copyIn(client, BINARY_COPY, bytes);
      // Cut points anywhere, repeats included (empty pieces), inside the header, a length or a value.
      const points = [0, ...at.map((f) => Math.floor(f * bytes.length)).sort((a, b) => a - b), bytes.length];
      const pieces = points.slice(1).map((end, k) => bytes.subarray(points[k], end));
      await copyIn(client, BINARY_COPY.replace('by_binary', 'by_csv'), pieces);
      const result = await client.query<{ n: number; rows: number }>(
        `SELECT (SELECT count(*) FROM (SELECT ${AS_TEXT} FROM by_binary EXCEPT ALL SELECT ${AS_TEXT} FROM by_csv) x)::int
              + (SELECT count(*) FROM (SELECT ${AS_TEXT} FROM by_csv EXCEPT ALL SELECT ${AS_TEXT} FROM by_binary) y)::int AS n,
                (SELECT count(*) FROM by_csv)::int AS rows`);
      assert.deepEqual(result.rows[0], { n: 0, rows: rows.length });
    }), { numRuns: 25 });
  });

  test('rejected rows and dropped columns are left out, as in CSV', () => {
    const batch = batchOf([{ name: 'a', type: ColumnType.int }, { name: 'b', type: ColumnType.text }], [['1', 'x'], ['2', 'y']]);
    batch.columns[1].dropped = true;
    batch.reject(0);
    fillTypedValues(batch);
    const sink = new ByteSink(new Uint8Array(0));
    assert.equal(encodeBinaryCopy(batch, 3, sink), 1);
    // header 19, tuple: int16 3 fields, _file (4+8), _offset (4+8), a (4+4), trailer 2.
    const bytes = Buffer.from(sink.view());
    assert.equal(bytes.length, 19 + 2 + 12 + 12 + 8 + 2);
    assert.equal(bytes.readInt16BE(19), 3);
    assert.equal(bytes.readBigInt64BE(19 + 2 + 4), 3n);
    assert.equal(bytes.readBigInt64BE(19 + 2 + 12 + 4), 100n);
    assert.equal(bytes.readInt32BE(19 + 2 + 24 + 4), 2);
    assert.equal(bytes.readInt16BE(bytes.length - 2), -1);
  });

  test('numeric literals with an exponent or spaces become plain decimals with PostgreSQL\'s scale', () => {
    const plain = (text: string): string => plainDecimal(Buffer.from(text), 0, text.length).toString();
    assert.equal(plain('1.50e3'), '1500');
    assert.equal(plain(' 1.5e-3 '), '0.0015');
    assert.equal(plain('-1.2345E2'), '-123.45');
    assert.equal(plain('5e0'), '5');
  });
});
