/**
 * The cached DDSketch key is the library's own: LogarithmicMapping.key on random values of every
 * magnitude, on values next to bucket bounds (where a cell holds two keys), on the edges of the
 * double range, and the sketch's buckets equal the library sketch's stores.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DDSketch } from '@datadog/sketches-js';
import fc from 'fast-check';
import { QUANTILE_RELATIVE_ACCURACY, ZERO_BELOW, quantileKey } from '../../src/profile/quantile-key.js';
import { QuantileSketch } from '../../src/profile/quantile-sketch.js';
import { mulberry32 } from '../helpers/random.js';

const library = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
const mapping = library.mapping as unknown as { key(x: number): number; value(key: number): number; minPossible: number };
/** The library's key, -0 (values just below 1) being bucket 0. */
const libraryKey = (x: number): number => mapping.key(x) + 0;

function nextUp(x: number): number {
  const bits = new Float64Array([x]);
  const words = new BigUint64Array(bits.buffer);
  words[0] += 1n;
  return bits[0];
}

function nextDown(x: number): number {
  const bits = new Float64Array([x]);
  const words = new BigUint64Array(bits.buffer);
  words[0] -= 1n;
  return bits[0];
}

describe('quantileKey', () => {
  test('zero below the library\'s smallest value', () => {
    assert.equal(ZERO_BELOW, mapping.minPossible);
  });

  test('the library\'s key for random doubles of every magnitude, asked twice (the cached answer too)', () => {
    fc.assert(fc.property(fc.double({ min: Number.MIN_VALUE, noNaN: true, noDefaultInfinity: true }).filter((x) => x > ZERO_BELOW), (x) => {
      assert.equal(quantileKey(x), libraryKey(x), String(x));
      assert.equal(quantileKey(x), libraryKey(x), String(x));
    }), { numRuns: 20_000 });
  });

  test('the library\'s key right at and beside bucket bounds, and at the edges of the double range', () => {
    const random = mulberry32(11);
    const values = [Number.MAX_VALUE, nextUp(ZERO_BELOW), 2 ** -1022, nextDown(2 ** -1022), 1, nextDown(1), nextUp(1), 2 ** 53, 1e-300, 5e-324 * 3e15];
    for (let i = 0; i < 5000; i++) {
      // A bound: the last float of bucket k, found by bisection between values of buckets k and k + 1.
      const key = Math.floor(random() * 4000) - 2000;
      let low = mapping.value(key);
      let high = mapping.value(key + 1);
      assert.ok(mapping.key(low) <= key && mapping.key(high) > key);
      for (let step = 0; step < 200; step++) {
        const mid = low + (high - low) / 2;
        if (mid === low || mid === high) break;
        if (mapping.key(mid) <= key) low = mid;
        else high = mid;
      }
      values.push(low, nextUp(low), nextDown(low), nextUp(nextUp(low)));
    }
    for (let i = 0; i < 20_000; i++) values.push(Math.exp((random() - 0.5) * 1400), Math.round(random() * 1e6) / 100, random() * 8.64e7);
    for (const x of values) if (x > ZERO_BELOW) assert.equal(quantileKey(x), libraryKey(x), String(x));
  });

  test('QuantileSketch buckets equal the library sketch\'s stores, zeros and negatives included', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer({ min: -50, max: 50 }), fc.constant(0)), { maxLength: 300 }), (values) => {
      const sketch = new QuantileSketch();
      const reference = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
      for (const x of values) { sketch.add(x); reference.accept(x); }
      const state = sketch.toState();
      assert.equal(state.zeros, reference.zeroCount);
      for (const [buckets, store] of [[state.positive, reference.store], [state.negative, reference.negativeStore]] as const) {
        const bins = store as unknown as { bins: number[]; offset: number; count: number };
        let total = 0;
        buckets.counts.forEach((count, i) => {
          assert.equal(count, bins.bins[buckets.minKey + i - bins.offset] ?? 0);
          total += count;
        });
        assert.equal(total, bins.count);
      }
    }), { numRuns: 300 });
  });

  test('a sketch reset between chunks starts empty', () => {
    const sketch = new QuantileSketch();
    for (let i = 1; i < 1000; i++) sketch.add(i * 1.7);
    sketch.reset();
    for (const x of [-3, 0, 5e9]) sketch.add(x);
    const fresh = new QuantileSketch();
    for (const x of [-3, 0, 5e9]) fresh.add(x);
    assert.deepEqual(sketch.toState(), fresh.toState());
  });
});
