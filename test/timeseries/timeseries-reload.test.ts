/**
 * A file that covers a range already stored, end to end on real PostgreSQL: after "load A (the
 * whole series), then load B (a corrected range)", every row of timeseries.* and features.* and
 * the series' events equal the single-threaded reference over the final points (A's outside B's
 * range, B's inside), and only the rows after the range that its windows reach are written again.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { contextPoints, DEFAULT_SERIES_OPTIONS, featureColumns, type SeriesOptions } from '../../src/timeseries/series-options.js';
import { engineFixture } from '../helpers/engine-fixture.js';
import { mulberry32 } from '../helpers/random.js';
import { referenceSeries } from './reference-series.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2024, 2, 4);
const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** One series' points: times in ms, one value each. */
type Points = Array<{ ms: number; value: number }>;

/** A wavy, noisy level every `step` from T0, without the steps in `missing`, with `spikes` added at theirs. */
function series(seed: number, steps: number, step: number, options: { from?: number; level?: number; missing?: (i: number) => boolean; spikes?: number[] } = {}): Points {
  const random = mulberry32(seed);
  const points: Points = [];
  for (let i = options.from ?? 0; i < steps; i++) {
    const noise = random();
    if (options.missing?.(i)) continue;
    const spike = options.spikes?.includes(i) ? 30 : 0;
    points.push({ ms: T0 + i * step, value: Number(((options.level ?? 20) + 3 * Math.sin(i / 40) + noise + spike).toFixed(4)) });
  }
  return points;
}

/** The final points of a series: the stored ones outside the reloaded range, the reloaded ones inside. */
function replaced(stored: Points, reloaded: Points): Points {
  if (reloaded.length === 0) return stored;
  const [first, last] = [reloaded[0].ms, reloaded[reloaded.length - 1].ms];
  return [...stored.filter((p) => p.ms < first), ...reloaded, ...stored.filter((p) => p.ms > last)];
}

function csv(bySeries: Map<string, Points>, keyed: boolean): string {
  const rows: string[] = [];
  for (const [key, points] of bySeries) for (const p of points) rows.push(keyed ? `${iso(p.ms)},${key},${p.value}` : `${iso(p.ms)},${p.value}`);
  // Shuffled: the pass sorts each series itself.
  const random = mulberry32(rows.length);
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [rows[i], rows[j]] = [rows[j], rows[i]];
  }
  return `${keyed ? 'ts,sensor_id,temperature' : 'ts,temperature'}\n${rows.join('\n')}\n`;
}

const near = (actual: number | null, expected: number, what: string): void => {
  if (actual === null) return assert.ok(Number.isNaN(expected), `${what}: NULL vs ${expected}`);
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
};

