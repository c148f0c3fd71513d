import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ColumnBatch } from '../../../src/batch/column-batch.js';
import { ByteSink } from '../../../src/formats/byte-sink.js';
import { type JsonParsePlan, parseJsonChunk } from '../../../src/formats/json/parse-chunk.js';
import { sniffJson } from '../../../src/formats/json/sniffer.js';
import { ColumnType, type ColumnTypeCode } from '../../../src/schema/column-type.js';
import { isNullToken, ValueFormat } from '../../../src/schema/value-format.js';
import { batchRows, parseFile, readRejects } from './support.js';
import { stringColumnFormat } from '../../../src/formats/json/string-formats.js';

const T = ColumnType;

/** Parses one chunk (input, at file offset 1000) with the given columns; returns the batch, its rows, rejects and stats. */
function parseInput(input: Buffer, columns: [string, ColumnTypeCode][], extra: Partial<JsonParsePlan> = {}, batch = new ColumnBatch()) {
  const plan: JsonParsePlan = {
    layout: 'ndjson', schemaKey: `unit-${columns.map(([p, t]) => `${p}:${t}`).join(',')}`, paths: columns.map(([p]) => p.split('.')),
    columnTypes: columns.map(([, t]) => t), columnNames: columns.map(([p]) => p.replace(/\./g, '_')),
    fileId: 3, chunkNo: 2, baseOffset: 1000, dataEnd: 1000 + input.length, invalidUtf8: 'reject', ...extra,
  };
  const rejects = new ByteSink(new Uint8Array(1 << 16));
  const stats = parseJsonChunk(input, 0, input.length, plan, batch, rejects);
  return { batch, rows: batchRows(batch), rejects: readRejects(Buffer.from(rejects.view()).toString('utf8')), stats };
}

/** NDJSON lines as one chunk. */
function parseLines(lines: string[], columns: [string, ColumnTypeCode][], extra: Partial<JsonParsePlan> = {}) {
  return parseInput(Buffer.from(lines.map((l) => `${l}\n`).join('')), columns, extra);
}

