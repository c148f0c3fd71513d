/**
 * The profile of one column as a mergeable sketch. A worker builds a ColumnSketch per column and
 * chunk from typed values — addNumber(x), addText(bytes, start, end), addNull(), addInvalid() —
 * with no object per value (text is hashed and classified from its bytes; a string is decoded only
 * the first time a distinct value appears, for the top values). toState() gives plain data that
 * survives structured clone and JSON (apart from NaN / ±Infinity as top values); mergeColumnStates
 * is a pure function that is commutative and associative — exactly for counts, min/max, sum,
 * distinct, top values, text and quantile buckets; mean/variance within ~1e-12 relative — and
 * profileOf turns a state into the finished figures.
 */
import { ExactSum, decodeScaled, encodeScaled, scaledToDouble } from './exact-sum.js';
import { HLL_REGISTERS, hllAdd, hllAddKey, hllEstimate, hllMergeInto } from './hyperloglog.js';
import { Moments, mergeMoments, sampleVariance, type MomentsState } from './moments.js';
import { QuantileSketch, mergeQuantiles, quantilesOf, type QuantileKey, type QuantileState } from './quantile-sketch.js';
import { PATTERN_CLASSES, classifyText, textLength, type PatternClass } from './text-patterns.js';
import { hashBytes, hashHigh, hashLow, hashNumber } from './value-hash.js';

/** Distinct values are counted exactly (with their counts, for top values) up to this many. */
export const EXACT_DISTINCT_LIMIT = 1024;
export const TOP_VALUES = 10;
/**
 * A text kept for the top values is cut to this many bytes (at a character boundary, marked with
 * '…'), so a chunk's state stays under ~1,024 × 256 bytes per column even for long free text. The
 * value is still counted by the hash of all its bytes.
 */
export const TOP_VALUE_MAX_BYTES = 256;

export type SketchValue = number | string;

export interface NumberStatsState {
  /** Finite values; min, max, sum, moments and quantiles are over these. */
  count: number;
  nan: number;
  positiveInfinity: number;
  negativeInfinity: number;
  min: number | null;
  max: number | null;
  /** Exact sum in units of 2^-1074, hexadecimal (see exact-sum.ts). */
  sum: string;
  moments: MomentsState;
  quantiles: QuantileState;
}

export interface TextStatsState {
  count: number;
  minLength: number | null;
  maxLength: number | null;
  totalLength: number;
  /** Counts by PATTERN_CLASSES index. */
  patterns: number[];
}

/** Exact while small: [hash key, count, value] sorted by key; then HyperLogLog registers (base64). */
export type DistinctState = { exact: Array<[number, number, SketchValue]> } | { registers: string };

export interface ColumnSketchState {
  rows: number;
  nulls: number;
  /** Values that failed the column's type. */
  invalid: number;
  numbers: NumberStatsState;
  text: TextStatsState;
  distinct: DistinctState;
}

const decoder = new TextDecoder();

function shownText(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= TOP_VALUE_MAX_BYTES) return decoder.decode(bytes.subarray(start, end));
  let cut = start + TOP_VALUE_MAX_BYTES;
  while (cut > start && (bytes[cut] & 0xc0) === 0x80) cut--;
  return `${decoder.decode(bytes.subarray(start, cut))}…`;
}

export class ColumnSketch {
  rows = 0;
  nulls = 0;
  invalid = 0;
  private numberCount = 0;
  private nan = 0;
  private positiveInfinity = 0;
  private negativeInfinity = 0;
  private min = Infinity;
  private max = -Infinity;
  private readonly sum = new ExactSum();
  private readonly moments = new Moments();
  private readonly quantiles = new QuantileSketch();
  private textCount = 0;
  private minLength = Infinity;
  private maxLength = -Infinity;
  private totalLength = 0;
  private readonly patterns = new Float64Array(PATTERN_CLASSES.length);
  private counts: Map<number, number> | null = new Map();
  private values: Map<number, SketchValue> | null = new Map();
  private registers: Uint8Array | null = null;
  private scratch = new Uint8Array(256);
  private readonly encoder = new TextEncoder();

  addNull(): void {
    this.rows++;
    this.nulls++;
  }

  addInvalid(): void {
    this.rows++;
    this.invalid++;
  }

