import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { JsonLayout } from '../../../src/formats/json/row-boundary.js';
import { type JsonSniffResult, sniffJson } from '../../../src/formats/json/sniffer.js';
import { ColumnType } from '../../../src/schema/column-type.js';

function sniffLines(records: unknown[], options: { flattenDepth?: number; layout?: JsonLayout; wholeFile?: boolean } = {}): JsonSniffResult {
  const text = records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r))).join('\n');
  const bytes = Buffer.from(`${text}\n`);
  return sniffJson({ ranges: [{ bytes, start: 0, end: bytes.length, base: 0 }], layout: options.layout ?? 'ndjson', flattenDepth: options.flattenDepth ?? 3, wholeFile: options.wholeFile ?? true });
}

function shape(result: JsonSniffResult): [string, string, number][] {
  return result.columns.map((c) => [c.name, c.source, c.type]);
}

describe('JSON sniffer', () => {
  test('heterogeneous objects give the union of their keys, in order of first appearance', () => {
    const result = sniffLines([{ a: 1, b: 'x' }, { c: true }, { b: 'y', d: null }]);
    assert.deepEqual(result.columns.map((c) => c.source), ['a', 'b', 'c', 'd']);
    assert.equal(result.records, 3);
  });

  test('nested objects become parent_child columns down to the flatten depth; deeper objects are jsonb', () => {
    const result = sniffLines([{ id: 1, user: { name: 'ann', address: { city: 'Oslo', geo: { lat: 59.9 } } } }]);
    assert.deepEqual(shape(result), [
      ['id', 'id', ColumnType.int],
      ['user_name', 'user.name', ColumnType.text],
      ['user_address_city', 'user.address.city', ColumnType.text],
      ['user_address_geo', 'user.address.geo', ColumnType.json],
    ]);
    const flat = sniffLines([{ id: 1, user: { name: 'ann' } }], { flattenDepth: 1 });
    assert.deepEqual(shape(flat), [['id', 'id', ColumnType.int], ['user', 'user', ColumnType.json]]);
  });

  test('arrays are jsonb, whatever they hold', () => {
    const result = sniffLines([{ tags: ['a', 'b'], points: [[1, 2]], empty: [] }]);
    assert.deepEqual(result.columns.map((c) => c.type), [ColumnType.json, ColumnType.json, ColumnType.json]);
  });

  test('numbers: int, then bigint, then float, from the number text (no rounding through a double)', () => {
    const result = sniffLines([
      '{"i": 1, "b": 9223372036854775807, "f": 1.5, "e": 1e3, "huge": 92233720368547758070}',
      '{"i": -2147483648, "b": -9007199254740993, "f": 2, "e": 7, "huge": 1}',
    ]);
    assert.deepEqual(result.columns.map((c) => [c.name, c.type]), [
      ['i', ColumnType.int], ['b', ColumnType.bigint], ['f', ColumnType.float], ['e', ColumnType.float], ['huge', ColumnType.float],
    ]);
  });

  test('strings: date or timestamptz when every one is, else text — digits in a string stay text', () => {
    const result = sniffLines([
      { d: '2024-02-29', t: '2024-01-01T10:00:00Z', s: '42', mixed: '2024-01-01', empty: '' },
      { d: '2024-03-01', t: '2024-01-01 10:00:00+02:00', s: '7', mixed: 'later', empty: '2024-01-01' },
    ]);
    assert.deepEqual(result.columns.map((c) => [c.name, c.type]), [
      ['d', ColumnType.date], ['t', ColumnType.timestamptz], ['s', ColumnType.text], ['mixed', ColumnType.text], ['empty', ColumnType.date],
    ]);
  });

  test('booleans are bool; mixed kinds are text; only nulls are text', () => {
    const result = sniffLines([{ ok: true, m: 1, n: null }, { ok: false, m: 'one', n: null }]);
    assert.deepEqual(result.columns.map((c) => [c.name, c.type]), [['ok', ColumnType.bool], ['m', ColumnType.text], ['n', ColumnType.text]]);
  });

  test('a key that is an object in one record and a scalar in another is one jsonb column', () => {
    const result = sniffLines([{ a: { x: 1 } }, { a: 5 }, { a: null }]);
    assert.deepEqual(shape(result), [['a', 'a', ColumnType.json]]);
    const alwaysEmpty = sniffLines([{ meta: {} }]);
    assert.deepEqual(shape(alwaysEmpty), [['meta', 'meta', ColumnType.json]]);
  });

  test('column names are safe and unique: normalised, truncated, deduplicated, never a provenance name', () => {
    const long = 'k'.repeat(80);
    const result = sniffLines([{ 'User Name': 1, user_name: 2, _file: 3, [`${long}1`]: 4, [`${long}2`]: 5, 'a\u0000"b': 6, user: { name: 7 } }]);
    const names = result.columns.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, names.join(' | '));
    for (const name of names) {
      assert.match(name, /^[a-z_][a-z0-9_]*$/);
      assert.ok(Buffer.byteLength(name) <= 63, name);
    }
    assert.ok(!names.includes('_file'));
    assert.equal(result.columns.at(-1)!.source, 'user.name');
  });

  test('escaped keys are decoded: "caf\\u00e9" and "café" are one column', () => {
    const result = sniffLines(['{"caf\\u00e9": 1}', '{"café": 2}']);
    assert.deepEqual(result.columns.map((c) => c.source), ['café']);
  });

  test('broken records are counted, not fatal, while any record is an object', () => {
    const result = sniffLines(['{"a": 1}', '{"a": ', '[1, 2]', '{"a": 2}']);
    assert.equal(result.records, 2);
    assert.equal(result.broken, 2);
  });

  test('a sample with no object at all fails with a code that says why', () => {
    assert.throws(() => sniffLines(['[1, 2]', '"x"']), { code: 'SLUICE_ERR_FORMAT_JSON_INVALID' });
    assert.throws(() => sniffLines([`${'['.repeat(100_000)}${']'.repeat(100_000)}`]), { code: 'SLUICE_ERR_FORMAT_JSON_DEPTH' });
    assert.throws(() => sniffLines([`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`]), { code: 'SLUICE_ERR_FORMAT_JSON_DEPTH' });
  });

  test('an empty sample has no columns and no error', () => {
    const result = sniffJson({ ranges: [{ bytes: Buffer.from('  \n'), start: 0, end: 3, base: 0 }], layout: 'ndjson', flattenDepth: 3, wholeFile: true });
    assert.deepEqual(result.columns, []);
  });

  test('schema confidence: 1 for the whole file; lower when keys keep appearing late in a partial sample', () => {
    const steady = Array.from({ length: 200 }, (_, i) => ({ id: i, v: 'x' }));
    assert.equal(sniffLines(steady, { wholeFile: true }).schemaConfidence, 1);
    assert.equal(sniffLines(steady, { wholeFile: false }).schemaConfidence, 1);
    const drifting = Array.from({ length: 200 }, (_, i) => ({ id: i, [`k${i}`]: 1 }));
    assert.ok(sniffLines(drifting, { wholeFile: false }).schemaConfidence < 0.1);
    assert.ok(sniffLines(steady.slice(0, 10), { wholeFile: false }).schemaConfidence <= 0.1, 'few records, little evidence');
  });

  test('an array of objects is read element by element', () => {
    const bytes = Buffer.from('[\n  {"a": 1},\n  {"b": [1, {"c": "]"}]}\n]');
    const result = sniffJson({ ranges: [{ bytes, start: 1, end: bytes.lastIndexOf(']'), base: 0 }], layout: 'array', flattenDepth: 3, wholeFile: true });
    assert.deepEqual(shape(result), [['a', 'a', ColumnType.int], ['b', 'b', ColumnType.json]]);
  });
});
