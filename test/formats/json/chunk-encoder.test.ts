import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { encodeJsonChunk, type JsonEncodePlan } from '../../../src/formats/json/chunk-encoder.js';
import { sniffJson } from '../../../src/formats/json/sniffer.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { encodeFile, readCopyCsv, readRejects } from './support.js';

const T = ColumnType;

/** Encodes one chunk of NDJSON text with the given columns; returns rows, rejects and stats. */
function encodeLines(lines: string[], columns: [string, ColumnTypeCode][], extra: Partial<JsonEncodePlan> = {}) {
  const input = Buffer.from(lines.map((l) => `${l}\n`).join(''));
  const plan: JsonEncodePlan = {
    layout: 'ndjson', schemaKey: `unit-${columns.map(([p, t]) => `${p}:${t}`).join(',')}`, paths: columns.map(([p]) => p.split('.')),
    columnTypes: columns.map(([, t]) => t), columnNames: columns.map(([p]) => p.replace(/\./g, '_')),
    fileId: 3, chunkNo: 2, baseOffset: 1000, dataEnd: 1000 + input.length, invalidUtf8: 'reject', ...extra,
  };
  const data = new ByteSink(new Uint8Array(1 << 16));
  const rejects = new ByteSink(new Uint8Array(1 << 16));
  const stats = encodeJsonChunk(input, 0, input.length, plan, data, rejects);
  return {
    rows: readCopyCsv(Buffer.from(data.view()).toString('utf8')),
    rejects: readRejects(Buffer.from(rejects.view()).toString('utf8')),
    stats,
    data: Buffer.from(data.view()).toString('utf8'),
  };
}

describe('JSON chunk encoder: values', () => {
  test('scalars are written from their own text: ints, a bigint with every digit, floats, booleans, dates', () => {
    const { rows, data } = encodeLines(
      ['{"i": 42, "b": 9007199254740993, "f": -1.5e-7, "ok": true, "d": "2024-02-29", "t": "2024-01-01T10:00:00.123456Z"}'],
      [['i', T.int], ['b', T.bigint], ['f', T.float], ['ok', T.bool], ['d', T.date], ['t', T.timestamptz]]);
    assert.equal(data, '3,1000,42,9007199254740993,-1.5e-7,true,2024-02-29,2024-01-01T10:00:00.123456Z\n');
    assert.equal(rows.length, 1);
  });

  test('strings: a comma is quoted; escapes are decoded (quotes doubled, newlines quoted); "" is not NULL', () => {
    const { rows, data } = encodeLines(['{"a": "x, y", "b": "say \\"hi\\"\\nbye", "c": "", "d": "caf\\u00e9 \\ud83d\\ude00"}'],
      [['a', T.text], ['b', T.text], ['c', T.text], ['d', T.text]]);
    assert.equal(data, '3,1000,"x, y","say ""hi""\nbye","",café 😀\n');
    assert.deepEqual(rows[0].values, ['x, y', 'say "hi"\nbye', '', 'café 😀']);
  });

  test('null and missing keys are NULL (empty unquoted); an empty string in a typed column is NULL too', () => {
    const { rows } = encodeLines(['{"a": null, "n": ""}'], [['a', T.text], ['b', T.int], ['n', T.int]]);
    assert.deepEqual(rows[0].values, [null, null, null]);
  });

  test('arrays and objects go to jsonb as JSON text, quoted; a string into jsonb is a JSON string', () => {
    const { rows } = encodeLines(['{"tags": ["a,b", "q\\"x"], "o": {"k": [1, {}]}, "s": "plain", "n": 1.5}'],
      [['tags', T.json], ['o', T.json], ['s', T.json], ['n', T.json]]);
    assert.deepEqual(JSON.parse(rows[0].values[0]!), ['a,b', 'q"x']);
    assert.deepEqual(JSON.parse(rows[0].values[1]!), { k: [1, {}] });
    assert.equal(rows[0].values[2], '"plain"');
    assert.equal(rows[0].values[3], '1.5');
  });

  test('nested objects fill their flattened columns; keys in any order, duplicates: the last wins', () => {
    const { rows } = encodeLines(['{"u": {"age": 3, "name": "ann"}, "id": 1, "id": 2}'], [['id', T.int], ['u.name', T.text], ['u.age', T.int]]);
    assert.deepEqual(rows[0].values, ['2', 'ann', '3']);
  });

  test('keys in changing orders, keys that are prefixes of others, the empty key, escaped keys: each finds its column', () => {
    const { rows } = encodeLines([
      '{"a": 1, "ab": 2, "": 3, "q\\"k": 4}',
      '{"ab": 5, "a": 6, "q\\"k": 7, "": 8}',
      '{"": 9, "\\u0061": 10, "a\\u0062": 11}',
      '{"a": 12, "ab": 13, "": 14, "q\\"k": 15}',
    ], [['a', T.int], ['ab', T.int], ['', T.int], ['q"k', T.int]]);
    assert.deepEqual(rows.map((r) => r.values), [['1', '2', '3', '4'], ['6', '5', '8', '7'], ['10', '11', '9', null], ['12', '13', '14', '15']]);
  });

  test('an object or number in a text column is kept as its JSON text', () => {
    const { rows } = encodeLines(['{"a": {"x": [1, 2]}, "b": 12.50}'], [['a', T.text], ['b', T.text]]);
    assert.deepEqual(rows[0].values, ['{"x": [1, 2]}', '12.50']);
  });

  test('keys outside the schema are skipped and counted, across workers through the shared counter', () => {
    const counters = new SharedArrayBuffer(8);
    const { rows, stats } = encodeLines(['{"a": 1, "x": {"deep": [1]}, "y": 2}', '{"a": 2, "z": null}'], [['a', T.int]], { counters });
    assert.deepEqual(rows.map((r) => r.values), [['1'], ['2']]);
    assert.equal(stats.ignoredKeys, 3);
    assert.equal(Atomics.load(new BigInt64Array(counters), 0), 3n);
  });

  test('provenance: the offset of each record in the file; lines are counted for the chunk', () => {
    const { rows, stats } = encodeLines(['{"a": 1}', '', '  {"a": 2}'], [['a', T.int]]);
    assert.deepEqual(rows.map((r) => [r.fileId, r.offset]), [[3, 1000], [3, 1000 + 9 + 1 + 2]]);
    assert.equal(stats.lines, 3);
  });
});

