import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { detectInterval, formatInterval, regularity } from '../../src/timeseries/sampling-interval.js';
import { mulberry32 } from '../helpers/random.js';
import { DAY, HOUR, JAN_2024, MINUTE, SECOND } from './random-series.js';

const at = (text: string): number => Date.parse(text) * 1000;

function every(step: number, n: number, jitter = 0, seed = 1): Float64Array {
  const random = mulberry32(seed);
  const out = new Float64Array(n);
  for (let i = 1; i < n; i++) out[i] = out[i - 1] + Math.round(step * (1 + jitter * (2 * random() - 1)));
  return out.map((t) => t + JAN_2024);
}

test('exact fixed sampling is detected and formatted', () => {
  for (const [step, text] of [[SECOND, '1s'], [15 * MINUTE, '15m'], [HOUR, '1h'], [DAY, '1d'], [250_000, '250ms'], [90 * SECOND, '90s'], [7 * SECOND, '7s'], [1500, '1500us']] as const) {
    const interval = detectInterval(every(step, 50));
    assert.deepEqual(interval, { kind: 'fixed', micros: step }, text);
    assert.equal(formatInterval(interval!), text);
  }
});

test('jittered sampling (±20 %) with a few gaps and duplicates snaps to the round interval', () => {
  fc.assert(
    fc.property(fc.integer(), fc.constantFrom(SECOND, MINUTE, 5 * MINUTE, HOUR), (seed, step) => {
      const times = Array.from(every(step, 300, 0.2, seed));
      const random = mulberry32(seed ^ 0x5eed);
      for (let k = 0; k < 5; k++) times.splice(Math.floor(random() * 280) + 10, 3);
      times.push(times[100]);
      times.sort((a, b) => a - b);
      const interval = detectInterval(Float64Array.from(times));
      assert.deepEqual(interval, { kind: 'fixed', micros: step });
      assert.ok(regularity(Float64Array.from(times), interval!) > 0.9);
    }),
    { numRuns: 50 },
  );
});

test('a median near no round interval is kept to a hundredth of itself', () => {
  assert.deepEqual(detectInterval(every(77_777_777, 40)), { kind: 'fixed', micros: 77_778_000 });
});

test('calendar intervals: month ends, a day of the month, quarters, years', () => {
  const monthEnds = ['2023-11-30', '2023-12-31', '2024-01-31', '2024-02-29', '2024-03-31', '2024-04-30'].map((d) => at(`${d}T00:00:00Z`));
  assert.deepEqual(detectInterval(Float64Array.from(monthEnds)), { kind: 'calendar', months: 1 });
  const fifteenths = Array.from({ length: 12 }, (_, m) => Date.UTC(2023, m, 15, 8) * 1000);
  assert.deepEqual(detectInterval(Float64Array.from(fifteenths)), { kind: 'calendar', months: 1 });
  const quarters = Array.from({ length: 8 }, (_, q) => Date.UTC(2022, 3 * q, 1) * 1000);
  assert.deepEqual(detectInterval(Float64Array.from(quarters)), { kind: 'calendar', months: 3 });
  const years = Array.from({ length: 6 }, (_, y) => Date.UTC(2018 + y, 6, 1) * 1000);
  assert.deepEqual(detectInterval(Float64Array.from(years)), { kind: 'calendar', months: 12 });
  // Every 30 days exactly drifts through the month: a fixed interval, not a calendar one.
  assert.deepEqual(detectInterval(every(30 * DAY, 24)), { kind: 'fixed', micros: 30 * DAY });
  assert.equal(regularity(Float64Array.from(monthEnds), { kind: 'calendar', months: 1 }), 1);
});

test('a range of the times; fewer than two distinct times give null', () => {
  const times = Float64Array.from([...every(SECOND, 20), ...every(HOUR, 20).map((t) => t + DAY)]);
  assert.deepEqual(detectInterval(times, 0, 20), { kind: 'fixed', micros: SECOND });
  assert.deepEqual(detectInterval(times, 20, 40), { kind: 'fixed', micros: HOUR });
  assert.equal(detectInterval(new Float64Array(0)), null);
  assert.equal(detectInterval(Float64Array.from([5, 5, 5])), null);
});

test('formatInterval names calendar intervals', () => {
  assert.equal(formatInterval({ kind: 'calendar', months: 1 }), '1 month');
  assert.equal(formatInterval({ kind: 'calendar', months: 3 }), '1 quarter');
  assert.equal(formatInterval({ kind: 'calendar', months: 12 }), '1 year');
  assert.equal(formatInterval({ kind: 'calendar', months: 6 }), '6 months');
  assert.equal(formatInterval({ kind: 'calendar', months: 24 }), '2 years');
});
