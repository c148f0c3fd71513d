import { profileOf } from '../../profile/sketch-profile.js';
import { ColumnType } from '../../schema/column-type.js';
import type { QualitySummary } from '../../summary.js';
import type { TimeseriesSummary } from '../../timeseries/timeseries-finish.js';
import type { ProfileReport } from '../profile/profile-stage.js';
import { DIMENSIONS } from '../quality-scores.js';
import type { MetricKind } from './metric-baselines.js';

/**
 * What the quality history keeps of one load: the rows it kept and its reject rate; per profiled
 * column the share of NULLs, the distinct count and distinct / values and, for numbers and
 * booleans, the mean (a boolean's is the share true); each quality dimension that was assessed and
 * the score; for a load processed as time series, the share of grid points that were missing
 * (missing / (points + missing)) and the share of series rows that were imputed. Dates and timestamps have no mean here: theirs moves with the calendar in every
 * healthy dataset.
 *
 * Which distinct figure is compared depends on what the column has been (`distinctFigure`): a
 * distinct count moves with the row count wherever values rarely repeat (1,000 rows of prices
 * with cents hold ~920 distinct values, 500 rows ~460), so it is compared only for categorical
 * columns, whose count saturates; distinct / values only for key-like ones, where it stays 1
 * whatever the volume until duplicates appear.
 */

export type MetricName = 'row_count' | 'reject_rate' | 'null_rate' | 'distinct' | 'distinct_ratio' | 'mean' | 'series_missing_rate' | 'series_imputed_rate' | (typeof DIMENSIONS)[number] | 'score';

export interface LoadMetric {
  metric: MetricName;
  /** The column of a column metric, else null. */
  column: string | null;
  kind: MetricKind;
  value: number;
  /** What the value was measured over (rows, values), for the scale floor. */
  n: number;
  /** A mean's column stddev in this load (its standard error is stddev / √n). */
  stddev?: number | null;
}

const MEAN_TYPES: ReadonlySet<number> = new Set([ColumnType.int, ColumnType.bigint, ColumnType.float, ColumnType.bool]);

export function loadMetrics(load: {
  rows: number; rejected: number; profile: ProfileReport | undefined; quality: QualitySummary | null | undefined; timeseries?: TimeseriesSummary | null;
}): LoadMetric[] {
  const seen = load.rows + load.rejected;
  const metrics: LoadMetric[] = [{ metric: 'row_count', column: null, kind: 'count', value: load.rows, n: seen }];
  if (seen > 0) metrics.push({ metric: 'reject_rate', column: null, kind: 'share', value: load.rejected / seen, n: seen });
  for (const [column, profiled] of Object.entries(load.profile ?? {})) {
    const profile = profileOf(profiled.state);
    if (profile.count === 0) continue;
    metrics.push({ metric: 'null_rate', column, kind: 'share', value: profile.nulls / profile.count, n: profile.count });
    const values = profile.count - profile.nulls;
    metrics.push({ metric: 'distinct', column, kind: 'count', value: profile.distinct, n: values });
    if (values > 0) metrics.push({ metric: 'distinct_ratio', column, kind: 'share', value: profile.distinct / values, n: values });
    if (MEAN_TYPES.has(profiled.type) && profile.mean !== null && Number.isFinite(profile.mean)) {
      metrics.push({ metric: 'mean', column, kind: 'mean', value: profile.mean + profiled.origin, n: profiled.state.numbers.count, stddev: profile.stddev });
    }
  }
  const series = load.timeseries;
  if (series?.detected === true && series.points > 0) {
    const slots = series.points - series.duplicates + series.missing;
    metrics.push({ metric: 'series_missing_rate', column: null, kind: 'share', value: series.missing / slots, n: slots });
    const rows = series.points - series.duplicates + series.imputed;
    metrics.push({ metric: 'series_imputed_rate', column: null, kind: 'share', value: series.imputed / rows, n: rows });
  }
  const quality = load.quality;
  if (quality != null) {
    for (const dimension of [...DIMENSIONS, 'score'] as const) {
      const value = quality[dimension];
      if (value !== null) metrics.push({ metric: dimension, column: null, kind: 'share', value, n: seen });
    }
  }
  return metrics;
}

/** A metric's key in maps and in ingest.quality_history (column '' for a load metric). */
export function metricKey(metric: { metric: string; column: string | null }): string {
  return `${metric.metric}\u0000${metric.column ?? ''}`;
}

/** Categorical: values repeat ten times on average; key-like: ≥ 97 % distinct (as the uniqueness dimension's key-like columns). */
export const CATEGORICAL_RATIO = 0.1;
export const KEY_LIKE_RATIO = 0.97;

/**
 * Whether a distinct figure of a column is compared, from the median distinct / values of the
 * column's history (so a load whose categories explode is still compared as categorical).
 */
export function distinctFigureCompared(metric: MetricName, historyRatios: readonly number[]): boolean {
  if (metric !== 'distinct' && metric !== 'distinct_ratio') return true;
  if (historyRatios.length === 0) return false;
  const sorted = [...historyRatios].sort((a, b) => a - b);
  const middle = sorted[sorted.length >> 1];
  return metric === 'distinct' ? middle <= CATEGORICAL_RATIO : middle >= KEY_LIKE_RATIO;
}
