/**
 * The column sketch: states built per chunk and merged in any order and grouping equal one pass
 * over the same values — exactly for every exact part (counts, min/max, sum, distinct, top values,
 * text, quantile buckets), the mean and variance within 1e-9 relative to the data's scale — and
 * the finished profile agrees with figures computed directly from the values.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { ColumnSketch, EXACT_DISTINCT_LIMIT, TOP_VALUE_MAX_BYTES, emptyColumnState, mergeColumnStates, type ColumnSketchState } from '../../src/profile/column-sketch.js';
import { profileOf } from '../../src/profile/sketch-profile.js';
import { HLL_STANDARD_ERROR } from '../../src/profile/hyperloglog.js';
import { mulberry32 } from '../helpers/random.js';

/** null is a null, undefined a value that failed its type. */
type Input = number | string | null | undefined;

function feed(sketch: ColumnSketch, value: Input): void {
  if (value === null) sketch.addNull();
  else if (value === undefined) sketch.addInvalid();
  else if (typeof value === 'number') sketch.addNumber(value);
  else sketch.addString(value);
}

function stateOf(values: Input[]): ColumnSketchState {
  const sketch = new ColumnSketch();
  for (const v of values) feed(sketch, v);
  return sketch.toState();
}

function cut(values: Input[], cuts: number[]): Input[][] {
  const bounds = [...new Set(cuts.map((c) => c % (values.length + 1)))].sort((a, b) => a - b);
  const chunks: Input[][] = [];
  let from = 0;
  for (const to of [...bounds, values.length]) {
    chunks.push(values.slice(from, to));
    from = to;
  }
  return chunks;
}

/** Merges the states pairwise, picking the pair and the argument order at random. */
function mergeRandomly(states: ColumnSketchState[], seed: number): ColumnSketchState {
  const random = mulberry32(seed);
  const pending = states.slice();
  while (pending.length > 1) {
    const i = Math.floor(random() * pending.length);
    const [a] = pending.splice(i, 1);
    const j = Math.floor(random() * pending.length);
    const b = pending[j];
    pending[j] = random() < 0.5 ? mergeColumnStates(a, b) : mergeColumnStates(b, a);
  }
  return pending[0];
}

function withoutMoments(state: ColumnSketchState): unknown {
  return { ...state, numbers: { ...state.numbers, moments: null } };
}

function scaleOf(values: Input[]): number {
  let scale = 1;
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) scale = Math.max(scale, Math.abs(v));
  return scale;
}

function assertSameState(actual: ColumnSketchState, expected: ColumnSketchState, scale: number): void {
  assert.deepEqual(withoutMoments(actual), withoutMoments(expected));
  const a = actual.numbers.moments;
  const e = expected.numbers.moments;
  assert.equal(a.n, e.n);
  assert.ok(Math.abs(a.mean - e.mean) <= 1e-9 * scale, `mean ${a.mean} vs ${e.mean}`);
  assert.ok(Math.abs(a.m2 - e.m2) <= 1e-9 * Math.max(1, e.n) * scale * scale, `M2 ${a.m2} vs ${e.m2}`);
}

const special = fc.constantFrom<Input>(NaN, Infinity, -Infinity, -0, 0, null, undefined);
const boundedNumber = fc.oneof(fc.double({ min: -1e15, max: 1e15, noNaN: true }), fc.integer({ min: -5, max: 5 }), special);
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.uuid(),
  fc.emailAddress(),
  fc.constantFrom('a', 'b', 'c', '2024-02-29', '0042', 'https://x.io', ''),
  fc.constant(null),
);
const column = fc.oneof(fc.array(boundedNumber, { maxLength: 300 }), fc.array(text, { maxLength: 300 }), fc.array(fc.oneof(boundedNumber, text), { maxLength: 300 }));

