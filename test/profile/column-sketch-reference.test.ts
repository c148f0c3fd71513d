/**
 * The column sketch's state equals one built the plain way from its parts — a Map of value-hash
 * keys for distinct and top values, the library's DDSketch stores for the quantile buckets,
 * classifyText per value, Math.min / Math.max, ExactSum and Welford per value — whether it is fed
 * value by value, a batch column at a time (nulls counted, rejected rows skipped), or reused after
 * reset(). This pins the typed-array representations (open-addressing distinct table, cached
 * bucket keys, patterns kept per distinct value) to the straightforward one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DDSketch } from '@datadog/sketches-js';
import fc from 'fast-check';
import { ColumnSketch, EXACT_DISTINCT_LIMIT, TOP_VALUE_MAX_BYTES, type ColumnSketchState, type SketchValue } from '../../src/profile/column-sketch.js';
import { ExactSum, encodeScaled } from '../../src/profile/exact-sum.js';
import { HLL_REGISTERS, hllAddKey } from '../../src/profile/hyperloglog.js';
import { Moments } from '../../src/profile/moments.js';
import { QUANTILE_RELATIVE_ACCURACY, type BucketsState } from '../../src/profile/quantile-sketch.js';
import { PATTERN_CLASSES, classifyText, textLength } from '../../src/profile/text-patterns.js';
import { hashBytes, hashNumber } from '../../src/profile/value-hash.js';
import { mulberry32 } from '../helpers/random.js';

/** A number column's rows or a text column's: null is NULL. */
type Rows = { numbers: Array<number | null> } | { texts: Array<string | null> };

function bucketsOf(store: unknown): BucketsState {
  const { bins, offset, count, minKey, maxKey } = store as { bins: number[]; offset: number; count: number; minKey: number; maxKey: number };
  if (count === 0) return { minKey: 0, counts: [] };
  const counts: number[] = [];
  for (let key = minKey; key <= maxKey; key++) counts.push(bins[key - offset] ?? 0);
  // The library may hold the key -0 (values just below 1): the same bucket as 0.
  return { minKey: minKey + 0, counts };
}

function shown(value: string): string {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length <= TOP_VALUE_MAX_BYTES) return value;
  let cut = TOP_VALUE_MAX_BYTES;
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  return `${bytes.subarray(0, cut).toString('utf8')}…`;
}

function referenceState(rows: Rows): ColumnSketchState {
  const values = 'numbers' in rows ? rows.numbers : rows.texts;
  const distinct = new Map<number, { count: number; value: SketchValue }>();
  const finite: number[] = [];
  const quantiles = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
  const sum = new ExactSum();
  const moments = new Moments();
  const patterns = new Array<number>(PATTERN_CLASSES.length).fill(0);
  const lengths: number[] = [];
  let nan = 0;
  let positiveInfinity = 0;
  let negativeInfinity = 0;
  for (const v of values) {
    if (v === null) continue;
    const key = typeof v === 'number' ? hashNumber(v) : hashBytes(Buffer.from(v, 'utf8'), 0, Buffer.byteLength(v));
    const seen = distinct.get(key);
    if (seen !== undefined) seen.count++;
    else distinct.set(key, { count: 1, value: typeof v === 'number' ? (v === 0 ? 0 : v) : shown(v) });
    if (typeof v === 'string') {
      const bytes = Buffer.from(v, 'utf8');
      patterns[classifyText(bytes, 0, bytes.length)]++;
      lengths.push(textLength);
    } else if (Number.isFinite(v)) {
      finite.push(v);
      quantiles.accept(v);
      sum.add(v);
      moments.add(v);
    } else if (Number.isNaN(v)) nan++;
    else if (v > 0) positiveInfinity++;
    else negativeInfinity++;
  }
  let distinctState: ColumnSketchState['distinct'];
  if (distinct.size <= EXACT_DISTINCT_LIMIT) {
    distinctState = { exact: [...distinct].map(([key, { count, value }]): [number, number, SketchValue] => [key, count, value]).sort((a, b) => a[0] - b[0]) };
  } else {
    const registers = new Uint8Array(HLL_REGISTERS);
    for (const key of distinct.keys()) hllAddKey(registers, key);
    distinctState = { registers: Buffer.from(registers).toString('base64') };
  }
  return {
    rows: values.length,
    nulls: values.filter((v) => v === null).length,
    invalid: 0,
    numbers: {
      count: finite.length,
      nan,
      positiveInfinity,
      negativeInfinity,
      min: finite.length > 0 ? Math.min(...finite) : null,
      max: finite.length > 0 ? Math.max(...finite) : null,
      sum: encodeScaled(sum.toScaled()),
      moments: moments.toState(),
      quantiles: { zeros: quantiles.zeroCount, positive: bucketsOf(quantiles.store), negative: bucketsOf(quantiles.negativeStore) },
    },
    text: {
      count: lengths.length,
      minLength: lengths.length > 0 ? Math.min(...lengths) : null,
      maxLength: lengths.length > 0 ? Math.max(...lengths) : null,
      totalLength: lengths.reduce((a, b) => a + b, 0),
      patterns,
    },
    distinct: distinctState,
  };
}

