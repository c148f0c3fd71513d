/**
 * The catalog after real loads through the engine: each load registers (or updates) its dataset
 * with the table's row count over every load, the columns, the quality score, the time range of
 * the first timestamp/date column over the whole table, the configuration's tags, description and
 * owner, and the edge file → staging table with the run id of the engine's file.started event.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type Engine } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

interface CatalogRow {
  name: string;
  kind: string;
  tables: string[];
  format: string | null;
  columns: Array<{ name: string; source: string; type: string }>;
  row_count: string;
  quality_score: number | null;
  time_column: string | null;
  time_min: Date | null;
  time_max: Date | null;
  tags: string[];
  description: string | null;
  owner: string | null;
  run_id: string | null;
  deleted_at: Date | null;
}

describe('catalog: every load registers its dataset and lineage', () => {
  let db: TestDatabase;
  let engine: Engine;
  let dir: string;
  const started: Array<{ runId: string; path: string }> = [];

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-catalog-'));
    engine = createEngine({
      databaseUrl: db.url, workers: 1, writers: 1,
      config: { datasets: {
        readings: { catalog: { tags: ['sensors', 'iot'], description: 'hourly readings', owner: 'ops' } },
        unprofiled: { profile: { enabled: false } },
      } },
    });
    engine.events.subscribe((event) => {
      if (event.type === 'file.started') started.push({ runId: event.data.runId, path: event.data.path });
    });
  });

  after(async () => {
    await engine.close();
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const entry = async (name: string): Promise<CatalogRow> => (await db.query<CatalogRow>('SELECT * FROM metadata_datasets WHERE name = $1', [name])).rows[0];
  const write = async (name: string, text: string): Promise<string> => {
    const path = join(dir, name);
    await writeFile(path, text);
    return path;
  };

  test('a load registers the dataset: tables, format, columns as headed, rows, quality score, time range', async () => {
    const path = await write('first.csv', 'Sensor ID,Taken At,Value\n1,2026-03-01T10:00:00Z,1.5\n2,2026-03-02T10:00:00Z,2.5\n3,2026-02-27T08:30:00Z,\n');
    const summary = await engine.ingest(path, { dataset: 'readings' });
    assert.equal(summary.status, 'loaded');
    const row = await entry('staging.readings');
    assert.equal(row.kind, 'staging');
    assert.deepEqual(row.tables, ['staging.readings']);
    assert.equal(row.format, 'csv');
    assert.deepEqual(row.columns.map((c) => [c.name, c.source, c.type]), [
      ['sensor_id', 'Sensor ID', 'integer'], ['taken_at', 'Taken At', 'timestamp with time zone'], ['value', 'Value', 'double precision']]);
    assert.equal(Number(row.row_count), 3);
    assert.equal(row.quality_score, summary.quality?.score);
    assert.ok(typeof row.quality_score === 'number' && row.quality_score > 0 && row.quality_score <= 1);
    assert.equal(row.time_column, 'taken_at');
    assert.equal(row.time_min?.toISOString(), '2026-02-27T08:30:00.000Z');
    assert.equal(row.time_max?.toISOString(), '2026-03-02T10:00:00.000Z');
  });

  test("the configuration's catalog keys give tags, description and owner", async () => {
    const row = await entry('staging.readings');
    assert.deepEqual(row.tags, ['iot', 'sensors']);
    assert.equal(row.description, 'hourly readings');
    assert.equal(row.owner, 'ops');
  });

  test("the lineage edge file → staging table carries the load's run id, the one file.started gave", async () => {
    const summary = await engine.ingest(await write('second.csv', 'Sensor ID,Taken At,Value\n4,2026-04-01T00:00:00Z,7\n'), { dataset: 'readings' });
    const runId = started.at(-1)!.runId;
    const edges = await db.query<{ source: string; target: string; relation: string; run_id: string; file_id: string }>(
      'SELECT source, target, relation, run_id, file_id FROM metadata_lineage WHERE source = $1', [`file:${summary.sha256}`]);
    assert.equal(edges.rows.length, 1);
    assert.equal(edges.rows[0].target, 'staging.readings');
    assert.equal(edges.rows[0].relation, 'loaded_into');
    assert.equal(edges.rows[0].run_id, runId);
    const ledger = await db.query<{ id: string }>('SELECT id FROM ingest.files WHERE sha256 = $1', [summary.sha256]);
    assert.equal(edges.rows[0].file_id, ledger.rows[0].id);
    assert.equal((await entry('staging.readings')).run_id, runId);
    assert.equal((await entry(`file:${summary.sha256}`)).run_id, runId);
  });

  test("a second load counts the table's rows, not only its own, and widens the time range", async () => {
    const row = await entry('staging.readings');
    const table = await db.query<{ n: number; min: Date; max: Date }>('SELECT count(*)::int AS n, min(taken_at) AS min, max(taken_at) AS max FROM staging.readings');
    assert.equal(Number(row.row_count), 4);
    assert.equal(Number(row.row_count), table.rows[0].n);
    assert.equal(row.time_min?.toISOString(), table.rows[0].min.toISOString());
    assert.equal(row.time_max?.toISOString(), '2026-04-01T00:00:00.000Z');
  });

  test('a skipped file (already loaded) changes nothing in the catalog', async () => {
    const before = await entry('staging.readings');
    const summary = await engine.ingest(join(dir, 'second.csv'), { dataset: 'readings' });
    assert.equal(summary.status, 'skipped');
    const after = await entry('staging.readings');
    assert.equal(after.run_id, before.run_id);
    assert.equal(after.row_count, before.row_count);
  });

  test('without a profile the time range comes from the rows; a date column counts as time', async () => {
    const summary = await engine.ingest(await write('unprofiled.csv', 'day,n\n2026-05-03,1\n2026-05-01,2\n2026-05-09,3\n'), { dataset: 'unprofiled' });
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.quality, null);
    const row = await entry('staging.unprofiled');
    assert.equal(row.time_column, 'day');
    assert.equal(row.time_min?.toISOString(), '2026-05-01T00:00:00.000Z');
    assert.equal(row.time_max?.toISOString(), '2026-05-09T00:00:00.000Z');
    assert.equal(row.quality_score, null);
    assert.equal(Number(row.row_count), 3);
  });

  test('a dataset without a time column has no time range', async () => {
    await engine.ingest(await write('plain.csv', 'a,b\nx,1\ny,2\n'));
    const row = await entry('staging.plain');
    assert.equal(row.time_column, null);
    assert.equal(row.time_min, null);
    assert.equal(row.time_max, null);
  });

  test('a soft-deleted dataset is registered again (un-deleted) by a new load; tags set by users stay', async () => {
    await db.query("UPDATE metadata_datasets SET deleted_at = now(), tags = tags || '{curated}' WHERE name = 'staging.readings'");
    await engine.ingest(await write('third.csv', 'Sensor ID,Taken At,Value\n5,2026-01-15T00:00:00Z,9\n'), { dataset: 'readings' });
    const row = await entry('staging.readings');
    assert.equal(row.deleted_at, null);
    assert.deepEqual(row.tags, ['curated', 'iot', 'sensors']);
    assert.equal(Number(row.row_count), 5);
    assert.equal(row.time_min?.toISOString(), '2026-01-15T00:00:00.000Z');
  });

  test('a failed load registers nothing', async () => {
    const path = join(dir, 'missing.csv');
    const summary = await engine.ingest(path);
    assert.equal(summary.status, 'failed');
    assert.equal((await db.query("SELECT 1 FROM metadata_datasets WHERE dataset = 'missing'")).rows.length, 0);
  });
});