describe('ColumnSketch: chunks merged in any order equal one pass', () => {
  test('numbers, text and mixtures cut at random points, merged in random order and grouping', () => {
    fc.assert(fc.property(column, fc.array(fc.nat(), { maxLength: 8 }), fc.integer(), (values, cuts, seed) => {
      const merged = mergeRandomly(cut(values, cuts).map(stateOf), seed);
      assertSameState(merged, stateOf(values), scaleOf(values));
    }), { numRuns: 300 });
  });

  test('the full double range, subnormals and the largest finite values: every exact part exactly', () => {
    const anyDouble = fc.oneof(fc.double(), fc.constantFrom(Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE));
    fc.assert(fc.property(fc.array(anyDouble, { maxLength: 200 }), fc.array(fc.nat(), { maxLength: 6 }), fc.integer(), (values, cuts, seed) => {
      const merged = mergeRandomly(cut(values, cuts).map(stateOf), seed);
      assert.deepEqual(withoutMoments(merged), withoutMoments(stateOf(values)));
    }), { numRuns: 200 });
  });

  test('past the exact limit: distinct switches to HyperLogLog with the same registers as one pass', () => {
    const random = mulberry32(42);
    const values: Input[] = [];
    for (let i = 0; i < 20_000; i++) values.push(random() < 0.5 ? Math.floor(random() * 6000) : `t${Math.floor(random() * 3000)}`);
    const expected = stateOf(values);
    assert.ok('registers' in expected.distinct);
    for (const seed of [1, 2, 3]) {
      const cuts = Array.from({ length: 12 }, () => Math.floor(random() * values.length));
      assertSameState(mergeRandomly(cut(values, cuts).map(stateOf), seed), expected, scaleOf(values));
    }
    // Each chunk below the limit, their union above it: the merge makes the switch.
    const small = mergeRandomly(cut(values, Array.from({ length: 40 }, (_, i) => i * 500)).map(stateOf), 9);
    assertSameState(small, expected, scaleOf(values));
  });
});

describe('ColumnSketch: merge on the serialised form', () => {
  test('commutative exactly, associative on the exact parts, and the empty state is its identity', () => {
    fc.assert(fc.property(column, column, column, (x, y, z) => {
      const a = stateOf(x);
      const b = stateOf(y);
      const c = stateOf(z);
      assert.deepEqual(mergeColumnStates(a, b), mergeColumnStates(b, a));
      const left = mergeColumnStates(mergeColumnStates(a, b), c);
      const right = mergeColumnStates(a, mergeColumnStates(b, c));
      assertSameState(left, right, scaleOf([...x, ...y, ...z]));
      assert.deepEqual(withoutMoments(mergeColumnStates(a, emptyColumnState())), withoutMoments(a));
    }), { numRuns: 200 });
  });

  test('a state survives structured clone unchanged, and JSON for text and integer columns', () => {
    fc.assert(fc.property(column, (values) => {
      const state = stateOf(values);
      assert.deepEqual(structuredClone(state), state);
    }), { numRuns: 100 });
    fc.assert(fc.property(fc.array(fc.oneof(text, fc.integer({ min: -1e6, max: 1e6 })), { maxLength: 300 }), (values) => {
      const state = stateOf(values);
      assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
    }), { numRuns: 100 });
  });
});

