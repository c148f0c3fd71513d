/**
 * Random series for the property tests: jittered or exact sampling, duplicates, short and long
 * gaps, NULLs, spikes, level shifts, integer (tied) values and constant runs, several value
 * columns, fixed or calendar intervals; random options; and the comparison of two outputs
 * (times and flags exactly, numbers within 1e-9 relative).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { SeriesEvent, SeriesInput, SeriesOutput } from '../../src/timeseries/process-series.js';
import type { Interval, SeriesOptions } from '../../src/timeseries/series-options.js';

export const SECOND = 1_000_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;
export const JAN_2024 = Date.UTC(2024, 0, 1) * 1000;

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface SeriesShape {
  points: number;
  columns: number;
  interval: Interval;
  jitter: number;
  nullShare: number;
}

/** Sorted times (duplicates kept) of a series with the interval's step, gaps and duplicates. */
function randomTimes(random: () => number, shape: SeriesShape): number[] {
  const times: number[] = [];
  const { interval } = shape;
  if (interval.kind === 'fixed') {
    let t = JAN_2024 + Math.floor(random() * DAY);
    for (let i = 0; i < shape.points; i++) {
      const r = random();
      if (i > 0) {
        const step = interval.micros;
        if (r < 0.06) t += 0;
        else if (r < 0.12) t += step * (2 + Math.floor(random() * 5));
        else if (r < 0.14) t += step * (10 + Math.floor(random() * 30));
        else t += Math.round(step * (1 + shape.jitter * (2 * random() - 1)));
      }
      times.push(t);
    }
    return times;
  }
  const day = [1, 15, 28, 29, 30, 31][Math.floor(random() * 6)];
  const timeOfDay = Math.floor(random() * 24) * HOUR;
  let month = Math.floor(random() * 12);
  for (let i = 0; i < shape.points; i++) {
    const r = random();
    if (i > 0 && r >= 0.06) month += interval.months * (r < 0.14 ? 2 + Math.floor(random() * 3) : 1);
    const year = 2020 + Math.floor(month / 12);
    const m = month % 12;
    const last = new Date(Date.UTC(year, m + 1, 0)).getUTCDate();
    times.push(Date.UTC(year, m, Math.min(day, last)) * 1000 + timeOfDay);
  }
  return times;
}

/** One value column: noise, a walk, integers with ties, or constant runs, with spikes, a shift and NULLs. */
function randomColumn(random: () => number, n: number, nullShare: number): Float64Array {
  const kind = Math.floor(random() * 4);
  const level = (random() - 0.5) * 200;
  const sigma = 0.1 + random() * 10;
  const out = new Float64Array(n);
  let walk = level;
  let constant = level;
  const shiftAt = random() < 0.3 ? Math.floor(random() * n) : n;
  for (let i = 0; i < n; i++) {
    walk += gaussian(random) * sigma;
    if (random() < 0.1) constant = Math.round(level + gaussian(random) * sigma);
    let x = kind === 0 ? level + gaussian(random) * sigma : kind === 1 ? walk : kind === 2 ? Math.round(level + gaussian(random) * 2) : constant;
    if (i >= shiftAt) x += 20 * sigma;
    if (random() < 0.02) x += (random() < 0.5 ? -1 : 1) * 15 * sigma;
    out[i] = random() < nullShare ? Number.NaN : x;
  }
  return out;
}

export interface RandomCase {
  input: SeriesInput;
  options: SeriesOptions;
  /** The interval the series was generated with (options.interval may be null: detected). */
  interval: Interval;
  /** The largest |value| of the case, the scale of the numbers' tolerance. */
  scale: number;
}

export const intervalArbitrary: fc.Arbitrary<Interval> = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(SECOND, MINUTE, 15 * MINUTE, HOUR, DAY).map((micros): Interval => ({ kind: 'fixed', micros })) },
  { weight: 2, arbitrary: fc.constantFrom(1, 3, 12).map((months): Interval => ({ kind: 'calendar', months })) },
);

export function optionsArbitrary(columns: number, interval: Interval): fc.Arbitrary<SeriesOptions> {
  const step = interval.kind === 'fixed' ? interval.micros : interval.months * 31 * DAY;
  return fc.record({
    interval: fc.constantFrom<Interval | null>(interval, interval, null),
    duplicates: fc.constantFrom('last', 'first', 'mean'),
    impute: fc.array(fc.constantFrom('linear', 'locf', 'none'), { minLength: columns, maxLength: columns }),
    maxGapMicros: fc.oneof(fc.constant(null), fc.integer({ min: 2, max: 12 }).map((k) => k * step), fc.constant(Number.MAX_VALUE)),
    windows: fc.uniqueArray(fc.constantFrom(1, 2, 3, 5, 8, 13), { maxLength: 3 }),
    lags: fc.uniqueArray(fc.constantFrom(1, 2, 5), { maxLength: 2 }),
    ewmaAlpha: fc.constantFrom(0.05, 2 / 11, 0.5, 1),
    calendarZone: fc.constantFrom(null, 'UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Kolkata'),
    anomaly: fc.record({
      window: fc.integer({ min: 3, max: 30 }),
      threshold: fc.constantFrom(1.5, 3, 5),
      minPoints: fc.integer({ min: 1, max: 10 }),
      seasonal: fc.boolean(),
    }),
  }) as fc.Arbitrary<SeriesOptions>;
}

