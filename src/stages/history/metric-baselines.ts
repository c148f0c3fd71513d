import type { HistoryConfig } from '../../configuration/config-schema.js';

/**
 * One metric of a load against the same metric of the dataset's earlier loads. The history given
 * here already leaves out the load under test and every earlier point that was anomalous (Deequ's
 * `ignoreAnomalies`; Elementary hid a 25 % jump by keeping them), so one bad load neither widens
 * the bounds nor makes the next normal load look like a jump back.
 *
 * - OnlineNormal (Deequ): the history's running mean and population stddev (Welford, as Deequ
 *   computes them); outside mean ± k · stddev departs. Deequ folds the point under test into the
 *   mean before testing it; here the baseline is the history alone, so a large departure cannot
 *   pull its own bounds towards itself.
 * - Relative rate of change (Deequ's RelativeRateOfChangeStrategy, order 1), for counts only:
 *   value / previous value below max_rate_decrease or above max_rate_increase departs. A rate or
 *   a mean near zero has no meaningful ratio, so they are left to the other methods.
 * - Day of week: once the history spans three weeks and holds three loads on the load's UTC
 *   weekday, those loads are the baseline instead (weekly seasonality: Sunday's small load is
 *   normal for a Sunday): robust z = |x − median| / max(1.4826 · MAD, floor) above
 *   weekday_threshold departs, and the rate of change compares with the previous same weekday.
 *
 * Every stddev and MAD scale has a floor (the kind's: see `scaleFloor`), so a metric that never
 * moved does not flag the first tiny change — the lesson of the value detector's scale floor.
 */

export type MetricKind = 'count' | 'share' | 'mean';

export interface MetricPoint {
  value: number;
  /** ms since 1970 (when the load completed). */
  at: number;
}

export type BaselineMethod = 'online_normal' | 'rate_of_change' | 'weekday_robust_z';

export interface MetricDeparture {
  method: BaselineMethod;
  /** Distance from the baseline in scale units (z), or the ratio for a rate of change. */
  score: number;
  /** The baseline's centre (mean or median) and the bounds the value fell outside (a rate of change: previous × the ratios). */
  center: number;
  lower: number;
  upper: number;
}

export interface MetricComparison {
  /** The methods that found the value outside their bounds, strongest first; empty: normal. */
  departures: MetricDeparture[];
  /** The value the rate of change compared with; null when none was. */
  previous: number | null;
  /** Whether the weekday baseline replaced OnlineNormal. */
  weekday: boolean;
}

const WEEK_MS = 7 * 86_400_000;
/** Loads on the same weekday a weekday baseline needs, and the weeks the history must span. */
export const WEEKDAY_MIN_LOADS = 3;
export const WEEKDAY_MIN_WEEKS = 3;

export type BaselineSettings = Pick<HistoryConfig, 'k' | 'max_rate_decrease' | 'max_rate_increase' | 'weekday_threshold'>;

/**
 * The smallest scale a baseline may have for this kind of metric: counts `count_floor` of their
 * mean (at least 1: one row more is never news); shares (rates, quality dimensions) `share_floor`
 * and at least the binomial standard error √(p(1−p)/n) of a share of `n`; means their standard
 * error σ/√n in this load (what sampling alone moves them by), and never exactly 0.
 */
export function scaleFloor(kind: MetricKind, center: number, settings: Pick<HistoryConfig, 'count_floor' | 'share_floor'>, load: { n: number; stddev?: number | null }): number {
  switch (kind) {
    case 'count': return Math.max(1, settings.count_floor * Math.abs(center));
    case 'share': {
      const p = Math.min(1, Math.max(0, center));
      return Math.max(settings.share_floor, load.n > 0 ? Math.sqrt((p * (1 - p)) / load.n) : 0);
    }
    case 'mean': {
      const standardError = load.n > 0 && load.stddev != null ? load.stddev / Math.sqrt(load.n) : 0;
      return Math.max(standardError, 1e-9 * Math.abs(center), Number.MIN_VALUE);
    }
  }
}

/** Running mean and population variance, Welford's update (as Deequ's OnlineNormalStrategy). */
export function onlineMoments(values: readonly number[]): { mean: number; stddev: number } {
  let mean = 0;
  let sn = 0;
  for (let i = 0; i < values.length; i++) {
    const last = mean;
    mean = last + (values[i] - last) / (i + 1);
    sn += (values[i] - last) * (values[i] - mean);
  }
  return { mean, stddev: values.length === 0 ? 0 : Math.sqrt(Math.max(0, sn) / values.length) };
}

function median(sorted: readonly number[]): number {
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Median and median absolute deviation. */
export function medianAndMad(values: readonly number[]): { median: number; mad: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const center = median(sorted);
  const deviations = sorted.map((v) => Math.abs(v - center)).sort((a, b) => a - b);
  return { median: center, mad: median(deviations) };
}

function weekdayOf(at: number): number {
  return new Date(at).getUTCDay();
}

/** The history points on the load's weekday, when the history is long enough to have a weekly shape; else undefined. */
export function weekdayHistory(history: readonly MetricPoint[], at: number): MetricPoint[] | undefined {
  if (history.length === 0 || at - history[0].at < WEEKDAY_MIN_WEEKS * WEEK_MS) return undefined;
  const day = weekdayOf(at);
  const same = history.filter((p) => weekdayOf(p.at) === day);
  return same.length >= WEEKDAY_MIN_LOADS ? same : undefined;
}

/**
 * Compares `value` (a load at `at`) with `history` (earlier, non-anomalous points, oldest first;
 * the caller has checked there are enough). `floor` is the scale floor for this metric and load.
 */
export function compareMetric(kind: MetricKind, value: number, at: number, history: readonly MetricPoint[], floor: (center: number) => number,
  settings: BaselineSettings): MetricComparison {
  const departures: MetricDeparture[] = [];
  const sameDay = weekdayHistory(history, at);
  const baseline = sameDay ?? history;
  if (sameDay !== undefined) {
    const { median: center, mad } = medianAndMad(sameDay.map((p) => p.value));
    const scale = Math.max(1.4826 * mad, floor(center));
    const z = Math.abs(value - center) / scale;
    const spread = settings.weekday_threshold * scale;
    if (z > settings.weekday_threshold) departures.push({ method: 'weekday_robust_z', score: z, center, lower: center - spread, upper: center + spread });
  } else {
    const { mean, stddev } = onlineMoments(history.map((p) => p.value));
    const scale = Math.max(stddev, floor(mean));
    const z = Math.abs(value - mean) / scale;
    const spread = settings.k * scale;
    if (z > settings.k) departures.push({ method: 'online_normal', score: z, center: mean, lower: mean - spread, upper: mean + spread });
  }
  let previous: number | null = null;
  if (kind === 'count' && baseline.length > 0) {
    previous = baseline[baseline.length - 1].value;
    if (previous > 0) {
      const ratio = value / previous;
      if (ratio < settings.max_rate_decrease || ratio > settings.max_rate_increase) {
        departures.push({ method: 'rate_of_change', score: ratio, center: previous, lower: previous * settings.max_rate_decrease, upper: previous * settings.max_rate_increase });
      }
    }
  }
  return { departures, previous, weekday: sameDay !== undefined };
}
