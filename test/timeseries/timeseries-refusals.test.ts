/**
 * The time-series pass is the load's extra: when it cannot write the series — a column named as
 * one the series tables add, or a statement PostgreSQL refuses — the summary says why and the
 * file still loads into staging.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createEngine } from '../../src/index.js';
import { engineFixture } from '../helpers/engine-fixture.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);

function csv(header: string, minutes: number, from = 0): string {
  const rows: string[] = [];
  for (let m = from; m < from + minutes; m++) rows.push(`${new Date(T0 + m * MINUTE).toISOString()},s1,${(Math.sin(m / 7) + 5).toFixed(3)}`);
  return `${header}\n${rows.join('\n')}\n`;
}

describe('time series: a pass that cannot write', () => {
  const fixture = engineFixture('timeseries-refusals', { workers: 1, writers: 1 });

  test('a value column named is_anomaly: no series tables, the reason in the summary, the rows in staging', async () => {
    const path = join(fixture.dir, 'clash.csv');
    await writeFile(path, csv('ts,sensor_id,is_anomaly', 120));
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 120);
    assert.equal(summary.timeseries?.error?.code, 'SLUICE_ERR_TIMESERIES_COLUMNS');
    assert.match(summary.timeseries!.error!.message, /is_anomaly/);
    const made = await fixture.client.query("SELECT to_regclass('timeseries.clash') AS t");
    assert.equal(made.rows[0].t, null);
  });

  test('more value columns than a features table can hold: the reason in the summary, the rows in staging', async () => {
    const values = Array.from({ length: 210 }, (_, i) => `v${i}`);
    const rows = Array.from({ length: 30 }, (_, m) => [new Date(T0 + m * MINUTE).toISOString(), ...values.map((_, i) => String(i + m))].join(','));
    const path = join(fixture.dir, 'wide.csv');
    await writeFile(path, `ts,${values.join(',')}\n${rows.join('\n')}\n`);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.timeseries?.error?.code, 'SLUICE_ERR_TIMESERIES_COLUMNS');
    assert.match(summary.timeseries!.error!.message, /more than a PostgreSQL table holds/);
  });

  test('a statement PostgreSQL refuses (the time column moved): rolled back to before the pass, the file loaded', async () => {
    const first = join(fixture.dir, 'moved_1.csv');
    await writeFile(first, csv('ts,sensor_id,value', 120));
    assert.equal((await fixture.engine.ingest(first, { dataset: 'moved' })).timeseries?.detected, true);
    // The second file's time is another column: timeseries.moved is partitioned by ts, which its rows lack.
    const second = join(fixture.dir, 'moved_2.csv');
    await writeFile(second, csv('measured_at,sensor_id,value', 120, 120));
    const configured = createEngine({ databaseUrl: fixture.db.url, workers: 1, writers: 1, config: { datasets: { moved: { timeseries: { time: 'measured_at' } } } } });
    const summary = await configured.ingest(second, { dataset: 'moved' }).finally(() => configured.close());
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 120);
    assert.equal(summary.timeseries?.error?.code, 'SLUICE_ERR_TIMESERIES_WRITE');
    const stored = await fixture.client.query<{ n: number }>('SELECT count(*)::int AS n FROM timeseries.moved');
    assert.equal(stored.rows[0].n, 120, 'the first file\'s series, untouched');
    const staged = await fixture.client.query<{ n: number }>('SELECT count(*)::int AS n FROM staging.moved');
    assert.equal(staged.rows[0].n, 240);
    const status = await fixture.client.query<{ status: string }>("SELECT status FROM ingest.files WHERE path = $1", [second]);
    assert.equal(status.rows[0].status, 'loaded');
  });
});