function valueByValue(rows: Rows): ColumnSketchState {
  const sketch = new ColumnSketch();
  if ('numbers' in rows) for (const v of rows.numbers) v === null ? sketch.addNull() : sketch.addNumber(v);
  else for (const v of rows.texts) v === null ? sketch.addNull() : sketch.addString(v);
  return sketch.toState();
}

/**
 * A column at a time, as the profile stage feeds it: the rows interleaved with rejected rows
 * (garbage values, to be skipped), then the column arrays; numbers are sketched minus `origin`.
 */
function columnAtATime(rows: Rows, sketch: ColumnSketch, seed: number, origin = 0): ColumnSketchState {
  const random = mulberry32(seed);
  const values: Array<number | string | null> = 'numbers' in rows ? rows.numbers : rows.texts;
  const layout: Array<{ value: number | string | null; rejected: boolean }> = [];
  for (const value of values) {
    while (random() < 0.2) layout.push({ value: 'numbers' in rows ? 123.5 : 'rejected', rejected: true });
    layout.push({ value, rejected: false });
  }
  const n = layout.length;
  const nulls = new Uint8Array(n);
  const rejected = new Uint8Array(n);
  layout.forEach((row, r) => { nulls[r] = row.value === null ? 1 : 0; rejected[r] = row.rejected ? 1 : 0; });
  const anyRejected = layout.some((row) => row.rejected) ? rejected : null;
  if ('numbers' in rows) {
    const numbers = new Float64Array(n);
    layout.forEach((row, r) => { numbers[r] = typeof row.value === 'number' ? row.value : 99; });
    sketch.addNumberColumn(numbers, null, nulls, anyRejected, n, origin);
  } else {
    const parts = layout.map((row) => Buffer.from(typeof row.value === 'string' ? row.value : 'null text', 'utf8'));
    const bytes = Buffer.concat([Buffer.from('head'), ...parts]);
    const starts = new Int32Array(n);
    const ends = new Int32Array(n);
    let at = 4;
    parts.forEach((part, r) => { starts[r] = at; at += part.length; ends[r] = at; });
    sketch.addTextColumn(bytes, starts, ends, nulls, anyRejected, n);
  }
  return sketch.toState();
}

const number = fc.oneof(fc.integer({ min: -2000, max: 2000 }), fc.constantFrom(NaN, Infinity, -Infinity, 0, -0, 0.5, 1e300), fc.constant(null));
const text = fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('ok', 'late', 'a@b.co', '', 'x'.repeat(300), 'é'.repeat(200)), fc.integer({ min: 0, max: 3000 }).map(String), fc.constant(null));
const rows = fc.oneof(
  fc.array(number, { maxLength: 3000 }).map((numbers): Rows => ({ numbers })),
  fc.array(text, { maxLength: 3000 }).map((texts): Rows => ({ texts })),
);

describe('ColumnSketch against the plain way of building its state', () => {
  test('value by value, a column at a time, and reused after reset: the reference state', () => {
    const reused = new ColumnSketch();
    fc.assert(fc.property(rows, fc.integer(), (input, seed) => {
      const expected = referenceState(input);
      assert.deepStrictEqual(valueByValue(input), expected);
      assert.deepStrictEqual(columnAtATime(input, new ColumnSketch(), seed), expected);
      reused.reset();
      assert.deepStrictEqual(columnAtATime(input, reused, seed), expected);
    }), { numRuns: 150 });
  });

  test('a float column of 100,000 values (past the exact limit), and a timestamp column with microseconds', () => {
    const random = mulberry32(5);
    const floats = Array.from({ length: 100_000 }, () => Math.round((20 + 5 * (random() + random() + random() - 1.5)) * 100) / 100);
    assert.deepStrictEqual(columnAtATime({ numbers: floats }, new ColumnSketch(), 1, 20), referenceState({ numbers: floats.map((x) => x - 20) }));
    const origin = Date.UTC(2024, 0, 1);
    const ms = new Float64Array(50_000);
    const micros = new Uint16Array(50_000);
    for (let i = 0; i < ms.length; i++) { ms[i] = origin + Math.floor(random() * 8.64e7); micros[i] = Math.floor(random() * 1000); }
    const sketch = new ColumnSketch();
    sketch.addNumberColumn(ms, micros, new Uint8Array(ms.length), null, ms.length, origin);
    assert.deepStrictEqual(sketch.toState(), referenceState({ numbers: Array.from(ms, (m, i) => m - origin + micros[i] / 1000) }));
  });
});
