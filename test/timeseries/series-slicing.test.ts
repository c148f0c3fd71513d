/**
 * A series cut into slices, each given contextPoints(...) points before it and outputFrom = its
 * first time, concatenates to the unsliced output (events joined at the boundaries, counts
 * summed); and a series processed in two parts, the second with the first's last contextPoints
 * output rows as its tail, equals one pass.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { joinSeriesEvents, processSeries, type SeriesOutput } from '../../src/timeseries/process-series.js';
import { contextPoints, type SeriesOptions } from '../../src/timeseries/series-options.js';
import { mulberry32 } from '../helpers/random.js';
import { HOUR, JAN_2024, assertSameOutput, caseArbitrary, emptyTail, gaussian, randomPoints, scaleOf, type SeriesShape } from './random-series.js';

const cases = caseArbitrary(
  { minPoints: 1, maxPoints: 400, maxColumns: 2, jitters: [0, 0.2] },
  fc.record({ cuts: fc.uniqueArray(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }) }),
  true,
);

/** The case's series in one pass, and its distinct times in order. */
function onePass(shape: SeriesShape & { seed: number }, options: SeriesOptions) {
  const { times, values } = randomPoints(shape.seed, shape, mulberry32(shape.seed));
  const full = processSeries({ tail: emptyTail(values.length), times, values, outputFrom: -Infinity }, options);
  return { times, values, full, distinct: [...new Set(times)].sort((a, b) => a - b) };
}

/** The points with low ≤ time < high, in input order. */
function pointsBetween(times: Float64Array, values: Float64Array[], low: number, high: number): { times: Float64Array; values: Float64Array[] } {
  const keep = Array.from(times.keys()).filter((i) => times[i] >= low && times[i] < high);
  return { times: Float64Array.from(keep, (i) => times[i]), values: values.map((v) => Float64Array.from(keep, (i) => v[i])) };
}

/** Outputs one after the other as one: arrays concatenated, counts summed, events joined across each boundary. */
function concatenate(parts: SeriesOutput[]): SeriesOutput {
  const cat = (arrays: Float64Array[]): Float64Array => Float64Array.from(arrays.flatMap((a) => Array.from(a)));
  const catBytes = (arrays: Uint8Array[]): Uint8Array => Uint8Array.from(arrays.flatMap((a) => Array.from(a)));
  const nonEmpty = parts.filter((p) => p.times.length > 0);
  let events = nonEmpty[0]?.events ?? [];
  for (let k = 1; k < nonEmpty.length; k++) {
    const before = nonEmpty[k - 1].times;
    events = joinSeriesEvents(events, before[before.length - 1], nonEmpty[k].events, nonEmpty[k].times[0]);
  }
  const counts = { ...parts[0].counts };
  for (const part of parts.slice(1)) for (const key of Object.keys(counts) as Array<keyof typeof counts>) counts[key] += part.counts[key];
  return {
    times: cat(parts.map((p) => p.times)), values: parts[0].values.map((_, c) => cat(parts.map((p) => p.values[c]))),
    imputed: catBytes(parts.map((p) => p.imputed)), anomaly: catBytes(parts.map((p) => p.anomaly)), score: cat(parts.map((p) => p.score)),
    features: parts[0].features.map((_, f) => cat(parts.map((p) => p.features[f]))), interval: parts[0].interval, counts, events,
  };
}

test('slices with contextPoints points before them concatenate to the unsliced output', () => {
  fc.assert(
    fc.property(cases, ([shape, options]) => {
      const { times, values, full, distinct } = onePass(shape, options);
      const context = contextPoints(options, shape.interval);
      const starts = [...new Set([0, ...shape.cuts.map((c) => Math.floor(c * distinct.length))])].filter((b) => b < distinct.length).sort((a, b) => a - b);
      const slices = starts.map((start, s) => {
        const end = s + 1 < starts.length ? starts[s + 1] : distinct.length;
        const part = pointsBetween(times, values, distinct[Math.max(0, start - context)], end < distinct.length ? distinct[end] : Infinity);
        return processSeries({ tail: emptyTail(values.length), ...part, outputFrom: start === 0 ? -Infinity : distinct[start] }, options);
      });
      assertSameOutput(concatenate(slices), full, scaleOf(values));
    }),
    { numRuns: 120 },
  );
});

test('a continuation from the last contextPoints stored rows equals one pass', () => {
  fc.assert(
    fc.property(cases, ([shape, options]) => {
      const { times, values, full, distinct } = onePass(shape, options);
      const cut = distinct[Math.floor(shape.cuts[0] * distinct.length)] ?? Infinity;
      const first = processSeries({ tail: emptyTail(values.length), ...pointsBetween(times, values, -Infinity, cut), outputFrom: -Infinity }, options);
      const keep = Math.max(0, first.times.length - contextPoints(options, shape.interval));
      const tail = { times: first.times.slice(keep), values: first.values.map((v) => v.slice(keep)), imputed: first.imputed.slice(keep) };
      const second = processSeries({ tail, ...pointsBetween(times, values, cut, Infinity), outputFrom: -Infinity }, options);
      assertSameOutput(concatenate([first, second]), full, scaleOf(values));
    }),
    { numRuns: 120 },
  );
});