describe('JSON chunk parser: values', () => {
  test('scalars are their own text: ints, a bigint with every digit, floats, booleans, dates', () => {
    const line = '{"i": 42, "b": 9007199254740993, "f": -1.5e-7, "ok": true, "d": "2024-02-29", "t": "2024-01-01T10:00:00.123456Z"}';
    const { rows } = parseLines([line], [['i', T.int], ['b', T.bigint], ['f', T.float], ['ok', T.bool], ['d', T.date], ['t', T.timestamptz]]);
    assert.deepEqual(rows, [{ offset: 1000, line: 1, raw: line, values: ['42', '9007199254740993', '-1.5e-7', 'true', '2024-02-29', '2024-01-01T10:00:00.123456Z'] }]);
  });

  test('formatted string columns are normalised as in CSV; a null token is NULL; a value the format does not read is a CAST reject', () => {
    const decimal = stringColumnFormat(['3,14', '1.234,5'])!.format;
    const dayFirst = stringColumnFormat(['31.12.2023', '01.02.2024', 'N/A'])!.format;
    const lines = ['{"v": "1.234,5", "d": "31.12.2023"}', '{"v": "0,25", "d": "N/A"}', '{"v": "lots", "d": "01.02.2024"}', '{"v": "2,5\u0020", "d": "01.02.2024"}'];
    const { rows, rejects } = parseLines(lines, [['v', T.float], ['d', T.date]], { columnFormats: [decimal, dayFirst] });
    assert.deepEqual(rows.map((r) => r.values), [['1234.5', '2023-12-31'], ['0.25', null], ['2.5', '2024-02-01']]);
    assert.deepEqual(rejects.map((r) => r.reason), ['CAST']);
    assert.match(rejects[0].detail, /column v \(float\): "lots"/);
  });

  test('strings: escapes are decoded; a comma or newline is kept; "" is not NULL', () => {
    const { rows } = parseLines(['{"a": "x, y", "b": "say \\"hi\\"\\nbye", "c": "", "d": "caf\\u00e9 \\ud83d\\ude00"}'],
      [['a', T.text], ['b', T.text], ['c', T.text], ['d', T.text]]);
    assert.deepEqual(rows.map((r) => r.values), [['x, y', 'say "hi"\nbye', '', 'café 😀']]);
  });

  test('null and missing keys are NULL; an empty string in a typed column is NULL too', () => {
    const { rows } = parseLines(['{"a": null, "n": "", "e": "\\u0020"}'], [['a', T.text], ['b', T.int], ['n', T.int], ['e', T.text]]);
    assert.deepEqual(rows[0].values, [null, null, null, ' ']);
  });

  test('typed strings are canonical: spaces PostgreSQL skips are trimmed, boolean words are true / false', () => {
    const { rows } = parseLines([
      '{"b": " yes ", "i": " 42 ", "t": "  x ", "d": "2024-01-02 "}',
      '{"b": "N", "i": "-7", "t": "", "d": "2024-03-04"}',
      '{"b": "On", "i": "\\u0035", "t": "y", "d": "\\u0032024-05-06"}',
      '{"b": "off", "i": 0, "t": "t", "d": null}',
      '{"b": false, "i": 1, "t": "f"}',
    ], [['b', T.bool], ['i', T.int], ['t', T.text], ['d', T.date]]);
    assert.deepEqual(rows.map((r) => r.values), [
      ['true', '42', '  x ', '2024-01-02'],
      ['false', '-7', '', '2024-03-04'],
      ['true', '5', 'y', '2024-05-06'],
      ['false', '0', 't', null],
      ['false', '1', 'f', null],
    ]);
  });

  test('arrays and objects go to jsonb as compact JSON (strings as written); a string into jsonb is a JSON string', () => {
    const { rows } = parseLines(['{"tags": ["a,b", "q\\"x"], "o": { "k" : [ 1, {}, "two  words" ] }, "s": "plain", "n": 1.5, "c": {"x":[1,2]}}'],
      [['tags', T.json], ['o', T.json], ['s', T.json], ['n', T.json], ['c', T.json]]);
    assert.deepEqual(rows[0].values, ['["a,b","q\\"x"]', '{"k":[1,{},"two  words"]}', '"plain"', '1.5', '{"x":[1,2]}']);
  });

  test('nested objects fill their flattened columns; keys in any order, duplicates: the last wins', () => {
    const { rows } = parseLines(['{"u": {"age": 3, "name": "ann"}, "id": 1, "id": 2}'], [['id', T.int], ['u.name', T.text], ['u.age', T.int]]);
    assert.deepEqual(rows[0].values, ['2', 'ann', '3']);
  });

  test('keys in changing orders, keys that are prefixes of others, the empty key, escaped keys: each finds its column', () => {
    const { rows } = parseLines([
      '{"a": 1, "ab": 2, "": 3, "q\\"k": 4}',
      '{"ab": 5, "a": 6, "q\\"k": 7, "": 8}',
      '{"": 9, "\\u0061": 10, "a\\u0062": 11}',
      '{"a": 12, "ab": 13, "": 14, "q\\"k": 15}',
    ], [['a', T.int], ['ab', T.int], ['', T.int], ['q"k', T.int]]);
    assert.deepEqual(rows.map((r) => r.values), [['1', '2', '3', '4'], ['6', '5', '8', '7'], ['10', '11', '9', null], ['12', '13', '14', '15']]);
  });

  test('an object or number in a text column is kept as its JSON text, as written', () => {
    const { rows } = parseLines(['{"a": {"x": [1, 2]}, "b": 12.50}'], [['a', T.text], ['b', T.text]]);
    assert.deepEqual(rows[0].values, ['{"x": [1, 2]}', '12.50']);
  });

  test('keys outside the schema are skipped and counted, across workers through the shared counter', () => {
    const counters = new SharedArrayBuffer(8);
    const { rows, stats } = parseLines(['{"a": 1, "x": {"deep": [1]}, "y": 2}', '{"a": 2, "z": null}', '{"a": "no", "w": 1}'], [['a', T.int]], { counters });
    assert.deepEqual(rows.map((r) => r.values), [['1'], ['2']]);
    assert.equal(stats.ignoredKeys, 3, 'a rejected record\'s keys are not counted');
    assert.equal(Atomics.load(new BigInt64Array(counters), 0), 3n);
  });

  test('with lateKeys, keys outside the schema are reported with columns typed from the chunk, and nothing is counted as ignored', () => {
    const counters = new SharedArrayBuffer(8);
    const { stats } = parseLines([
      '{"a": 1, "user": {"name": "x"}}',
      '{"a": 2, "user": {"name": "y", "phone": "555"}, "n": 1}',
      '{"a": 3, "n": 2.5, "geo": {"lat": 1, "lon": 2}, "w\\u00e9": true}',
      '{"a": "no", "only_in_a_reject": 1}',
      '{"a": 4, "n": null, "geo": {"lat": 3.5, "lon": 4}}',
    ], [['a', T.int], ['user.name', T.text]], { counters, lateKeys: { flattenDepth: 3 } });
    assert.equal(stats.rows, 4);
    assert.deepEqual(stats.lateColumns?.map((c) => [c.path.join('.'), c.type]), [
      ['user.phone', T.text], ['n', T.float], ['geo.lat', T.float], ['geo.lon', T.int], ['wé', T.bool],
    ], 'a rejected record brings no column');
    assert.equal(Atomics.load(new BigInt64Array(counters), 0), 0n);
  });

  test('with lateKeys, a late key of strings in a CSV value format is typed with that format, as the sniff types one', () => {
    const { stats } = parseLines(['{"a": 1, "d": "31/12/2023"}', '{"a": 2, "d": "01/02/2024"}', '{"a": 3, "d": "N/A"}'], [['a', T.int]], { lateKeys: { flattenDepth: 3 } });
    const [column] = stats.lateColumns!;
    const expected = stringColumnFormat(['31/12/2023', '01/02/2024', 'N/A']);
    assert.equal(column.type, T.date);
    assert.deepEqual([column.type, column.format], [expected!.type, expected!.format]);
  });

  test('with lateKeys, a chunk whose records hold only known keys reports nothing', () => {
    const { stats } = parseLines(['{"a": 1}', '{"a": 2, "b": null}'], [['a', T.int], ['b', T.text]], { lateKeys: { flattenDepth: 3 } });
    assert.equal(stats.lateColumns, undefined);
    assert.equal(stats.rows, 2);
  });

  test('provenance: the offset and chunk line of each record; lines are counted for the chunk', () => {
    const { rows, stats } = parseLines(['{"a": 1}', '', '  {"a": 2}'], [['a', T.int]]);
    assert.deepEqual(rows.map((r) => [r.offset, r.line, r.raw]), [[1000, 1, '{"a": 1}'], [1000 + 9 + 1 + 2, 3, '{"a": 2}']]);
    assert.equal(stats.lines, 3);
  });
});

