import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine } from '../../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/database.js';

/** Records with every kind of value, some keys missing, nested objects and arrays. */
function sensorRecords(count: number): Record<string, unknown>[] {
  return Array.from({ length: count }, (_, i) => ({
    id: i,
    big: `@@${9_007_199_254_740_993n + BigInt(i)}@@`,
    ts: new Date(Date.UTC(2024, 0, 1) + i * 60_000).toISOString(),
    day: `2024-03-${String(1 + (i % 28)).padStart(2, '0')}`,
    value: i % 7 === 0 ? null : i / 4,
    ok: i % 3 === 0,
    note: i % 5 === 0 ? `note, "${i}"\nsecond line` : `n${i}`,
    sensor: { name: `s-${i % 4}`, site: { code: `c${i % 2}`, geo: { lat: 59.9, lon: 10.7 } } },
    tags: i % 2 === 0 ? ['a', `t${i}`] : [],
    ...(i % 10 === 0 ? { rare: `r${i}` } : {}),
  }));
}

/** JSON text with the `@@digits@@` placeholders written as bare integers (beyond 2^53). */
function toJson(value: unknown, pretty = false): string {
  return JSON.stringify(value, null, pretty ? 2 : undefined).replace(/"@@(-?\d+)@@"/g, '$1');
}

