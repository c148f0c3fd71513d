import type { Interval, SeriesOptions } from './series-options.js';
import { SortedWindow, medianOfSorted, robustScore } from './sorted-window.js';

/**
 * Anomaly scores of one value column of a regular series (rows oldest first, imputed rows
 * flagged).
 *
 * Robust z (method 'robust_z'): x_t against the observed (non-imputed, non-NULL) values among
 * the previous `window` rows: |x − median| / max(1.4826 · MAD, floor) with the value detector's
 * floor (profile/robust-scale.ts: smallest step, mean absolute deviation when the MAD is 0, 1 %
 * of |median| for a single value; at least 1e-9). Not scored with fewer than `minPoints` values
 * in the window; flagged when the score reaches `threshold`. Imputed and NULL rows are never
 * scored or flagged. The window counts rows, not observed values, so every score depends on a
 * bounded run of rows before it and a slice with contextPoints rows before it scores exactly as
 * one pass does (a NULL leaves a hole in the window rather than reaching further back).
 *
 * Anomalies do not enter later windows, in two passes: the first pass scores every point against
 * all the observed values of its window; the second pass scores it against those of them the
 * first pass did not flag. (Leaving out the second pass's own flags instead would make each flag
 * depend on every flag before it — no bounded context — and would keep a level shift flagged
 * forever, since its new level would never enter a window.) So a spike is left out of the
 * windows after it, and a level shift is flagged from its start for about three quarters of a
 * window — one event — until the points after it that the first pass already accepted outnumber
 * the old level's, from when on the new level is the normal.
 *
 * Seasonal robust z (method 'seasonal_robust_z', when `seasonal` and the interval is fixed and
 * divides a day): the residual r_t = x_t − median of the observed values at the same phase of the
 * previous up-to-4 seasons (the row nearest t − k·season, k = 1..4, within half a step). The season
 * is weekly when at least 2 of those weeks have a value, else daily when 2 days have one (at least
 * two full seasons of history); a season is used when it spans 2..MAX_SEASON_ROWS rows. r_t is
 * scored with the same two-pass robust z over the residuals of the previous `window` rows. A
 * point with a residual whose window holds seasonalMinPoints residuals (minPoints, and at least
 * half a window: a MAD of a dozen residuals is too noisy to take over from a full plain window
 * when the seasons start) is scored seasonally, any other observed point by the plain robust z.
 * The phase lookup searches only the seasonSearchRows(season) rows before the point (twice the
 * rows four seasons hold at one per step), which bounds the context a slice needs.
 *
 * False positives at the defaults (threshold 5, window 60, minPoints 12), measured on 100,000
 * points (test/timeseries/series-anomalies.test.ts; three seeds each):
 *   - Gaussian white noise, 1-second sampling (no season applies): 5–8 rows flagged
 *     (0.005–0.008 %); at 1-minute sampling, where the daily season takes over after two days:
 *     7–10 rows (≤ 0.01 %). The test asserts below 0.05 %.
 *   - a Gaussian random walk, 1-second sampling: 1,212–1,324 rows (1.2–1.3 %) in 190–230 events;
 *     at 1-minute sampling 1,010–1,430 rows. A trailing median lags a walk's drift and a window's
 *     MAD is small while the walk happens to be flat: the robust z takes the walk's larger moves
 *     for anomalies. The test asserts below 2 %.
 */

const DAY = 86_400_000_000;
const WEEK = 7 * DAY;
/** Seasons longer than this many rows are not used (a week at 1-minute sampling): a 4-season look-back would be a slice context of millions of rows. */
export const MAX_SEASON_ROWS = 10_080;
export const SEASON_REFERENCES = 4;

export const METHOD_NONE = 0;
export const METHOD_ROBUST = 1;
export const METHOD_SEASONAL = 2;

/** Residuals a seasonal window needs before the seasonal score replaces the plain one. */
export function seasonalMinPoints(options: SeriesOptions['anomaly']): number {
  return Math.max(options.minPoints, Math.ceil(options.window / 2));
}