describe('JSON chunk parser: the batch', () => {
  test('plain values are spans of the chunk copied to the front of the batch; decoded, normalised and compacted values come after it', () => {
    const lines = ['{"s": "plain", "e": "a\\tb", "b": "yes", "n": 12, "j": [1, 2], "k": [3,4]}', '{"s": "bad", "n": "x", "e": "gone\\n"}', '{"s": "", "n": null}'];
    const input = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    const { batch, rows, stats } = parseInput(input, [['s', T.text], ['e', T.text], ['b', T.bool], ['n', T.int], ['j', T.json], ['k', T.json]]);
    assert.deepEqual(batch.columns.map((c) => [c.name, c.type, c.dropped]), [['s', T.text, false], ['e', T.text, false], ['b', T.bool, false], ['n', T.int, false], ['j', T.json, false], ['k', T.json, false]]);
    assert.equal(batch.inputEnd, input.length);
    assert.deepEqual(Buffer.from(batch.bytes.subarray(0, batch.inputEnd)), input);
    assert.equal(batch.rowCount, 2);
    assert.equal(stats.rows, 2);
    assert.equal(stats.rejected, 1);
    assert.equal(batch.rejectedCount, 0, 'parse rejects are not in the batch');
    assert.deepEqual([...batch.rowStart.subarray(0, 2)], [0, input.indexOf(lines[2])]);
    assert.deepEqual([...batch.rowEnd.subarray(0, 2)], [lines[0].length, input.indexOf(lines[2]) + lines[2].length]);
    const [s, e, b, n, j, k] = batch.columns;
    const span = (column: typeof s, row: number) => [column.starts[row], column.ends[row]];
    // Row 0: spans inside the input where the JSON holds the value as it is.
    assert.deepEqual(span(s, 0), [input.indexOf('plain'), input.indexOf('plain') + 5]);
    assert.deepEqual(span(n, 0), [input.indexOf('12'), input.indexOf('12') + 2]);
    assert.deepEqual(span(k, 0), [input.indexOf('[3,4]'), input.indexOf('[3,4]') + 5]);
    // Appended in column order, behind the input; the rejected record's "gone\n" was given back.
    assert.deepEqual([span(e, 0), span(b, 0), span(j, 0)], [[input.length, input.length + 3], [input.length + 3, input.length + 7], [input.length + 7, input.length + 12]]);
    assert.equal(batch.byteLength, input.length + 12);
    assert.deepEqual(rows.map((r) => r.values), [['plain', 'a\tb', 'true', '12', '[1,2]', '[3,4]'], ['', null, null, null, null, null]]);
    assert.deepEqual([s.nulls[1], e.nulls[1], n.nulls[1]], [0, 1, 1]);
    assert.deepEqual(span(s, 1), [input.indexOf('""') + 1, input.indexOf('""') + 1]);
    assert.ok(n.numbers.every((v) => v === 0), 'numbers are left to the typed-value fill');
  });

  test('a batch reused for a smaller chunk holds only that chunk', () => {
    const batch = new ColumnBatch();
    parseInput(Buffer.from('{"a": "one"}\n{"a": "two"}\n{"a": "x\\u0079"}\n'), [['a', T.text]], {}, batch);
    const { rows } = parseInput(Buffer.from('{"b": 5}\n'), [['b', T.int], ['c', T.text]], {}, batch);
    assert.deepEqual(rows, [{ offset: 1000, line: 1, raw: '{"b": 5}', values: ['5', null] }]);
    assert.deepEqual(batch.columns.map((c) => c.name), ['b', 'c']);
    assert.equal(batch.byteLength, batch.inputEnd);
  });
});

