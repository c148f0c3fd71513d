/**
 * The byte-level value checks against PostgreSQL's own input functions. The contract: a value the
 * worker accepts for a typed column never fails COPY (so a bad row is rejected alone, not the
 * whole chunk). Refusing what PostgreSQL would accept is allowed — the column falls back to a
 * wider type, or the row to ingest.rejects — but every such case is listed below, so a change in
 * either direction is noticed.
 *
 * The session is set up as the COPY writers set theirs: TimeZone UTC, DateStyle ISO, YMD.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { ColumnType, type ColumnTypeCode } from '../../src/schema/column-type.js';
import { fitsType, isBool, isFloat8, isInt32, isInt64, isIsoDate, isIsoTimestamp, isNumeric, writtenWithOffset } from '../../src/schema/value-checks.js';
import { timestampText as acceptedTimestamp } from '../helpers/literals.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

type Check = (bytes: Uint8Array, start: number, end: number) => boolean;

interface TypeUnderTest {
  sql: string;
  check: Check;
  code: ColumnTypeCode;
}

const TYPES: Record<string, TypeUnderTest> = {
  bool: { sql: 'boolean', check: isBool, code: ColumnType.bool },
  int: { sql: 'integer', check: isInt32, code: ColumnType.int },
  bigint: { sql: 'bigint', check: isInt64, code: ColumnType.bigint },
  float: { sql: 'double precision', check: isFloat8, code: ColumnType.float },
  numeric: { sql: 'numeric', check: isNumeric, code: ColumnType.numeric },
  date: { sql: 'date', check: isIsoDate, code: ColumnType.date },
  timestamptz: { sql: 'timestamp with time zone', check: isIsoTimestamp, code: ColumnType.timestamptz },
};

function ours(check: Check, value: string): boolean {
  const bytes = Buffer.from(value, 'utf8');
  return check(bytes, 0, bytes.length);
}

const zeros = (n: number): string => '0'.repeat(n);
const ones = (n: number): string => '1'.repeat(n);

/** Hand-picked literals per type: bounds ±1, leading zeros, signs, spaces, exponents, calendars, zones. */
const CANDIDATES: Record<keyof typeof TYPES, string[]> = {
  bool: ['true', 'false', 'TRUE', 'False', 't', 'f', 'T', 'yes', 'no', 'y', 'n', 'on', 'off', 'ON', ' yes ', '1', '0',
    'tr', 'tru', 'fa', 'fal', 'fals', 'ye', 'of', 'o', 'yess', 'truee', '', '  ', 'maybe', '\ttrue'],
  int: ['0', '-0', '+0', '7', '+5', ' 7 ', ' 7', '7 ', '-7', '007', '00', '2147483647', '2147483648', '-2147483648', '-2147483649',
    '99999999999', '', ' ', '-', '+', '--1', '+-1', '1.0', '1e3', '1_000', '0x1F', '0o17', '\t7', '1 2', '٣',
    // a + and seven digits is a signed number; from eight digits it is a phone number (text)
    '+1234567', '+12345678', '+3161234567'],
  bigint: ['0', '+5', ' 7 ', '-0', '007', '2147483648', '-2147483649', '9223372036854775807', '9223372036854775808',
    '-9223372036854775808', '-9223372036854775809', '99999999999999999999', '', '1.0', '1_000', '0x1F',
    '+1234567', '+12345678', '+31612345678', '+4915123456789', '-31612345678'],
  float: ['0', '-0', '1.5', '+1.5', '.5', '5.', '-.5', '.', '-.', '1e308', '1e309', '-1e308', '1.7976931348623157e308', '1.8e308',
    '9.9e307', '1e307', '1e306', '1e-299', '1e-300', '1e-307', '1e-320', '1e-324', '1e-400', '0e-400', '0e500', '00.5', '007',
    '0.5', '0.05', '1E5', '1e+5', '1e', 'e5', '1.5e', '1e5.5', 'NaN', 'Infinity', '-Infinity', 'inf', ' 1.5 ', '1,5', '0x10', '',
    // many leading fractional zeros: 1e-401 and 1e-331 underflow to 0 (out of range), 1e-321 is a denormal
    `0.${zeros(400)}1`, `.${zeros(330)}1`, `0.${zeros(320)}1`, `0.${zeros(400)}`, `0.${zeros(30)}1e-290`, `0.${zeros(8)}1e-295`,
    `1${zeros(306)}`, `1${zeros(307)}`, `1${zeros(308)}`, `1${zeros(400)}e-400`, '1e0000005', '123456789012345678901234567890',
    // the edges, rounded as strtod rounds: the largest double, just past it, the smallest normal, denormals, underflow
    '1.79769e+308', '-1.79769e+308', '1.7976931348623158e308', '1.7976931348623159e308', '17.976931348623157e307', '2.2250738585072014e-308',
    '4.9e-324', '4.94e-324', '2.5e-324', '2.4e-324', '1e-323', '-1e-323', '0.0e-400', '+31612345678', '+1.5', '+1234567'],
  numeric: ['0', '-0', '+5', '1.5', '.5', '5.', '007', '00.5', '1e5', '1E-5', '1e999', '-1e999', '1e-999', '1e1001', '1e-1001',
    '12345678901234567890', '-123456789012345678901234567890.5', `1${zeros(998)}`, `1${zeros(1000)}`, '1e', 'e5', '.', '',
    'NaN', 'Infinity', '1,5', '0x10', ' 1.5 ', '+31612345678', '1_000', `0.${zeros(900)}1`],
  date: ['2024-02-29', '2023-02-29', '2024-13-01', '2024-00-10', '2024-01-00', '2024-04-31', '2024-01-32', '1900-02-29',
    '2000-02-29', '0001-01-01', '0000-01-01', '9999-12-31', '2024-1-5', '20240229', '2024/02/29', '2024-02-29T00:00',
    '2024-02-29 ', ' 2024-02-29', 'epoch', 'today', '2024-02-29 BC', '12024-01-01', '2024-02-29x', ''],
  timestamptz: ['2024-02-29T12:34:56Z', '2024-02-29 12:34:56Z', '2024-02-29T12:34:56+05:30', '2024-02-29T12:34:56+0530',
    '2024-02-29T12:34:56+05', '2024-02-29T12:34:56-05:30', '2024-02-29T12:34:56.123456Z', '2024-02-29T12:34:56.1234567Z',
    '2024-02-29T12:34:56.Z', '2024-02-29T12:34Z', '2024-02-29T12:34', '2024-02-29T12', '2024-02-29', '2023-02-29T00:00:00Z',
    '2024-13-01T00:00:00Z', '2024-01-01T24:00:00', '2024-01-01T24:00:01', '2024-01-01T23:60:00', '2024-01-01T23:59:60',
    '2024-01-01T25:00', '2024-01-01t12:00', '2024-01-01  12:00', '2024-01-01T12:00:00 Z', '2024-01-01T12:00:00z',
    '2024-01-01T12:00:00+15:59', '2024-01-01T12:00:00+16:00', '2024-01-01T12:00:00+05:60', '2024-01-01T12:00:00+5',
    '2024-01-01T12:00:00+05:3', '2024-01-01T12:00:00+05:30:00', '2024-01-01T12:00:00 +05:30', '2024-01-01T12:00:00UTC',
    ' 2024-01-01T12:00:00Z ', '0001-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59.999999Z',
    '2024-1-1T00:00:00', 'epoch', 'now', '',
    // fractions: 64 digits are fine; PostgreSQL's parser refuses input longer than its work buffer (~125 digits here)
    `2024-01-01T12:00:00.${ones(64)}+05:30`, `2024-01-01T12:00:00.${ones(100)}Z`, `2024-01-01T12:00:00.${ones(130)}+05:30`,
    `2024-01-01T12:00:00.${ones(200)}Z`],
};

