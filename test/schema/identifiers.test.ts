/**
 * Column and dataset names from header text: normalised, truncated to PostgreSQL's 63 bytes before
 * deduplication (PostgreSQL truncates silently, merging columns), unique, never a provenance
 * column. Checked in memory and against PostgreSQL: a table created with the names keeps every one
 * of them, byte for byte, as a distinct column.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import pg from 'pg';
import { claimUnique, columnNamesFor, datasetNameFor, MAX_IDENTIFIER_BYTES, normaliseIdentifier, RESERVED_COLUMNS } from '../../src/schema/identifiers.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

const SAFE_NAME = /^[a-z][a-z0-9_]*$/;

function assertSafeAndUnique(names: string[]): void {
  assert.equal(new Set(names).size, names.length, `unique: ${JSON.stringify(names)}`);
  for (const name of names) {
    assert.match(name, SAFE_NAME);
    assert.ok(Buffer.byteLength(name) <= MAX_IDENTIFIER_BYTES, `${name} is ${Buffer.byteLength(name)} bytes`);
    assert.ok(!RESERVED_COLUMNS.has(name), `${name} is reserved`);
  }
}

const long = (prefix: string, tail: string): string => prefix.repeat(63) + tail;

describe('normaliseIdentifier', () => {
  const cases: [string, string][] = [
    ['First Name', 'first_name'],
    ['camelCaseHeader', 'camel_case_header'],
    ['userID', 'user_id'],
    ['HTTPStatus', 'httpstatus'],
    ['  padded  ', 'padded'],
    ['a--b__c', 'a_b_c'],
    ['Café Crème', 'cafe_creme'],
    ['Ünïcödé', 'unicode'],
    ['naïve résumé', 'naive_resume'],
    ['Straße', 'stra_e'],
    ['ﬁle', 'file'],
    ['１２３', 'c_123'],
    ['2024 revenue', 'c_2024_revenue'],
    ['"; DROP TABLE users; --', 'drop_table_users'],
    ['Robert\'); DROP TABLE students;--', 'robert_drop_table_students'],
    ['a"b', 'a_b'],
    ['_file', 'file'],
    ['__offset__', 'offset'],
    ['a\u0000b', 'a_b'],
    ['日本語', 'fallback'],
    ['', 'fallback'],
    ['___', 'fallback'],
    ['😀', 'fallback'],
  ];
  for (const [source, expected] of cases) {
    test(`${JSON.stringify(source)} → ${expected}`, () => {
      assert.equal(normaliseIdentifier(source, 'fallback'), expected);
    });
  }

  test('truncates to 63 bytes, without a trailing underscore', () => {
    assert.equal(normaliseIdentifier('x'.repeat(70), 'f'), 'x'.repeat(63));
    // 'a' × 62 + ' b': the cut lands after the underscore, which is dropped.
    assert.equal(normaliseIdentifier(`${'a'.repeat(62)} b`, 'f'), 'a'.repeat(62));
    // Accented letters are two bytes in UTF-8 but one ASCII byte once folded.
    assert.equal(normaliseIdentifier('é'.repeat(70), 'f'), 'e'.repeat(63));
    // The c_ prefix counts too.
    assert.equal(normaliseIdentifier('1'.repeat(70), 'f'), `c_${'1'.repeat(61)}`);
  });
});

describe('columnNamesFor', () => {
  test('two 70-byte headers sharing their first 63 bytes stay distinct, within 63 bytes', () => {
    const headers = [long('x', 'AAAAAAA'), long('x', 'BBBBBBB')];
    assert.equal(Buffer.byteLength(headers[0]), 70);
    const names = columnNamesFor(headers);
    assert.deepEqual(names, ['x'.repeat(63), `${'x'.repeat(61)}_2`]);
    assertSafeAndUnique(names);
  });

  test('many colliding long headers: suffixes up to two digits still fit', () => {
    const headers = Array.from({ length: 12 }, (_, k) => long('y', `-variant-${k}`));
    const names = columnNamesFor(headers);
    assert.equal(names[0], 'y'.repeat(63));
    assert.equal(names[1], `${'y'.repeat(61)}_2`);
    assert.equal(names[11], `${'y'.repeat(60)}_12`);
    assertSafeAndUnique(names);
  });

  test('duplicates, case-insensitively, and a suffix that is already taken', () => {
    assert.deepEqual(columnNamesFor(['Name', 'name', 'NAME']), ['name', 'name_2', 'name_3']);
    assert.deepEqual(columnNamesFor(['a', 'a_2', 'a']), ['a', 'a_2', 'a_3']);
    assert.deepEqual(columnNamesFor(['a', 'a', 'a_2']), ['a', 'a_2', 'a_2_2']);
  });

  test('empty names become column_<position>, without colliding with a header of that name', () => {
    assert.deepEqual(columnNamesFor(['', 'x', '']), ['column_1', 'x', 'column_3']);
    assert.deepEqual(columnNamesFor(['column_2', '', '  ', '!!!']), ['column_2', 'column_2_2', 'column_3', 'column_4']);
  });

  test('reserved provenance names are never produced', () => {
    const names = columnNamesFor(['_file', '_offset', 'file', '_FILE_', 'offset']);
    assert.deepEqual(names, ['file', 'offset', 'file_2', 'file_3', 'offset_2']);
    assertSafeAndUnique(names);
    // Taken directly, a reserved name gets a suffix.
    const taken = new Set<string>(RESERVED_COLUMNS);
    assert.equal(claimUnique('_file', taken), '_file_2');
    assert.equal(claimUnique('_offset', taken), '_offset_2');
  });

  test('random headers: always safe, unique, within 63 bytes (property)', () => {
    const header = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 80 }),
      fc.constantFrom('', '_file', '_offset', 'id', 'ID', 'Id ', '"', 'select', 'column_1', 'é', long('z', 'q'), long('z', 'r')),
      fc.string({ unit: fc.constantFrom('a', 'A', '_', ' ', '1', 'é', '-'), maxLength: 90 }),
    );
    fc.assert(fc.property(fc.array(header, { maxLength: 30 }), (headers) => {
      const names = columnNamesFor(headers);
      assert.equal(names.length, headers.length);
      assertSafeAndUnique(names);
    }), { numRuns: 500 });
  });
});

describe('datasetNameFor', () => {
  const cases: [string, string][] = [
    ['Sales 2024.csv', 'sales_2024'],
    ['data.tar.gz', 'data_tar'],
    ['2024.csv', 'c_2024'],
    ['.csv', 'dataset'],
    ['Ünïcödé Report.CSV', 'unicode_report'],
    ['x; DROP SCHEMA staging.csv', 'x_drop_schema_staging'],
  ];
  for (const [source, expected] of cases) {
    test(`${JSON.stringify(source)} → ${expected}`, () => assert.equal(datasetNameFor(source), expected));
  }
});

describe('identifiers in PostgreSQL', () => {
  let db: TestDatabase;

  before(async () => {
    db = await createTestDatabase('sluice_identifiers');
  });

  after(async () => {
    await db?.drop();
  });

  const HOSTILE = [
    long('x', 'AAAAAAA'), long('x', 'BBBBBBB'), long('x', 'CCCCCCC'),
    '', '', '_file', '_offset', 'Name', 'name', 'NAME',
    '"; DROP TABLE users; --', 'Robert\'); DROP TABLE students;--', 'a"b', 'select', 'from', 'user', 'order',
    'Café Crème', 'Ünïcödé', '日本語', '😀', '１２３', '2024', 'column_2', 'é'.repeat(70),
  ];

  test('a staging-like table takes every name as a distinct column, unchanged', async () => {
    const names = columnNamesFor(HOSTILE);
    assertSafeAndUnique(names);
    const columns = ['_file bigint NOT NULL', '_offset bigint NOT NULL', ...names.map((n) => `${pg.escapeIdentifier(n)} text`)];
    const table = datasetNameFor('hostile headers.csv');
    await db.query(`CREATE TABLE ${pg.escapeIdentifier(table)} (${columns.join(', ')})`);
    const result = await db.query<{ attname: string }>(
      'SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum', [table]);
    assert.deepEqual(result.rows.map((r) => r.attname), ['_file', '_offset', ...names]);
    // A row goes in and comes out by those names.
    await db.query(`INSERT INTO ${pg.escapeIdentifier(table)} (_file, _offset, ${names.map((n) => pg.escapeIdentifier(n)).join(', ')})
                    VALUES (1, 0, ${names.map((_, k) => `$${k + 1}`).join(', ')})`, HOSTILE);
    const back = await db.query<Record<string, string>>(`SELECT ${names.map((n) => pg.escapeIdentifier(n)).join(', ')} FROM ${pg.escapeIdentifier(table)}`);
    assert.deepEqual(Object.values(back.rows[0]), HOSTILE);
  });

  test('PostgreSQL itself would have merged the raw long headers (why truncation comes first)', async () => {
    // Quoted raw headers, as they were: PostgreSQL truncates both to the same 63 bytes.
    const raw = [long('x', 'AAAAAAA'), long('x', 'BBBBBBB')];
    await assert.rejects(
      db.query(`CREATE TABLE raw_headers (${raw.map((h) => `${pg.escapeIdentifier(h)} text`).join(', ')})`),
      (error: { code?: string }) => error.code === '42701', // duplicate_column
    );
    // Sluice's names for them are accepted.
    const names = columnNamesFor(raw);
    await db.query(`CREATE TABLE sluice_headers (${names.map((h) => `${pg.escapeIdentifier(h)} text`).join(', ')})`);
  });

  test('random headers always make a valid table (property, one table per run)', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.string({ unit: 'binary', maxLength: 70 }), { minLength: 1, maxLength: 12 }), async (headers) => {
      const names = columnNamesFor(headers);
      const table = `t_${Math.random().toString(36).slice(2)}`;
      await db.query(`CREATE TABLE ${table} (_file bigint, _offset bigint, ${names.map((n) => `${pg.escapeIdentifier(n)} text`).join(', ')})`);
      const result = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0', [table]);
      assert.equal(result.rows[0].count, names.length + 2);
      await db.query(`DROP TABLE ${table}`);
    }), { numRuns: 40 });
  });
});
