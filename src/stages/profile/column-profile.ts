import type { SketchValue } from '../../profile/column-sketch.js';
import { profileOf } from '../../profile/sketch-profile.js';
import type { QuantileKey } from '../../profile/quantile-sketch.js';
import type { PatternClass } from '../../profile/text-patterns.js';
import { ColumnType, postgresTypeName, type ColumnTypeCode } from '../../schema/column-type.js';
import type { ProfiledColumn } from './profile-stage.js';

/**
 * A column's merged sketch as the figures `sluice profile --json` prints and ingest.profiles keeps
 * (`stats`), in the column's own terms: the profile stage's origin added back, booleans as
 * true/false, dates as `YYYY-MM-DD` and timestamps as ISO 8601 UTC (min, max, mean, quantiles,
 * top values). `stddev` is the sample standard deviation (PostgreSQL's stddev) in the column's
 * unit: days for dates, seconds for timestamps. Quantiles are within 1 % of the value's distance
 * from the origin (DDSketch), clamped to [min, max]; `distinct` is exact up to 1,024 values, then
 * a HyperLogLog estimate (±0.81 % standard error) and `top` is null (no exact counts are kept).
 */

export type FigureValue = number | string | boolean;

export interface ColumnFigures {
  name: string;
  /** PostgreSQL type name. */
  type: string;
  /** Rows profiled: values and nulls (rejected rows are not profiled). */
  count: number;
  nulls: number;
  distinct: number;
  distinct_exact: boolean;
  min: FigureValue | null;
  max: FigureValue | null;
  mean: FigureValue | null;
  stddev: number | null;
  quantiles: Record<QuantileKey, FigureValue> | null;
  top: Array<{ value: FigureValue; count: number }> | null;
  /** Text values by pattern class (text, json and numeric columns). */
  patterns: Partial<Record<PatternClass, number>>;
  /** Text columns: lengths in characters. */
  text_length: { min: number; max: number; mean: number } | null;
}

const DAY_MS = 86_400_000;

/** Turns a sketched number back into the column's value. */
function valueOf(type: ColumnTypeCode, origin: number, x: number): FigureValue {
  switch (type) {
    case ColumnType.bool: return x + origin !== 0;
    case ColumnType.date: return new Date(Math.round(x + origin) * DAY_MS).toISOString().slice(0, 10);
    case ColumnType.timestamptz: return new Date(Math.round(x + origin)).toISOString();
    default: return x + origin;
  }
}

function topValueOf(type: ColumnTypeCode, origin: number, value: SketchValue): FigureValue {
  return typeof value === 'number' ? valueOf(type, origin, value) : value;
}

export function columnFigures(name: string, column: ProfiledColumn): ColumnFigures {
  const { type, origin } = column;
  const profile = profileOf(column.state);
  const figure = (x: number | null): FigureValue | null => (x === null ? null : valueOf(type, origin, x));
  let quantiles: Record<QuantileKey, FigureValue> | null = null;
  if (profile.quantiles !== null) {
    quantiles = {} as Record<QuantileKey, FigureValue>;
    for (const [key, x] of Object.entries(profile.quantiles) as Array<[QuantileKey, number]>) quantiles[key] = figure(x)!;
  }
  const stddevUnit = type === ColumnType.timestamptz ? 1000 : 1;
  return {
    name,
    type: postgresTypeName(type),
    count: profile.count,
    nulls: profile.nulls,
    distinct: profile.distinct,
    distinct_exact: profile.distinctExact,
    min: figure(profile.min),
    max: figure(profile.max),
    // A boolean's mean is the share of true values: kept a number.
    mean: profile.mean === null ? null : type === ColumnType.bool ? profile.mean + origin : figure(profile.mean),
    stddev: profile.stddev === null ? null : profile.stddev / stddevUnit,
    quantiles,
    top: profile.top === null ? null : profile.top.map((t) => ({ value: topValueOf(type, origin, t.value), count: t.count })),
    patterns: profile.patterns,
    text_length: profile.text === null ? null : { min: profile.text.minLength, max: profile.text.maxLength, mean: profile.text.meanLength },
  };
}

/** The newest value of a date or timestamp column as ms since 1970 (a date at its midnight UTC), or null. */
export function newestTime(column: ProfiledColumn): number | null {
  const max = column.state.numbers.max;
  if (max === null) return null;
  if (column.type === ColumnType.date) return (max + column.origin) * DAY_MS;
  if (column.type === ColumnType.timestamptz) return max + column.origin;
  return null;
}
