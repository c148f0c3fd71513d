/**
 * The time-series pass on the cases the issue names, end to end on real PostgreSQL: local
 * timestamps across both DST changes in a configured zone, monthly data in a date column with a
 * missing month, the rows against the single-threaded reference computation, the same result with
 * one worker and chunks so small that every series spans many, and two files of one dataset
 * loaded at once.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createEngine } from '../../src/index.js';
import { DEFAULT_SERIES_OPTIONS, featureColumns } from '../../src/timeseries/series-options.js';
import { engineFixture } from '../helpers/engine-fixture.js';
import { mulberry32 } from '../helpers/random.js';
import { referenceSeries } from './reference-series.js';
import { assertSameSeriesTables } from './same-series-tables.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Three machines, one reading a minute, a few minutes missing and a few repeated; unsorted. */
function machinesCsv(minutes: number, seed: number): string {
  const random = mulberry32(seed);
  const rows: string[] = [];
  for (let m = 0; m < minutes; m++) {
    for (const machine of ['m1', 'm2', 'm3']) {
      if (random() < 0.03) continue;
      const level = machine === 'm1' ? 5 : machine === 'm2' ? 50 : 500;
      const value = level + Math.sin(m / 20) * level * 0.1 + random() + (machine === 'm3' && m === 333 ? level : 0);
      rows.push(`${iso(T0 + m * MINUTE)},${machine},${value.toFixed(3)},${Math.round(random() * 10)}`);
      if (random() < 0.01) rows.push(`${iso(T0 + m * MINUTE)},${machine},${(value + 1).toFixed(3)},${Math.round(random() * 10)}`);
    }
  }
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return `ts,machine_id,load,errors\n${rows.join('\n')}\n`;
}

const SERIES_CONFIG = { impute: { load: 'linear' as const, errors: 'locf' as const }, max_gap: '5m', features: { windows: [3, 15], lags: [1, 2] } };

