/**
 * A merged column sketch state (column-sketch.ts) as finished figures: counts, min/max, sum, mean
 * and sample standard deviation, distinct values (exact, or the HyperLogLog estimate), top values,
 * quantiles, text lengths and pattern classes. It runs on the main thread, once per column and
 * load; kept apart from the sketch so that the workers, which only build sketches, never load the
 * quantile library (~40 ms of a worker's start, before its first task).
 */
import { type ColumnSketchState, type SketchValue, TOP_VALUES, registersOf } from './column-sketch.js';
import { decodeScaled, scaledToDouble } from './exact-sum.js';
import { hllEstimate } from './hyperloglog.js';
import { sampleVariance } from './moments.js';
import type { QuantileKey } from './quantile-sketch.js';
import { quantilesOf } from './quantile-values.js';
import { PATTERN_CLASSES, type PatternClass } from './text-patterns.js';

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
