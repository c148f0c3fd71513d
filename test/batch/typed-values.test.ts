/**
 * The byte parsers that fill a batch's `numbers` against two references: JavaScript's own parsing
 * of the same text (Number, BigInt, Date.UTC) over random literals at the edges, and PostgreSQL's
 * input functions for a sample (`x::float8`, `x::timestamptz`), since binary COPY hands PostgreSQL
 * these numbers in place of the text it would have parsed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { ColumnType } from '../../src/schema/column-type.js';
import { fillTypedValues, parseFloat8, parseIsoDate, parseIsoTimestampMicros, parseInteger, parseBool } from '../../src/batch/typed-values.js';
import { batchOf } from '../helpers/batch.js';
import { bytesOf, floatText, pad, timestampText, valid } from '../helpers/literals.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** The reference: JavaScript's Date for the whole seconds and zone, BigInt for the microseconds, PostgreSQL's rounding (rint of the fraction as a double × 10^6). */
function referenceMicros(text: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?(?:[zZ]|([+-])(\d\d)(?::?(\d\d))?)?$/.exec(text)!;
  const utc = new Date(0);
  utc.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  utc.setUTCHours(Number(m[4]), Number(m[5]), Number(m[6] ?? 0), 0);
  let seconds = BigInt(utc.getTime() / 1000);
  if (m[8] !== undefined) seconds -= BigInt((m[8] === '-' ? -1 : 1) * (Number(m[9]) * 3600 + Number(m[10] ?? 0) * 60));
  const scaled = Number(`0.${m[7] ?? '0'}`) * 1e6;
  const floor = Math.floor(scaled);
  const rounded = scaled - floor > 0.5 || (scaled - floor === 0.5 && floor % 2 === 1) ? floor + 1 : floor;
  return seconds * 1_000_000n + BigInt(rounded);
}

function micros(text: string): bigint {
  const b = bytesOf(text);
  const t = parseIsoTimestampMicros(b, 0, b.length);
  assert.ok(t.micros >= 0 && t.micros < 1000 && Number.isInteger(t.ms), text);
  return BigInt(t.ms) * 1000n + BigInt(t.micros);
}

