import { hourOfWall, monthOfWall, weekdayOfWall, zoneOffsetMicros } from './local-time.js';
import type { SeriesOptions } from './series-options.js';

/**
 * The features of a regular series (rows oldest first, imputed rows included), for rows
 * [from, n), in featureColumns order. NaN is NULL.
 *
 * Rolling mean / std / min / max over the last w rows including the current one, NULLs skipped:
 * NULL when the window holds no value, std (sample, n − 1, as PostgreSQL's stddev) NULL with
 * fewer than 2. Each is O(1) per row: mean and the sum of squared deviations slide by Welford's
 * add and remove (self-centring, so a series far from 0 loses no precision), recomputed exactly
 * every w rows so rounding cannot pile up over a long series; a window whose min equals its max
 * is exactly constant (std 0, mean = that value), which an incremental sum cannot promise.
 * Min and max come from monotone deques of row indices. Recomputing each window costs O(w)
 * per row instead (bench/series-features.ts).
 *
 * EWMA s_t = a·x_t + (1 − a)·s_{t−1}, s = the first value; a NULL keeps s (and the row shows it).
 * lag k: the value k rows back; diff k: value − lag k; roc: diff 1 per second of time between
 * the two rows. Calendar parts (hour 0..23, weekday 0 = Sunday, month 1..12) on calendarZone's
 * wall clock.
 */

const MICROS_PER_SECOND = 1_000_000;

/** Rolling mean, std, min and max of one column over windows of w rows, written from row `from` on. */
export function rollingWindow(values: Float64Array, n: number, from: number, w: number, mean: Float64Array, std: Float64Array, min: Float64Array, max: Float64Array): void {
  let count = 0;
  let mu = 0;
  let m2 = 0;
  let sinceExact = 0;
  const capacity = w + 1;
  const maxRows = new Int32Array(capacity);
  const minRows = new Int32Array(capacity);
  let maxHead = 0;
  let maxTail = 0;
  let minHead = 0;
  let minTail = 0;
  for (let i = 0; i < n; i++) {
    // The row leaving goes first, so the deques never hold more than w rows.
    const leaving = i - w;
    if (leaving >= 0) {
      const y = values[leaving];
      if (!Number.isNaN(y)) {
        count--;
        if (count === 0) {
          mu = 0;
          m2 = 0;
        } else {
          const d = y - mu;
          mu -= d / count;
          m2 -= d * (y - mu);
        }
      }
      if (maxHead !== maxTail && maxRows[maxHead] === leaving) maxHead = (maxHead + 1) % capacity;
      if (minHead !== minTail && minRows[minHead] === leaving) minHead = (minHead + 1) % capacity;
    }
    const x = values[i];
    if (!Number.isNaN(x)) {
      count++;
      const d = x - mu;
      mu += d / count;
      m2 += d * (x - mu);
      while (maxTail !== maxHead && values[maxRows[(maxTail - 1 + capacity) % capacity]] <= x) maxTail = (maxTail - 1 + capacity) % capacity;
      maxRows[maxTail] = i;
      maxTail = (maxTail + 1) % capacity;
      while (minTail !== minHead && values[minRows[(minTail - 1 + capacity) % capacity]] >= x) minTail = (minTail - 1 + capacity) % capacity;
      minRows[minTail] = i;
      minTail = (minTail + 1) % capacity;
    }
    if (++sinceExact >= w) {
      sinceExact = 0;
      let sum = 0;
      let k = 0;
      for (let j = Math.max(0, i - w + 1); j <= i; j++) if (!Number.isNaN(values[j])) { sum += values[j]; k++; }
      mu = k === 0 ? 0 : sum / k;
      m2 = 0;
      for (let j = Math.max(0, i - w + 1); j <= i; j++) if (!Number.isNaN(values[j])) m2 += (values[j] - mu) * (values[j] - mu);
    }
    if (i < from) continue;
    const r = i - from;
    if (count === 0) {
      mean[r] = std[r] = min[r] = max[r] = Number.NaN;
      continue;
    }
    const lo = values[minRows[minHead]];
    const hi = values[maxRows[maxHead]];
    min[r] = lo;
    max[r] = hi;
    mean[r] = lo === hi ? lo : mu;
    std[r] = count < 2 ? Number.NaN : lo === hi ? 0 : Math.sqrt(Math.max(m2, 0) / (count - 1));
  }
}

/** All features of rows [from, n) in featureColumns order. */
export function seriesFeatures(times: Float64Array, values: readonly Float64Array[], n: number, from: number, options: SeriesOptions): Float64Array[] {
  const rows = n - from;
  const out: Float64Array[] = [];
  const make = (): Float64Array => {
    const column = new Float64Array(rows);
    out.push(column);
    return column;
  };
  const a = options.ewmaAlpha;
  for (const v of values) {
    for (const w of options.windows) rollingWindow(v, n, from, w, make(), make(), make(), make());
    const ewma = make();
    let s = Number.NaN;
    for (let i = 0; i < n; i++) {
      const x = v[i];
      if (!Number.isNaN(x)) s = Number.isNaN(s) ? x : a * x + (1 - a) * s;
      if (i >= from) ewma[i - from] = s;
    }
    for (const k of options.lags) {
      const lag = make();
      const diff = make();
      for (let i = from; i < n; i++) {
        const back = i - k >= 0 ? v[i - k] : Number.NaN;
        lag[i - from] = back;
        diff[i - from] = v[i] - back;
      }
    }
    const roc = make();
    for (let i = from; i < n; i++) roc[i - from] = i === 0 ? Number.NaN : (v[i] - v[i - 1]) / ((times[i] - times[i - 1]) / MICROS_PER_SECOND);
  }
  const zone = options.calendarZone;
  if (zone !== null) {
    const hour = make();
    const weekday = make();
    const month = make();
    const utc = zone === 'UTC';
    for (let i = from; i < n; i++) {
      const wall = utc ? times[i] : times[i] + zoneOffsetMicros(times[i], zone);
      hour[i - from] = hourOfWall(wall);
      weekday[i - from] = weekdayOfWall(wall);
      month[i - from] = monthOfWall(wall);
    }
  }
  return out;
}
