import { addMonthsUtc, isUtcMonthEnd, utcDayOfMonth } from './calendar-step.js';
import type { Interval } from './series-options.js';

/**
 * The sampling interval of a series, from its sorted times.
 *
 * The step is the median of the positive deltas: jitter moves deltas both ways and mostly cancels
 * in the median, and a few gaps (long deltas) or bursts (short ones) cannot move it. The median is
 * then snapped to the nearest round interval within ±10 % (so 1-minute sampling with ±20 % jitter
 * reads as 1m, not 59.87s); a median that is near no round interval is kept to a precision of one
 * hundredth of itself, in whole units. Medians of a month, a quarter or a year are calendar
 * intervals when the points keep to a day of the month (or to month ends): those deltas vary with
 * the month's length, so no fixed step fits them.
 */

const US = 1;
const MS = 1000;
const S = 1000 * MS;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

/** Round intervals a detected median snaps to. */
const ROUND_INTERVALS: readonly number[] = [
  ...[1, 2, 5, 10, 20, 50, 100, 200, 250, 500].map((n) => n * US),
  ...[1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500].map((n) => n * MS),
  ...[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 45, 90].map((n) => n * S),
  ...[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 45, 90].map((n) => n * M),
  ...[1, 2, 3, 4, 6, 8, 12].map((n) => n * H),
  ...[1, 2, 7, 14].map((n) => n * D),
];
const SNAP_TOLERANCE = 0.1;
/** Share of points on one day of the month (or on month ends) that makes a monthly median a calendar interval. */
const SAME_DAY_SHARE = 0.5;

const CALENDAR_MEDIANS: ReadonlyArray<{ months: number; min: number; max: number }> = [
  { months: 1, min: 28 * D, max: 31 * D },
  { months: 3, min: 89 * D, max: 92 * D },
  { months: 12, min: 365 * D, max: 366 * D },
];

function medianOfDeltas(times: Float64Array, from: number, to: number): number {
  const deltas = new Float64Array(Math.max(0, to - from - 1));
  let n = 0;
  for (let i = from + 1; i < to; i++) {
    const delta = times[i] - times[i - 1];
    if (delta > 0) deltas[n++] = delta;
  }
  if (n === 0) return Number.NaN;
  const sorted = deltas.subarray(0, n).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** True when more than half the points share one day of the month, counting month ends as one day. */
function keepsDayOfMonth(times: Float64Array, from: number, to: number): boolean {
  const byDay = new Int32Array(33);
  let monthEnds = 0;
  for (let i = from; i < to; i++) {
    if (isUtcMonthEnd(times[i])) monthEnds++;
    else byDay[utcDayOfMonth(times[i])]++;
  }
  let most = monthEnds;
  for (let day = 1; day <= 31; day++) most = Math.max(most, byDay[day]);
  return most > SAME_DAY_SHARE * (to - from);
}

function snapFixed(median: number): number {
  let best = Number.NaN;
  let bestError = SNAP_TOLERANCE;
  for (const round of ROUND_INTERVALS) {
    const error = Math.abs(median - round) / round;
    if (error <= bestError) {
      best = round;
      bestError = error;
    }
  }
  if (!Number.isNaN(best)) return best;
  let unit = US;
  for (const candidate of [MS, S, M, H, D]) if (candidate <= median / 100) unit = candidate;
  return Math.max(US, Math.round(median / unit) * unit);
}

/** The interval of sortedTimes[from, to); null with fewer than 2 distinct times. */
export function detectInterval(sortedTimes: Float64Array, from = 0, to = sortedTimes.length): Interval | null {
  const median = medianOfDeltas(sortedTimes, from, to);
  if (Number.isNaN(median)) return null;
  for (const calendar of CALENDAR_MEDIANS) {
    if (median >= calendar.min && median <= calendar.max && keepsDayOfMonth(sortedTimes, from, to)) return { kind: 'calendar', months: calendar.months };
  }
  return { kind: 'fixed', micros: snapFixed(median) };
}

const UNITS: ReadonlyArray<[number, string]> = [[D, 'd'], [H, 'h'], [M, 'm'], [S, 's'], [MS, 'ms'], [US, 'us']];

/** '1s', '15m', '1h', '1d', '250ms', '90s', '1 month', '1 quarter', '1 year', '6 months' ... */
export function formatInterval(interval: Interval): string {
  if (interval.kind === 'calendar') {
    const { months } = interval;
    if (months % 12 === 0) return months === 12 ? '1 year' : `${months / 12} years`;
    if (months === 3) return '1 quarter';
    return months === 1 ? '1 month' : `${months} months`;
  }
  const { micros } = interval;
  for (const [unit, name] of UNITS) if (micros >= unit && micros % unit === 0) return `${micros / unit}${name}`;
  return `${micros}us`;
}

/** One step after `from`: fixed, or the calendar months on from's own day of month. */
function stepAfter(from: number, interval: Interval): number {
  return interval.kind === 'fixed' ? from + interval.micros : addMonthsUtc(from, interval.months, utcDayOfMonth(from));
}

/** The share (0..1) of positive deltas within ±50 % of one step: how well the interval describes the series. */
export function regularity(sortedTimes: Float64Array, interval: Interval): number {
  let deltas = 0;
  let regular = 0;
  for (let i = 1; i < sortedTimes.length; i++) {
    const delta = sortedTimes[i] - sortedTimes[i - 1];
    if (delta <= 0) continue;
    deltas++;
    const step = stepAfter(sortedTimes[i - 1], interval) - sortedTimes[i - 1];
    if (Math.abs(delta - step) <= 0.5 * step) regular++;
  }
  return deltas === 0 ? 0 : regular / deltas;
}
