import type { Interval, SeriesOptions } from './series-options.js';
import { SortedWindow, medianOfSorted, robustScale, robustScore } from './sorted-window.js';

/**
 * Anomaly scores of one value column of a regular series (rows oldest first, imputed rows
 * flagged).
 *
 * Robust z (method 'robust_z'): a point is anomalous when it is far from the trailing level AND
 * its own move is far from the recent moves. The level z is x_t against the observed
 * (non-imputed, non-NULL) values among the previous `window` rows: |x − median| /
 * max(1.4826 · MAD, floor) with the value detector's floor (profile/robust-scale.ts: smallest
 * step, mean absolute deviation when the MAD is 0, 1 % of |median| for a single value; at least
 * 1e-9). The step z is the same robust z of the step d_t = x_t − x_p, p the previous observed row
 * within the window (flags do not choose p: a flag would then decide later steps and so every
 * later flag, with no bounded context), against the steps of the previous `window` rows. The
 * score is min(level z, √2 · step z) — the level z alone when the step cannot be scored (no
 * previous value in the window, fewer than `minPoints` steps); not scored with fewer than
 * `minPoints` values; flagged when the score reaches `threshold`. √2 (STEP_SCALE): a step of
 * white noise spreads √2 times as much as a value, so for a lone spike in noise both z agree and
 * the min loses no sensitivity there (without it, 8σ spikes in a seasonal series were found 19–22
 * times in 40 instead of 38–39 before the step; with it 36–37). Imputed and NULL rows are never
 * scored or flagged. The windows count rows, not observed values, so every score depends on a
 * bounded run of rows before it and a slice with contextPoints rows before it scores exactly as
 * one pass does (a NULL leaves a hole in the window rather than reaching further back).
 *
 * Why both: the trailing median lags a random walk's drift and the MAD of a window is small
 * while the walk happens to be flat, so the level z alone takes ordinary drift for anomalies (0.7–1.3
 * % of a walk's points, measured below). A walk's level is far from its window's median after a run
 * of ordinary steps, not after one large one, so requiring both leaves the walk nearly alone:
 *   - a spike: both z large, flagged; the step back is as large but the point after it is at the
 *     level: not flagged;
 *   - a level shift: its first point is flagged (both large); the points after it move as usual,
 *     so a level shift is a one-row event at its start, where the change happened. For the half
 *     window until the trailing median crosses over, their level z stays high and a point is
 *     flagged by its step alone, at √2 · step z ≥ threshold — rare (a 3.5σ step), one row;
 *   - a trend: the steps are alike and the level z of a linear trend is small anyway.
 *
 * Anomalies do not enter later windows, in two passes: the first pass scores every point (level
 * and step) against its whole windows; the second pass leaves out of the level windows the points
 * the first pass flagged, and out of the step windows the steps into or out of them (the step
 * back from a spike is no normal move either). (Leaving out the second pass's own flags instead
 * would make each flag depend on every flag before it — no bounded context.) Context: a second-
 * pass step window reaches one window back, its steps' previous values one more, the first-pass
 * flags at the steps' far ends their own step windows and those steps' previous values two more:
 * four windows (contextPoints; test/timeseries/series-slicing.test.ts has series with NULL runs
 * that need more than three).
 *
 * Seasonal robust z (method 'seasonal_robust_z', when `seasonal` and the interval is fixed and
 * divides a day): the seasons fixed by the interval alone — daily when a day spans
 * 2..MAX_SEASON_ROWS rows, and weekly when a week does (both up to 1-minute sampling, the weekly
 * one alone for a daily step); each is scored on its own as below, and a season the series is
 * too short for (less than two of it) is not computed. For k = 1..4 the reference of row t is the row nearest t − k·season
 * (within half a step, among the seasonSearchRows(season) rows before t: twice the rows four
 * seasons hold at one per step, which bounds the context a slice needs), and
 *   Δ_k(t) = x_t − x_ref          the change over k seasons, with both observed;
 *   D_k(t) = median of the Δ_k of the previous `window` rows (at least minPoints of them):
 *            the change over k seasons that the recent rows show;
 *   T_k(t) = Δ_k(t) − D_k(t),     r_t = median of the T_k(t) (at least two: two seasons of history).
 * r_t asks how much more x moved since the same phase k seasons ago than its neighbours moved
 * since theirs. A season repeats and cancels in every Δ_k; a trend (locally linear, or any level
 * drift slower than a window) moves every Δ_k of the window alike and cancels against D_k; a
 * missing point or reference only drops a difference from a median whose terms all have the same
 * mean, so it moves nothing. (Residuals against the references' median, x_t − median of x_ref,
 * carry k·season·slope with a trend: each missing reference, or a switch from a daily to a weekly
 * season, changed which k's the median was over and so the residual's level — an hourly trend
 * with 7 of every 97 points missing flagged 1,744 rows. Differences of trailing medians,
 * (x_t − m_t) − (x_ref − m_ref), do not cancel either: with a trend or a season a gap moves a
 * window's median, by up to half the gap's length times the slope.)
 * r_t is scored as the plain score scores x_t — min(level z of r_t, √2 · step z of r_t − r_p)
 * over the residuals of the previous `window` rows — in two passes: the first with every
 * reference and every residual; the second leaves out of r_t the terms whose reference the first
 * pass flagged (by the score that applied to it: this season's, else a shorter season's, else
 * plain) or lies within referenceHoldRows (half a window) after such a flag, so a spike does not
 * come back as a false flag one season later when it is one of few references, nor a level shift
 * (NaN when every reference was left out: the plain score applies), and scores r_t against the residuals the first
 * pass did not flag and its step against the steps that touch none. The step is of the residual,
 * not of the value: a season moves the value's steps by its slope, so a value's step z is small at
 * a season's steep phases (measured without the √2, 60 days hourly, a daily sine of amplitude 50, noise σ 1: the
 * value's step found none of 40 spikes of 12σ, the residual's step all of them). D_k keeps every difference: a
 * median of a window's differences, of which a flagged point is at most two. A point with a
 * residual whose window holds seasonalMinPoints residuals (minPoints, and at least half a window:
 * a MAD of a dozen residuals is too noisy to take over from a full plain window when the seasons
 * start) is scored seasonally, any other observed point by the plain robust z. Context: a second-
 * pass residual reads its references' first-pass flags, which read two windows of first-pass
 * residuals (a step window and the steps' previous values), each reading its drift window and its
 * references; the second pass's step window and the previous values of its steps add two more
 * windows, and the hold after a flag half a window: 5 · window + referenceHoldRows + 2 ·
 * seasonSearchRows of the longest season in all, seasonalLookbackRows = window + referenceHoldRows
 * + 2 · seasonSearchRows before the four windows of the plain score.
 *
 * Two seasons: a row is scored by the season whose first-pass residuals of the previous `window`
 * rows spread least (robust scale; the daily one on ties), the one that models the series there.
 * A weekly pattern in hourly data (weekends at another level) is not modelled by the daily
 * season — for about half a window at each weekend's start and end its residuals carry the
 * weekend's difference, and a strong one was flagged (measured, 10 weeks hourly, daily sine of
 * amplitude 10, noise σ 2, weekends 20 lower: 8–9 one-row events after two weeks, every Saturday
 * and some Mondays at 00:00); the weekly residuals do not carry it and spread less. Now, 3 seeds:
 * none from the third week on; in the third week the weekly references are the first two weeks'
 * weekend starts, which the daily score flagged, so they are left out and the first weekend can
 * still be flagged (its Saturday at 00:00: 2 of 3 seeds at a drop of 10σ, 3 of 3 at 25σ). Spikes of 10σ at a random row after three
 * weeks, 40 seeds: 39–40 found with or without the weekend effect (the daily season alone found
 * 3 of 40 with it: its residuals spread wider, so every z is smaller; the smaller of the two
 * scores found 4). (The smaller score rather than the smaller spread would also leave a value
 * unflagged that one season explains: a weekday's level on a Saturday morning.)
 * A level shift is a one-row event at its start (it was 31 rows before the step score; the residual
 * holds the shift until D_k crosses it, half a window, which the level z alone flagged). Why the
 * hold: after the first pass flags a shift at s, the rows s … s + window/2 are not flagged (their
 * steps are ordinary) but their residuals still hold the shift, because D_k — the median of a
 * window of differences — lags Δ_k by half a window. When t's reference crosses the shift,
 * Δ_k(t) is back to the trend at once while D_k(t) still holds the shift for half a window (its
 * window's differences still straddle it), so T_k(t) carries −shift exactly while ref_k(t) is
 * one of those rows. With a season shorter than half a window (hourly data at window 60) two of
 * the four terms do at once (k = 2, 3 and k = 3, 4), the median of four is the mean of the middle
 * two, and the shift came back as one-row events 3 to 5 seasons later (measured, 18 shifts of
 * 25σ hourly: 1–3 events each in 16; with two terms, 1-minute data early in a series, one term is
 * enough). Leaving those references out removes exactly those terms: none since. A shift the
 * first pass did not flag (one in the first two seasons, before the seasonal score starts) still
 * echoes. A very large shift (100σ) gives a second one-row event half a window after its start,
 * where D_k crosses it (measured at 1-minute, 15-minute and hourly sampling, before and after the
 * hold: in nearly every seed). While the residual holds the shift a 3.5σ step of it is flagged
 * (measured at 15-minute sampling: one extra row in one of 3 seeds). (Residuals against the
 * references' median with the weekly switch gave 5–14 events per shift there.)
 *
 * False positives at the defaults (threshold 5, window 60, minPoints 12), measured on 100,000
 * points (test/timeseries/series-anomalies.test.ts; seeds 2024, 7, 99 — the walk seeded one more):
 *   - Gaussian white noise, 1-second sampling (no season applies): 2–5 rows flagged
 *     (0.002–0.005 %); at 1-minute sampling, where the daily season takes over after two days and
 *     the weekly one can after two weeks: 3–7 rows (2–5 with the daily season alone); hourly 2–5
 *     (1–2). Each flag is a one-row event.
 *   - a Gaussian random walk, 1-second sampling: 4–6 rows (≤ 0.006 %); at 1-minute sampling 0–6
 *     (0–1 with the daily season alone), hourly 1–6 (0–4) (a walk plus a daily sine of amplitude
 *     10 or 50, hourly or 15-minute, daily season alone: 1–2). Before
 *     the step score: 1,186–1,280 rows (1.2–1.3 %) in 179–223 events at 1 second, 713–979 at 1
 *     minute and hourly; a longer window had not helped (120: 937–1,061 rows; 240: 948–1,389 — a
 *     walk's move and its window's spread both grow as √window).
 * The test asserts below 0.05 % for both, at the three samplings.
 */