describe('time series: zones, calendars, the reference and parallelism', () => {
  const fixture = engineFixture('timeseries-cases', {
    workers: 2, writers: 2,
    config: {
      datasets: {
        berlin: { match: '**/berlin*.csv', timeseries: { zone: 'Europe/Berlin', interval: '30m' } },
        monthly: { match: '**/monthly*.csv', timeseries: { impute: 'linear' } },
        machines: { match: '**/machines*.csv', timeseries: SERIES_CONFIG },
        machines_small: { timeseries: SERIES_CONFIG },
        plant: { match: '**/plant_*.csv', timeseries: { keys: ['line'] } },
        unprofiled: { match: '**/unprofiled*.csv', profile: { enabled: false } },
        grouped: { timeseries: { ...SERIES_CONFIG, memory_points: 10_000 } },
        ungrouped: { timeseries: SERIES_CONFIG },
      },
    },
  });

  test('naive local times in a zone: UTC instants, a non-existent time moved forward, an ambiguous one read as the earlier, both counted', async () => {
    const local = [
      '2024-03-31 00:30', '2024-03-31 01:00', '2024-03-31 01:30', '2024-03-31 02:00', '2024-03-31 02:30', '2024-03-31 03:00', '2024-03-31 03:30', '2024-03-31 04:00',
      '2024-03-31 04:30', '2024-03-31 05:00',
    ];
    const path = join(fixture.dir, 'berlin.csv');
    await writeFile(path, `time,reading\n${local.map((t, i) => `${t},${i}`).join('\n')}\n`);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    const ts = summary.timeseries!;
    assert.equal(ts.detected, true);
    assert.equal(ts.nonexistent_times, 2, '02:00 and 02:30 do not exist on 2024-03-31 in Berlin');
    assert.equal(ts.ambiguous_times, 0);
    // 02:00 → 03:00 CEST and 02:30 → 03:30 CEST collide with the real 03:00 and 03:30: the later row of the file wins.
    assert.equal(ts.duplicates, 2);
    const rows = await fixture.client.query<{ t: string; reading: number }>(
      `SELECT to_char("time" AT TIME ZONE 'UTC', 'HH24:MI') AS t, reading FROM timeseries.berlin ORDER BY "time"`);
    assert.deepEqual(rows.rows, [
      { t: '23:30', reading: 0 }, { t: '00:00', reading: 1 }, { t: '00:30', reading: 2 }, { t: '01:00', reading: 5 }, { t: '01:30', reading: 6 },
      { t: '02:00', reading: 7 }, { t: '02:30', reading: 8 }, { t: '03:00', reading: 9 },
    ]);

    const autumn = join(fixture.dir, 'berlin_autumn.csv');
    await writeFile(autumn, `time,reading\n${['00:30', '01:00', '01:30', '02:00', '02:30', '03:00', '03:30', '04:00', '04:30'].map((t, i) => `2024-10-27 ${t},${i}`).join('\n')}\n`);
    const second = await fixture.engine.ingest(autumn);
    assert.equal(second.timeseries!.ambiguous_times, 2, '02:00 and 02:30 happen twice on 2024-10-27 in Berlin');
    const october = await fixture.client.query<{ t: string }>(
      `SELECT to_char("time" AT TIME ZONE 'UTC', 'HH24:MI') AS t FROM timeseries.berlin WHERE "time" > '2024-10-01' AND NOT is_imputed ORDER BY "time"`);
    // 02:00 and 02:30 as the earlier instants (CEST: 00:00Z, 00:30Z); 03:00 CET is 02:00Z, leaving an hour without readings.
    assert.deepEqual(october.rows.map((r) => r.t), ['22:30', '23:00', '23:30', '00:00', '00:30', '02:00', '02:30', '03:00', '03:30']);
  });

  test('monthly data in a date column: one month step, month ends kept, a missing month imputed at its month end', async () => {
    const months: string[] = [];
    for (let m = 0; m < 24; m++) {
      if (m === 3) continue;
      const end = new Date(Date.UTC(2022, m + 1, 0)).toISOString().slice(0, 10);
      months.push(`${end},${100 + m}`);
    }
    const path = join(fixture.dir, 'monthly.csv');
    await writeFile(path, `date,sales\n${months.join('\n')}\n`);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.timeseries!.interval, '1 month');
    assert.equal(summary.timeseries!.imputed, 1);
    const april = await fixture.client.query<{ d: string; sales: number; is_imputed: boolean }>(
      `SELECT to_char("date" AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d, sales, is_imputed FROM timeseries.monthly WHERE "date" BETWEEN '2022-03-01' AND '2022-05-31' ORDER BY "date"`);
    assert.deepEqual(april.rows.map((r) => [r.d, r.is_imputed]), [['2022-03-31', false], ['2022-04-30', true], ['2022-05-31', false]]);
    // Linear in time: 30 of the 61 days from March 31 to May 31.
    assert.ok(Math.abs(april.rows[1].sales - (102 + 2 * 30 / 61)) < 1e-9, String(april.rows[1].sales));
  });

  test('the stored rows equal the single-threaded reference; one worker with tiny chunks gives the same tables', async () => {
    const csv = machinesCsv(600, 5);
    const path = join(fixture.dir, 'machines.csv');
    await writeFile(path, csv);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.timeseries!.series, 3);
    assert.ok(summary.timeseries!.duplicates > 0 && summary.timeseries!.imputed > 0);

    // The reference over the file's own points, per machine, in file order.
    const lines = csv.trim().split('\n').slice(1).map((l) => l.split(','));
    const options = {
      ...DEFAULT_SERIES_OPTIONS, impute: ['linear' as const, 'locf' as const], maxGapMicros: 5 * MINUTE * 1000, windows: [3, 15], lags: [1, 2], ewmaAlpha: 2 / 4,
    };
    for (const machine of ['m1', 'm2', 'm3']) {
      const mine = lines.filter((l) => l[1] === machine);
      const expected = referenceSeries({
        tail: { times: new Float64Array(0), values: [new Float64Array(0), new Float64Array(0)], imputed: new Uint8Array(0) },
        times: Float64Array.from(mine, (l) => Date.parse(l[0]) * 1000), values: [Float64Array.from(mine, (l) => Number(l[2])), Float64Array.from(mine, (l) => Number(l[3]))],
        outputFrom: Number.NEGATIVE_INFINITY,
      }, options);
      const stored = await fixture.client.query<{ us: number; load: number | null; errors: number | null; is_imputed: boolean; is_anomaly: boolean; mean3: number | null; std15: number | null; ewma: number | null; diff2: number | null; roc: number | null }>(
        `SELECT extract(epoch FROM t.ts)::float8 * 1e6 AS us, t.load, t.errors, t.is_imputed, t.is_anomaly,
                f.load_mean_3 AS mean3, f.errors_std_15 AS std15, f.load_ewma AS ewma, f.errors_diff_2 AS diff2, f.load_roc AS roc
           FROM timeseries.machines t JOIN features.machines f USING (ts, machine_id) WHERE machine_id = $1 ORDER BY ts`, [machine]);
      assert.equal(stored.rows.length, expected.times.length, machine);
      const picked = ['load_mean_3', 'errors_std_15', 'load_ewma', 'errors_diff_2', 'load_roc'];
      const names = picked.map((n) => featureColumns(options, ['load', 'errors']).indexOf(n));
      stored.rows.forEach((row, r) => {
        assert.equal(row.us, expected.times[r], `${machine} row ${r} time`);
        assert.equal(row.is_imputed, expected.imputed[r] === 1);
        assert.equal(row.is_anomaly, expected.anomaly[r] === 1, `${machine} row ${r} anomaly`);
        const near = (a: number | null, b: number, what: string) => assert.ok(a === null ? Number.isNaN(b) : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${machine} row ${r} ${what}: ${a} vs ${b}`);
        near(row.load, expected.values[0][r], 'load');
        near(row.errors, expected.values[1][r], 'errors');
        [row.mean3, row.std15, row.ewma, row.diff2, row.roc].forEach((value, k) => near(value, expected.features[names[k]][r], picked[k]));
      });
    }
    const flagged = await fixture.client.query<{ machine_id: string; m: number }>(
      `SELECT machine_id, (extract(epoch FROM ts - $1::timestamptz) / 60)::int AS m FROM timeseries.machines WHERE is_anomaly`, [iso(T0)]);
    assert.deepEqual(flagged.rows, [{ machine_id: 'm3', m: 333 }]);

    const small = createEngine({ databaseUrl: fixture.db.url, workers: 1, writers: 1, chunkSize: 2048, config: { datasets: { machines_small: { timeseries: SERIES_CONFIG } } } });
    try {
      const again = await small.ingest(path, { dataset: 'machines_small', force: true });
      assert.equal(again.status, 'loaded', JSON.stringify(again.error));
      assert.ok((again.chunks?.total ?? 0) > 20, `${again.chunks?.total} chunks`);
    } finally {
      await small.close();
    }
    for (const schema of ['timeseries', 'features'] as const) {
      await assertSameSeriesTables(fixture.client, schema, 'machines', 'machines_small');
      const total = await fixture.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${schema}.machines_small`);
      assert.ok(total.rows[0].n > 1700, `${schema}: ${total.rows[0].n} rows`);
    }
  });

  test('with profiling off, the keys are still found (PostgreSQL counts their distinct values in a sample)', async () => {
    const path = join(fixture.dir, 'unprofiled.csv');
    await writeFile(path, machinesCsv(200, 9));
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.quality, null);
    assert.equal(summary.timeseries?.detected, true, JSON.stringify(summary.timeseries));
    assert.deepEqual(summary.timeseries!.keys, ['machine_id']);
    assert.equal(summary.timeseries!.series, 3);
  });

  test('a file with more points than memory_points is processed a group of keys at a time: the same tables', async () => {
    const path = join(fixture.dir, 'machines_big.csv');
    await writeFile(path, machinesCsv(8000, 13));
    const grouped = await fixture.engine.ingest(path, { dataset: 'grouped' });
    const ungrouped = await fixture.engine.ingest(path, { dataset: 'ungrouped', force: true });
    for (const s of [grouped, ungrouped]) assert.equal(s.timeseries?.detected, true, JSON.stringify(s.timeseries));
    assert.ok(grouped.rows > 20_000, `${grouped.rows} rows: three groups of at most 10,000 points`);
    const { duration_ms: _a, ...a } = grouped.timeseries!;
    const { duration_ms: _b, ...b } = ungrouped.timeseries!;
    assert.deepEqual({ ...a, tables: [] }, { ...b, tables: [] });
    for (const schema of ['timeseries', 'features'] as const) await assertSameSeriesTables(fixture.client, schema, 'grouped', 'ungrouped');
  });

  test('two files of one dataset loaded at once: both series land whole, no deadlock', async () => {
    const write = async (name: string, line: string) => {
      const rows: string[] = [];
      for (let m = 0; m < 300; m++) rows.push(`${iso(T0 + m * MINUTE)},${line},${(Math.sin(m / 9) + 3).toFixed(4)}`);
      const path = join(fixture.dir, name);
      await writeFile(path, `ts,line,pressure\n${rows.join('\n')}\n`);
      return path;
    };
    const paths = await Promise.all([write('plant_a.csv', 'A'), write('plant_b.csv', 'B')]);
    const summaries = await Promise.all(paths.map((p) => fixture.engine.ingest(p)));
    for (const s of summaries) assert.equal(s.timeseries?.detected, true, JSON.stringify(s.error ?? s.timeseries));
    const counts = await fixture.client.query<{ line: string; n: number }>('SELECT line, count(*)::int AS n FROM timeseries.plant GROUP BY 1 ORDER BY 1');
    assert.deepEqual(counts.rows, [{ line: 'A', n: 300 }, { line: 'B', n: 300 }]);
  });
});