describe('typed values against JavaScript', () => {
  test('floats round as Number() rounds them', () => {
    fc.assert(fc.property(floatText, (text) => {
      const b = bytesOf(text);
      assert.ok(Object.is(parseFloat8(b, 0, b.length), Number(text.trim())), text);
    }), { numRuns: 20_000 });
  });

  test('integers are exact within ±2^53 and the nearest double beyond', () => {
    const integer = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.bigInt({ min: -(2n ** 31n), max: 2n ** 31n }))
      .chain((n) => fc.constantFrom(String(n), ` ${n} `, n >= 0n ? `+${n}` : String(n)));
    fc.assert(fc.property(integer, (text) => {
      const b = bytesOf(text);
      const value = parseInteger(b, 0, b.length);
      const exact = BigInt(text.trim());
      if (exact > -(2n ** 53n) && exact < 2n ** 53n) assert.equal(value, Number(exact), text);
      else assert.ok(Math.abs(value - Number(exact)) <= Math.abs(Number(exact)) * 2 ** -50, text);
    }), { numRuns: 5_000 });
  });

  test('every boolean word, in any case', () => {
    for (const [word, value] of [['true', 1], ['t', 1], ['yes', 1], ['y', 1], ['on', 1], ['false', 0], ['f', 0], ['no', 0], ['n', 0], ['off', 0]] as const) {
      for (const text of [word, word.toUpperCase(), ` ${word[0].toUpperCase()}${word.slice(1)} `]) {
        assert.ok(valid(ColumnType.bool)(text), text);
        assert.equal(parseBool(bytesOf(text), 0, text.length), value, text);
      }
    }
  });

  test('dates are days since 1970-01-01 for years 1 to 9999, leap days included', () => {
    const date = fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 31 }))
      .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`).filter(valid(ColumnType.date));
    fc.assert(fc.property(date, (text) => {
      const reference = new Date(0);
      reference.setUTCFullYear(Number(text.slice(0, 4)), Number(text.slice(5, 7)) - 1, Number(text.slice(8, 10)));
      assert.equal(parseIsoDate(bytesOf(text), 0, text.length), reference.getTime() / 86_400_000, text);
    }), { numRuns: 10_000 });
    for (const [text, days] of [['0001-01-01', -719_162], ['9999-12-31', 2_932_896], ['2000-02-29', 11_016], ['1970-01-01', 0], ['1969-12-31', -1]] as const) {
      assert.equal(parseIsoDate(bytesOf(text), 0, text.length), days, text);
    }
  });

  test('timestamps are ms since 1970 UTC plus microseconds, fractions rounded as PostgreSQL rounds', () => {
    fc.assert(fc.property(timestampText, (text) => {
      assert.equal(micros(text), referenceMicros(text), text);
    }), { numRuns: 20_000 });
  });

  test('fillTypedValues fills every typed column not dropped, and leaves NULLs and rejected rows alone', () => {
    const batch = batchOf([{ name: 'b', type: ColumnType.bool }, { name: 'f', type: ColumnType.float }, { name: 't', type: ColumnType.timestamptz }, { name: 'd', type: ColumnType.date }],
      [['yes', '1.5', '2000-01-01 00:00:00.0000015Z', '2000-02-29'], [null, '-0', '1970-01-01T00:00:00.999999+01:00', null], ['off', '2', '1970-01-01 00:00', '1970-01-01']]);
    for (const column of batch.columns) { column.numbers.fill(7); column.micros.fill(7); }
    batch.columns[3].dropped = true;
    batch.reject(2);
    fillTypedValues(batch);
    const [b, f, t, d] = batch.columns;
    assert.deepEqual([b.numbers[0], b.numbers[1], b.numbers[2]], [1, 7, 7]);
    assert.ok(Object.is(f.numbers[1], -0));
    assert.deepEqual([t.numbers[0], t.micros[0], t.numbers[1], t.micros[1]], [946_684_800_000, 2, -3_600_000 + 999, 999]);
    assert.equal(d.numbers[0], 7);
  });
});

describe('typed values against PostgreSQL', () => {
  let db: TestDatabase;
  before(async () => { db = await createTestDatabase(); });
  after(async () => { await db.drop(); });

  test('timestamps: the same microsecond as x::timestamptz', async () => {
    const texts = fc.sample(timestampText, { numRuns: 3_000, seed: 7 });
    texts.push('2000-01-01 00:00:00.0000005', '2000-01-01 00:00:00.0000025', '2000-01-01 23:59:59.9999995+15:59', '0001-01-01 00:00:00+15', '9999-12-31T23:59:59.999999-15:59');
    // A text without a zone is read in the session's zone: UTC, as the writers set it.
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query(`SET TimeZone = 'UTC'`);
    const { rows } = await client.query<{ us: string }>(
      `SELECT (extract(epoch FROM x::timestamptz) * 1000000)::bigint::text AS us FROM unnest($1::text[]) WITH ORDINALITY u(x, n) ORDER BY n`, [texts]);
    await client.end();
    texts.forEach((text, i) => assert.equal(micros(text), BigInt(rows[i].us), text));
  });

  test('floats: the same double as x::float8', async () => {
    const texts = fc.sample(floatText, { numRuns: 3_000, seed: 11 });
    const result = await db.query<{ f: string }>(`SELECT x::float8::text AS f FROM unnest($1::text[]) WITH ORDINALITY u(x, n) ORDER BY n`, [texts]);
    texts.forEach((text, i) => {
      const b = bytesOf(text);
      assert.ok(Object.is(parseFloat8(b, 0, b.length), Number(result.rows[i].f)), `${text} → ${result.rows[i].f}`);
    });
  });
});