/** Accepted by PostgreSQL, refused by Sluice — on purpose (conservative), pinned here. */
const EXPECTED_REFUSALS: Record<keyof typeof TYPES, string[]> = {
  // '1'/'0' are integers first; prefixes (tr, fa, ye, of) and tabs are not worth the ambiguity.
  bool: ['1', '0', 'tr', 'tru', 'fa', 'fal', 'fals', 'ye', 'of', '\ttrue'],
  // Leading zeros are codes, not numbers; only spaces are trimmed.
  int: ['007', '00', '\t7', '+12345678'],
  bigint: ['007', '+12345678', '+31612345678', '+4915123456789'],
  // Magnitudes near the float8 limits, NaN/Infinity, hex, leading zeros.
  // NaN/Infinity, hex, leading zeros, phone numbers; exponents written with more than five digits.
  float: ['00.5', '007', 'NaN', 'Infinity', '-Infinity', 'inf', '0x10', '1e0000005', '+31612345678'],
  // Leading zeros, NaN/Infinity, phone numbers; more than 1,000 digits or an exponent beyond ±1000.
  numeric: ['007', '00.5', '1e1001', '1e-1001', `1${zeros(1000)}`, 'NaN', 'Infinity', '+31612345678'],
  // Only YYYY-MM-DD.
  date: ['2024-1-5', '20240229', '2024/02/29', '2024-02-29T00:00', 'epoch', 'today', '12024-01-01'],
  // Only the ISO shapes; no 24:00 or leap second; zone right after the time.
  timestamptz: ['2024-02-29T12:34:56.Z', '2024-02-29', '2024-01-01T24:00:00', '2024-01-01T23:59:60', '2024-01-01t12:00',
    '2024-01-01  12:00', '2024-01-01T12:00:00 Z', '2024-01-01T12:00:00+5', '2024-01-01T12:00:00+05:3', '2024-01-01T12:00:00+05:30:00',
    '2024-01-01T12:00:00 +05:30', '2024-01-01T12:00:00UTC', '2024-1-1T00:00:00', 'epoch', 'now', `2024-01-01T12:00:00.${ones(100)}Z`],
};

