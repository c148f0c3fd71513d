/**
 * processSeries equals the straightforward reference (reference-series.ts) on random series:
 * gaps, duplicates, NULLs, jitter, spikes and shifts, several value columns, random options,
 * unsorted input, a stored tail and a context before outputFrom.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { processSeries, type SeriesInput } from '../../src/timeseries/process-series.js';
import { featureColumns } from '../../src/timeseries/series-options.js';
import { mulberry32 } from '../helpers/random.js';
import { referenceSeries } from './reference-series.js';
import { assertSameOutput, caseArbitrary, emptyTail, randomPoints, scaleOf } from './random-series.js';

const cases = caseArbitrary(
  { minPoints: 0, maxPoints: 420, maxColumns: 3, jitters: [0, 0, 0.2, 0.45] },
  fc.record({ tailShare: fc.constantFrom(0, 0, 0.2), outputShare: fc.constantFrom(0, 0, 0.3) }),
  false,
);

/** Splits a series into a stored tail (its first distinct times, some rows marked imputed) and the new points. */
function withTail(times: Float64Array, values: Float64Array[], share: number, random: () => number): Pick<SeriesInput, 'tail' | 'times' | 'values'> {
  const distinct = [...new Set(times)].sort((a, b) => a - b);
  const tailCount = Math.floor(distinct.length * share);
  if (tailCount === 0) return { tail: emptyTail(values.length), times, values };
  const tailTimes = distinct.slice(0, tailCount);
  const firstIndex = new Map<number, number>();
  times.forEach((t, i) => { if (!firstIndex.has(t)) firstIndex.set(t, i); });
  const tail = {
    times: Float64Array.from(tailTimes),
    values: values.map((v) => Float64Array.from(tailTimes, (t) => v[firstIndex.get(t)!])),
    imputed: Uint8Array.from(tailTimes, () => (random() < 0.1 ? 1 : 0)),
  };
  // Points at the tail's last time stay in the input: they are duplicates of a stored row.
  const keep = Array.from(times.keys()).filter((i) => times[i] >= tailTimes[tailCount - 1]);
  return { tail, times: Float64Array.from(keep, (i) => times[i]), values: values.map((v) => Float64Array.from(keep, (i) => v[i])) };
}

test('processSeries equals the reference computation on random series', () => {
  fc.assert(
    fc.property(cases, ([shape, options]) => {
      const random = mulberry32(shape.seed);
      const { times, values } = randomPoints(shape.seed, shape, random);
      const split = withTail(times, values, shape.tailShare, random);
      const sorted = [...split.times].sort((a, b) => a - b);
      const outputFrom = shape.outputShare === 0 || sorted.length === 0 ? -Infinity : sorted[Math.floor(sorted.length * shape.outputShare)];
      const input: SeriesInput = { ...split, outputFrom };
      const actual = processSeries(input, options);
      const expected = referenceSeries(input, options);
      assert.equal(actual.features.length, featureColumns(options, values.map((_, c) => `v${c}`)).length);
      assertSameOutput(actual, expected, scaleOf([...values, ...split.tail.values]));
    }),
    { numRuns: 150 },
  );
});

test('the reference comparison is not vacuous: the random cases hold gaps, imputed rows, seasonal scores and anomalies', () => {
  const seen = { imputed: 0, openGaps: 0, duplicates: 0, anomalies: 0, seasonal: 0, events: 0 };
  fc.assert(
    fc.property(cases, ([shape, options]) => {
      const { times, values } = randomPoints(shape.seed, shape, mulberry32(shape.seed));
      const out = processSeries({ tail: emptyTail(values.length), times, values, outputFrom: -Infinity }, options);
      seen.imputed += out.counts.imputed;
      seen.openGaps += out.counts.openGaps;
      seen.duplicates += out.counts.duplicates;
      seen.anomalies += out.counts.anomalies;
      seen.events += out.events.length;
      seen.seasonal += out.events.filter((e) => e.method === 'seasonal_robust_z').length;
    }),
    { numRuns: 150, seed: 1 },
  );
  for (const [what, count] of Object.entries(seen)) assert.ok(count > 0, `${what}: ${count}`);
});