test('context matters: without it a slice scores and averages its first rows differently', () => {
  const random = mulberry32(5);
  const n = 600;
  const times = Float64Array.from({ length: n }, (_, i) => 1.7e15 + i * 60e6);
  const values = [Float64Array.from({ length: n }, (_, i) => random() + (i === 330 ? 30 : 0))];
  const options: SeriesOptions = { ...optionsDefaults(), interval: { kind: 'fixed', micros: 60e6 } };
  const full = processSeries({ tail: emptyTail(1), times, values, outputFrom: -Infinity }, options);
  const bare = processSeries({ tail: emptyTail(1), times: times.slice(300), values: [values[0].slice(300)], outputFrom: -Infinity }, options);
  const start = Math.max(0, 300 - contextPoints(options, options.interval!));
  const withContext = processSeries({ tail: emptyTail(1), times: times.slice(start), values: [values[0].slice(start)], outputFrom: times[300] }, options);
  assert.deepEqual(full.events.map((e) => e.peak), [times[330]]);
  assert.ok(Number.isNaN(bare.score[0]) && !Number.isNaN(full.score[300]));
  assert.notEqual(bare.features[4][0], full.features[4][300]);
  assert.deepEqual(Array.from(withContext.score), Array.from(full.score.slice(300)));
});

function optionsDefaults(): SeriesOptions {
  return { interval: null, duplicates: 'last', impute: ['none'], maxGapMicros: null, windows: [10], lags: [1], ewmaAlpha: 0.2, calendarZone: null, anomaly: { window: 60, threshold: 5, minPoints: 12, seasonal: false } };
}

test('a seasonal series with a trend, gaps, NULLs and spikes: slices with contextPoints points before them equal one pass', () => {
  // The random cases are mostly too short for the seasonal score's dependencies (drift windows,
  // references, the references' own first-pass flags) to reach past a slice's context.
  const random = mulberry32(21);
  const step = HOUR;
  const kept = Array.from({ length: 2400 }, (_, i) => i).filter((i) => i % 53 >= 4);
  const times = Float64Array.from(kept, (i) => JAN_2024 + i * step);
  const values = [Float64Array.from(kept, (i) => {
    if (i % 211 === 7) return Number.NaN;
    const spike = i % 97 === 0 ? 40 : i % 131 === 0 ? -25 : 0;
    return 0.3 * i + 10 * Math.sin((2 * Math.PI * i) / 24) + gaussian(random) + spike;
  })];
  for (const window of [12, 60]) {
    const options: SeriesOptions = { ...optionsDefaults(), ewmaAlpha: 1, interval: { kind: 'fixed', micros: step }, anomaly: { window, threshold: 5, minPoints: 6, seasonal: true } };
    const full = processSeries({ tail: emptyTail(1), times, values, outputFrom: -Infinity }, options);
    assert.ok(full.events.filter((e) => e.method === 'seasonal_robust_z').length >= 10, JSON.stringify(full.events.length));
    const context = contextPoints(options, options.interval!);
    const starts = [0, 900, 1350, 1500, 1800, 2100];
    const slices = starts.map((start, s) => {
      const end = s + 1 < starts.length ? starts[s + 1] : times.length;
      const from = Math.max(0, start - context);
      return processSeries({ tail: emptyTail(1), times: times.slice(from, end), values: [values[0].slice(from, end)], outputFrom: start === 0 ? -Infinity : times[start] }, options);
    });
    assertSameOutput(concatenate(slices), full, scaleOf(values));
  }
});

test('steps over runs of NULLs and many flags: a slice needs up to four anomaly windows of context', () => {
  // A score reads the steps of its window; a step reads the previous observed value up to a
  // window before it, and the first-pass flags of both its ends; those flags read their own
  // windows of steps. A walk with jumps, a third to two thirds NULL, at threshold 1 reaches there.
  const window = 6;
  const options: SeriesOptions = { ...optionsDefaults(), windows: [2], ewmaAlpha: 1, interval: { kind: 'fixed', micros: 1e6 }, anomaly: { window, threshold: 1, minPoints: 2, seasonal: false } };
  const n = 80;
  const times = Float64Array.from({ length: n }, (_, i) => i * 1e6);
  const series = (seed: number): Float64Array[] => {
    const random = mulberry32(seed);
    const nullRate = random() * 0.7;
    let level = 0;
    return [Float64Array.from({ length: n }, () => {
      level += random() < 0.2 ? (random() - 0.5) * 20 : random() - 0.5;
      return random() < nullRate ? Number.NaN : level;
    })];
  };
  const slice = (values: Float64Array[], start: number, context: number): number[] => {
    const from = Math.max(0, start - context);
    return Array.from(processSeries({ tail: emptyTail(1), times: times.slice(from), values: [values[0].slice(from)], outputFrom: times[start] }, options).score);
  };
  const context = contextPoints(options, options.interval!);
  assert.equal(context, 4 * window);
  for (const seed of [535, 3223]) {
    const values = series(seed);
    const full = Array.from(processSeries({ tail: emptyTail(1), times, values, outputFrom: -Infinity }, options).score);
    for (let start = 1; start < n; start++) assert.deepEqual(slice(values, start, context), full.slice(start), `seed ${seed}, slice at ${start}`);
    if (seed === 3223) assert.notDeepEqual(slice(values, 24, 3 * window), full.slice(24), 'three windows of context are not enough here');
  }
});