  addNumber(x: number): void {
    this.rows++;
    const key = hashNumber(x);
    if (this.counts === null) hllAdd(this.registers!, hashHigh, hashLow);
    else this.countExact(key, x, null, 0, 0);
    if (x - x === 0) {
      this.numberCount++;
      // -0 and 0 compare equal; decide by sign so the result does not depend on which came first.
      if (x < this.min || (x === 0 && this.min === 0 && 1 / x < 0)) this.min = x;
      if (x > this.max || (x === 0 && this.max === 0 && 1 / this.max < 0)) this.max = x;
      this.sum.add(x);
      this.moments.add(x);
      this.quantiles.add(x);
    } else if (x !== x) this.nan++;
    else if (x > 0) this.positiveInfinity++;
    else this.negativeInfinity++;
  }

  /** Text as UTF-8 bytes[start, end). */
  addText(bytes: Uint8Array, start: number, end: number): void {
    this.rows++;
    const key = hashBytes(bytes, start, end);
    if (this.counts === null) hllAdd(this.registers!, hashHigh, hashLow);
    else this.countExact(key, null, bytes, start, end);
    this.patterns[classifyText(bytes, start, end)]++;
    const length = textLength;
    this.textCount++;
    this.totalLength += length;
    if (length < this.minLength) this.minLength = length;
    if (length > this.maxLength) this.maxLength = length;
  }

  /** For callers holding a string: encoded into a reused buffer, then as addText. */
  addString(value: string): void {
    if (value.length * 3 > this.scratch.length) this.scratch = new Uint8Array(value.length * 3);
    const { written } = this.encoder.encodeInto(value, this.scratch);
    this.addText(this.scratch, 0, written);
  }

  private countExact(key: number, number: number | null, bytes: Uint8Array | null, start: number, end: number): void {
    const counts = this.counts!;
    const seen = counts.get(key);
    if (seen !== undefined) {
      counts.set(key, seen + 1);
      return;
    }
    counts.set(key, 1);
    this.values!.set(key, bytes === null ? (number === 0 ? 0 : number!) : shownText(bytes, start, end));
    if (counts.size > EXACT_DISTINCT_LIMIT) {
      const registers = new Uint8Array(HLL_REGISTERS);
      for (const k of counts.keys()) hllAddKey(registers, k);
      this.registers = registers;
      this.counts = null;
      this.values = null;
    }
  }

  toState(): ColumnSketchState {
    let distinct: DistinctState;
    if (this.counts !== null) {
      const exact: Array<[number, number, SketchValue]> = [];
      for (const [key, count] of this.counts) exact.push([key, count, this.values!.get(key)!]);
      exact.sort((a, b) => a[0] - b[0]);
      distinct = { exact };
    } else distinct = { registers: Buffer.from(this.registers!).toString('base64') };
    return {
      rows: this.rows,
      nulls: this.nulls,
      invalid: this.invalid,
      numbers: {
        count: this.numberCount,
        nan: this.nan,
        positiveInfinity: this.positiveInfinity,
        negativeInfinity: this.negativeInfinity,
        min: this.numberCount > 0 ? this.min : null,
        max: this.numberCount > 0 ? this.max : null,
        sum: encodeScaled(this.sum.toScaled()),
        moments: this.moments.toState(),
        quantiles: this.quantiles.toState(),
      },
      text: {
        count: this.textCount,
        minLength: this.textCount > 0 ? this.minLength : null,
        maxLength: this.textCount > 0 ? this.maxLength : null,
        totalLength: this.totalLength,
        patterns: Array.from(this.patterns),
      },
      distinct,
    };
  }
}

export function emptyColumnState(): ColumnSketchState {
  return new ColumnSketch().toState();
}

function pickMin(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a === b) return a === 0 && (1 / a < 0 || 1 / b < 0) ? -0 : a;
  return a < b ? a : b;
}

function pickMax(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  if (a === b) return a === 0 && (1 / a > 0 || 1 / b > 0) ? 0 : a;
  return a > b ? a : b;
}

function registersOf(distinct: DistinctState): Uint8Array {
  if ('registers' in distinct) return new Uint8Array(Buffer.from(distinct.registers, 'base64'));
  const registers = new Uint8Array(HLL_REGISTERS);
  for (const entry of distinct.exact) hllAddKey(registers, entry[0]);
  return registers;
}

function mergeDistinct(a: DistinctState, b: DistinctState): DistinctState {
  if ('exact' in a && 'exact' in b) {
    const merged: Array<[number, number, SketchValue]> = [];
    let i = 0;
    let j = 0;
    while (i < a.exact.length || j < b.exact.length) {
      const x = a.exact[i];
      const y = b.exact[j];
      if (y === undefined || (x !== undefined && x[0] < y[0])) {
        merged.push([x[0], x[1], x[2]]);
        i++;
      } else if (x === undefined || y[0] < x[0]) {
        merged.push([y[0], y[1], y[2]]);
        j++;
      } else {
        merged.push([x[0], x[1] + y[1], x[2]]);
        i++;
        j++;
      }
    }
    if (merged.length <= EXACT_DISTINCT_LIMIT) return { exact: merged };
    return { registers: Buffer.from(registersOf({ exact: merged })).toString('base64') };
  }
  const registers = registersOf(a);
  hllMergeInto(registers, registersOf(b));
  return { registers: Buffer.from(registers).toString('base64') };
}

