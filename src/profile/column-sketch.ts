/**
 * The profile of one column as a mergeable sketch. A worker builds a ColumnSketch per column and
 * chunk from a batch column at a time — addNumberColumn, addTextColumn: one tight loop per part of
 * the sketch over typed arrays — or value by value (addNumber, addText, addNull, addInvalid; the
 * same code, for tests and callers holding single values), with no object per value (text is
 * hashed and classified from its bytes; a string is decoded only the first time a distinct value
 * appears, for the top values); reset() empties it for the next chunk, keeping its arrays. toState() gives plain data that
 * survives structured clone and JSON (apart from NaN / ±Infinity as top values); mergeColumnStates
 * is a pure function that is commutative and associative — exactly for counts, min/max, sum,
 * distinct, top values, text and quantile buckets; mean/variance within ~1e-12 relative — and
 * profileOf (sketch-profile.ts) turns a state into the finished figures.
 */
import { ExactSum, decodeScaled, encodeScaled } from './exact-sum.js';
import { DistinctTable } from './distinct-table.js';
import { HLL_REGISTERS, hllAdd, hllAddKey, hllMergeInto } from './hyperloglog.js';
import { Moments, mergeMoments, type MomentsState } from './moments.js';
import { QuantileSketch, mergeQuantiles, type QuantileState } from './quantile-sketch.js';
import { PATTERN_CLASSES, classifyText, textLength } from './text-patterns.js';
import { HASH_HIGH, HASH_LOW, hashBytesParts, hashNumberParts, hashParts } from './value-hash.js';

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

