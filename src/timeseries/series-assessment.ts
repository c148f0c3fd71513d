import { namesTime } from '../schema/type-inference.js';
import { detectInterval, formatInterval, regularity } from './sampling-interval.js';
import type { SeriesColumns } from './series-columns.js';
import type { Interval } from './series-options.js';
import type { SeriesPoints } from './series-points.js';

/**
 * Whether a load's rows, grouped by key, are time series, and how sure that is. Judged on a sample
 * of the series (up to 32, up to 20,000 points each, so a huge file costs what a small one does):
 *
 *   confidence = name × unique² × regular
 *
 * - name: 1 when the time column's name says time (`ts`, `*_at`, …), else 0.9;
 * - unique: the share of points whose (key, time) is not a repeat, squared — a series repeats a
 *   time only by mistake, while an event log (a bank export: several payments a day) repeats many;
 * - regular: the share of consecutive deltas within ±50 % of the series' interval, weighted by
 *   points (regularity in sampling-interval.ts) — sensors and prices sit near 1, event logs with
 *   exponential gaps near 0.35.
 *
 * Detected when confidence ≥ 0.6, the series have at least 8 points at the median, and an interval
 * was found. Configuration (`timeseries.enabled: true`, `--timeseries`) skips the judgement.
 */

export interface SeriesDecision {
  detected: boolean;
  confidence: number;
  reason: string | null;
  /** The configured interval, else the one most sampled series have. */
  interval: Interval | null;
}

const SAMPLE_SERIES = 32;
const SAMPLE_POINTS = 20_000;
const MIN_POINTS = 8;
const MIN_CONFIDENCE = 0.6;

function sortedSample(points: SeriesPoints): Float64Array {
  const n = Math.min(points.length, SAMPLE_POINTS);
  return Float64Array.from(points.times.subarray(0, n)).sort();
}

export function assessSeries(series: readonly SeriesPoints[], columns: SeriesColumns, configured: Interval | null): SeriesDecision {
  if (series.length === 0) return { detected: false, confidence: 0, reason: 'no row has both a time and its keys', interval: configured };
  const lengths = series.map((s) => s.length).sort((a, b) => a - b);
  const medianPoints = lengths[Math.floor(lengths.length / 2)];
  const stride = Math.max(1, Math.floor(series.length / SAMPLE_SERIES));
  let points = 0;
  let repeats = 0;
  let regularWeight = 0;
  const intervals = new Map<string, { interval: Interval; count: number }>();
  for (let s = 0; s < series.length && s / stride < SAMPLE_SERIES; s += stride) {
    const times = sortedSample(series[s]);
    for (let i = 1; i < times.length; i++) if (times[i] === times[i - 1]) repeats++;
    points += times.length;
    const interval = configured ?? detectInterval(times);
    if (interval === null) continue;
    regularWeight += regularity(times, interval) * times.length;
    const label = formatInterval(interval);
    const seen = intervals.get(label) ?? { interval, count: 0 };
    seen.count++;
    intervals.set(label, seen);
  }
  const common = [...intervals.values()].sort((a, b) => b.count - a.count)[0]?.interval ?? null;
  const interval = configured ?? common;
  const name = namesTime(columns.time) ? 1 : 0.9;
  const unique = 1 - repeats / points;
  const confidence = Math.round(name * unique * unique * (regularWeight / points) * 1000) / 1000;
  const reason = interval === null ? 'no sampling interval (fewer than two distinct times per series)'
    : medianPoints < MIN_POINTS ? `too few points per series (median ${medianPoints}, at least ${MIN_POINTS})`
      : confidence < MIN_CONFIDENCE ? `sampling too irregular or times repeated (confidence ${confidence} below ${MIN_CONFIDENCE})` : null;
  return { detected: reason === null, confidence, reason, interval };
}