describe('time series: a reloaded range and the stored rows after it', () => {
  const fixture = engineFixture('timeseries-reload', {
    workers: 2, writers: 1,
    config: {
      datasets: {
        reload_minutes: {
          match: '**/reload_minutes_*.csv',
          timeseries: { keys: ['sensor_id'], impute: 'linear', max_gap: '10m', features: { windows: [3, 15], lags: [1, 2] }, anomalies: { window: 20, seasonal: false } },
        },
        reload_hours: { match: '**/reload_hours_*.csv', timeseries: { keys: [] } },
      },
    },
  });
  const MINUTE_OPTIONS: SeriesOptions = {
    ...DEFAULT_SERIES_OPTIONS, impute: ['linear'], maxGapMicros: 10 * MINUTE * 1000, windows: [3, 15], lags: [1, 2], ewmaAlpha: 2 / 4,
    anomaly: { ...DEFAULT_SERIES_OPTIONS.anomaly, window: 20, seasonal: false },
  };

  async function load(name: string, content: string): Promise<{ fileId: number; points: number; anomalies: number }> {
    const path = join(fixture.dir, name);
    await writeFile(path, content);
    const summary = await fixture.engine.ingest(path);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.timeseries?.detected, true, JSON.stringify(summary.timeseries));
    const file = await fixture.client.query<{ id: string }>('SELECT id FROM ingest.files WHERE sha256 = $1 ORDER BY id DESC LIMIT 1', [summary.sha256]);
    return { fileId: Number(file.rows[0].id), points: summary.timeseries!.points, anomalies: summary.timeseries!.anomalies };
  }

  /** Every row of both tables and every event of the series against the reference over `points`. */
  async function assertReference(dataset: string, key: string | null, points: Points, options: SeriesOptions): Promise<void> {
    const what = `${dataset} ${key ?? ''}`;
    const expected = referenceSeries({
      tail: { times: new Float64Array(0), values: [new Float64Array(0)], imputed: new Uint8Array(0) },
      times: Float64Array.from(points, (p) => p.ms * 1000), values: [Float64Array.from(points, (p) => p.value)], outputFrom: Number.NEGATIVE_INFINITY,
    }, options);
    const where = key === null ? '' : `WHERE sensor_id = '${key}'`;
    const rows = await fixture.client.query<{ us: number; temperature: number | null; is_imputed: boolean; is_anomaly: boolean; anomaly_score: number | null }>(
      `SELECT extract(epoch FROM ts)::float8 * 1e6 AS us, temperature, is_imputed, is_anomaly, anomaly_score FROM timeseries.${dataset} ${where} ORDER BY ts`);
    const names = featureColumns(options, ['temperature']);
    const features = await fixture.client.query<Record<string, number | null>>(
      `SELECT extract(epoch FROM ts)::float8 * 1e6 AS us, ${names.map((n) => `"${n}"`).join(', ')} FROM features.${dataset} ${where} ORDER BY ts`);
    assert.equal(rows.rows.length, expected.times.length, `${what}: timeseries rows`);
    assert.equal(features.rows.length, expected.times.length, `${what}: features rows`);
    rows.rows.forEach((row, r) => {
      assert.equal(row.us, expected.times[r], `${what} row ${r}: time`);
      near(row.temperature, expected.values[0][r], `${what} row ${r}: temperature`);
      assert.equal(row.is_imputed, expected.imputed[r] === 1, `${what} row ${r}: is_imputed`);
      assert.equal(row.is_anomaly, expected.anomaly[r] === 1, `${what} row ${r}: is_anomaly`);
      near(row.anomaly_score, expected.score[r], `${what} row ${r}: anomaly_score`);
      assert.equal(features.rows[r].us, expected.times[r], `${what} features row ${r}: time`);
      names.forEach((name, f) => near(features.rows[r][name], expected.features[f][r], `${what} row ${r}: ${name}`));
    });
    const events = await fixture.client.query<{ at: Date; score: number; detail: { start: string; end: string; points: number } }>(
      `SELECT at, score, detail FROM ingest.anomalies WHERE kind = 'series' AND dataset = $1 AND detail -> 'keys' = $2::jsonb ORDER BY at`,
      [dataset, JSON.stringify(key === null ? {} : { sensor_id: key })]);
    const ms = (micros: number) => new Date(Math.floor(micros / 1000)).toISOString();
    assert.deepEqual(events.rows.map((e) => ({ at: e.at.toISOString(), start: e.detail.start, end: e.detail.end, points: e.detail.points })),
      expected.events.map((e) => ({ at: ms(e.peak), start: ms(e.start), end: ms(e.end), points: e.points })), `${what}: events`);
    events.rows.forEach((e, i) => near(e.score, expected.events[i].score, `${what} event ${i}: score`));
  }

  test('a corrected middle range: the rows after it within the windows\' reach are computed again, the rest stays; a key without rows after it too', async () => {
    // s1 runs past the range, s2 ends where it ends. s1 misses minutes 495–502 (filled: the range
    // starts inside the gap), has a spike inside the range (minute 650, gone in the correction),
    // one just after it (720), one on the first row past the reach (817: the rows written again
    // go on to it) and one far after it (1200); s2 has one just before the range (499).
    const a = new Map([
      ['s1', series(1, 1500, MINUTE, { missing: (i) => i >= 495 && i <= 502, spikes: [650, 720, 817, 1200] })],
      ['s2', series(2, 701, MINUTE, { level: 50, spikes: [300, 499] })],
    ]);
    const first = await load('reload_minutes_a.csv', csv(a, true));
    // The correction: minutes 500–700 of both, other values, a spike at 600 in s1.
    const b = new Map([
      ['s1', series(3, 701, MINUTE, { from: 500, level: 21, spikes: [600] })],
      ['s2', series(4, 701, MINUTE, { from: 500, level: 52 })],
    ]);
    const second = await load('reload_minutes_b.csv', csv(b, true));
    assert.equal(second.points, 2 * 201, 'the summary counts the file\'s points, not the stored rows computed again');

    for (const key of ['s1', 's2']) await assertReference('reload_minutes', key, replaced(a.get(key)!, b.get(key)!), MINUTE_OPTIONS);
    const peaks = await fixture.client.query<{ key: string; m: number; file: string }>(
      `SELECT detail -> 'keys' ->> 'sensor_id' AS key, (extract(epoch FROM at - $1::timestamptz) / 60)::int AS m, file_id AS file FROM ingest.anomalies
        WHERE kind = 'series' AND dataset = 'reload_minutes' ORDER BY 1, 2`, [iso(T0)]);
    assert.deepEqual(peaks.rows.map((r) => [r.key, r.m, Number(r.file)]), [
      ['s1', 600, second.fileId], ['s1', 720, second.fileId], ['s1', 817, second.fileId], ['s1', 1200, first.fileId],
      ['s2', 300, first.fileId], ['s2', 499, second.fileId],
    ]);

    // Written again after the range: as many observed rows as the windows reach, and the flagged
    // row just past it; after them, the rows the first load wrote.
    const reach = contextPoints(MINUTE_OPTIONS, { kind: 'fixed', micros: MINUTE * 1000 });
    assert.ok(reach < 1500 - 701, `${reach} rows of reach leave rows after it`);
    const after = await fixture.client.query<{ file: string; observed: number; last: Date }>(
      `SELECT _file AS file, count(*) FILTER (WHERE NOT is_imputed)::int AS observed, max(ts) AS last FROM timeseries.reload_minutes
        WHERE sensor_id = 's1' AND ts > $1::timestamptz GROUP BY 1 ORDER BY min(ts)`, [iso(T0 + 700 * MINUTE)]);
    assert.deepEqual(after.rows.map((r) => [Number(r.file), r.observed]), [[second.fileId, reach + 1], [first.fileId, 1500 - 701 - reach - 1]]);
    const features = await fixture.client.query<{ file: string; n: number }>(
      `SELECT _file AS file, count(*)::int AS n FROM features.reload_minutes WHERE sensor_id = 's1' AND ts > $1::timestamptz GROUP BY 1 ORDER BY 1`, [iso(T0 + 700 * MINUTE)]);
    assert.equal(features.rows.find((r) => Number(r.file) === second.fileId)?.n, reach + 1);
  });

  test('hourly data with the seasonal score: a corrected middle range, then a corrected end with nothing after it', async () => {
    const options: SeriesOptions = { ...DEFAULT_SERIES_OPTIONS, ewmaAlpha: 2 / 11 };
    let stored = series(5, 1600, HOUR, { missing: (i) => i % 97 === 0, spikes: [640, 700, 1000] });
    await load('reload_hours_a.csv', csv(new Map([['', stored]]), false));
    const middle = series(6, 701, HOUR, { from: 600, level: 21, spikes: [650] });
    await load('reload_hours_b.csv', csv(new Map([['', middle]]), false));
    stored = replaced(stored, middle);
    await assertReference('reload_hours', null, stored, options);

    const end = series(7, 1600, HOUR, { from: 1500, level: 19, spikes: [1550] });
    const last = await load('reload_hours_c.csv', csv(new Map([['', end]]), false));
    assert.equal(last.points, 100);
    await assertReference('reload_hours', null, replaced(stored, end), options);
  });
});
