/**
 * The tasks the main thread makes of a series: a long series cut into slices (each with the raw
 * points before it that its windows need, in any input order, duplicates included) gives, task by
 * task through the worker's code, the same rows and the same events as one task over all of it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_SERIES_OPTIONS, type SeriesOptions } from '../../src/timeseries/series-options.js';
import { inTimeOrder, SeriesPoints } from '../../src/timeseries/series-points.js';
import { joinSliceEvents, seriesTasks, type SliceEvents } from '../../src/timeseries/run-series-tasks.js';
import { runSeriesTask } from '../../src/timeseries/series-task.js';
import { mulberry32 } from '../helpers/random.js';

const MINUTE = 60e6;
const T0 = Date.UTC(2024, 0, 1) * 1000;
/** A text key `s1` as binary COPY writes it: length, then the bytes. */
const KEY = Uint8Array.from([0, 0, 0, 2, 0x73, 0x31]);

function series(n: number, seed: number, step: number): SeriesPoints {
  const random = mulberry32(seed);
  const points = new SeriesPoints(KEY, 2);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  let offset = 0;
  for (const i of order) {
    if (i % 97 >= 90) continue; // gaps
    const repeats = i % 211 === 0 ? 2 : 1; // duplicates
    for (let r = 0; r < repeats; r++) {
      const at = points.add(T0 + i * step, offset++);
      points.values[0][at] = i === 1234 ? 500 : Math.sin(i / 24 * 2 * Math.PI) * 10 + random();
      points.values[1][at] = random() < 0.05 ? Number.NaN : i + random();
    }
  }
  return points;
}

/** Tuples (no header) into their fields: byte arrays, null for NULL. */
function tuples(bytes: Uint8Array): Array<Array<Buffer | null>> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const rows: Array<Array<Buffer | null>> = [];
  for (let at = 0; at < buffer.length;) {
    const fields = buffer.readInt16BE(at);
    at += 2;
    const row: Array<Buffer | null> = [];
    for (let f = 0; f < fields; f++) {
      const length = buffer.readInt32BE(at);
      at += 4;
      row.push(length < 0 ? null : buffer.subarray(at, at + length));
      if (length > 0) at += length;
    }
    rows.push(row);
  }
  return rows;
}

