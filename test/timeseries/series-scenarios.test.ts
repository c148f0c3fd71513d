/**
 * Named series whose grid, imputed values and flags are known: gaps filled by linear and LOCF up
 * to a maximum gap, monthly month-end data with a missing month, jittered sampling, unsorted
 * input with duplicates under each policy, a continuation over the gap after a stored tail.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { processSeries } from '../../src/timeseries/process-series.js';
import { DEFAULT_SERIES_OPTIONS, featureColumns, type SeriesOptions } from '../../src/timeseries/series-options.js';
import { mulberry32 } from '../helpers/random.js';
import { JAN_2024, MINUTE, emptyTail } from './random-series.js';

const iso = (micros: number): string => new Date(micros / 1000).toISOString();
const at = (text: string): number => Date.parse(text) * 1000;

function run(times: number[], values: number[][], options: Partial<SeriesOptions>, tail = emptyTail(values.length)) {
  return processSeries({ tail, times: Float64Array.from(times), values: values.map((v) => Float64Array.from(v)), outputFrom: -Infinity }, { ...DEFAULT_SERIES_OPTIONS, ...options });
}

test('gaps up to the maximum are filled (linear and LOCF, flagged); a wider gap stays open', () => {
  // Minutes 0, 1, 2, 5 (missing 3 and 4), 6, 13 (missing 7..12: wider than the 5-minute maximum).
  const minutes = [0, 1, 2, 5, 6, 13];
  const out = run(minutes.map((m) => JAN_2024 + m * MINUTE), [[0, 10, 20, 50, 60, 130], [1, 2, 3, 4, 5, 6]], {
    interval: { kind: 'fixed', micros: MINUTE }, impute: ['linear', 'locf'], maxGapMicros: 5 * MINUTE,
  });
  assert.deepEqual(Array.from(out.times, (t) => (t - JAN_2024) / MINUTE), [0, 1, 2, 3, 4, 5, 6, 13]);
  assert.deepEqual(Array.from(out.imputed), [0, 0, 0, 1, 1, 0, 0, 0]);
  assert.deepEqual(Array.from(out.values[0]), [0, 10, 20, 30, 40, 50, 60, 130]);
  assert.deepEqual(Array.from(out.values[1]), [1, 2, 3, 3, 3, 4, 5, 6]);
  assert.deepEqual(out.counts, { points: 6, duplicates: 0, gaps: 2, missing: 8, imputed: 2, openGaps: 1, anomalies: 0 });
  // Features run over the regular series: lag 1 of the first point after the filled gap is the imputed 40.
  const lag = featureColumns(DEFAULT_SERIES_OPTIONS, ['a', 'b']).indexOf('a_lag_1');
  assert.equal(out.features[lag][5], 40);
  // The rate of change across the open gap is per second of the gap.
  const roc = featureColumns(DEFAULT_SERIES_OPTIONS, ['a', 'b']).indexOf('a_roc');
  assert.equal(out.features[roc][7], (130 - 60) / (7 * 60));
});

test('a gap is Δ ≥ 1.5 steps; jittered points keep their own times', () => {
  const out = run([0, 60, 149, 240, 330, 410].map((s) => JAN_2024 + s * 1e6), [[1, 2, 3, 4, 5, 6]], {
    interval: { kind: 'fixed', micros: MINUTE }, impute: ['linear'], maxGapMicros: 10 * MINUTE,
  });
  // 60 → 149 is 1.48 steps (no gap); 149 → 240 is 1.52 steps and 240 → 330 exactly 1.5 (one
  // missing each, imputed a step after the point before); 330 → 410 is 1.33 steps.
  assert.deepEqual(Array.from(out.times, (t) => (t - JAN_2024) / 1e6), [0, 60, 149, 209, 240, 300, 330, 410]);
  assert.equal(out.counts.gaps, 2);
});

test('monthly month-end data: 31 → 29 → 31, a missing April imputed on 04-30, the interval detected as 1 month', () => {
  const days = ['2024-01-31', '2024-02-29', '2024-03-31', '2024-05-31', '2024-06-30', '2024-07-31'];
  const out = run(days.map((d) => at(`${d}T00:00:00Z`)), [[31, 29, 31, 31, 30, 31]], { impute: ['linear'], maxGapMicros: 70 * 86_400_000_000 });
  assert.deepEqual(out.interval, { kind: 'calendar', months: 1 });
  assert.deepEqual(Array.from(out.times, iso).map((s) => s.slice(0, 10)), ['2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30', '2024-05-31', '2024-06-30', '2024-07-31']);
  assert.deepEqual(Array.from(out.imputed), [0, 0, 0, 1, 0, 0, 0]);
  assert.equal(out.values[0][3], 31);
  assert.equal(out.counts.missing, 1);
});

test('a series on the 30th keeps the 30th after February, and the time of day', () => {
  const days = ['2023-12-30', '2024-01-30', '2024-02-29', '2024-04-30', '2024-05-30'];
  const out = run(days.map((d) => at(`${d}T06:30:00Z`)), [[1, 2, 3, 5, 6]], { interval: { kind: 'calendar', months: 1 }, impute: ['locf'], maxGapMicros: 70 * 86_400_000_000 });
  assert.deepEqual(Array.from(out.times, iso), ['2023-12-30', '2024-01-30', '2024-02-29', '2024-03-30', '2024-04-30', '2024-05-30'].map((d) => `${d}T06:30:00.000Z`));
  assert.equal(out.values[0][3], 3);
});

test('quarterly and yearly data with a missing period', () => {
  const quarters = run(['2023-03-31', '2023-06-30', '2023-12-31', '2024-03-31'].map((d) => at(`${d}T00:00:00Z`)), [[1, 2, 4, 5]], { impute: ['linear'], maxGapMicros: 400 * 86_400_000_000 });
  assert.deepEqual(quarters.interval, { kind: 'calendar', months: 3 });
  assert.equal(iso(quarters.times[2]).slice(0, 10), '2023-09-30');
  const years = run(['2020-02-29', '2021-02-28', '2023-02-28', '2024-02-29'].map((d) => at(`${d}T00:00:00Z`)), [[1, 2, 4, 5]], { impute: ['linear'], maxGapMicros: 800 * 86_400_000_000 });
  assert.deepEqual(years.interval, { kind: 'calendar', months: 12 });
  assert.equal(iso(years.times[2]).slice(0, 10), '2022-02-28');
});

test('irregular 1-minute sampling (±20 % jitter) is detected as 1 minute, with no gaps', () => {
  const random = mulberry32(3);
  const times: number[] = [];
  for (let i = 0, t = JAN_2024; i < 2000; i++, t += Math.round(MINUTE * (0.8 + 0.4 * random()))) times.push(t);
  const out = run(times, [times.map(() => random())], { maxGapMicros: 10 * MINUTE, impute: ['linear'] });
  assert.deepEqual(out.interval, { kind: 'fixed', micros: MINUTE });
  assert.equal(out.counts.gaps, 0);
  assert.deepEqual(Array.from(out.times), times);
});

test('unsorted input with duplicates: sorted stably, resolved by last, first or mean, and counted', () => {
  const t = (m: number): number => JAN_2024 + m * MINUTE;
  const times = [t(2), t(0), t(1), t(2), t(1), t(3)];
  const values = [[20, 0, 10, 21, Number.NaN, 30]];
  const options = { interval: { kind: 'fixed', micros: MINUTE } as const };
  const last = run(times, values, { ...options, duplicates: 'last' });
  assert.deepEqual(Array.from(last.times), [t(0), t(1), t(2), t(3)]);
  assert.deepEqual(Array.from(last.values[0]), [0, Number.NaN, 21, 30]);
  assert.equal(last.counts.duplicates, 2);
  assert.equal(last.counts.points, 6);
  assert.deepEqual(Array.from(run(times, values, { ...options, duplicates: 'first' }).values[0]), [0, 10, 20, 30]);
  assert.deepEqual(Array.from(run(times, values, { ...options, duplicates: 'mean' }).values[0]), [0, 10, 20.5, 30]);
});

test('a continuation fills the gap after the stored tail and drops points the tail already holds', () => {
  const t = (m: number): number => JAN_2024 + m * MINUTE;
  const tail = { times: Float64Array.from([t(0), t(1), t(2)]), values: [Float64Array.from([0, 1, 2])], imputed: new Uint8Array(3) };
  const out = run([t(2), t(5), t(6)], [[99, 5, 6]], { interval: { kind: 'fixed', micros: MINUTE }, impute: ['linear'], maxGapMicros: 5 * MINUTE }, tail);
  assert.deepEqual(Array.from(out.times), [t(3), t(4), t(5), t(6)]);
  assert.deepEqual(Array.from(out.values[0]), [3, 4, 5, 6]);
  assert.deepEqual(Array.from(out.imputed), [1, 1, 0, 0]);
  assert.deepEqual(out.counts, { points: 3, duplicates: 1, gaps: 1, missing: 2, imputed: 2, openGaps: 0, anomalies: 0 });
  // The tail feeds the windows: the 10-row mean at minute 6 averages minutes 0..6.
  assert.equal(out.features[0][3], 3);
});

test('calendar features are in calendarZone; none without one', () => {
  const t = at('2024-03-31T01:30:00Z');
  const berlin = run([t], [[1]], { calendarZone: 'Europe/Berlin' });
  const names = featureColumns({ ...DEFAULT_SERIES_OPTIONS, calendarZone: 'Europe/Berlin' }, ['v']);
  const part = (name: string): number => berlin.features[names.indexOf(name)][0];
  assert.deepEqual([part('hour'), part('weekday'), part('month')], [3, 0, 3]);
  const none = run([t], [[1]], { calendarZone: null });
  assert.equal(none.features.length, featureColumns({ ...DEFAULT_SERIES_OPTIONS, calendarZone: null }, ['v']).length);
  assert.ok(!featureColumns({ ...DEFAULT_SERIES_OPTIONS, calendarZone: null }, ['v']).includes('hour'));
});

test('no points, or one: no interval, no gaps, rows as given', () => {
  const empty = run([], [[]], {});
  assert.equal(empty.times.length, 0);
  assert.equal(empty.interval, null);
  const one = run([JAN_2024], [[Number.POSITIVE_INFINITY]], {});
  assert.equal(one.interval, null);
  assert.ok(Number.isNaN(one.values[0][0]), 'an infinite value is NULL');
});