/** The seasons (µs, weekly first) the seasonal score may use for this interval. */
export function seasonsFor(interval: Interval | null): number[] {
  if (interval === null || interval.kind !== 'fixed') return [];
  const step = interval.micros;
  if (!(step > 0) || DAY % step !== 0) return [];
  return [WEEK, DAY].filter((season) => season / step >= 2 && season / step <= MAX_SEASON_ROWS);
}

/** Rows before a point searched for its phase in a season. */
export function seasonSearchRows(season: number, step: number): number {
  return 2 * SEASON_REFERENCES * (season / step) + 2;
}

/** The rows before a point that its seasonal residual can read (0: no season applies). */
export function seasonalLookbackRows(interval: Interval): number {
  let rows = 0;
  if (interval.kind === 'fixed') for (const season of seasonsFor(interval)) rows = Math.max(rows, seasonSearchRows(season, interval.micros));
  return rows;
}

/**
 * For every row i, season s and k = 1..4: the row nearest times[i] − k·season within half a step
 * among the seasonSearchRows rows before i, ties to the earlier, or −1. Laid out as
 * [(s · 4 + k − 1) · n + i]. One monotone pointer per (s, k): targets grow with i.
 */
export function seasonReferenceRows(times: Float64Array, n: number, seasons: readonly number[], step: number): Int32Array {
  const out = new Int32Array(seasons.length * SEASON_REFERENCES * n).fill(-1);
  const half = step / 2;
  for (let s = 0; s < seasons.length; s++) {
    const search = seasonSearchRows(seasons[s], step);
    for (let k = 1; k <= SEASON_REFERENCES; k++) {
      const base = (s * SEASON_REFERENCES + k - 1) * n;
      const back = k * seasons[s];
      let p = 0;
      for (let i = 0; i < n; i++) {
        const target = times[i] - back;
        while (p + 1 < i && times[p + 1] <= target) p++;
        const lowest = i - search;
        let best = -1;
        let bestDistance = half;
        for (let q = p; q <= p + 1 && q < i; q++) {
          if (q < lowest) continue;
          const distance = Math.abs(times[q] - target);
          if (distance <= bestDistance && (best < 0 || distance < bestDistance)) {
            best = q;
            bestDistance = distance;
          }
        }
        out[base + i] = best;
      }
    }
  }
  return out;
}

/** Seasonal residuals of a column: NaN where the row is not observed or no season has 2 values. */
export function seasonalResiduals(values: Float64Array, imputed: Uint8Array, n: number, references: Int32Array, seasonCount: number): Float64Array {
  const residuals = new Float64Array(n).fill(Number.NaN);
  const found = new Float64Array(SEASON_REFERENCES);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (imputed[i] === 1 || Number.isNaN(x)) continue;
    for (let s = 0; s < seasonCount; s++) {
      let count = 0;
      for (let k = 0; k < SEASON_REFERENCES; k++) {
        const j = references[(s * SEASON_REFERENCES + k) * n + i];
        if (j < 0 || imputed[j] === 1 || Number.isNaN(values[j])) continue;
        const v = values[j];
        let at = count++;
        while (at > 0 && found[at - 1] > v) {
          found[at] = found[at - 1];
          at--;
        }
        found[at] = v;
      }
      if (count >= 2) {
        residuals[i] = x - medianOfSorted(found, count);
        break;
      }
    }
  }
  return residuals;
}

/** First pass: each non-NaN a[i] against the non-NaN a-values of the previous `window` rows. */
function firstPass(a: Float64Array, n: number, window: number, minPoints: number, threshold: number, sorted: SortedWindow, score: Float64Array, flag: Uint8Array): void {
  sorted.clear();
  for (let i = 0; i < n; i++) {
    const x = a[i];
    if (!Number.isNaN(x) && sorted.size >= minPoints) {
      const s = robustScore(sorted.values, sorted.size, x);
      score[i] = s;
      flag[i] = s >= threshold ? 1 : 0;
    } else {
      score[i] = Number.NaN;
      flag[i] = 0;
    }
    const out = i >= window ? a[i - window] : Number.NaN;
    if (Number.isNaN(x)) {
      if (!Number.isNaN(out)) sorted.remove(out);
    } else if (Number.isNaN(out)) sorted.insert(x);
    else sorted.replace(out, x);
  }
}

