import assert from 'node:assert/strict';
import { seasonalLookbackRows } from './series-anomalies.js';

/**
 * What the time-series computation does with one series, and how much history a slice of a
 * series needs to compute exactly what one pass over the whole series computes.
 */

/** A sampling interval: a fixed number of microseconds, or whole calendar months in UTC (1 monthly, 3 quarterly, 12 yearly). */
export type Interval = { kind: 'fixed'; micros: number } | { kind: 'calendar'; months: number };
export type ImputeMethod = 'linear' | 'locf' | 'none';
export type DuplicatePolicy = 'last' | 'first' | 'mean';

export interface SeriesOptions {
  /** null: detected per series with detectInterval. */
  interval: Interval | null;
  /** Same time twice: keep the last (highest input index), the first, or the mean of each value column (NaN ignored). */
  duplicates: DuplicatePolicy;
  /** Per value column. */
  impute: ImputeMethod[];
  /** The longest gap (from the point before it to the point after it) that is filled; null: none is filled. */
  maxGapMicros: number | null;
  /** Rolling windows in rows of the regular series (imputed rows included). */
  windows: number[];
  /** lag k and diff k (value − value k rows back). */
  lags: number[];
  /** EWMA s_t = a·x_t + (1−a)·s_{t−1}, s_first = x_first; a NULL x keeps s. */
  ewmaAlpha: number;
  /** IANA zone of the hour, weekday and month features; null: no calendar features. */
  calendarZone: string | null;
  anomaly: { window: number; threshold: number; minPoints: number; seasonal: boolean };
}

export const DEFAULT_SERIES_OPTIONS: SeriesOptions = Object.freeze({
  interval: null,
  duplicates: 'last',
  impute: Object.freeze([]) as unknown as ImputeMethod[],
  maxGapMicros: null,
  windows: Object.freeze([10]) as unknown as number[],
  lags: Object.freeze([1]) as unknown as number[],
  ewmaAlpha: 2 / (10 + 1),
  calendarZone: 'UTC',
  anomaly: Object.freeze({ window: 60, threshold: 5, minPoints: 12, seasonal: true }),
}) as SeriesOptions;

/** The feature column names in output order (features[f] of a SeriesOutput is featureColumns(...)[f]). */
export function featureColumns(options: SeriesOptions, valueNames: readonly string[]): string[] {
  const names: string[] = [];
  for (const v of valueNames) {
    for (const w of options.windows) names.push(`${v}_mean_${w}`, `${v}_std_${w}`, `${v}_min_${w}`, `${v}_max_${w}`);
    names.push(`${v}_ewma`);
    for (const k of options.lags) names.push(`${v}_lag_${k}`, `${v}_diff_${k}`);
    names.push(`${v}_roc`);
  }
  if (options.calendarZone !== null) names.push('hour', 'weekday', 'month');
  return names;
}

/** Rows after which an EWMA has forgotten its start: (1 − a)^n < 1e-17, far below a double's 1e-16 resolution. */
export function ewmaHorizon(alpha: number): number {
  if (alpha >= 1) return 1;
  return Math.ceil(Math.log(1e-17) / Math.log(1 - alpha)) + 1;
}

/**
 * The rows of the series before the gap's left point that the calendar step reads to recover the
 * series' day of month (calendar-step.ts anchorDay).
 */
export const ANCHOR_LOOKBACK = 12;

/**
 * How many points (with distinct times) before a slice a worker needs so that the slice's output
 * equals the unsliced run's. Every output value depends only on a bounded run of rows before it:
 *   - rolling windows w − 1 rows, lags k rows, the rate of change 1 row;
 *   - the EWMA twice its horizon (ewmaHorizon): a NULL keeps s, so NULLs and imputed NULL rows
 *     in the context do not count towards the horizon, and twice it leaves room for them (a
 *     column with no value in that context gives NULL until its next value);
 *   - an anomaly score four windows: its step window, the steps' previous values (up to a
 *     window before each), the first-pass flags at both ends of those steps (which leave
 *     anomalies out of later windows), and their own step windows and previous values; the
 *     seasonal residuals (their drift windows, their references and those references' first-pass
 *     flags) read up to seasonalLookbackRows rows further still;
 *   - an imputed row of a calendar interval the ANCHOR_LOOKBACK rows before the gap.
 * Every point is at least one row (imputed rows only add rows), so this many points is at least
 * this many rows. Duplicates count once: the caller counts distinct times.
 */
export function contextPoints(options: SeriesOptions, interval: Interval): number {
  let rows = 1;
  for (const w of options.windows) rows = Math.max(rows, w - 1);
  for (const k of options.lags) rows = Math.max(rows, k);
  rows = Math.max(rows, 2 * ewmaHorizon(options.ewmaAlpha));
  const anomaly = 4 * options.anomaly.window + (options.anomaly.seasonal ? seasonalLookbackRows(interval, options.anomaly.window) : 0);
  rows = Math.max(rows, anomaly);
  if (interval.kind === 'calendar') rows = Math.max(rows, ANCHOR_LOOKBACK + 1);
  return rows;
}

/** The invariants the computation relies on (the configuration is validated at the edge, with messages; these only assert). */
export function assertSeriesOptions(options: SeriesOptions, interval: Interval | null): void {
  if (interval !== null) {
    if (interval.kind === 'fixed') assert.ok(Number.isFinite(interval.micros) && interval.micros > 0, 'a fixed interval is a positive number of microseconds');
    else assert.ok(Number.isInteger(interval.months) && interval.months > 0, 'a calendar interval is a positive whole number of months');
  }
  for (const w of options.windows) assert.ok(Number.isInteger(w) && w >= 1, 'rolling windows are whole rows');
  for (const k of options.lags) assert.ok(Number.isInteger(k) && k >= 1, 'lags are whole rows');
  assert.ok(options.ewmaAlpha > 0 && options.ewmaAlpha <= 1, 'the EWMA alpha is in (0, 1]');
  const { window, minPoints } = options.anomaly;
  assert.ok(Number.isInteger(window) && window >= 1 && Number.isInteger(minPoints) && minPoints >= 1, 'the anomaly window and minPoints are whole rows');
}
