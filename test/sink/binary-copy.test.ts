/**
 * Binary COPY against PostgreSQL's own text input: the same random values at the edges (int limits,
 * -0, NaN, ±Infinity, subnormals, years 1 and 9999, leap days, microseconds, long and unicode text,
 * JSON, uuids, numerics with many digits) go into one table by binary COPY and into another by
 * parameters PostgreSQL parses as text; the tables, every value cast to text, must be identical
 * (EXCEPT ALL both ways).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { BinaryCopyEncoder } from '../../src/sink/binary-copy.js';
import { connectedClient, createTestDatabase, type TestDatabase } from '../helpers/database.js';

interface Row {
  i: number | null;
  b: bigint | null;
  f: number | null;
  ok: boolean | null;
  /** Days since 1970-01-01. */
  d: number | null;
  /** Milliseconds since 1970 and microseconds within. */
  t: { ms: number; micros: number } | null;
  s: string | null;
  j: string | null;
  u: string | null;
  n: string | null;
}

const DAY = 86_400_000;
const YEAR_1 = -719_162; // 0001-01-01
const YEAR_9999 = 2_932_896; // 9999-12-31

const nullable = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(arb, { freq: 6, nil: null });

const rowArb: fc.Arbitrary<Row> = fc.record({
  i: nullable(fc.oneof(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1, 0, -1))),
  b: nullable(fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 53n), max: 2n ** 53n }),
    fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, 2n ** 53n + 1n))),
  f: nullable(fc.oneof(fc.double(), fc.constantFrom(-0, 0, Number.NaN, Infinity, -Infinity, Number.MIN_VALUE, -Number.MAX_VALUE, 1.79769e308, 2.2250738585072014e-308))),
  ok: nullable(fc.boolean()),
  d: nullable(fc.oneof(fc.integer({ min: YEAR_1, max: YEAR_9999 }), fc.constantFrom(YEAR_1, YEAR_9999, 11_016, 19_052, 0, -1))),
  t: nullable(fc.record({
    ms: fc.oneof(fc.integer({ min: YEAR_1 * DAY, max: YEAR_9999 * DAY + DAY - 1 }), fc.constantFrom(YEAR_1 * DAY, 946_684_800_000, 951_782_400_000, -1, 0, YEAR_9999 * DAY + DAY - 1)),
    micros: fc.integer({ min: 0, max: 999 }),
  })),
  s: nullable(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ minLength: 2000, maxLength: 5000 })).map((s) => s.replaceAll('\0', ''))),
  j: nullable(fc.json({ maxDepth: 3 }).filter((j) => !j.includes('\\u0000'))),
  u: nullable(fc.uuid()),
  n: nullable(fc.tuple(fc.constantFrom('', '-', '+'), fc.stringMatching(/^[0-9]{1,30}$/), fc.option(fc.oneof(fc.stringMatching(/^[0-9]{1,20}$/), fc.stringMatching(/^0{4,12}[0-9]{1,6}$/)), { nil: undefined }))
    .map(([sign, int, frac]) => `${sign}${int}${frac === undefined ? '' : `.${frac}`}`)),
});

function encodeBinary(rows: Row[]): Uint8Array {
  const sink = new ByteSink(new Uint8Array(64));
  const copy = new BinaryCopyEncoder(sink);
  copy.header();
  for (const row of rows) {
    copy.row(10);
    if (row.i === null) copy.null(); else copy.int4(row.i);
    if (row.b === null) copy.null();
    else if (row.b >= -(2n ** 53n) && row.b <= 2n ** 53n) copy.int8(Number(row.b));
    else copy.int8Text(row.b.toString());
    if (row.f === null) copy.null(); else copy.float8(row.f);
    if (row.ok === null) copy.null(); else copy.bool(row.ok);
    if (row.d === null) copy.null(); else copy.date(row.d);
    if (row.t === null) copy.null(); else copy.timestamptz(row.t.ms, row.t.micros);
    if (row.s === null) copy.null(); else copy.textString(row.s);
    if (row.j === null) copy.null();
    else { const j = Buffer.from(row.j, 'utf8'); copy.jsonb(j, 0, j.length); }
    if (row.u === null) copy.null();
    else { const u = Buffer.from(row.u, 'latin1'); assert.ok(copy.uuid(u, 0, u.length)); }
    if (row.n === null) copy.null();
    else { const n = Buffer.from(row.n, 'latin1'); assert.ok(copy.numeric(n, 0, n.length), row.n); }
  }
  copy.trailer();
  return sink.view();
}

/** The same values as text, for PostgreSQL's input functions. */
function textValues(row: Row): (string | null)[] {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return [
    row.i === null ? null : String(row.i),
    row.b === null ? null : row.b.toString(),
    row.f === null ? null : Number.isNaN(row.f) ? 'NaN' : row.f === Infinity ? 'Infinity' : row.f === -Infinity ? '-Infinity' : Object.is(row.f, -0) ? '-0' : String(row.f),
    row.ok === null ? null : String(row.ok),
    row.d === null ? null : iso(row.d * DAY).slice(0, 10),
    row.t === null ? null : iso(row.t.ms).replace('Z', `${String(row.t.micros).padStart(3, '0')}Z`),
    row.s, row.j, row.u, row.n,
  ];
}