const DAY = 86_400_000_000;
const WEEK = 7 * DAY;
/** Seasons longer than this many rows are not used (a week at 1-minute sampling): a 4-season look-back would be a slice context of millions of rows. */
export const MAX_SEASON_ROWS = 10_080;
export const SEASON_REFERENCES = 4;
/** Seasonal terms a residual needs: two seasons of history. */
const MIN_TERMS = 2;

/** A step's z times this is compared with the level's z: the spread of a step of white noise is √2 times that of a value, so for a lone spike in noise the two agree. */
export const STEP_SCALE = Math.SQRT2;

export const METHOD_NONE = 0;
export const METHOD_ROBUST = 1;
export const METHOD_SEASONAL = 2;

/** Residuals a seasonal window needs before the seasonal score replaces the plain one. */
export function seasonalMinPoints(options: SeriesOptions['anomaly']): number {
  return Math.max(options.minPoints, Math.ceil(options.window / 2));
}

function spansRows(season: number, step: number): boolean {
  return season / step >= 2 && season / step <= MAX_SEASON_ROWS;
}

/**
 * The seasons (µs) of the seasonal score for this interval, shortest first, none when no season
 * applies: daily when a day spans 2..MAX_SEASON_ROWS rows, and weekly when a week does (both for
 * sub-daily data up to 1-minute sampling, the weekly one alone for daily data).
 */