/**
 * A random case: the series' shape (its points, value columns, interval, jitter and NULL share;
 * `seed` drives the values), test-specific fields, and options for it (with the series' interval
 * when `knownInterval`, else that or null: detected).
 */
export function caseArbitrary<Extra extends object>(
  limits: { minPoints: number; maxPoints: number; maxColumns: number; jitters: number[] }, extra: fc.Arbitrary<Extra>, knownInterval: boolean,
): fc.Arbitrary<[SeriesShape & { seed: number } & Extra, SeriesOptions]> {
  const shape = fc.record({
    seed: fc.integer(),
    points: fc.integer({ min: limits.minPoints, max: limits.maxPoints }),
    columns: fc.integer({ min: 1, max: limits.maxColumns }),
    interval: intervalArbitrary,
    jitter: fc.constantFrom(...limits.jitters),
    nullShare: fc.constantFrom(0, 0.05, 0.3),
  });
  return fc.tuple(shape, extra).chain(([base, more]) => {
    const merged = { ...base, ...more };
    const options = optionsArbitrary(merged.columns, merged.interval).map((o): SeriesOptions => (knownInterval ? { ...o, interval: merged.interval } : o));
    return fc.tuple(fc.constant(merged), options);
  });
}

/** Times and values of a random series in shuffled input order. */
export function randomPoints(seed: number, shape: SeriesShape, random: () => number): { times: Float64Array; values: Float64Array[] } {
  const sorted = randomTimes(random, shape);
  const n = sorted.length;
  const values = Array.from({ length: shape.columns }, () => randomColumn(random, n, shape.nullShare));
  const order = Array.from({ length: n }, (_, i) => i);
  if (seed % 3 !== 0) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
  }
  return { times: Float64Array.from(order, (i) => sorted[i]), values: values.map((v) => Float64Array.from(order, (i) => v[i])) };
}

export function scaleOf(arrays: readonly Float64Array[]): number {
  let scale = 1;
  for (const a of arrays) for (const x of a) if (Number.isFinite(x)) scale = Math.max(scale, Math.abs(x));
  return scale;
}

export function emptyTail(columns: number): SeriesInput['tail'] {
  return { times: new Float64Array(0), values: Array.from({ length: columns }, () => new Float64Array(0)), imputed: new Uint8Array(0) };
}

/** Numbers equal within 1e-9 of the larger of themselves and the series' largest |value| (floating rounding is relative to the data, not to a std near 0); NaN equals NaN. */
export function close(a: number, b: number, scale: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), scale);
}

function assertCloseArray(actual: Float64Array, expected: Float64Array, scale: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) assert.ok(close(actual[i], expected[i], scale), `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
}

export function assertSameEvents(actual: readonly SeriesEvent[], expected: readonly SeriesEvent[], scale: number): void {
  assert.equal(actual.length, expected.length, `events: ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`);
  actual.forEach((event, e) => {
    const { score, value, ...exact } = event;
    const { score: expectedScore, value: expectedValue, ...expectedExact } = expected[e];
    assert.deepEqual(exact, expectedExact, `event ${e}`);
    assert.ok(close(score, expectedScore, 1) && close(value, expectedValue, scale), `event ${e} score/value`);
  });
}

/** Times, imputed and anomaly flags, counts, interval exactly; values, scores and features to rounding. */
export function assertSameOutput(actual: SeriesOutput, expected: SeriesOutput, scale: number, options: { events?: boolean } = {}): void {
  assert.deepEqual(actual.interval, expected.interval, 'interval');
  assert.deepEqual(Array.from(actual.times), Array.from(expected.times), 'times');
  assert.deepEqual(Array.from(actual.imputed), Array.from(expected.imputed), 'imputed');
  assert.deepEqual(Array.from(actual.anomaly), Array.from(expected.anomaly), 'anomaly');
  assert.deepEqual(actual.counts, expected.counts, 'counts');
  assert.equal(actual.values.length, expected.values.length);
  actual.values.forEach((v, c) => assertCloseArray(v, expected.values[c], scale, `values[${c}]`));
  assertCloseArray(actual.score, expected.score, 1, 'score');
  assert.equal(actual.features.length, expected.features.length, 'feature count');
  actual.features.forEach((f, k) => assertCloseArray(f, expected.features[k], scale, `features[${k}]`));
  if (options.events !== false) assertSameEvents(actual.events, expected.events, scale);
}
