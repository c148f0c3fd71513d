import assert from 'node:assert/strict';
import { addMonthsUtc, isUtcMonthEnd, nearestCalendarStep, utcDayOfMonth } from './calendar-step.js';
import type { SeriesInput, SeriesOutput } from './process-series.js';
import { detectInterval } from './sampling-interval.js';
import { ANCHOR_LOOKBACK, type ImputeMethod, type Interval, type SeriesOptions } from './series-options.js';
import { EVERY_TIME } from './series-points.js';

/**
 * The regular series a worker computes on: the stored tail, then the new points sorted (stably)
 * by time with duplicates resolved, with the missing points of each gap short enough filled in.
 *
 * - Sorting: by time, ties in input order, so `last` is the highest input index and `first` the
 *   lowest; `mean` averages each value column over the points at that time (NULLs ignored, NULL
 *   when all are NULL). Every point removed counts as a duplicate. A new point at or before the
 *   tail's last row is not processed again (the stored row stands): also a duplicate.
 *   An infinite value is no measurement: it is NULL.
 * - Gaps: between consecutive points a and b (the first new point's left neighbour is the tail's
 *   last row), missing = round((t_b − t_a) / step) − 1 for a fixed interval, and the number of
 *   whole calendar steps between them less one for a calendar interval (nearestCalendarStep); a
 *   gap has missing ≥ 1, i.e. Δ ≥ 1.5 steps. Points stay at their own times (jitter is not
 *   snapped to a grid). A gap with Δ ≤ maxGapMicros is filled with rows at t_a + j·step,
 *   j = 1..missing, flagged imputed, each column by its method: linear in time between a and b,
 *   locf (a's value), none (NULL); a wider gap stays open. Without an interval (fewer than two
 *   distinct times), there are no gaps.
 * - Calendar steps keep the series' day of month: a's day, or when a falls on its month's last
 *   day, the largest day of month among a and the observed rows of the ANCHOR_LOOKBACK rows
 *   before it (so 01-30, 02-29 continues on 03-30, and 01-31, 02-29 on 03-31).
 * - Output: from the first new point with time ≥ outputFrom, together with the imputed rows of
 *   the gap just before it; counts are those of the output (points and duplicates at times ≥
 *   outputFrom, gaps whose right point is output), so the counts of slices add up, and of those
 *   only the points within `counted` (the file's own, not stored rows computed again).
 */

export interface SeriesGrid {
  rows: number;
  times: Float64Array;
  values: Float64Array[];
  imputed: Uint8Array;
  /** The first output row; rows before it are tail or context. */
  from: number;
  interval: Interval | null;
  counts: Omit<SeriesOutput['counts'], 'anomalies'>;
}

/** Rows appended one at a time into typed arrays that double when full. */
class RowBuffer {
  times: Float64Array;
  values: Float64Array[];
  imputed: Uint8Array;
  length = 0;

  constructor(capacity: number, columns: number) {
    this.times = new Float64Array(capacity);
    this.values = Array.from({ length: columns }, () => new Float64Array(capacity));
    this.imputed = new Uint8Array(capacity);
  }

  reserve(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.times.length) return;
    const capacity = Math.max(needed, this.times.length * 2);
    const grow = <T extends Float64Array | Uint8Array>(old: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(old.subarray(0, this.length));
      return next;
    };
    this.times = grow(this.times, (n) => new Float64Array(n));
    this.values = this.values.map((column) => grow(column, (n) => new Float64Array(n)));
    this.imputed = grow(this.imputed, (n) => new Uint8Array(n));
  }
}

function cleanValue(x: number): number {
  return Number.isFinite(x) ? x : Number.NaN;
}

/** The day of month calendar steps after row `a` keep (see the module comment). */
function anchorDay(rows: RowBuffer, a: number): number {
  const time = rows.times[a];
  let day = utcDayOfMonth(time);
  if (!isUtcMonthEnd(time)) return day;
  for (let r = Math.max(0, a - ANCHOR_LOOKBACK); r < a; r++) if (rows.imputed[r] === 0) day = Math.max(day, utcDayOfMonth(rows.times[r]));
  return day;
}

/** Indices of `times` sorted by time, ties in input order (the comparator runs only when the input is out of order). */
function timeOrder(times: Float64Array): Uint32Array {
  const n = times.length;
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    assert.ok(Number.isFinite(times[i]), 'series times are finite');
    if (i > 0 && times[i] < times[i - 1]) sorted = false;
    order[i] = i;
  }
  return sorted ? order : order.sort((x, y) => times[x] - times[y] || x - y);
}

