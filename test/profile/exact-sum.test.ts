/**
 * The exact sum: the same total, to the bit, whatever the order of the values, and the correctly
 * rounded double of that total.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ExactSum, decodeScaled, doubleToScaled, encodeScaled, scaledToDouble } from '../../src/profile/exact-sum.js';

const finite = fc.double({ noNaN: true, noDefaultInfinity: true });

function sumOf(values: number[]): bigint {
  const sum = new ExactSum();
  for (const v of values) sum.add(v);
  return sum.toScaled();
}

describe('ExactSum', () => {
  test('a double converts to its exact scaled value and back unchanged', () => {
    fc.assert(fc.property(finite, (x) => {
      // A BigInt has no -0: -0 comes back as 0, every other value as itself.
      assert.equal(scaledToDouble(doubleToScaled(x)), x === 0 ? 0 : x);
    }), { numRuns: 2000 });
    assert.equal(scaledToDouble(doubleToScaled(Number.MIN_VALUE)), Number.MIN_VALUE);
    assert.equal(scaledToDouble(doubleToScaled(Number.MAX_VALUE)), Number.MAX_VALUE);
  });

  test('addAll over an array (the extraction levels) gives the exact BigInt sum too', () => {
    const similar = fc.array(fc.integer({ min: -1e6, max: 1e6 }).map((k) => k / 100), { maxLength: 3000 });
    const wide = fc.array(fc.oneof(finite, fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, 2 ** -1022, 2 ** 960, 0, -0)), { maxLength: 300 });
    fc.assert(fc.property(fc.oneof(similar, wide), fc.nat({ max: 2 ** 40 }), (values, start) => {
      const exact = values.reduce((total, v) => total + doubleToScaled(v), 0n);
      const sum = new ExactSum();
      sum.add(start / 7);
      sum.addAll(Float64Array.from(values), values.length);
      assert.equal(sum.toScaled(), exact + doubleToScaled(start / 7));
    }), { numRuns: 500 });
  });

  test('the total equals the exact BigInt sum of the values, in any order', () => {
    fc.assert(fc.property(fc.array(finite, { maxLength: 200 }), fc.integer(), (values, seed) => {
      const exact = values.reduce((total, v) => total + doubleToScaled(v), 0n);
      assert.equal(sumOf(values), exact);
      const shuffled = values.slice();
      let s = seed;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (Math.imul(s, 1103515245) + 12345) | 0;
        const j = (s >>> 0) % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
      }
      assert.equal(sumOf(shuffled), exact);
    }), { numRuns: 300 });
  });

  test('cancellation and many small terms are summed exactly where a naive sum drifts', () => {
    assert.equal(scaledToDouble(sumOf([1e100, 1, -1e100])), 1);
    const tenths = new Array<number>(10).fill(0.1);
    assert.notEqual(tenths.reduce((a, b) => a + b, 0), 1);
    assert.equal(scaledToDouble(sumOf(tenths)), 1);
    assert.equal(scaledToDouble(sumOf([Number.MAX_VALUE, Number.MAX_VALUE, -Number.MAX_VALUE])), Number.MAX_VALUE);
    assert.equal(scaledToDouble(sumOf([Number.MAX_VALUE, Number.MAX_VALUE])), Infinity);
  });

  test('rounding of the total is to nearest, ties to even', () => {
    // 1 + 2^-53 is a tie between 1 and 1 + 2^-52: even is 1. A third term decides it upward.
    assert.equal(scaledToDouble(sumOf([1, 2 ** -53])), 1);
    assert.equal(scaledToDouble(sumOf([1, 2 ** -53, 2 ** -100])), 1 + 2 ** -52);
    assert.equal(scaledToDouble(sumOf([1 + 2 ** -52, 2 ** -53])), 1 + 2 ** -51);
  });

  test('the hexadecimal form round-trips, negative totals included', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 2100n), max: 2n ** 2100n }), (n) => {
      assert.equal(decodeScaled(encodeScaled(n)), n);
    }));
  });
});