/** values[from, count) into HyperLogLog registers. */
function addNumberHashes(registers: Uint8Array, values: Float64Array, from: number, count: number): void {
  for (let i = from; i < count; i++) {
    hashNumberParts(values[i]);
    hllAdd(registers, hashParts[HASH_HIGH], hashParts[HASH_LOW]);
  }
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
  private readonly exact = new DistinctTable(EXACT_DISTINCT_LIMIT);
  /** Set once the column passed EXACT_DISTINCT_LIMIT distinct values (then `exact` is unused). */
  private registers: Uint8Array | null = null;
  /** A column's values gathered for addNumbers (nulls and rejected rows left out). */
  private gathered = new Float64Array(0);
  /** The finite ones among them, for ExactSum.addAll (which overwrites them). */
  private finiteValues = new Float64Array(0);
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
    if (this.gathered.length === 0) this.gathered = new Float64Array(1);
    this.gathered[0] = x;
    this.addNumbers(this.gathered, 1);
  }

  /**
   * A column of a batch: values[r] − origin (+ micros[r] / 1000 for a timestamp) for every row
   * below rowCount that is not null (counted as a null) and not rejected (skipped).
   */
  addNumberColumn(values: Float64Array, micros: Uint16Array | null, nulls: Uint8Array, rejected: Uint8Array | null, rowCount: number, origin: number): void {
    if (this.gathered.length < rowCount) this.gathered = new Float64Array(rowCount);
    const gathered = this.gathered;
    let count = 0;
    let nullCount = 0;
    for (let r = 0; r < rowCount; r++) {
      if (rejected !== null && rejected[r] === 1) continue;
      if (nulls[r] === 1) nullCount++;
      else gathered[count++] = micros === null ? values[r] - origin : values[r] - origin + micros[r] / 1000;
    }
    this.rows += nullCount;
    this.nulls += nullCount;
    this.addNumbers(gathered, count);
  }

  /**
   * values[0, count): one tight loop per part of the sketch, each in a method of its own (V8
   * compiles a function on stack replacement once per hot loop, the whole function each time).
   */
  private addNumbers(values: Float64Array, count: number): void {
    this.rows += count;
    const exactUpTo = this.registers === null ? this.countExactDistinct(values, count) : 0;
    if (this.registers !== null) addNumberHashes(this.registers, values, exactUpTo, count);
    if (this.finiteValues.length < count) this.finiteValues = new Float64Array(Math.max(count, 1024));
    const finite = this.addFinite(values, count, this.finiteValues);
    this.numberCount += finite;
    this.sum.addAll(this.finiteValues, finite);
  }

  /**
   * Counts values[0, count) in the exact distinct table until it overflows into HyperLogLog;
   * returns how many values it took (the rest are for the registers).
   */
  private countExactDistinct(values: Float64Array, count: number): number {
    const exact = this.exact;
    let i = 0;
    for (; i < count && this.registers === null; i++) {
      hashNumberParts(values[i]);
      const entry = exact.find(hashParts[HASH_HIGH], hashParts[HASH_LOW]);
      if (entry >= 0) exact.counts[entry]++;
      else this.insertDistinct(values[i] === 0 ? 0 : values[i]);
    }
    return i;
  }

  /** Min, max, moments and quantiles of the finite values (copied to `finiteValues` for the sum); NaN and infinities counted. Returns the finite count. */
  private addFinite(values: Float64Array, count: number, finiteValues: Float64Array): number {
    let min = this.min;
    let max = this.max;
    let finite = 0;
    const moments = this.moments;
    const quantiles = this.quantiles;
    for (let i = 0; i < count; i++) {
      const x = values[i];
      if (x - x === 0) {
        finiteValues[finite++] = x;
        // Math.min and Math.max order −0 below 0, so the result does not depend on which came
        // first; and, unlike comparisons with a branch for zeros, they leave the compiled loop
        // nothing to deoptimise on when the first zero arrives (each deoptimisation recompiled
        // this function: 9 compilations in a load of the benchmark file, 5–6 with these).
        min = Math.min(min, x);
        max = Math.max(max, x);
        moments.add(x);
        quantiles.add(x);
      } else if (x !== x) this.nan++;
      else if (x > 0) this.positiveInfinity++;
      else this.negativeInfinity++;
    }
    this.min = min;
    this.max = max;
    return finite;
  }

  /** Text as UTF-8 bytes[start, end). */
  addText(bytes: Uint8Array, start: number, end: number): void {
    this.rows++;
    this.countText(bytes, start, end);
  }

  /** A text column of a batch: bytes[starts[r], ends[r]) for every row as in addNumberColumn. */
  addTextColumn(bytes: Uint8Array, starts: Int32Array, ends: Int32Array, nulls: Uint8Array, rejected: Uint8Array | null, rowCount: number): void {
    // NULLs counted without a branch of their own: code first reached by a column's first NULL,
    // once the loop was compiled without it, deoptimised the loop (and it was compiled again). The
    // counts are kept in the loop, not added after it, for the same reason: the first chunk's loop
    // is compiled before that chunk reaches the code after it.
    for (let r = 0; r < rowCount; r++) {
      if (rejected !== null && rejected[r] === 1) continue;
      this.rows++;
      this.nulls += nulls[r];
      if (nulls[r] === 0) this.countText(bytes, starts[r], ends[r]);
    }
  }

  /** For callers holding a string: encoded into a reused buffer, then as addText. */
  addString(value: string): void {
    if (value.length * 3 > this.scratch.length) this.scratch = new Uint8Array(value.length * 3);
    const { written } = this.encoder.encodeInto(value, this.scratch);
    this.addText(this.scratch, 0, written);
  }

  private countText(bytes: Uint8Array, start: number, end: number): void {
    hashBytesParts(bytes, start, end);
    let pattern: number;
    let length: number;
    if (this.registers === null) {
      const exact = this.exact;
      let entry = exact.find(hashParts[HASH_HIGH], hashParts[HASH_LOW]);
      if (entry >= 0) {
        exact.counts[entry]++;
        pattern = exact.patterns[entry];
        length = exact.lengths[entry];
      } else {
        pattern = classifyText(bytes, start, end);
        length = textLength;
        entry = this.insertDistinct(shownText(bytes, start, end));
        if (entry >= 0) {
          exact.patterns[entry] = pattern;
          exact.lengths[entry] = length;
        }
      }
    } else {
      hllAdd(this.registers, hashParts[HASH_HIGH], hashParts[HASH_LOW]);
      pattern = classifyText(bytes, start, end);
      length = textLength;
    }
    this.patterns[pattern]++;
    this.textCount++;
    this.totalLength += length;
    // Math.min / Math.max rather than branches taken first by a shorter or longer value part way
    // through a load (each deoptimised the compiled loop).
    this.minLength = Math.min(this.minLength, length);
    this.maxLength = Math.max(this.maxLength, length);
  }

  /** A new distinct value (hash in hashParts); its entry, or -1 once the table overflowed into HyperLogLog. */
  private insertDistinct(value: SketchValue): number {
    const exact = this.exact;
    const entry = exact.insert(hashParts[HASH_HIGH], hashParts[HASH_LOW], value);
    if (exact.size <= EXACT_DISTINCT_LIMIT) return entry;
    const registers = new Uint8Array(HLL_REGISTERS);
    for (let e = 0; e < exact.size; e++) hllAdd(registers, exact.highs[e], exact.lows[e]);
    this.registers = registers;
    return -1;
  }

  toState(): ColumnSketchState {
    let distinct: DistinctState;
    if (this.registers === null) {
      const exact: Array<[number, number, SketchValue]> = [];
      const table = this.exact;
      for (let e = 0; e < table.size; e++) exact.push([table.highs[e] * 2 ** 21 + table.lows[e], table.counts[e], table.values[e]]);
      exact.sort((a, b) => a[0] - b[0]);
      distinct = { exact };
    } else distinct = { registers: Buffer.from(this.registers).toString('base64') };
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

  /** Empties the sketch for the next chunk, keeping its arrays. */
  reset(): void {
    this.rows = 0;
    this.nulls = 0;
    this.invalid = 0;
    this.numberCount = 0;
    this.nan = 0;
    this.positiveInfinity = 0;
    this.negativeInfinity = 0;
    this.min = Infinity;
    this.max = -Infinity;
    this.sum.reset();
    this.moments.reset();
    this.quantiles.reset();
    this.textCount = 0;
    this.minLength = Infinity;
    this.maxLength = -Infinity;
    this.totalLength = 0;
    this.patterns.fill(0);
    this.exact.reset();
    this.registers = null;
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

export function registersOf(distinct: DistinctState): Uint8Array {
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