describe('engine: loading JSON and NDJSON', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-json-'));
    engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 512 });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  async function write(name: string, text: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  }

  test('NDJSON: values, types, nested columns and jsonb arrays, over many chunks', async () => {
    const records = sensorRecords(400);
    const path = await write('sensors.ndjson', records.map((r) => toJson(r)).join('\n') + '\n');
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.format, 'ndjson');
    assert.equal(summary.encoding, 'utf-8');
    assert.deepEqual([summary.delimiter, summary.quote, summary.header, summary.line_ending], [null, null, null, null]);
    assert.equal(summary.confidence?.schema, 1, 'the whole file was the sample');
    assert.equal(summary.rows, 400);
    assert.equal(summary.rejected, 0);
    assert.ok((summary.chunks?.total ?? 0) > 20, `expected many chunks, got ${summary.chunks?.total}`);
    assert.deepEqual(summary.columns.map((c) => [c.name, c.source, c.type]), [
      ['id', 'id', 'integer'], ['big', 'big', 'bigint'], ['ts', 'ts', 'timestamp with time zone'], ['day', 'day', 'date'],
      ['value', 'value', 'double precision'], ['ok', 'ok', 'boolean'], ['note', 'note', 'text'],
      ['sensor_name', 'sensor.name', 'text'], ['sensor_site_code', 'sensor.site.code', 'text'], ['sensor_site_geo', 'sensor.site.geo', 'jsonb'],
      ['tags', 'tags', 'jsonb'], ['rare', 'rare', 'text'],
    ]);

    const loaded = await db.query<Record<string, string | null>>(`
      SELECT id::text, big::text, to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS ts, day::text, value::text, ok::text, note,
             sensor_name, sensor_site_code, sensor_site_geo->>'lat' AS lat, tags->>1 AS tag1, jsonb_array_length(tags)::text AS tag_count, rare
        FROM staging.sensors ORDER BY _offset`);
    assert.equal(loaded.rows.length, 400);
    loaded.rows.forEach((row, i) => {
      const r = records[i];
      assert.deepEqual(row, {
        id: String(i), big: String(9_007_199_254_740_993n + BigInt(i)), ts: r.ts, day: r.day, value: r.value === null ? null : String(r.value),
        ok: String(r.ok), note: r.note, sensor_name: `s-${i % 4}`, sensor_site_code: `c${i % 2}`, lat: '59.9',
        tag1: i % 2 === 0 ? `t${i}` : null, tag_count: i % 2 === 0 ? '2' : '0', rare: i % 10 === 0 ? `r${i}` : null,
      });
    });
  });

  test('a pretty-printed JSON array loads the same rows as the NDJSON of the same records', async () => {
    const records = sensorRecords(150);
    const array = await write('sensors_array.json', `${toJson(records, true)}\n`);
    const lines = await write('sensors_lines.ndjson', records.map((r) => toJson(r)).join('\n'));
    const a = await engine.ingest(array);
    const b = await engine.ingest(lines);
    assert.equal(a.status, 'loaded', JSON.stringify(a.error));
    assert.equal(a.format, 'json');
    assert.equal(a.rows, 150);
    assert.ok((a.chunks?.total ?? 0) > 10);
    assert.equal(b.rows, 150);
    const columns = 'id, big, ts, day, value, ok, note, sensor_name, sensor_site_code, sensor_site_geo, tags, rare';
    const diff = await db.query<{ n: number }>(`
      SELECT count(*)::int AS n FROM ((SELECT ${columns} FROM staging.sensors_array EXCEPT SELECT ${columns} FROM staging.sensors_lines)
                                UNION ALL (SELECT ${columns} FROM staging.sensors_lines EXCEPT SELECT ${columns} FROM staging.sensors_array)) d`);
    assert.equal(diff.rows[0].n, 0);
    // _offset is the byte offset of each element in the file.
    const text = `${toJson(records, true)}\n`;
    const offsets = await db.query<{ o: string }>('SELECT _offset::text AS o FROM staging.sensors_array ORDER BY _offset LIMIT 2');
    assert.equal(Buffer.from(text).subarray(Number(offsets.rows[1].o)).toString().slice(0, 12), '{\n    "id": ');
  });

  test('heterogeneous keys: the union of columns, a missing key is NULL', async () => {
    const path = await write('mixed.json', '[{"a": 1}, {"b": "x"}, {"a": 3, "c": {"d": true}}]');
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual(summary.columns.map((c) => [c.name, c.type]), [['a', 'integer'], ['b', 'text'], ['c_d', 'boolean']]);
    const rows = await db.query('SELECT a, b, c_d FROM staging.mixed ORDER BY _offset');
    assert.deepEqual(rows.rows, [{ a: 1, b: null, c_d: null }, { a: null, b: 'x', c_d: null }, { a: 3, b: null, c_d: true }]);
  });

  test('a broken NDJSON line is a JSON_SYNTAX reject with its line and offset; the rest loads (rows + rejected = records)', async () => {
    const lines = Array.from({ length: 200 }, (_, i) => (i === 57 ? '{"id": 57, "name": "oops' : `{"id": ${i}, "name": "n${i}"}`));
    const path = await write('broken.ndjson', `${lines.join('\n')}\n`);
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 199);
    assert.equal(summary.rejected, 1);
    assert.equal(summary.rows + summary.rejected, 200);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line, r.byte_offset]), [['JSON_SYNTAX', 58, Buffer.byteLength(lines.slice(0, 57).join('\n')) + 1]]);
    const raw = await db.query<{ raw: string }>(
      "SELECT r.raw FROM ingest.rejects r JOIN ingest.files f ON f.id = r.file_id WHERE f.path LIKE '%broken.ndjson'");
    assert.deepEqual(raw.rows, [{ raw: '{"id": 57, "name": "oops' }]);
  });

  test('a value that does not fit the existing column is a CAST reject', async () => {
    // The first file makes `id` an integer; the second, sniffed alone, would call it text.
    await engine.ingest(await write('typed_first.ndjson', '{"id": 1}\n'), { dataset: 'typed' });
    const summary = await engine.ingest(await write('typed_second.ndjson', '{"id": 2}\n{"id": "two"}\n{"id": [3]}\n'), { dataset: 'typed' });
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 1);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line]), [['CAST', 2], ['CAST', 3]]);
    assert.deepEqual((await db.query('SELECT id FROM staging.typed ORDER BY _file, _offset')).rows, [{ id: 1 }, { id: 2 }]);
  });

  test('100,000 levels of nesting: a single document is refused with a clear error, a line among others is a reject', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const single = await write('deep.json', `[${deep}]`);
    const refused = await engine.ingest(single);
    assert.equal(refused.status, 'failed');
    assert.equal(refused.error?.code, 'SLUICE_ERR_FORMAT_JSON_DEPTH');
    const deepObject = await write('deep_object.json', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`);
    assert.equal((await engine.ingest(deepObject)).error?.code, 'SLUICE_ERR_FORMAT_JSON_DEPTH');

    const mixed = await write('deep_line.ndjson', `{"a": 1}\n{"a": ${deep}}\n{"a": 2}\n`);
    const summary = await engine.ingest(mixed);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 2);
    assert.deepEqual(summary.reject_samples.map((r) => [r.reason, r.line]), [['JSON_DEPTH', 2]]);
  });

  test('an element longer than maxRowBytes is refused (SLUICE_ERR_FORMAT_ROW_TOO_LONG) with bounded memory', async () => {
    const small = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 64 * 1024, maxRowBytes: 1 << 20 });
    try {
      const before = Array.from({ length: 50 }, (_, i) => toJson({ id: i, s: 'x' }));
      const path = await write('oversize.json', `[${before.join(',')},{"id": 50, "s": "${'y'.repeat(3 << 20)}"},{"id": 51}]`);
      const summary = await small.ingest(path);
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'SLUICE_ERR_FORMAT_ROW_TOO_LONG');
      // The engine goes on: the next file loads.
      const ok = await small.ingest(await write('after_oversize.json', '[{"id": 1}]'));
      assert.equal(ok.status, 'loaded', JSON.stringify(ok.error));
    } finally {
      await small.close();
    }
  });

  test('one pretty-printed object is one row; an empty array loads nothing', async () => {
    const one = await write('config.json', '{\n  "name": "x",\n  "limits": {\n    "max": 5\n  },\n  "list": [1, 2]\n}\n');
    const summary = await engine.ingest(one);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.format, 'json');
    assert.equal(summary.rows, 1);
    const row = await db.query('SELECT name, limits_max, list FROM staging.config');
    assert.deepEqual(row.rows, [{ name: 'x', limits_max: 5, list: [1, 2] }]);

    const empty = await engine.ingest(await write('empty.json', '[]\n'));
    assert.equal(empty.status, 'loaded', JSON.stringify(empty.error));
    assert.equal(empty.rows, 0);
  });

  test('a .json file that is not JSON is refused with a clear error', async () => {
    const summary = await engine.ingest(await write('not_json.json', 'a,b\n1,2\n'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_FORMAT_JSON_INVALID');
  });
});
