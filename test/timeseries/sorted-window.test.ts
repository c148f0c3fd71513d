import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SortedWindow, robustScore } from '../../src/timeseries/sorted-window.js';
import { referenceRobustScore } from './reference-series.js';

// -0 is 0 here: the window orders them as equal, as a numeric sort does.
const values = fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -1e6, max: 1e6, noNaN: true })).map((x) => (x === 0 ? 0 : x));

test('robustScore of a sorted window equals sorting it and its deviations, bit for bit (ties, flat windows, any size)', () => {
  fc.assert(
    fc.property(fc.array(values, { minLength: 1, maxLength: 80 }), values, (window, x) => {
      const sorted = Float64Array.from(window).sort();
      assert.equal(robustScore(sorted, sorted.length, x), referenceRobustScore(window, x));
    }),
    { numRuns: 2000 },
  );
});

test('the floor: a flat window of 0 scores a move against 1e-9, a flat window of v against 1 % of v, a stepped one against its step', () => {
  assert.equal(robustScore(new Float64Array(20), 20, 1e-8), 10);
  assert.equal(robustScore(new Float64Array(20).fill(200), 20, 210), 5);
  const stepped = Float64Array.from([...Array(15).fill(1), ...Array(5).fill(2)]);
  assert.equal(robustScore(stepped, 20, 3), Math.abs(3 - 1) / Math.max(1, 1.2533 * (5 / 20)));
});

test('insert, remove and replace keep the window sorted, holding exactly the values put in', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom('insert', 'remove', 'replace'), values), { maxLength: 200 }), (operations) => {
      const window = new SortedWindow(201);
      const plain: number[] = [];
      for (const [operation, x] of operations) {
        if (operation === 'insert' || plain.length === 0) {
          window.insert(x);
          plain.push(x);
        } else {
          const out = plain[Math.abs(Math.floor(x)) % plain.length];
          plain.splice(plain.indexOf(out), 1);
          if (operation === 'remove') window.remove(out);
          else {
            window.replace(out, x);
            plain.push(x);
          }
        }
        assert.deepEqual(Array.from(window.values.subarray(0, window.size)), [...plain].sort((a, b) => a - b));
      }
    }),
    { numRuns: 300 },
  );
});