describe('JSON chunk encoder: rejects', () => {
  test('a broken line is a JSON_SYNTAX reject with its line and file offset; the rest loads', () => {
    const { rows, rejects, stats } = encodeLines(['{"a": 1}', '{"a": 2,, }', '{"a": 3}', '{"a": "unterminated}'], [['a', T.int]]);
    assert.deepEqual(rows.map((r) => r.values[0]), ['1', '3']);
    assert.deepEqual(rejects.map((r) => [r.reason, r.chunkLine, r.offset, r.chunkNo]), [['JSON_SYNTAX', 2, 1009, 2], ['JSON_SYNTAX', 4, 1030, 2]]);
    assert.equal(rejects[0].raw, '{"a": 2,, }');
    assert.equal(stats.rows + stats.rejected, 4);
  });

  test('a value that does not fit its column is a CAST reject naming the column', () => {
    const { rows, rejects } = encodeLines(['{"n": "seven"}', '{"n": [1]}', '{"n": true}', '{"n": 2147483648}', '{"ok": 1}', '{"n": 7}'],
      [['n', T.int], ['ok', T.bool]]);
    assert.deepEqual(rows.map((r) => r.values), [['7', null]]);
    assert.deepEqual(rejects.map((r) => r.reason), ['CAST', 'CAST', 'CAST', 'CAST', 'CAST']);
    assert.match(rejects[0].detail, /^column n \(int\): "seven"$/);
    assert.match(rejects[1].detail, /an array/);
  });

  test('a flattened object that holds a scalar is a CAST reject; null is fine', () => {
    const { rows, rejects } = encodeLines(['{"u": 5}', '{"u": null}'], [['u.a', T.int]]);
    assert.equal(rows.length, 1);
    assert.deepEqual(rejects.map((r) => [r.reason, r.detail]), [['CAST', 'u: expected an object, found a number']]);
  });

  test('a record that is not an object is JSON_NOT_OBJECT', () => {
    const { rejects } = encodeLines(['[1, 2]', '"x"', '42'], [['a', T.int]]);
    assert.deepEqual(rejects.map((r) => r.reason), ['JSON_NOT_OBJECT', 'JSON_NOT_OBJECT', 'JSON_NOT_OBJECT']);
  });

  test('100,000 levels of nesting: a JSON_DEPTH reject, and the next line loads', () => {
    const deep = `{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const { rows, rejects } = encodeLines([deep, '{"a": [1]}'], [['a', T.json]]);
    assert.deepEqual(rejects.map((r) => r.reason), ['JSON_DEPTH']);
    assert.ok(rejects[0].raw.length <= 64 * 1024, 'the raw text is bounded');
    assert.equal(rows.length, 1);
  });

  test('\\u0000 (which PostgreSQL cannot store) is NUL_BYTE; an unpaired surrogate is ENCODING unless replaced', () => {
    const lines = ['{"s": "a\\u0000b"}', '{"s": "a\\ud800b"}', '{"j": ["\\ud800"]}', '{"j": ["\\u0000"]}'];
    const strict = encodeLines(lines, [['s', T.text], ['j', T.json]]);
    assert.deepEqual(strict.rejects.map((r) => r.reason), ['NUL_BYTE', 'ENCODING', 'ENCODING', 'NUL_BYTE']);
    const lenient = encodeLines(lines, [['s', T.text], ['j', T.json]], { invalidUtf8: 'replace' });
    assert.deepEqual(lenient.rejects.map((r) => r.reason), ['NUL_BYTE', 'ENCODING', 'NUL_BYTE']);
    assert.deepEqual(lenient.rows.map((r) => r.values[0]), ['a\uFFFDb']);
  });

  test('invalid UTF-8 bytes: ENCODING reject, or U+FFFD with invalidUtf8 replace', () => {
    const input = Buffer.concat([Buffer.from('{"s": "ok"}\n{"s": "bad '), Buffer.from([0xff, 0xfe]), Buffer.from('"}\n')]);
    const plan: JsonEncodePlan = {
      layout: 'ndjson', schemaKey: 'utf8', paths: [['s']], columnTypes: [T.text], columnNames: ['s'], fileId: 1, chunkNo: 0, baseOffset: 0,
      dataEnd: input.length, invalidUtf8: 'reject',
    };
    const run = (invalidUtf8: 'reject' | 'replace') => {
      const data = new ByteSink(new Uint8Array(256));
      const rejects = new ByteSink(new Uint8Array(256));
      encodeJsonChunk(input, 0, input.length, { ...plan, invalidUtf8 }, data, rejects);
      return { rows: readCopyCsv(Buffer.from(data.view()).toString()), rejects: readRejects(Buffer.from(rejects.view()).toString()) };
    };
    assert.deepEqual(run('reject').rejects.map((r) => [r.reason, r.offset]), [['ENCODING', 12]]);
    const replaced = run('replace');
    assert.deepEqual(replaced.rows.map((r) => [r.offset, r.values[0]]), [[0, 'ok'], [12, 'bad \uFFFD\uFFFD']]);
  });

  test('array layout: a broken element is skipped to the next comma; reject lines are lines of the chunk', () => {
    const text = '[\n  {"a": 1},\n  {"a": tru},\n  {"a": [1, "],"]},\n  {"a": 3}\n]\n';
    const bytes = Buffer.from(text);
    const encoded = encodeFile(bytes, 1, 1 << 20, { layout: 'array', paths: [['a']], dataEnd: bytes.lastIndexOf(']') });
    assert.deepEqual(encoded.rows.map((r) => r.values[0]), ['1', '[1, "],"]', '3']);
    assert.deepEqual(encoded.rejects.map((r) => [r.reason, r.chunkLine, r.offset, r.raw]), [['JSON_SYNTAX', 3, text.indexOf('{"a": tru'), '{"a": tru}']]);
  });
});

// ── property: sniff the whole file, then encode it: nothing valid is rejected, values intact ──

const scalar = fc.oneof(
  fc.integer(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null),
  fc.string(), fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.date({ min: new Date('0001-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
);
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.dictionary(fc.constantFrom('x', 'y'), scalar, { maxKeys: 2 }));
const KEYS = ['id', 'v', 'n', 'w'] as const;
/** Each key keeps one generator per run, so typed columns happen, and sometimes mixed ones. */
const recordsOf = fc.tuple(...KEYS.map(() => fc.oneof(fc.constant(scalar), fc.constant(value)))).chain((gens) =>
  fc.array(fc.record(Object.fromEntries(KEYS.map((k, i) => [k, gens[i]])) as Record<string, fc.Arbitrary<unknown>>, { requiredKeys: [] }), { minLength: 1, maxLength: 20 }));

/** JSON text with bigints written as integers. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (typeof v === 'bigint' ? `@@${v}@@` : v)).replace(/"@@(-?\d+)@@"/g, '$1');
}

function at(record: unknown, path: readonly string[]): unknown {
  let current = record;
  for (const key of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

describe('JSON chunk encoder: property', () => {
  test('records sniffed as a whole file load without a reject, every value as written', () => {
    fc.assert(fc.property(recordsOf, fc.integer({ min: 16, max: 400 }), (records, chunkSize) => {
      const text = records.map((r) => toJson(r)).join('\n') + '\n';
      const bytes = Buffer.from(text);
      const sniff = sniffJson({ ranges: [{ bytes, start: 0, end: bytes.length, base: 0 }], layout: 'ndjson', flattenDepth: 2, wholeFile: true });
      const encoded = encodeFile(bytes, 0, chunkSize, { layout: 'ndjson', paths: sniff.columns.map((c) => c.path), types: sniff.columns.map((c) => c.type) });
      assert.deepEqual(encoded.rejects, []);
      assert.equal(encoded.rows.length, records.length);
      encoded.rows.forEach((row, r) => {
        const parsed = JSON.parse(toJson(records[r])) as unknown;
        sniff.columns.forEach((column, c) => {
          const original = at(records[r], column.path);
          const loaded = row.values[c];
          if (original === undefined || original === null) {
            // A nested object flattened elsewhere leaves this path empty too.
            assert.equal(loaded, null, `${column.source}`);
          } else if (column.type === ColumnType.json) {
            assert.deepEqual(JSON.parse(loaded!), at(parsed, column.path), column.source);
          } else if (typeof original === 'string') {
            const typed = column.type !== ColumnType.text;
            assert.equal(loaded, typed && original === '' ? null : original, column.source);
          } else if (typeof original === 'object') {
            assert.deepEqual(JSON.parse(loaded!), at(parsed, column.path), column.source);
          } else {
            assert.equal(loaded, toJson(original), column.source);
          }
        });
      });
    }), { numRuns: 300 });
  });
});