export function seasonsFor(interval: Interval | null): number[] {
  if (interval === null || interval.kind !== 'fixed') return [];
  const step = interval.micros;
  if (!(step > 0) || DAY % step !== 0) return [];
  return [DAY, WEEK].filter((season) => spansRows(season, step));
}

/**
 * Whether a series spanning `span` µs has any row with a residual in this season: a residual
 * needs MIN_TERMS references, the furthest MIN_TERMS seasons back (within half a step). A season
 * the series is too short for is not computed at all — its score would be NaN at every row.
 */
export function seasonHasHistory(season: number, step: number, span: number): boolean {
  return span >= MIN_TERMS * season - step / 2;
}

/**
 * The rows after a first-pass flag (and the flag itself) that are no seasonal reference: half a
 * window, until the drift windows have crossed a level shift that started there (see the module
 * comment).
 */
export function referenceHoldRows(window: number): number {
  return Math.floor(window / 2);
}

/** Rows before a point searched for its phase in a season. */
export function seasonSearchRows(season: number, step: number): number {
  return 2 * SEASON_REFERENCES * (season / step) + 2;
}

/**
 * The rows before a point's anomaly window that its seasonal score can read (0: no season
 * applies): the residuals of the two passes reach one window, the hold after a flag and two
 * phase searches of the longest season further back than the plain score (see the module
 * comment).
 */