const COLUMNS = 'i integer, b bigint, f double precision, ok boolean, d date, t timestamptz, s text, j jsonb, u uuid, n numeric';
const AS_TEXT = 'i::text, b::text, f::text, ok::text, d::text, t::text, s, j::text, u::text, n::text';

describe('binary COPY', () => {
  let db: TestDatabase;
  let client: pg.Client;

  before(async () => {
    db = await createTestDatabase();
    client = await connectedClient(db);
    await client.query(`SET TimeZone = 'UTC'; SET extra_float_digits = 3`);
  });

  after(async () => {
    await client.end();
    await db.drop();
  });

  async function differences(rows: Row[]): Promise<number> {
    await client.query(`DROP TABLE IF EXISTS by_binary, by_text; CREATE TABLE by_binary (${COLUMNS}); CREATE TABLE by_text (${COLUMNS})`);
    await pipeline(Readable.from([Buffer.from(encodeBinary(rows))]), client.query(copyFrom('COPY by_binary FROM STDIN WITH (FORMAT binary)')));
    for (const row of rows) await client.query('INSERT INTO by_text VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', textValues(row));
    const result = await client.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM (SELECT ${AS_TEXT} FROM by_binary EXCEPT ALL SELECT ${AS_TEXT} FROM by_text) x)::int
            + (SELECT count(*) FROM (SELECT ${AS_TEXT} FROM by_text EXCEPT ALL SELECT ${AS_TEXT} FROM by_binary) y)::int AS n`);
    return result.rows[0].n;
  }

  test('edge values read back exactly as PostgreSQL reads their text', async () => {
    const edges: Row[] = [
      { i: 2 ** 31 - 1, b: 2n ** 63n - 1n, f: -0, ok: true, d: YEAR_1, t: { ms: YEAR_1 * DAY, micros: 1 }, s: '', j: '{"a":[1,{"b":null}]}', u: '00000000-0000-0000-0000-000000000000', n: '0.000' },
      { i: -(2 ** 31), b: -(2n ** 63n), f: Number.NaN, ok: false, d: YEAR_9999, t: { ms: YEAR_9999 * DAY + DAY - 1, micros: 999 }, s: 'ünïcødé 日本 😀', j: '"x"', u: 'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF', n: '-123456789012345678901234567890.00000000000000000001' },
      { i: 0, b: 2n ** 53n + 1n, f: Infinity, ok: null, d: 11_016, t: { ms: 951_782_400_000, micros: 500 }, s: 'x'.repeat(100_000), j: '[]', u: null, n: '+0001.5000' },
      { i: null, b: null, f: 5e-324, ok: null, d: -1, t: { ms: -1, micros: 999 }, s: 'tab\tnew\nline\\', j: null, u: null, n: '10000' },
      { i: -1, b: 0n, f: -Infinity, ok: true, d: null, t: null, s: null, j: null, u: null, n: '0.0001' },
      // Whole zero groups after the point: the weight goes below -1.
      { i: 1, b: 1n, f: 1, ok: true, d: null, t: null, s: null, j: null, u: null, n: '0.00000001' },
      { i: 2, b: 2n, f: 2, ok: true, d: null, t: null, s: null, j: null, u: null, n: '-0000.000000000000000123450' },
      { i: 3, b: 3n, f: 3, ok: true, d: null, t: null, s: null, j: null, u: null, n: '100000000.00000001' },
    ];
    assert.equal(await differences(edges), 0);
    const one = await client.query<{ n: string; t: string }>(`SELECT n::text AS n, t::text AS t FROM by_binary WHERE i = 0`);
    assert.deepEqual(one.rows[0], { n: '1.5000', t: '2000-02-29 00:00:00.0005+00' });
  });

  test('random rows at the edges (property)', { timeout: 120_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 30 }), async (rows) => {
      assert.equal(await differences(rows), 0);
    }), { numRuns: 40 });
  });

  test('a uuid or numeric that is not one is refused, writing nothing', () => {
    const sink = new ByteSink(new Uint8Array(64));
    const copy = new BinaryCopyEncoder(sink);
    for (const text of ['not-a-uuid', '0000000-0000-0000-0000-000000000000', '00000000-0000-0000-0000-0000000000000']) {
      const bytes = Buffer.from(text);
      assert.equal(copy.uuid(bytes, 0, bytes.length), false, text);
    }
    for (const text of ['', '-', '1e3', '1.2.3', '.', 'abc']) {
      const bytes = Buffer.from(text);
      assert.equal(copy.numeric(bytes, 0, bytes.length), false, text);
    }
    assert.equal(sink.length, 0);
  });
});