describe('JSON chunk parser: rejects', () => {
  test('a broken line is a JSON_SYNTAX reject with its line and file offset; the rest loads', () => {
    const { rows, rejects, stats } = parseLines(['{"a": 1}', '{"a": 2,, }', '{"a": 3}', '{"a": "unterminated}'], [['a', T.int]]);
    assert.deepEqual(rows.map((r) => r.values[0]), ['1', '3']);
    assert.deepEqual(rejects.map((r) => [r.reason, r.chunkLine, r.offset, r.chunkNo]), [['JSON_SYNTAX', 2, 1009, 2], ['JSON_SYNTAX', 4, 1030, 2]]);
    assert.equal(rejects[0].raw, '{"a": 2,, }');
    assert.equal(stats.rows + stats.rejected, 4);
  });

  test('a value that does not fit its column is a CAST reject naming the column', () => {
    const { rows, rejects } = parseLines(['{"n": "seven"}', '{"n": [1]}', '{"n": true}', '{"n": 2147483648}', '{"ok": 1}', '{"n": 7}'],
      [['n', T.int], ['ok', T.bool]]);
    assert.deepEqual(rows.map((r) => r.values), [['7', null]]);
    assert.deepEqual(rejects.map((r) => r.reason), ['CAST', 'CAST', 'CAST', 'CAST', 'CAST']);
    assert.match(rejects[0].detail, /^column n \(int\): "seven"$/);
    assert.match(rejects[1].detail, /an array/);
  });

  test('a flattened object that holds a scalar is a CAST reject; null is fine', () => {
    const { rows, rejects } = parseLines(['{"u": 5}', '{"u": null}'], [['u.a', T.int]]);
    assert.equal(rows.length, 1);
    assert.deepEqual(rejects.map((r) => [r.reason, r.detail]), [['CAST', 'u: expected an object, found a number']]);
  });

  test('a record that is not an object is JSON_NOT_OBJECT', () => {
    const { rejects } = parseLines(['[1, 2]', '"x"', '42'], [['a', T.int]]);
    assert.deepEqual(rejects.map((r) => r.reason), ['JSON_NOT_OBJECT', 'JSON_NOT_OBJECT', 'JSON_NOT_OBJECT']);
  });

  test('100,000 levels of nesting: a JSON_DEPTH reject, and the next line loads', () => {
    const deep = `{"a": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const { rows, rejects } = parseLines([deep, '{"a": [1]}'], [['a', T.json]]);
    assert.deepEqual(rejects.map((r) => r.reason), ['JSON_DEPTH']);
    assert.ok(rejects[0].raw.length <= 64 * 1024, 'the raw text is bounded');
    assert.equal(rows.length, 1);
  });

  test('\\u0000 (which PostgreSQL cannot store) is NUL_BYTE; an unpaired surrogate is ENCODING unless replaced', () => {
    const lines = ['{"s": "a\\u0000b"}', '{"s": "a\\ud800b"}', '{"j": ["\\ud800"]}', '{"j": ["\\u0000"]}'];
    const strict = parseLines(lines, [['s', T.text], ['j', T.json]]);
    assert.deepEqual(strict.rejects.map((r) => r.reason), ['NUL_BYTE', 'ENCODING', 'ENCODING', 'NUL_BYTE']);
    const lenient = parseLines(lines, [['s', T.text], ['j', T.json]], { invalidUtf8: 'replace' });
    assert.deepEqual(lenient.rejects.map((r) => r.reason), ['NUL_BYTE', 'ENCODING', 'NUL_BYTE']);
    assert.deepEqual(lenient.rows.map((r) => r.values[0]), ['a\uFFFDb']);
  });

  test('invalid UTF-8 bytes: ENCODING reject, or U+FFFD with invalidUtf8 replace', () => {
    const input = Buffer.concat([Buffer.from('{"s": "ok"}\n{"s": "bad '), Buffer.from([0xff, 0xfe]), Buffer.from('", "n": 5}\n')]);
    const run = (invalidUtf8: 'reject' | 'replace') => parseInput(input, [['s', T.text], ['n', T.int]], { invalidUtf8, baseOffset: 0 });
    assert.deepEqual(run('reject').rejects.map((r) => [r.reason, r.offset, r.chunkLine]), [['ENCODING', 12, 2]]);
    const replaced = run('replace');
    assert.deepEqual(replaced.rows.map((r) => [r.offset, r.line, r.values]), [[0, 1, ['ok', null]], [12, 2, ['bad \uFFFD\uFFFD', '5']]]);
    // Values of a re-decoded record are appended (its bytes in the batch are the invalid ones).
    assert.ok(replaced.batch.columns[1].starts[1] >= replaced.batch.inputEnd);
  });

  test('array layout: a broken element is skipped to the next comma; reject lines are lines of the chunk', () => {
    const text = '[\n  {"a": 1},\n  {"a": tru},\n  {"a": [1, "],"]},\n  {"a": 3}\n]\n';
    const bytes = Buffer.from(text);
    const parsed = parseFile(bytes, 1, 1 << 20, { layout: 'array', paths: [['a']], dataEnd: bytes.lastIndexOf(']') });
    assert.deepEqual(parsed.rows.map((r) => r.values[0]), ['1', '[1, "],"]', '3']);
    assert.deepEqual(parsed.rejects.map((r) => [r.reason, r.chunkLine, r.offset, r.raw]), [['JSON_SYNTAX', 3, text.indexOf('{"a": tru'), '{"a": tru}']]);
  });
});

// ── property: sniff the whole file, then parse it: nothing valid is rejected, values intact ──

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

/** A string's text in a column of this type: NULL when empty and typed, trimmed, booleans as true / false. */
function canonical(type: ColumnTypeCode, text: string): string | null {
  if (type === ColumnType.text) return text;
  if (text === '') return null;
  const trimmed = text.replace(/^ +| +$/g, '');
  if (type !== ColumnType.bool) return trimmed;
  return /^(t|y|on)/i.test(trimmed) ? 'true' : 'false';
}

describe('JSON chunk parser: property', () => {
  test('records sniffed as a whole file load without a reject, every value as written', () => {
    fc.assert(fc.property(recordsOf, fc.integer({ min: 16, max: 400 }), (records, chunkSize) => {
      const text = records.map((r) => toJson(r)).join('\n') + '\n';
      const bytes = Buffer.from(text);
      const sniff = sniffJson({ ranges: [{ bytes, start: 0, end: bytes.length, base: 0 }], layout: 'ndjson', flattenDepth: 2, wholeFile: true });
      // The sniffer's null tokens, as a load passes them (a typed column whose strings include `NA`).
      const columnFormats = sniff.columns.map((c) => (c.format?.format === ValueFormat.plain && c.format.nullTokens ? c.format : null));
      const parsed = parseFile(bytes, 0, chunkSize, { layout: 'ndjson', paths: sniff.columns.map((c) => c.path), types: sniff.columns.map((c) => c.type), columnFormats });
      assert.deepEqual(parsed.rejects, []);
      assert.equal(parsed.rows.length, records.length);
      parsed.rows.forEach((row, r) => {
        const parsed = JSON.parse(toJson(records[r])) as unknown;
        sniff.columns.forEach((column, c) => {
          const original = at(records[r], column.path);
          const loaded = row.values[c];
          const token = typeof original === 'string' && columnFormats[c] !== null && isNullToken(Buffer.from(original), 0, Buffer.byteLength(original));
          if (original === undefined || original === null || token) {
            // A nested object flattened elsewhere leaves this path empty too.
            assert.equal(loaded, null, `${column.source}`);
          } else if (column.type === ColumnType.json) {
            assert.deepEqual(JSON.parse(loaded!), at(parsed, column.path), column.source);
          } else if (typeof original === 'string') {
            assert.equal(loaded, canonical(column.type, original), column.source);
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