export function buildGrid(input: SeriesInput, options: SeriesOptions): SeriesGrid {
  const { tail, times, values, outputFrom } = input;
  const counted = input.counted ?? EVERY_TIME;
  const columns = values.length;
  assert.equal(tail.values.length, columns, 'the tail has every value column');
  const n = times.length;
  const tailRows = tail.times.length;
  const tailLast = tailRows > 0 ? tail.times[tailRows - 1] : -Infinity;
  const order = timeOrder(times);

  const keptTimes = new Float64Array(n);
  const keptValues = Array.from({ length: columns }, () => new Float64Array(n));
  let kept = 0;
  let points = 0;
  let duplicates = 0;
  for (let i = 0; i < n;) {
    const t = times[order[i]];
    let end = i + 1;
    while (end < n && times[order[end]] === t) end++;
    const output = t >= outputFrom;
    const own = output && t >= counted.first && t <= counted.last;
    if (own) points += end - i;
    if (t <= tailLast) {
      if (own) duplicates += end - i;
      i = end;
      continue;
    }
    if (own) duplicates += end - i - 1;
    keptTimes[kept] = t;
    for (let c = 0; c < columns; c++) {
      const column = values[c];
      let x: number;
      if (options.duplicates === 'mean') {
        let sum = 0;
        let count = 0;
        for (let j = i; j < end; j++) {
          const v = cleanValue(column[order[j]]);
          if (!Number.isNaN(v)) { sum += v; count++; }
        }
        x = count === 0 ? Number.NaN : sum / count;
      } else {
        x = cleanValue(column[order[options.duplicates === 'first' ? i : end - 1]]);
      }
      keptValues[c][kept] = x;
    }
    kept++;
    i = end;
  }

  let interval = options.interval;
  if (interval === null) {
    const all = new Float64Array(tailRows + kept);
    all.set(tail.times);
    all.set(keptTimes.subarray(0, kept), tailRows);
    interval = detectInterval(all);
  }

  const rows = new RowBuffer(tailRows + kept + 16, columns);
  rows.times.set(tail.times);
  rows.imputed.set(tail.imputed);
  for (let c = 0; c < columns; c++) rows.values[c].set(tail.values[c]);
  rows.length = tailRows;

  const methods: ImputeMethod[] = Array.from({ length: columns }, (_, c) => options.impute[c] ?? 'none');
  const maxGap = options.maxGapMicros;
  let from = -1;
  let gaps = 0;
  let missingTotal = 0;
  let imputedTotal = 0;
  let openGaps = 0;
  for (let p = 0; p < kept; p++) {
    const t = keptTimes[p];
    const output = t >= outputFrom;
    if (output && from < 0) from = rows.length;
    if (interval !== null && rows.length > 0) {
      const a = rows.length - 1;
      const ta = rows.times[a];
      const delta = t - ta;
      const day = interval.kind === 'calendar' ? anchorDay(rows, a) : 0;
      const missing = interval.kind === 'fixed' ? Math.round(delta / interval.micros) - 1 : nearestCalendarStep(ta, t, interval.months, day) - 1;
      if (missing >= 1) {
        const fill = maxGap !== null && delta <= maxGap;
        if (output && t >= counted.first && t <= counted.last) {
          gaps++;
          missingTotal += missing;
          if (fill) imputedTotal += missing;
          else openGaps++;
        }
        if (fill) {
          rows.reserve(missing + 1);
          for (let j = 1; j <= missing; j++) {
            const r = rows.length++;
            const time = interval.kind === 'fixed' ? ta + j * interval.micros : addMonthsUtc(ta, j * interval.months, day);
            rows.times[r] = time;
            rows.imputed[r] = 1;
            for (let c = 0; c < columns; c++) {
              const va = rows.values[c][a];
              const method = methods[c];
              rows.values[c][r] = method === 'linear' ? va + (keptValues[c][p] - va) * ((time - ta) / delta) : method === 'locf' ? va : Number.NaN;
            }
          }
        }
      }
    }
    rows.reserve(1);
    const r = rows.length++;
    rows.times[r] = t;
    rows.imputed[r] = 0;
    for (let c = 0; c < columns; c++) rows.values[c][r] = keptValues[c][p];
  }
  if (from < 0) from = rows.length;
  return {
    rows: rows.length, times: rows.times, values: rows.values, imputed: rows.imputed, from, interval,
    counts: { points, duplicates, gaps, missing: missingTotal, imputed: imputedTotal, openGaps },
  };
}
