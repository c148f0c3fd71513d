/**
 * DDSketch quantiles: within 1 % relative of the exact value at rank floor(q · (n − 1)), negative
 * values included, and the bucket merge is exact whatever the grouping.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { QUANTILE_KEYS, QUANTILE_RELATIVE_ACCURACY, QuantileSketch, mergeQuantiles, type QuantileState } from '../../src/profile/quantile-sketch.js';
import { quantilesOf } from '../../src/profile/quantile-values.js';
import { mulberry32 } from '../helpers/random.js';

function stateOf(values: number[]): QuantileState {
  const sketch = new QuantileSketch();
  for (const v of values) sketch.add(v);
  return sketch.toState();
}

function assertWithinError(state: QuantileState, values: number[]): void {
  const sorted = values.slice().sort((a, b) => a - b);
  const quantiles = quantilesOf(state, sorted[0], sorted[sorted.length - 1]);
  assert.ok(quantiles !== null);
  for (const key of QUANTILE_KEYS) {
    const exact = sorted[Math.floor(Number(key) * (sorted.length - 1))];
    const error = Math.abs(quantiles[key] - exact);
    assert.ok(error <= QUANTILE_RELATIVE_ACCURACY * Math.abs(exact) * (1 + 1e-9), `q${key}: ${quantiles[key]} vs exact ${exact}`);
  }
}

// Values DDSketch can tell from zero; below ~1e-308 it counts a value as zero.
const value = fc.oneof(
  fc.double({ min: -1e12, max: 1e12, noNaN: true }).filter((x) => x === 0 || Math.abs(x) > 1e-300),
  fc.integer({ min: -1000, max: 1000 }),
);

describe('QuantileSketch', () => {
  test('every quantile is within the relative accuracy of the exact one', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 400 }), (values) => {
      assertWithinError(stateOf(values), values);
    }), { numRuns: 200 });
  });

  test('chunks merged in any order give the one-pass buckets exactly, negatives included', () => {
    fc.assert(fc.property(fc.array(value, { minLength: 1, maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (values, cuts) => {
      const bounds = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
      const chunks: number[][] = [];
      let from = 0;
      for (const to of [...bounds, values.length]) {
        chunks.push(values.slice(from, to));
        from = to;
      }
      const states = chunks.map(stateOf);
      const forward = states.reduce(mergeQuantiles);
      const backward = states.slice().reverse().reduce(mergeQuantiles);
      assert.deepEqual(forward, stateOf(values));
      assert.deepEqual(backward, stateOf(values));
      assertWithinError(forward, values);
    }), { numRuns: 200 });
  });

  test('a lognormal column of both signs keeps its accuracy over 100,000 values, merged from two parts', () => {
    const random = mulberry32(7);
    const values: number[] = [];
    for (let i = 0; i < 100_000; i++) {
      const gaussian = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      values.push((i % 3 === 0 ? -1 : 1) * Math.exp(3 + 2 * gaussian));
    }
    const halves = mergeQuantiles(stateOf(values.slice(0, 37_000)), stateOf(values.slice(37_000)));
    assertWithinError(halves, values);
  });

  test('an empty state has no quantiles', () => {
    assert.equal(quantilesOf(stateOf([]), 0, 0), null);
  });
});
