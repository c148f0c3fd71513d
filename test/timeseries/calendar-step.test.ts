import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { addMonthsUtc, nearestCalendarStep } from '../../src/timeseries/calendar-step.js';

const at = (text: string): number => Date.parse(text) * 1000;
const iso = (micros: number): string => new Date(micros / 1000).toISOString();

test('months are added on the UTC date, the day clamped to the month end, the time of day kept to the microsecond', () => {
  assert.equal(iso(addMonthsUtc(at('2024-01-31T10:00:00Z'), 1, 31)), '2024-02-29T10:00:00.000Z');
  assert.equal(iso(addMonthsUtc(at('2024-02-29T10:00:00Z'), 1, 31)), '2024-03-31T10:00:00.000Z');
  assert.equal(iso(addMonthsUtc(at('2024-02-29T10:00:00Z'), 1, 30)), '2024-03-30T10:00:00.000Z');
  assert.equal(iso(addMonthsUtc(at('2023-11-30T00:00:00Z'), 3, 30)), '2024-02-29T00:00:00.000Z');
  assert.equal(iso(addMonthsUtc(at('2024-02-29T00:00:00Z'), 12, 29)), '2025-02-28T00:00:00.000Z');
  assert.equal(addMonthsUtc(at('2024-01-15T00:00:00.001Z') + 0.5e3 + 7, 1, 15), at('2024-02-15T00:00:00.001Z') + 507);
  assert.equal(iso(addMonthsUtc(at('2024-03-15T00:00:00Z'), -3, 15)), '2023-12-15T00:00:00.000Z');
});

test('nearestCalendarStep is the number of steps whose grid time is closest to b, by brute force', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2030, 0, 1) }), fc.integer({ min: 1, max: 4000 * 86_400_000 }), fc.constantFrom(1, 3, 12), fc.integer({ min: 1, max: 31 }),
      (aMs, deltaMs, months, day) => {
        const a = aMs * 1000;
        const b = a + deltaMs * 1000;
        let best = 0;
        for (let j = 1; addMonthsUtc(a, (j - 1) * months, day) <= b; j++) {
          const distance = Math.abs(addMonthsUtc(a, j * months, day) - b);
          const bestDistance = Math.abs((best === 0 ? a : addMonthsUtc(a, best * months, day)) - b);
          if (distance <= bestDistance) best = j;
        }
        assert.equal(nearestCalendarStep(a, b, months, day), best);
      },
    ),
    { numRuns: 300 },
  );
});