export function mergeColumnStates(a: ColumnSketchState, b: ColumnSketchState): ColumnSketchState {
  const patterns = a.text.patterns.map((count, i) => count + b.text.patterns[i]);
  return {
    rows: a.rows + b.rows,
    nulls: a.nulls + b.nulls,
    invalid: a.invalid + b.invalid,
    numbers: {
      count: a.numbers.count + b.numbers.count,
      nan: a.numbers.nan + b.numbers.nan,
      positiveInfinity: a.numbers.positiveInfinity + b.numbers.positiveInfinity,
      negativeInfinity: a.numbers.negativeInfinity + b.numbers.negativeInfinity,
      min: pickMin(a.numbers.min, b.numbers.min),
      max: pickMax(a.numbers.max, b.numbers.max),
      sum: encodeScaled(decodeScaled(a.numbers.sum) + decodeScaled(b.numbers.sum)),
      moments: mergeMoments(a.numbers.moments, b.numbers.moments),
      quantiles: mergeQuantiles(a.numbers.quantiles, b.numbers.quantiles),
    },
    text: {
      count: a.text.count + b.text.count,
      minLength: pickMin(a.text.minLength, b.text.minLength),
      maxLength: pickMax(a.text.maxLength, b.text.maxLength),
      totalLength: a.text.totalLength + b.text.totalLength,
      patterns,
    },
    distinct: mergeDistinct(a.distinct, b.distinct),
  };
}

export interface TopValue {
  value: SketchValue;
  count: number;
}

export interface ColumnProfile {
  /** Rows seen: values, nulls and invalid values. */
  count: number;
  nulls: number;
  invalid: number;
  distinct: number;
  /** False once the column passed EXACT_DISTINCT_LIMIT distinct values (HyperLogLog, ±0.81 %). */
  distinctExact: boolean;
  min: number | null;
  max: number | null;
  sum: number | null;
  mean: number | null;
  /** Sample standard deviation, as PostgreSQL's stddev(). */
  stddev: number | null;
  quantiles: Record<QuantileKey, number> | null;
  nonFinite: { nan: number; positiveInfinity: number; negativeInfinity: number };
  /** Most frequent values, count descending then value ascending; null when distinct is not exact. */
  top: TopValue[] | null;
  text: { minLength: number; maxLength: number; meanLength: number } | null;
  patterns: Partial<Record<PatternClass, number>>;
}

function compareValues(a: SketchValue, b: SketchValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function profileOf(state: ColumnSketchState): ColumnProfile {
  const numbers = state.numbers;
  const sum = numbers.count > 0 ? scaledToDouble(decodeScaled(numbers.sum)) : null;
  const variance = sampleVariance(numbers.moments);
  let top: TopValue[] | null = null;
  let distinct: number;
  if ('exact' in state.distinct) {
    distinct = state.distinct.exact.length;
    top = state.distinct.exact
      .map(([, count, value]) => ({ value, count }))
      .sort((x, y) => y.count - x.count || compareValues(x.value, y.value))
      .slice(0, TOP_VALUES);
  } else distinct = hllEstimate(registersOf(state.distinct));
  const patterns: Partial<Record<PatternClass, number>> = {};
  state.text.patterns.forEach((count, i) => {
    if (count > 0) patterns[PATTERN_CLASSES[i]] = count;
  });
  return {
    count: state.rows,
    nulls: state.nulls,
    invalid: state.invalid,
    distinct,
    distinctExact: 'exact' in state.distinct,
    min: numbers.min,
    max: numbers.max,
    sum,
    mean: sum === null ? null : sum / numbers.count,
    stddev: variance === null ? null : Math.sqrt(variance),
    quantiles: numbers.min === null || numbers.max === null ? null : quantilesOf(numbers.quantiles, numbers.min, numbers.max),
    nonFinite: { nan: numbers.nan, positiveInfinity: numbers.positiveInfinity, negativeInfinity: numbers.negativeInfinity },
    top,
    text:
      state.text.count === 0
        ? null
        : { minLength: state.text.minLength!, maxLength: state.text.maxLength!, meanLength: state.text.totalLength / state.text.count },
    patterns,
  };
}
