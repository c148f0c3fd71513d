import { seriesFeatures } from './rolling-features.js';
import { METHOD_SEASONAL, scoreBuffers, scoreColumn, seasonHasHistory, seasonReferenceRows, seasonsFor, type ColumnScores } from './series-anomalies.js';
import { buildGrid } from './series-grid.js';
import { assertSeriesOptions, type Interval, type SeriesOptions } from './series-options.js';
import { EVERY_TIME, type TimeSpan } from './series-points.js';

/**
 * One series (or one slice of one) through the time-series computation, as a worker runs it:
 * typed arrays in, typed arrays out, no I/O.
 *
 *   tail (stored rows) ┐
 *   new points ────────┴▶ sort ▸ duplicates ▸ grid, gaps, imputation (series-grid.ts)
 *                          ▸ features (rolling-features.ts) ▸ anomaly scores (series-anomalies.ts)
 *                          ▸ rows from the first point ≥ outputFrom, counts, events
 *
 * Slices: a slice given contextPoints(options, interval) points (distinct times) before it, with
 * outputFrom = its first time, outputs exactly the rows, flags and scores the unsliced run does
 * (features to rounding), and counts that add up; pass the series' interval in the options (a
 * slice alone could detect another). An anomaly event running across a slice boundary comes out
 * as two events, which joinSeriesEvents puts back together. The same holds for a continuation
 * whose tail is the last contextPoints stored rows.
 */

export interface SeriesInput {
  /** Rows already processed and stored (from timeseries.<dataset>), oldest first: they feed windows, EWMA, lags, anomaly windows and the left side of the first gap; they are not output. May be empty. */
  tail: { times: Float64Array; values: Float64Array[]; imputed: Uint8Array };
  /** New raw points, in input order (NOT sorted; sorted stably by time inside). NaN = NULL. */
  times: Float64Array;
  values: Float64Array[];
  /** Raw points with time < outputFrom are context only (a slice's trailing window); rows are output from the first point with time ≥ outputFrom, together with the imputed rows of the gap just before it. -Infinity: output all. */
  outputFrom: number;
  /**
   * The file's own points: the counts are of output points and rows within it. The points outside
   * it are stored rows computed again (next to a reloaded range) and are output uncounted.
   * Default: every time.
   */
  counted?: TimeSpan;
}

export interface SeriesEvent {
  /** Times of the run's first and last flagged row. */
  start: number;
  end: number;
  /** Time of the largest score (the first, on ties). */
  peak: number;
  column: number;
  /** The value and score at the peak. */
  value: number;
  score: number;
  method: 'robust_z' | 'seasonal_robust_z';
  /** Flagged rows in the run. */
  points: number;
}

export interface SeriesOutput {
  times: Float64Array;
  values: Float64Array[];
  imputed: Uint8Array;
  /** 1 where any value column is flagged. */
  anomaly: Uint8Array;
  /** Per row: the largest anomaly score over the value columns, NaN when no column could be scored. */
  score: Float64Array;
  /** featureColumns order, NaN = NULL. */
  features: Float64Array[];
  /** The interval used for this series. */
  interval: Interval | null;
  /** points: new points at times ≥ outputFrom (and counted); duplicates: of those, not kept; gaps, missing, imputed, openGaps: of the gaps before those points; anomalies: flagged output rows within `counted`. */
  counts: { points: number; duplicates: number; gaps: number; missing: number; imputed: number; openGaps: number; anomalies: number };
  /** Consecutive flagged rows of a column merged into one event, by start time then column. */
  events: SeriesEvent[];
}

/** The runs of flagged rows of one column as events. */
function columnEvents(column: number, times: Float64Array, values: Float64Array, from: number, scores: ColumnScores, events: SeriesEvent[]): void {
  const { flag, score, method } = scores;
  const rows = flag.length;
  for (let r = 0; r < rows;) {
    if (flag[r] === 0) {
      r++;
      continue;
    }
    let peak = r;
    let end = r;
    while (end + 1 < rows && flag[end + 1] === 1) {
      end++;
      if (score[end] > score[peak]) peak = end;
    }
    events.push({
      start: times[from + r], end: times[from + end], peak: times[from + peak], column, value: values[from + peak], score: score[peak],
      method: method[peak] === METHOD_SEASONAL ? 'seasonal_robust_z' : 'robust_z', points: end - r + 1,
    });
    r = end + 1;
  }
}

function byStartThenColumn(a: SeriesEvent, b: SeriesEvent): number {
  return a.start - b.start || a.column - b.column;
}

export function processSeries(input: SeriesInput, options: SeriesOptions): SeriesOutput {
  assertSeriesOptions(options, options.interval);
  const grid = buildGrid(input, options);
  const { rows: n, times, values, imputed, from, interval } = grid;
  const rows = n - from;
  const features = seriesFeatures(times, values, n, from, options);

  const seasons: Int32Array[] = [];
  if (options.anomaly.seasonal && interval?.kind === 'fixed' && n > 0) {
    for (const season of seasonsFor(interval)) {
      if (seasonHasHistory(season, interval.micros, times[n - 1] - times[0])) seasons.push(seasonReferenceRows(times, n, season, interval.micros));
    }
  }
  const buffers = scoreBuffers(n, from, options.anomaly.window);
  const anomaly = new Uint8Array(rows);
  const score = new Float64Array(rows).fill(Number.NaN);
  const events: SeriesEvent[] = [];
  for (let c = 0; c < values.length; c++) {
    const scores = scoreColumn(values[c], imputed, n, from, seasons, options.anomaly, buffers);
    for (let r = 0; r < rows; r++) {
      const s = scores.score[r];
      if (!Number.isNaN(s) && !(s <= score[r])) score[r] = s;
      anomaly[r] |= scores.flag[r];
    }
    columnEvents(c, times, values[c], from, scores, events);
  }
  events.sort(byStartThenColumn);
  let anomalies = 0;
  const counted = input.counted ?? EVERY_TIME;
  for (let r = 0; r < rows; r++) {
    const t = times[from + r];
    if (t >= counted.first && t <= counted.last) anomalies += anomaly[r];
  }

  return {
    times: times.slice(from, n),
    values: values.map((column) => column.slice(from, n)),
    imputed: imputed.slice(from, n),
    anomaly, score, features, interval,
    counts: { ...grid.counts, anomalies },
    events,
  };
}

/**
 * The events of two adjacent outputs of one series (slices, or a stored run and its continuation)
 * as one pass gives them: an event of `earlier` ending on its last row and one of `later` starting
 * on its first row, of the same column, are one run.
 */
export function joinSeriesEvents(earlier: readonly SeriesEvent[], earlierLastTime: number, later: readonly SeriesEvent[], laterFirstTime: number): SeriesEvent[] {
  const joined = earlier.map((event) => ({ ...event }));
  const rest: SeriesEvent[] = [];
  for (const event of later) {
    const before = event.start === laterFirstTime ? joined.find((e) => e.end === earlierLastTime && e.column === event.column) : undefined;
    if (before === undefined) {
      rest.push(event);
      continue;
    }
    before.end = event.end;
    before.points += event.points;
    if (event.score > before.score) {
      before.peak = event.peak;
      before.value = event.value;
      before.score = event.score;
      before.method = event.method;
    }
  }
  return [...joined, ...rest];
}
