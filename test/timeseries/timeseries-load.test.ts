/**
 * The time-series pass end to end: files through the engine into staging, then timeseries.* and
 * features.* on real PostgreSQL (no TimescaleDB here: the range-partition path).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { engineFixture } from '../helpers/engine-fixture.js';
import { mulberry32 } from '../helpers/random.js';
import { until } from '../helpers/until.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Two sensors at one-minute steps: `a` misses minutes 100–109 and 300–419, `b` has a spike at minute 200; rows shuffled. */
function sensorCsv(minutes: number, from = 0, options: { spikeAt?: number; shuffle?: boolean } = {}): string {
  const random = mulberry32(7 + from);
  const rows: string[] = [];
  for (let m = from; m < from + minutes; m++) {
    const t = iso(T0 + m * MINUTE);
    if (!((m >= 100 && m < 110) || (m >= 300 && m < 420))) rows.push(`${t},a,${(20 + Math.sin(m / 30) + random() * 0.2).toFixed(4)}`);
    const spike = options.spikeAt === m ? 40 : 0;
    rows.push(`${t},b,${(10 + Math.cos(m / 40) + random() * 0.2 + spike).toFixed(4)}`);
  }
  if (options.shuffle !== false) {
    for (let i = rows.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [rows[i], rows[j]] = [rows[j], rows[i]];
    }
  }
  return `ts,sensor_id,temperature\n${rows.join('\n')}\n`;
}