/**
 * Second pass for rows [from, n): the window without the first pass's flags. Where the window
 * holds none of them (nearly always) the first pass's score is the answer; otherwise the window
 * is gathered and sorted afresh.
 */
function secondPass(a: Float64Array, n: number, from: number, window: number, minPoints: number, firstScore: Float64Array, firstFlag: Uint8Array, scratch: Float64Array, out: Float64Array): void {
  let excluded = 0;
  for (let j = Math.max(0, from - window); j < from; j++) excluded += firstFlag[j];
  for (let i = from; i < n; i++) {
    const x = a[i];
    let s = Number.NaN;
    if (!Number.isNaN(x)) {
      if (excluded === 0) s = firstScore[i];
      else {
        let count = 0;
        for (let j = Math.max(0, i - window); j < i; j++) if (firstFlag[j] === 0 && !Number.isNaN(a[j])) scratch[count++] = a[j];
        if (count >= minPoints) {
          const sorted = scratch.subarray(0, count).sort();
          s = robustScore(sorted, count, x);
        }
      }
    }
    out[i - from] = s;
    excluded += firstFlag[i];
    if (i - window >= 0) excluded -= firstFlag[i - window];
  }
}

export interface ColumnScores {
  /** Per row from `from` on: the score, NaN when not scored. */
  score: Float64Array;
  /** METHOD_NONE / METHOD_ROBUST / METHOD_SEASONAL per row. */
  method: Uint8Array;
  flag: Uint8Array;
}

/** Reusable buffers of one series' scoring (every column has the same number of rows). */
export interface ScoreBuffers {
  observed: Float64Array;
  firstScore: Float64Array;
  firstFlag: Uint8Array;
  sorted: SortedWindow;
  scratch: Float64Array;
  plain: Float64Array;
  seasonal: Float64Array;
}

export function scoreBuffers(n: number, from: number, window: number): ScoreBuffers {
  return {
    observed: new Float64Array(n), firstScore: new Float64Array(n), firstFlag: new Uint8Array(n),
    sorted: new SortedWindow(window + 1), scratch: new Float64Array(window + 1),
    plain: new Float64Array(n - from), seasonal: new Float64Array(n - from),
  };
}

/**
 * Scores of one column for rows [from, n); rows before `from` (the stored tail, a slice's
 * context) only feed the windows. `references` from seasonReferenceRows, or null for no season.
 */
export function scoreColumn(
  values: Float64Array, imputed: Uint8Array, n: number, from: number, references: Int32Array | null, seasonCount: number,
  options: SeriesOptions['anomaly'], buffers: ScoreBuffers,
): ColumnScores {
  const { window, minPoints, threshold } = options;
  const { observed, firstScore, firstFlag, sorted, scratch, plain, seasonal } = buffers;
  for (let i = 0; i < n; i++) observed[i] = imputed[i] === 1 ? Number.NaN : values[i];
  firstPass(observed, n, window, minPoints, threshold, sorted, firstScore, firstFlag);
  secondPass(observed, n, from, window, minPoints, firstScore, firstFlag, scratch, plain);
  const hasSeasons = references !== null && seasonCount > 0;
  if (hasSeasons) {
    const residuals = seasonalResiduals(values, imputed, n, references, seasonCount);
    const seasonalMin = seasonalMinPoints(options);
    firstPass(residuals, n, window, seasonalMin, threshold, sorted, firstScore, firstFlag);
    secondPass(residuals, n, from, window, seasonalMin, firstScore, firstFlag, scratch, seasonal);
  }
  const rows = n - from;
  const score = new Float64Array(rows);
  const method = new Uint8Array(rows);
  const flag = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = hasSeasons ? seasonal[r] : Number.NaN;
    let m = METHOD_SEASONAL;
    if (Number.isNaN(s)) {
      s = plain[r];
      m = METHOD_ROBUST;
    }
    score[r] = s;
    method[r] = Number.isNaN(s) ? METHOD_NONE : m;
    flag[r] = s >= threshold ? 1 : 0;
  }
  return { score, method, flag };
}