function assertSameRows(actual: Array<Array<Buffer | null>>, expected: Array<Array<Buffer | null>>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: rows`);
  for (let r = 0; r < expected.length; r++) {
    for (let f = 0; f < expected[r].length; f++) {
      const [a, e] = [actual[r][f], expected[r][f]];
      if (e === null || a === null || e.length !== 8 || f === 0) {
        assert.deepEqual(a, e, `${what}: row ${r} field ${f}`);
        continue;
      }
      const [x, y] = [a.readDoubleBE(0), e.readDoubleBE(0)];
      assert.ok(x === y || Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y)), `${what}: row ${r} field ${f}: ${x} vs ${y}`);
    }
  }
}

// Hourly: long enough for slices longer than the context the weekly season needs (~3,000 rows).
const CASES: Array<{ name: string; step: number; seasonal: boolean; points: number }> = [
  { name: 'one-minute steps, trailing robust score', step: MINUTE, seasonal: false, points: 6000 },
  { name: 'hourly steps, daily and weekly seasonal scores', step: 60 * MINUTE, seasonal: true, points: 12_000 },
];

for (const { name, step, seasonal, points: count } of CASES) test(`a series cut into slices gives the rows and events of one task: ${name}`, () => {
  const options: SeriesOptions = {
    ...DEFAULT_SERIES_OPTIONS, impute: ['linear', 'locf'], maxGapMicros: 10 * step, windows: [5, 30], lags: [1, 3],
    anomaly: { ...DEFAULT_SERIES_OPTIONS.anomaly, seasonal },
  };
  const points = series(count, 11, step);
  const run = { series: [points], tails: [{ times: new Float64Array(0), values: [new Float64Array(0), new Float64Array(0)], imputed: new Uint8Array(0) }], restored: [{ times: new Float64Array(0), values: [new Float64Array(0), new Float64Array(0)] }], options, fileId: 7, integerFeatures: 3, keyFieldCount: 1 };

  const whole = [...seriesTasks({ ...run, slicePoints: Number.POSITIVE_INFINITY })];
  assert.equal(whole.length, 1);
  const one = runSeriesTask(whole[0].task);

  const sliced = [...seriesTasks({ ...run, slicePoints: 700 })];
  assert.ok(sliced.length >= 3, `${sliced.length} slices`);
  assert.deepEqual(sliced.map((t) => t.slice), sliced.map((_, i) => i));
  // Out of order, as the pool may finish them.
  const results = sliced.map((t) => ({ slice: t.slice, result: runSeriesTask(t.task) })).reverse().sort((a, b) => a.slice - b.slice);

  assertSameRows(results.flatMap((r) => tuples(r.result.timeseries)), tuples(one.timeseries), 'timeseries');
  assertSameRows(results.flatMap((r) => tuples(r.result.features)), tuples(one.features), 'features');
  const counts = results.reduce((sum, { result }) => {
    for (const key of Object.keys(sum) as Array<keyof typeof sum>) sum[key] += result.counts[key];
    return sum;
  }, { points: 0, duplicates: 0, gaps: 0, missing: 0, imputed: 0, openGaps: 0, anomalies: 0 });
  assert.deepEqual(counts, one.counts);
  assert.ok(one.counts.duplicates > 0 && one.counts.imputed > 0 && one.counts.anomalies > 0, JSON.stringify(one.counts));
  const parts: SliceEvents[] = results.map(({ result }) => ({ events: result.events, first: result.first, last: result.last }));
  assert.deepEqual(joinSliceEvents(parts), one.events);
});

test('stored rows computed again with a file (after a reloaded range) give the rows of one series of both, whole or sliced; only the file\'s points are counted', () => {
  const options: SeriesOptions = {
    ...DEFAULT_SERIES_OPTIONS, impute: ['linear', 'locf'], maxGapMicros: 10 * MINUTE, windows: [5, 30], lags: [1, 3], anomaly: { ...DEFAULT_SERIES_OPTIONS.anomaly, seasonal: false },
  };
  const all = series(6000, 13, MINUTE);
  // The file: the points before minute 3000; the stored rows after it, one per time as stored.
  const file = new SeriesPoints(KEY, 2);
  const stored = { times: [] as number[], values: [[] as number[], [] as number[]] };
  const sorted = inTimeOrder(all.trimmed());
  for (let i = 0; i < sorted.times.length; i++) {
    const t = sorted.times[i];
    if (t < T0 + 3000 * MINUTE) {
      const at = file.add(t, sorted.offsets[i]);
      for (let c = 0; c < 2; c++) file.values[c][at] = sorted.values[c][i];
    } else if (t !== sorted.times[i + 1]) {
      stored.times.push(t);
      for (let c = 0; c < 2; c++) stored.values[c].push(sorted.values[c][i]);
    }
  }
  const restored = { times: Float64Array.from(stored.times), values: stored.values.map((v) => Float64Array.from(v)) };
  const joined = new SeriesPoints(KEY, 2);
  for (let i = 0; i < file.length; i++) {
    const at = joined.add(file.times[i], file.offsets[i]);
    for (let c = 0; c < 2; c++) joined.values[c][at] = file.values[c][i];
  }
  restored.times.forEach((t, i) => {
    const at = joined.add(t, file.length + i);
    for (let c = 0; c < 2; c++) joined.values[c][at] = restored.values[c][i];
  });
  const noTail = [{ times: new Float64Array(0), values: [new Float64Array(0), new Float64Array(0)], imputed: new Uint8Array(0) }];
  const none = [{ times: new Float64Array(0), values: [new Float64Array(0), new Float64Array(0)] }];
  const base = { tails: noTail, options, fileId: 7, integerFeatures: 3, keyFieldCount: 1 };
  const results = (run: Parameters<typeof seriesTasks>[0]) => [...seriesTasks(run)].map((t) => runSeriesTask(t.task));

  const expected = results({ ...base, series: [joined], restored: none, slicePoints: Number.POSITIVE_INFINITY });
  const fileCounts = results({ ...base, series: [file], restored: none, slicePoints: Number.POSITIVE_INFINITY })[0].counts;
  for (const slicePoints of [Number.POSITIVE_INFINITY, 700]) {
    const got = results({ ...base, series: [file], restored: [restored], slicePoints });
    if (slicePoints === 700) assert.ok(got.length >= 3, `${got.length} slices`);
    assertSameRows(got.flatMap((r) => tuples(r.timeseries)), tuples(expected[0].timeseries), `timeseries, slices of ${slicePoints}`);
    assertSameRows(got.flatMap((r) => tuples(r.features)), tuples(expected[0].features), `features, slices of ${slicePoints}`);
    const points = got.reduce((sum, r) => sum + r.counts.points, 0);
    const duplicates = got.reduce((sum, r) => sum + r.counts.duplicates, 0);
    assert.deepEqual({ points, duplicates }, { points: fileCounts.points, duplicates: fileCounts.duplicates });
  }
  assert.ok(restored.times.length > 2500 && fileCounts.duplicates > 0);
});
