/**
 * Where the series rows are copied: straight into the partition their times fall in, when it is
 * one partition of each table, else through the parents (test/timeseries/timeseries-load.test.ts
 * loads through the whole pass).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { ColumnType } from '../../src/schema/column-type.js';
import type { SeriesColumns } from '../../src/timeseries/series-columns.js';
import { copyTargets, ensurePartitions, ensureSeriesTables } from '../../src/timeseries/series-tables.js';
import { connectedClient, createTestDatabase, type TestDatabase } from '../helpers/database.js';

const SENSORS: SeriesColumns = { time: 'ts', timeType: ColumnType.timestamptz, keys: [{ name: 'sensor_id', type: ColumnType.text }], values: ['value'] };
const FEATURES = [{ name: 'value_mean_10', type: 'double precision' as const }];
const JAN = Date.UTC(2024, 0, 1);
const FEB = Date.UTC(2024, 1, 1);
const DAY_MS = 86_400_000;

describe('series tables: COPY targets', () => {
  let database: TestDatabase;
  let client: pg.Client;
  before(async () => {
    database = await createTestDatabase();
    client = await connectedClient(database);
    await client.query('CREATE SCHEMA timeseries; CREATE SCHEMA features');
  });
  after(async () => {
    await client.end();
    await database.drop();
  });

  test('rows within one month go straight into its partitions; rows across two months, or before the partition exists, through the parents', async () => {
    const tables = await ensureSeriesTables(client, 'direct', SENSORS, FEATURES, 'month');
    const made = new Map<number, boolean>();
    assert.deepEqual(copyTargets(tables, 'direct', JAN, JAN + DAY_MS, made), { timeseries: tables.timeseries, features: tables.features });
    await ensurePartitions(client, tables, 'direct', JAN, FEB + DAY_MS, made);
    assert.deepEqual(copyTargets(tables, 'direct', JAN, JAN + DAY_MS, made), { timeseries: 'timeseries."direct_p20240101"', features: 'features."direct_p20240101"' });
    assert.deepEqual(copyTargets(tables, 'direct', FEB, FEB + DAY_MS, made), { timeseries: 'timeseries."direct_p20240201"', features: 'features."direct_p20240201"' });
    assert.deepEqual(copyTargets(tables, 'direct', FEB - 1, FEB, made), { timeseries: tables.timeseries, features: tables.features });
  });

  test('a table with a partition\'s name that is not a partition of the series table gets no rows: they go through the parent', async () => {
    const tables = await ensureSeriesTables(client, 'stray', SENSORS, FEATURES, 'month');
    await client.query('CREATE TABLE timeseries.stray_p20240101 (LIKE timeseries.stray)');
    const made = new Map<number, boolean>();
    await ensurePartitions(client, tables, 'stray', JAN, JAN + DAY_MS, made);
    assert.equal(made.get(JAN), false);
    assert.deepEqual(copyTargets(tables, 'stray', JAN, JAN + DAY_MS, made), { timeseries: tables.timeseries, features: tables.features });
  });
});