/** PostgreSQL 16 reads underscores, 0x and 0o in integers; 15 does not. Sluice refuses them either way. */
const VERSION_DEPENDENT = new Set(['1_000', '0x1F', '0o17']);

describe('value checks agree with PostgreSQL', () => {
  let db: TestDatabase;
  let client: pg.Client;

  before(async () => {
    db = await createTestDatabase('sluice_checks');
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'");
    // For the fuzz: one round trip per batch; each cast in its own subtransaction.
    await client.query(`CREATE FUNCTION accepts(value text, type text) RETURNS boolean LANGUAGE plpgsql AS $$
      BEGIN
        EXECUTE format('SELECT %L::%s', value, type);
        RETURN true;
      EXCEPTION WHEN others THEN
        RETURN false;
      END $$`);
  });

  after(async () => {
    await client?.end();
    await db?.drop();
  });

  async function postgresAccepts(type: string, value: string): Promise<boolean> {
    try {
      await client.query(`SELECT $1::${type}`, [value]);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      // 22xxx: data exceptions (invalid syntax, out of range). Anything else is a broken test.
      assert.match(code, /^22/, `unexpected error for ${JSON.stringify(value)}::${type}: ${(error as Error).message}`);
      return false;
    }
  }

  for (const [name, type] of Object.entries(TYPES) as [keyof typeof TYPES, TypeUnderTest][]) {
    test(`${name}: hand-picked literals`, async () => {
      const accepted: string[] = [];
      const refusals: string[] = [];
      const unsound: string[] = [];
      for (const value of CANDIDATES[name]) {
        const mine = ours(type.check, value);
        const theirs = await postgresAccepts(type.sql, value);
        if (mine) accepted.push(value);
        if (mine && !theirs) unsound.push(value);
        if (!mine && theirs && !VERSION_DEPENDENT.has(value)) refusals.push(value);
        assert.equal(fitsType(type.code, Buffer.from(value), 0, Buffer.byteLength(value)), mine, `fitsType dispatches ${name}`);
      }
      assert.deepEqual(unsound, [], `Sluice accepts, PostgreSQL refuses (COPY would fail): ${JSON.stringify(unsound)}`);
      assert.deepEqual(refusals, EXPECTED_REFUSALS[name], 'PostgreSQL accepts, Sluice refuses');
      assert.ok(accepted.length >= 3, 'the list has values Sluice accepts');
    });
  }

  // Random literals, shaped to land near the edges: whatever Sluice accepts, PostgreSQL must too.
  const digit = fc.constantFrom(...'0123456789'.split(''));
  const digits = (max: number) => fc.array(digit, { maxLength: max, size: 'max' }).map((d) => d.join(''));
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const sign = fc.constantFrom('', '-', '+', ' ', ' -');
  const integerText = fc.oneof(
    fc.tuple(sign, fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.constantFrom('', ' ')).map(([s, n, t]) => `${s}${n}${t}`),
    fc.tuple(sign, fc.bigInt({ min: -(2n ** 8n), max: 2n ** 8n }), fc.constantFrom(2n ** 31n, 2n ** 63n)).map(([s, d, b]) => `${s}${b + d}`),
    fc.tuple(sign, digits(22)).map(([s, d]) => s + d),
  );
  const floatText = fc.oneof(
    fc.tuple(sign, digits(25), fc.constantFrom('', '.'), digits(40), fc.constantFrom('', 'e', 'e-', 'e+', 'E'), fc.integer({ min: 0, max: 400 }))
      .map(([s, i, dot, f, e, x]) => s + i + dot + f + (e === '' ? '' : `${e}${x}`)),
    // small values written with leading zeros after the point: underflow territory
    fc.tuple(sign, fc.constantFrom('0.', '.'), fc.integer({ min: 0, max: 420 }), fc.constantFrom('1', '5', '9', '0'), fc.constantFrom('', 'e-5', 'e-290', 'e5', 'e300'))
      .map(([s, p, z, d, e]) => `${s}${p}${zeros(z)}${d}${e}`),
    fc.tuple(fc.constantFrom('1', '9', '17976931348623157', '2'), fc.integer({ min: 290, max: 330 }), fc.constantFrom('e', 'e-'))
      .map(([m, x, e]) => `${m}${e}${x}`),
  );
  const dateText = fc.tuple(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`);
  const timestampText = fc.tuple(dateText, fc.constantFrom('T', ' ', 't'), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }),
    fc.option(fc.integer({ min: 0, max: 61 })), fc.option(digits(140)),
    fc.constantFrom('', 'Z', 'z', '+05:30', '+0530', '-05', '+15:59', '+16', '-14:45', '+5', ' Z', '+05:60', '-00:00'))
    .map(([date, sep, h, mi, s, fraction, zone]) => `${date}${sep}${pad(h, 2)}:${pad(mi, 2)}${s === null ? '' : `:${pad(s, 2)}${fraction === null ? '' : `.${fraction}`}`}${zone}`);
  const boolText = fc.oneof(
    fc.array(fc.constantFrom(...'trufalsyeno TFYN01'.split('')), { maxLength: 6 }).map((c) => c.join('')),
    fc.tuple(fc.constantFrom('true', 'false', 't', 'f', 'yes', 'no', 'y', 'n', 'on', 'off', 'of', 'tr', '1', 'o'),
      fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), fc.constantFrom('', ' ', '  ', '\t'), fc.constantFrom('', ' ', '  '))
      .map(([word, upper, before, afterText]) => before + [...word].map((c, k) => (upper[k] ? c.toUpperCase() : c)).join('') + afterText),
  );

  const FUZZ: [keyof typeof TYPES, fc.Arbitrary<string>][] = [
    ['bool', boolText], ['int', integerText], ['bigint', integerText], ['float', floatText], ['numeric', floatText], ['date', dateText],
    ['timestamptz', timestampText],
  ];
  for (const [name, arbitrary] of FUZZ) {
    test(`${name}: random literals Sluice accepts, PostgreSQL accepts`, async () => {
      const type = TYPES[name];
      const values = [...new Set(fc.sample(arbitrary, { numRuns: 6000 }))];
      const accepted = values.filter((v) => ours(type.check, v));
      assert.ok(accepted.length >= 20, `the generator reaches accepted values (${accepted.length} of ${values.length})`);
      const result = await client.query<{ value: string; ok: boolean }>('SELECT value, accepts(value, $2) AS ok FROM unnest($1::text[]) AS value', [accepted, type.sql]);
      const unsound = result.rows.filter((r) => !r.ok).map((r) => r.value);
      assert.deepEqual(unsound, [], `Sluice accepts, PostgreSQL refuses: ${JSON.stringify(unsound.slice(0, 5))}`);
    });
  }

  // A value written with an offset is the same instant whatever the session's zone; a naive one
  // is a wall-clock time there, so two zones far apart read it as two instants.
  async function postgresSeesOffset(values: string[]): Promise<boolean[]> {
    const instantsIn = async (zone: string): Promise<string[]> => {
      await client.query(`SET TimeZone = '${zone}'`);
      const { rows } = await client.query<{ epoch: string }>(
        'SELECT extract(epoch FROM v::timestamptz)::text AS epoch FROM unnest($1::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n', [values]);
      return rows.map((r) => r.epoch);
    };
    const east = await instantsIn('Pacific/Kiritimati');
    const west = await instantsIn('Pacific/Pago_Pago');
    await client.query("SET TimeZone = 'UTC'");
    return east.map((epoch, i) => epoch === west[i]);
  }

  test('writtenWithOffset on hand-picked timestamps: Z, ±HH, ±HHMM, ±HH:MM, none; spaces around', async () => {
    const values = CANDIDATES.timestamptz.filter((v) => ours(isIsoTimestamp, v));
    assert.ok(values.length > 15);
    assert.deepEqual(values.map((v) => ours(writtenWithOffset, v)), await postgresSeesOffset(values));
  });

  test('writtenWithOffset on random timestamps the checks accept', async () => {
    const values = fc.sample(acceptedTimestamp, { numRuns: 2000, seed: 7 });
    assert.deepEqual(values.map((v) => ours(writtenWithOffset, v)), await postgresSeesOffset(values));
  });
});

describe('value checks on byte ranges', () => {
  function inside(check: Check, before: string, value: string, afterText: string): boolean {
    const bytes = Buffer.from(before + value + afterText);
    return check(bytes, Buffer.byteLength(before), Buffer.byteLength(before + value));
  }

  test('only [start, end) is read: digits just outside the range do not complete a value', () => {
    assert.equal(inside(isIsoTimestamp, '9', '2024-01-01T12:00:00+0', '5'), false, 'a one-digit zone hour');
    assert.equal(inside(isIsoTimestamp, '', '2024-01-01T12:00:00+05:3', '0'), false, 'a one-digit zone minute');
    assert.equal(inside(isIsoTimestamp, '', '2024-01-01T12:00:0', '0'), false, 'a one-digit second');
    assert.equal(inside(isIsoTimestamp, '', '2024-01-01T12:0', '0'), false, 'a one-digit minute');
    assert.equal(inside(isIsoDate, '', '2024-02-2', '9'), false);
    assert.equal(inside(isFloat8, '', '1e', '5'), false);
    assert.equal(inside(isInt32, '1', '2147483647', '9'), true);
    assert.equal(inside(isInt32, '', '214748364', '8'), true);
    assert.equal(inside(isInt64, '-', '9223372036854775808', ''), false, 'the sign before the range is not read');
    assert.equal(inside(isBool, 'x', 'true', 'x'), true);
    assert.equal(inside(isIsoTimestamp, '"', '2024-01-01T12:00:00+05:30', '"'), true);
  });

  test('text accepts anything; an empty range fits no typed column', () => {
    const empty = new Uint8Array(0);
    assert.equal(fitsType(ColumnType.text, Buffer.from('\0\xff'), 0, 2), true);
    for (const type of Object.values(TYPES)) assert.equal(fitsType(type.code, empty, 0, 0), false, type.sql);
  });
});