describe('time series: detected, gap-filled, featured and flagged', () => {
  const fixture = engineFixture('timeseries', {
    workers: 2, writers: 1,
    config: { datasets: { sensors: { match: '**/sensors_*.csv', timeseries: { impute: 'linear', max_gap: '30m' } } } },
  });

  test('interleaved, unsorted sensors: one series per sensor, the short gap filled, the long one open, the spike flagged', async () => {
    const path = join(fixture.dir, 'sensors_1.csv');
    await writeFile(path, sensorCsv(600, 0, { spikeAt: 200 }));
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    const ts = summary.timeseries!;
    assert.equal(ts.detected, true, ts.reason ?? '');
    assert.equal(ts.time_column, 'ts');
    assert.deepEqual(ts.keys, ['sensor_id']);
    assert.deepEqual(ts.values, ['temperature']);
    assert.equal(ts.interval, '1m');
    assert.equal(ts.series, 2);
    assert.equal(ts.points, 600 + 600 - 130);
    assert.equal(ts.gaps, 2);
    assert.equal(ts.imputed, 10);
    assert.equal(ts.open_gaps, 1);
    assert.deepEqual(ts.tables, ['timeseries.sensors', 'features.sensors']);

    const counts = await fixture.client.query<{ sensor_id: string; rows: number; imputed: number }>(
      `SELECT sensor_id, count(*)::int AS rows, count(*) FILTER (WHERE is_imputed)::int AS imputed FROM timeseries.sensors GROUP BY 1 ORDER BY 1`);
    assert.deepEqual(counts.rows, [{ sensor_id: 'a', rows: 480, imputed: 10 }, { sensor_id: 'b', rows: 600, imputed: 0 }]);

    // Linear between minute 99 and minute 110.
    const around = await fixture.client.query<{ m: number; temperature: number; is_imputed: boolean }>(
      `SELECT (extract(epoch FROM ts - $1::timestamptz) / 60)::int AS m, temperature, is_imputed FROM timeseries.sensors
        WHERE sensor_id = 'a' AND ts BETWEEN $1::timestamptz + interval '99 min' AND $1::timestamptz + interval '110 min' ORDER BY ts`, [iso(T0)]);
    assert.equal(around.rows.length, 12);
    const [left, right] = [around.rows[0], around.rows[11]];
    for (const row of around.rows.slice(1, 11)) {
      assert.equal(row.is_imputed, true);
      const expected = left.temperature + (right.temperature - left.temperature) * (row.m - 99) / 11;
      assert.ok(Math.abs(row.temperature - expected) < 1e-9, `minute ${row.m}: ${row.temperature} vs ${expected}`);
    }

    const flagged = await fixture.client.query<{ sensor_id: string; m: number }>(
      `SELECT sensor_id, (extract(epoch FROM ts - $1::timestamptz) / 60)::int AS m FROM timeseries.sensors WHERE is_anomaly ORDER BY ts`, [iso(T0)]);
    assert.deepEqual(flagged.rows, [{ sensor_id: 'b', m: 200 }]);
    assert.equal(ts.anomalies, 1);
    const stored = await fixture.client.query<{ column_name: string; detail: { keys: Record<string, unknown> }; at: Date }>(
      `SELECT column_name, detail, at FROM ingest.anomalies WHERE kind = 'series' AND dataset = 'sensors'`);
    assert.equal(stored.rows.length, 1);
    assert.equal(stored.rows[0].column_name, 'temperature');
    assert.deepEqual(stored.rows[0].detail.keys, { sensor_id: 'b' });
    assert.equal(stored.rows[0].at.getTime(), T0 + 200 * MINUTE);

    const features = await fixture.client.query<{ rows: number; lag_ok: boolean }>(
      `SELECT count(*)::int AS rows,
              bool_and(f.temperature_lag_1 IS NOT DISTINCT FROM p.prev) AS lag_ok
         FROM features.sensors f
         JOIN (SELECT sensor_id, ts, lag(temperature) OVER (PARTITION BY sensor_id ORDER BY ts) AS prev FROM timeseries.sensors) p USING (sensor_id, ts)`);
    assert.deepEqual(features.rows[0], { rows: 1080, lag_ok: true });

    // Native range partitions (no TimescaleDB on this server), one per ISO week of one-minute data.
    const parts = await fixture.client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'timeseries.sensors'::regclass`);
    assert.ok(parts.rows[0].n >= 1);
    const staging = await fixture.client.query<{ n: number }>('SELECT count(*)::int AS n FROM staging.sensors');
    assert.equal(staging.rows[0].n, 1070, 'staging keeps the rows as loaded');

    // In the catalog with their columns, and in the lineage: staging → timeseries → features.
    const catalog = await fixture.client.query<{ name: string; kind: string; columns: Array<{ name: string; type: string }>; time_column: string }>(
      `SELECT name, kind, columns, time_column FROM metadata_datasets WHERE kind IN ('timeseries', 'features') ORDER BY name`);
    assert.deepEqual(catalog.rows.map((r) => [r.name, r.kind, r.time_column]), [['features.sensors', 'features', 'ts'], ['timeseries.sensors', 'timeseries', 'ts']]);
    assert.deepEqual(catalog.rows[1].columns.map((c) => `${c.name} ${c.type}`), [
      'ts timestamp with time zone', 'sensor_id text', 'temperature double precision', 'is_imputed boolean', 'is_anomaly boolean',
      'anomaly_score double precision', '_file bigint',
    ]);
    assert.ok(catalog.rows[0].columns.some((c) => c.name === 'temperature_ewma'));
    const edges = await fixture.client.query<{ source: string; target: string; relation: string }>(
      `SELECT source, target, relation FROM metadata_lineage WHERE relation IN ('processed_into', 'derived_into') ORDER BY relation DESC`);
    assert.deepEqual(edges.rows, [
      { source: 'staging.sensors', target: 'timeseries.sensors', relation: 'processed_into' },
      { source: 'timeseries.sensors', target: 'features.sensors', relation: 'derived_into' },
    ]);
    // The OpenLineage COMPLETE event has the series tables among its outputs, with the rows written.
    const complete = async () => (await fixture.client.query<{ event: { outputs: Array<{ name: string; outputFacets?: { outputStatistics?: { rowCount: number } } }> } }>(
      `SELECT event FROM ingest.lineage_events WHERE event_type = 'COMPLETE' AND 'sensors' = ANY(datasets) ORDER BY id DESC LIMIT 1`)).rows[0]?.event;
    await until('the COMPLETE event', async () => (await complete()) !== undefined);
    const outputs = (await complete())!.outputs.map((o) => [o.name.split('.').slice(-2).join('.'), o.outputFacets?.outputStatistics?.rowCount]);
    assert.deepEqual(outputs, [['staging.sensors', 1070], ['timeseries.sensors', 1080], ['features.sensors', 1080]]);
  });

  test('a later file continues each series from the stored tail; reloading a range does not duplicate points', async () => {
    const path = join(fixture.dir, 'sensors_2.csv');
    // Minutes 600–659, after a 5-minute pause for both sensors (filled: within max_gap).
    await writeFile(path, sensorCsv(55, 605));
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.timeseries!.gaps, 2);
    assert.equal(summary.timeseries!.imputed, 10, 'minutes 600–604 of each sensor');
    const seam = await fixture.client.query<{ sensor_id: string; lag_ok: boolean; rows: number }>(
      `SELECT sensor_id, count(*)::int AS rows, bool_and(f.temperature_lag_1 IS NOT DISTINCT FROM p.prev) AS lag_ok
         FROM features.sensors f
         JOIN (SELECT sensor_id, ts, lag(temperature) OVER (PARTITION BY sensor_id ORDER BY ts) AS prev FROM timeseries.sensors) p USING (sensor_id, ts)
        WHERE ts >= $1::timestamptz GROUP BY 1 ORDER BY 1`, [iso(T0 + 599 * MINUTE)]);
    assert.deepEqual(seam.rows, [{ sensor_id: 'a', rows: 61, lag_ok: true }, { sensor_id: 'b', rows: 61, lag_ok: true }]);

    // The same minutes again, in another file: replaced, not doubled.
    const again = join(fixture.dir, 'sensors_3.csv');
    await writeFile(again, sensorCsv(20, 620).replace(/,(\d+\.\d+)\n/g, (_, v: string) => `,${(Number(v) + 1).toFixed(4)}\n`));
    assert.equal((await fixture.engine.ingest(again)).status, 'loaded');
    const doubled = await fixture.client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT sensor_id, ts FROM timeseries.sensors GROUP BY 1, 2 HAVING count(*) > 1) d');
    assert.equal(doubled.rows[0].n, 0);
    const featureDoubles = await fixture.client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM (SELECT sensor_id, ts FROM features.sensors GROUP BY 1, 2 HAVING count(*) > 1) d');
    assert.equal(featureDoubles.rows[0].n, 0);
    const total = await fixture.client.query<{ n: number }>('SELECT count(*)::int AS n FROM timeseries.sensors');
    assert.equal(total.rows[0].n, 1080 + 2 * 60);
  });

  test('an event log is not a series; a file without a time column has no time-series summary; --no-timeseries turns it off', async () => {
    const random = mulberry32(3);
    const rows: string[] = [];
    let t = T0;
    for (let i = 0; i < 400; i++) {
      t += Math.round(-Math.log(1 - random()) * 90_000) + 1000;
      rows.push(`${iso(t)},${Math.round(random() * 1e6)},${(random() * 100).toFixed(2)}`);
    }
    const orders = join(fixture.dir, 'orders.csv');
    await writeFile(orders, `created_at,order_no,amount\n${rows.join('\n')}\n`);
    const summary = await fixture.engine.ingest(orders);
    assert.equal(summary.status, 'loaded');
    assert.equal(summary.timeseries!.detected, false);
    assert.match(summary.timeseries!.reason!, /irregular/);
    const made = await fixture.client.query("SELECT 1 FROM pg_class WHERE oid = to_regclass('timeseries.orders')");
    assert.equal(made.rows.length, 0);

    const plain = join(fixture.dir, 'plain.csv');
    await writeFile(plain, 'id,name,amount\n1,a,2.5\n2,b,3.5\n');
    assert.equal((await fixture.engine.ingest(plain)).timeseries, null);

    const off = join(fixture.dir, 'sensors_off.csv');
    await writeFile(off, sensorCsv(60, 2000));
    const skipped = await fixture.engine.ingest(off, { dataset: 'sensors_off', timeseries: false });
    assert.equal(skipped.timeseries, null);
  });
});