describe('profileOf', () => {
  test('agrees with figures computed directly from the values', () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 9 }), fc.constant(null)), { maxLength: 400 }), (values) => {
      const profile = profileOf(stateOf(values));
      const numbers = values.filter((v): v is number => typeof v === 'number');
      assert.equal(profile.count, values.length);
      assert.equal(profile.nulls, values.length - numbers.length);
      assert.equal(profile.distinct, new Set(numbers.map((v) => (v === 0 ? 0 : v))).size);
      if (numbers.length === 0) {
        assert.equal(profile.min, null);
        assert.equal(profile.mean, null);
        return;
      }
      assert.equal(profile.min, Math.min(...numbers));
      assert.equal(profile.max, Math.max(...numbers));
      const mean = numbers.reduce((s, v) => s + v, 0) / numbers.length;
      assert.ok(Math.abs(profile.mean! - mean) <= 1e-9 * 1e9);
      if (numbers.length < 2) assert.equal(profile.stddev, null);
      else {
        const variance = numbers.reduce((s, v) => s + (v - mean) ** 2, 0) / (numbers.length - 1);
        assert.ok(Math.abs(profile.stddev! - Math.sqrt(variance)) <= 1e-9 * Math.max(1, Math.sqrt(variance)), `${profile.stddev} vs ${Math.sqrt(variance)}`);
      }
    }), { numRuns: 300 });
  });

  test('top values: count descending, ties by value, numbers before text; null once distinct is estimated', () => {
    const profile = profileOf(stateOf(['b', 'a', 'c', 'a', 'b', 7, 7, 'z', 3, 3, null]));
    assert.deepEqual(profile.top!.slice(0, 5), [
      { value: 3, count: 2 },
      { value: 7, count: 2 },
      { value: 'a', count: 2 },
      { value: 'b', count: 2 },
      { value: 'c', count: 1 },
    ]);
    const atLimit = Array.from({ length: EXACT_DISTINCT_LIMIT }, (_, i) => `v${i}`);
    const exact = profileOf(stateOf(atLimit));
    assert.equal(exact.distinct, EXACT_DISTINCT_LIMIT);
    assert.equal(exact.distinctExact, true);
    const over = profileOf(stateOf([...atLimit, 'one more']));
    assert.equal(over.distinctExact, false);
    assert.equal(over.top, null);
    assert.ok(Math.abs(over.distinct - (EXACT_DISTINCT_LIMIT + 1)) <= 3 * HLL_STANDARD_ERROR * EXACT_DISTINCT_LIMIT);
  });

  test('a long text is shown cut at a character boundary, and still counted by all its bytes', () => {
    const long = `${'a'.repeat(TOP_VALUE_MAX_BYTES - 1)}ë and more`;
    const profile = profileOf(stateOf([long, long, `${long}!`]));
    assert.equal(profile.distinct, 2);
    assert.deepEqual(profile.top![0], { value: `${'a'.repeat(TOP_VALUE_MAX_BYTES - 1)}…`, count: 2 });
    assert.equal(profile.text!.maxLength, [...long].length + 1);
  });

  test('1,000 distinct values are counted as 1,000, and 100,000 within the stated error', () => {
    assert.equal(profileOf(stateOf(Array.from({ length: 1000 }, (_, i) => i * 1.5))).distinct, 1000);
    const large = profileOf(stateOf(Array.from({ length: 100_000 }, (_, i) => `id-${i}`)));
    assert.ok(Math.abs(large.distinct - 100_000) <= 3 * HLL_STANDARD_ERROR * 100_000, `${large.distinct}`);
  });

  test('-0 and 0 are one value; min prefers -0 and max 0 in any order; non-finite values are counted apart', () => {
    for (const values of [[0, -0, 5, NaN, Infinity, -Infinity, NaN], [NaN, -0, 0, -Infinity, 5, Infinity, NaN]]) {
      const profile = profileOf(stateOf(values));
      assert.equal(profile.distinct, 5);
      assert.ok(Object.is(profile.min, -0));
      assert.equal(profile.max, 5);
      assert.deepEqual(profile.nonFinite, { nan: 2, positiveInfinity: 1, negativeInfinity: 1 });
      assert.equal(profile.sum, 5);
    }
    assert.ok(Object.is(profileOf(stateOf([-0, 0, -0])).max, 0));
    assert.ok(Object.is(profileOf(mergeColumnStates(stateOf([-0]), stateOf([0]))).max, 0));
    assert.ok(Object.is(profileOf(mergeColumnStates(stateOf([0]), stateOf([-0]))).min, -0));
  });

  test('text: length in characters, pattern classes counted, invalid values counted', () => {
    const sketch = new ColumnSketch();
    for (const v of ['ann@example.com', '0042', 'Zoë', '123e4567-e89b-12d3-a456-426614174000', '2024-02-29', 'x y']) sketch.addString(v);
    const bytes = Buffer.from('..https://sluice.dev..');
    sketch.addText(bytes, 2, bytes.length - 2);
    sketch.addInvalid();
    const profile = profileOf(sketch.toState());
    assert.deepEqual(profile.patterns, { uuid: 1, date: 1, url: 1, email: 1, digits: 1, letters: 1, other: 1 });
    assert.deepEqual(profile.text, { minLength: 3, maxLength: 36, meanLength: (15 + 4 + 3 + 36 + 10 + 3 + 18) / 7 });
    assert.equal(profile.invalid, 1);
    assert.equal(profile.count, 8);
    assert.equal(profile.quantiles, null);
  });

  test('a sum that a naive float sum gets wrong is exact, whatever the chunking', () => {
    const values = [1e16, 1, -1e16, 0.1, 0.2, -0.3];
    const exact = profileOf(stateOf(values)).sum;
    assert.equal(exact, profileOf(mergeColumnStates(stateOf(values.slice(0, 2)), stateOf(values.slice(2)))).sum);
    assert.equal(exact, 1);
    assert.notEqual(values.reduce((s, v) => s + v, 0), 1, 'the naive sum loses the 1');
  });
});