export function seasonalLookbackRows(interval: Interval, window: number): number {
  const seasons = seasonsFor(interval);
  if (seasons.length === 0 || interval.kind !== 'fixed') return 0;
  return window + referenceHoldRows(window) + 2 * seasonSearchRows(seasons[seasons.length - 1], interval.micros);
}

/**
 * For every row i and k = 1..4: the row nearest times[i] − k·season within half a step among the
 * seasonSearchRows rows before i, ties to the earlier, or −1. Laid out as [(k − 1) · n + i]. One
 * monotone pointer per k: targets grow with i.
 */
export function seasonReferenceRows(times: Float64Array, n: number, season: number, step: number): Int32Array {
  const out = new Int32Array(SEASON_REFERENCES * n).fill(-1);
  const half = step / 2;
  const search = seasonSearchRows(season, step);
  for (let k = 1; k <= SEASON_REFERENCES; k++) {
    const base = (k - 1) * n;
    const back = k * season;
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
  return out;
}

/**
 * The seasonal terms T_k(i) = Δ_k(i) − D_k(i), laid out as [(k − 1) · n + i], NaN where the row or
 * its reference is not observed or D_k has fewer than minPoints differences. Δ_k(i) = x_i −
 * x_ref_k(i); D_k(i) is the median of the Δ_k of the previous `window` rows, kept in one sorted
 * window per k.
 */
function seasonalTerms(observed: Float64Array, n: number, references: Int32Array, window: number, minPoints: number, drifts: SortedWindow[], differences: Float64Array, terms: Float64Array): void {
  for (let k = 0; k < SEASON_REFERENCES; k++) {
    const base = k * n;
    for (let i = 0; i < n; i++) {
      const j = references[base + i];
      differences[i] = j < 0 ? Number.NaN : observed[i] - observed[j];
    }
    const sorted = drifts[k];
    sorted.clear();
    for (let i = 0; i < n; i++) {
      const d = differences[i];
      terms[base + i] = !Number.isNaN(d) && sorted.size >= minPoints ? d - medianOfSorted(sorted.values, sorted.size) : Number.NaN;
      sorted.slide(i >= window ? differences[i - window] : Number.NaN, d);
    }
  }
}

/**
 * Residuals from the terms: NaN where fewer than MIN_TERMS terms are defined; otherwise the median
 * of the terms whose reference row is not `excluded` (all of them when excluded is null), NaN
 * when every one is. `changed[i]` (when given) is 1 where the result differs from `before[i]`.
 */
function seasonalResiduals(
  terms: Float64Array, n: number, references: Int32Array, excluded: Uint8Array | null, residuals: Float64Array,
  before: Float64Array | null, changed: Uint8Array | null,
): void {
  const found = new Float64Array(SEASON_REFERENCES);
  for (let i = 0; i < n; i++) {
    let defined = 0;
    let count = 0;
    for (let k = 0; k < SEASON_REFERENCES; k++) {
      const t = terms[k * n + i];
      if (Number.isNaN(t)) continue;
      defined++;
      if (excluded !== null && excluded[references[k * n + i]] === 1) continue;
      let at = count++;
      while (at > 0 && found[at - 1] > t) {
        found[at] = found[at - 1];
        at--;
      }
      found[at] = t;
    }
    const r = defined >= MIN_TERMS && count > 0 ? medianOfSorted(found, count) : Number.NaN;
    residuals[i] = r;
    if (changed !== null && before !== null) changed[i] = Object.is(r, before[i]) ? 0 : 1;
  }
}

/**
 * The steps of a: d[i] = a[i] − a[p] for the nearest row p in [i − window, i) with a non-NaN
 * a[p] (prev[i] = p); NaN (prev[i] = −1) when a[i] is NaN or no such row exists. The previous
 * row regardless of flags: a flag must not decide the step of a later point, or each flag would
 * depend on every flag before it.
 */
function steps(a: Float64Array, n: number, window: number, prev: Int32Array, d: Float64Array): void {
  let last = -1;
  for (let i = 0; i < n; i++) {
    const p = last >= 0 && last >= i - window ? last : -1;
    prev[i] = p;
    d[i] = Number.isNaN(a[i]) || p < 0 ? Number.NaN : a[i] - a[p];
    if (!Number.isNaN(a[i])) last = i;
  }
}

/** The score of a point far from its level AND in its move: min of the two; the level alone when the step cannot be scored, NaN when the level cannot. */
function combined(level: number, step: number): number {
  return Number.isNaN(step) ? level : Math.min(level, STEP_SCALE * step);
}

/** score[i] = combined(level[i], step[i]) and flag[i] = score ≥ threshold, for every row. */
function combine(level: Float64Array, step: Float64Array, n: number, threshold: number, score: Float64Array, flag: Uint8Array): void {
  for (let i = 0; i < n; i++) {
    const s = combined(level[i], step[i]);
    score[i] = s;
    flag[i] = s >= threshold ? 1 : 0;
  }
}

/** excluded[j] = 1 where step j touches a flagged point: its own row or the row it starts from. */
function touchingFlags(flag: Uint8Array, prev: Int32Array, n: number, excluded: Uint8Array): void {
  for (let j = 0; j < n; j++) excluded[j] = flag[j] | (prev[j] >= 0 ? flag[prev[j]] : 0);
}

/** First pass: each non-NaN a[i] against the non-NaN a-values of the previous `window` rows. */
function firstPass(a: Float64Array, n: number, window: number, minPoints: number, sorted: SortedWindow, score: Float64Array): void {
  sorted.clear();
  for (let i = 0; i < n; i++) {
    const x = a[i];
    score[i] = !Number.isNaN(x) && sorted.size >= minPoints ? robustScore(sorted.values, sorted.size, x) : Number.NaN;
    sorted.slide(i >= window ? a[i - window] : Number.NaN, x);
  }
}

/**
 * Second pass for rows [from, n): a[i] against the a-values of the window without the
 * `excluded` rows. `changed` (null: none) marks the rows whose a-value is not the one the first
 * pass scored. Where neither an exclusion nor a change is in the window or at i (nearly always)
 * the first pass's score is the answer; otherwise the window is gathered and sorted afresh.
 */
function secondPass(
  a: Float64Array, n: number, from: number, window: number, minPoints: number, firstScore: Float64Array, excluded: Uint8Array,
  changed: Uint8Array | null, scratch: Float64Array, out: Float64Array,
): void {
  const dirty = (j: number): number => excluded[j] | (changed === null ? 0 : changed[j]);
  let unclean = 0;
  for (let j = Math.max(0, from - window); j < from; j++) unclean += dirty(j);
  for (let i = from; i < n; i++) {
    const x = a[i];
    let s = Number.NaN;
    if (!Number.isNaN(x)) {
      if (unclean === 0 && (changed === null || changed[i] === 0)) s = firstScore[i];
      else {
        let count = 0;
        for (let j = Math.max(0, i - window); j < i; j++) if (excluded[j] === 0 && !Number.isNaN(a[j])) scratch[count++] = a[j];
        if (count >= minPoints) {
          const sorted = scratch.subarray(0, count).sort();
          s = robustScore(sorted, count, x);
        }
      }
    }
    out[i - from] = s;
    unclean += dirty(i);
    if (i - window >= 0) unclean -= dirty(i - window);
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
  prev: Int32Array;
  steps: Float64Array;
  levelScore: Float64Array;
  stepScore: Float64Array;
  plainScore: Float64Array;
  plainFlag: Uint8Array;
  seasonalPrev: Int32Array;
  firstSteps: Float64Array;
  seasonalLevelScore: Float64Array;
  seasonalStepScore: Float64Array;
  seasonalScore: Float64Array;
  seasonalFlag: Uint8Array;
  excluded: Uint8Array;
  stepExcluded: Uint8Array;
  changed: Uint8Array;
  stepChanged: Uint8Array;
  differences: Float64Array;
  terms: Float64Array;
  firstResiduals: Float64Array;
  residuals: Float64Array;
  sorted: SortedWindow;
  drifts: SortedWindow[];
  scratch: Float64Array;
  level: Float64Array;
  step: Float64Array;
  seasonalLevel: Float64Array;
  seasonalStep: Float64Array;
  seasonalBest: Float64Array;
  seasonalScale: Float64Array;
  seasonalBestScale: Float64Array;
  appliedFlag: Uint8Array;
}

export function scoreBuffers(n: number, from: number, window: number): ScoreBuffers {
  const rows = n - from;
  return {
    observed: new Float64Array(n), prev: new Int32Array(n), steps: new Float64Array(n), levelScore: new Float64Array(n), stepScore: new Float64Array(n),
    plainScore: new Float64Array(n), plainFlag: new Uint8Array(n), seasonalPrev: new Int32Array(n), firstSteps: new Float64Array(n),
    seasonalLevelScore: new Float64Array(n), seasonalStepScore: new Float64Array(n), seasonalScore: new Float64Array(n), seasonalFlag: new Uint8Array(n),
    excluded: new Uint8Array(n), stepExcluded: new Uint8Array(n), changed: new Uint8Array(n), stepChanged: new Uint8Array(n),
    differences: new Float64Array(n), terms: new Float64Array(SEASON_REFERENCES * n), firstResiduals: new Float64Array(n), residuals: new Float64Array(n),
    sorted: new SortedWindow(window + 1), drifts: Array.from({ length: SEASON_REFERENCES }, () => new SortedWindow(window + 1)),
    scratch: new Float64Array(window + 1), level: new Float64Array(rows), step: new Float64Array(rows),
    seasonalLevel: new Float64Array(rows), seasonalStep: new Float64Array(rows), seasonalBest: new Float64Array(rows),
    seasonalScale: new Float64Array(rows), seasonalBestScale: new Float64Array(rows), appliedFlag: new Uint8Array(n),
  };
}

/** out[i − from] = the robust scale of the non-NaN a-values of the `window` rows before i (NaN with fewer than minPoints), for rows [from, n). */
function windowScales(a: Float64Array, n: number, from: number, window: number, minPoints: number, sorted: SortedWindow, out: Float64Array): void {
  sorted.clear();
  for (let i = 0; i < n; i++) {
    if (i >= from) out[i - from] = sorted.size >= minPoints ? robustScale(sorted.values, sorted.size) : Number.NaN;
    sorted.slide(i >= window ? a[i - window] : Number.NaN, a[i]);
  }
}

/** excluded[i] = 1 where a flag is at most `hold` rows before i (or at i). */
function heldFlags(flag: Uint8Array, n: number, hold: number, excluded: Uint8Array): void {
  let last = -Infinity;
  for (let i = 0; i < n; i++) {
    if (flag[i] === 1) last = i;
    excluded[i] = i - last <= hold ? 1 : 0;
  }
}

/**
 * The seasonal level and step scores of rows [from, n) against one season's references, into
 * b.seasonalLevel and b.seasonalStep (NaN where the seasonal score does not apply).
 */
function seasonalScores(n: number, from: number, references: Int32Array, options: SeriesOptions['anomaly'], b: ScoreBuffers): void {
  const { window, minPoints, threshold } = options;
  const { observed, excluded, stepExcluded, changed, stepChanged, sorted, scratch } = b;
  const seasonalMin = seasonalMinPoints(options);
  seasonalTerms(observed, n, references, window, minPoints, b.drifts, b.differences, b.terms);
  seasonalResiduals(b.terms, n, references, null, b.firstResiduals, null, null);
  steps(b.firstResiduals, n, window, b.seasonalPrev, b.firstSteps);
  firstPass(b.firstResiduals, n, window, seasonalMin, sorted, b.seasonalLevelScore);
  firstPass(b.firstSteps, n, window, seasonalMin, sorted, b.seasonalStepScore);
  combine(b.seasonalLevelScore, b.seasonalStepScore, n, threshold, b.seasonalScore, b.seasonalFlag);
  // A point the first pass flagged, by the score that applied to it (this season's, else a shorter
  // season's, else the plain one), is no reference, nor are the rows of the hold after it (a
  // level shift's rows until the drift has crossed it).
  const applied = b.appliedFlag;
  for (let i = 0; i < n; i++) if (!Number.isNaN(b.seasonalScore[i])) applied[i] = b.seasonalFlag[i];
  heldFlags(applied, n, referenceHoldRows(window), excluded);
  seasonalResiduals(b.terms, n, references, excluded, b.residuals, b.firstResiduals, changed);
  steps(b.residuals, n, window, b.seasonalPrev, b.steps);
  for (let i = 0; i < n; i++) stepChanged[i] = Object.is(b.steps[i], b.firstSteps[i]) ? 0 : 1;
  touchingFlags(b.seasonalFlag, b.seasonalPrev, n, stepExcluded);
  secondPass(b.residuals, n, from, window, seasonalMin, b.seasonalLevelScore, b.seasonalFlag, changed, scratch, b.seasonalLevel);
  secondPass(b.steps, n, from, window, seasonalMin, b.seasonalStepScore, stepExcluded, stepChanged, scratch, b.seasonalStep);
}

/**
 * Scores of one column for rows [from, n); rows before `from` (the stored tail, a slice's
 * context) only feed the windows. `seasons`: per season with history, its references from
 * seasonReferenceRows (none: the plain score alone). With several seasons a row is scored by the
 * season whose residuals spread least over the window before it (the shorter on ties): the one
 * that models the series there.
 */
export function scoreColumn(
  values: Float64Array, imputed: Uint8Array, n: number, from: number, seasons: readonly Int32Array[],
  options: SeriesOptions['anomaly'], buffers: ScoreBuffers,
): ColumnScores {
  const { window, minPoints, threshold } = options;
  const b = buffers;
  const { observed, prev, stepExcluded, sorted, scratch } = b;
  for (let i = 0; i < n; i++) observed[i] = imputed[i] === 1 ? Number.NaN : values[i];
  steps(observed, n, window, prev, b.steps);
  firstPass(observed, n, window, minPoints, sorted, b.levelScore);
  firstPass(b.steps, n, window, minPoints, sorted, b.stepScore);
  combine(b.levelScore, b.stepScore, n, threshold, b.plainScore, b.plainFlag);
  touchingFlags(b.plainFlag, prev, n, stepExcluded);
  secondPass(observed, n, from, window, minPoints, b.levelScore, b.plainFlag, null, scratch, b.level);
  secondPass(b.steps, n, from, window, minPoints, b.stepScore, stepExcluded, null, scratch, b.step);
  const rows = n - from;
  b.appliedFlag.set(b.plainFlag);
  const best = b.seasonalBest.fill(Number.NaN);
  const bestScale = b.seasonalBestScale;
  for (const references of seasons) {
    seasonalScores(n, from, references, options, b);
    // The spread that chooses between seasons, only when there is a choice.
    if (seasons.length > 1) windowScales(b.firstResiduals, n, from, window, seasonalMinPoints(options), sorted, b.seasonalScale);
    for (let r = 0; r < rows; r++) {
      const s = combined(b.seasonalLevel[r], b.seasonalStep[r]);
      if (Number.isNaN(s)) continue;
      if (Number.isNaN(best[r]) || b.seasonalScale[r] < bestScale[r]) {
        best[r] = s;
        bestScale[r] = b.seasonalScale[r];
      }
    }
  }
  const score = new Float64Array(rows);
  const method = new Uint8Array(rows);
  const flag = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = best[r];
    let m = METHOD_SEASONAL;
    if (Number.isNaN(s)) {
      s = combined(b.level[r], b.step[r]);
      m = METHOD_ROBUST;
    }
    score[r] = s;
    method[r] = Number.isNaN(s) ? METHOD_NONE : m;
    flag[r] = s >= threshold ? 1 : 0;
  }
  return { score, method, flag };
}
