/**
 * A straightforward single-threaded reference of processSeries: rows as objects, every window
 * recomputed from scratch and sorted per point, every phase found by scanning. It follows the
 * definitions in the module comments of src/timeseries and shares only detectInterval (tested on
 * its own), addMonthsUtc (calendar-step tests), calendarParts (local-time tests) and the constants
 * saying which seasons apply.
 */
import { addMonthsUtc } from '../../src/timeseries/calendar-step.js';
import { calendarParts } from '../../src/timeseries/local-time.js';
import type { SeriesEvent, SeriesInput, SeriesOutput } from '../../src/timeseries/process-series.js';
import { detectInterval } from '../../src/timeseries/sampling-interval.js';
import { SEASON_REFERENCES, STEP_SCALE, referenceHoldRows, seasonSearchRows, seasonsFor } from '../../src/timeseries/series-anomalies.js';
import type { Interval, SeriesOptions } from '../../src/timeseries/series-options.js';

interface Row { time: number; values: number[]; imputed: boolean }

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

const ascending = (a: number, b: number): number => a - b;

/** |x − median| / max(1.4826·MAD, floor, 1e-9) of a window, sorting it and its deviations. */
export function referenceRobustScore(window: readonly number[], x: number): number {
  return Math.abs(x - median([...window].sort(ascending))) / referenceRobustScale(window);
}

/** max(1.4826·MAD, floor, 1e-9) of a window. */
function referenceRobustScale(window: readonly number[]): number {
  const sorted = [...window].sort(ascending);
  const m = median(sorted);
  const deviations = sorted.map((v) => Math.abs(v - m));
  const mad = median([...deviations].sort(ascending));
  let step = Infinity;
  for (let k = 1; k < sorted.length; k++) if (sorted[k] > sorted[k - 1]) step = Math.min(step, sorted[k] - sorted[k - 1]);
  let sum = 0;
  for (const d of deviations) sum += d;
  let floor = step === Infinity ? 0 : step;
  if (mad === 0) floor = Math.max(floor, 1.2533 * (sum / sorted.length));
  if (step === Infinity) floor = Math.max(floor, 0.01 * Math.abs(m));
  return Math.max(1.4826 * mad, floor, 1e-9);
}

function utcDay(micros: number): number {
  return new Date(Math.floor(micros / 1000)).getUTCDate();
}

function isMonthEnd(micros: number): boolean {
  const d = new Date(Math.floor(micros / 1000));
  const next = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
  return next.getUTCDate() === 1;
}

/** Steps j ≥ 0 from a to the grid time closest to b, trying every j. */
function calendarSteps(a: number, b: number, months: number, day: number): number {
  let best = 0;
  for (let j = 1; ; j++) {
    const g = addMonthsUtc(a, j * months, day);
    const gBest = best === 0 ? a : addMonthsUtc(a, best * months, day);
    if (Math.abs(g - b) <= Math.abs(gBest - b)) best = j;
    if (g > b) return best;
  }
}

/** The robust z of every non-NaN a[i] against the non-NaN a[j] of the previous `window` rows that `take(j)`, with at least minPoints of them. */
function windowScores(a: readonly number[], window: number, minPoints: number, take: (j: number) => boolean): number[] {
  return a.map((x, i) => {
    if (Number.isNaN(x)) return Number.NaN;
    const values: number[] = [];
    for (let j = Math.max(0, i - window); j < i; j++) if (!Number.isNaN(a[j]) && take(j)) values.push(a[j]);
    return values.length >= minPoints ? referenceRobustScore(values, x) : Number.NaN;
  });
}

/** prev[i]: the latest j in [i − window, i) with a non-NaN a[j], or −1; the step a[i] − a[prev[i]] (NaN without one). */
function stepsOf(a: readonly number[], window: number): { prev: number[]; d: number[] } {
  const prev = a.map((_, i) => {
    for (let j = i - 1; j >= Math.max(0, i - window); j--) if (!Number.isNaN(a[j])) return j;
    return -1;
  });
  return { prev, d: a.map((x, i) => (prev[i] < 0 ? Number.NaN : x - a[prev[i]])) };
}

/** Far from the level and in its move: the smaller z; the level alone when the step has no score. */
function bothScores(level: number, step: number): number {
  return Number.isNaN(step) ? level : Math.min(level, STEP_SCALE * step);
}

/**
 * The two passes of a level and its steps: the first scores every value and step against its whole
 * window; the second leaves out of the level windows the points the first flagged and out of the
 * step windows the steps into or out of them.
 */
function twoPassScores(values: readonly number[], window: number, minPoints: number, threshold: number): { first: number[]; flagged: boolean[]; second: number[] } {
  const { prev, d } = stepsOf(values, window);
  const levelFirst = windowScores(values, window, minPoints, () => true);
  const stepFirst = windowScores(d, window, minPoints, () => true);
  const first = levelFirst.map((l, i) => bothScores(l, stepFirst[i]));
  const flagged = first.map((s) => s >= threshold);
  const level = windowScores(values, window, minPoints, (j) => !flagged[j]);
  const step = windowScores(d, window, minPoints, (j) => !flagged[j] && !(prev[j] >= 0 && flagged[prev[j]]));
  return { first, flagged, second: level.map((l, i) => bothScores(l, step[i])) };
}

export function referenceSeries(input: SeriesInput, options: SeriesOptions): SeriesOutput {
  const columns = input.values.length;
  const tail: Row[] = Array.from(input.tail.times, (time, r) => ({ time, values: input.tail.values.map((v) => v[r]), imputed: input.tail.imputed[r] === 1 }));
  const tailLast = tail.length > 0 ? tail[tail.length - 1].time : -Infinity;
  const raw = Array.from(input.times, (time, index) => ({ time, index, values: input.values.map((v) => (Number.isFinite(v[index]) ? v[index] : Number.NaN)) }));
  raw.sort((p, q) => p.time - q.time || p.index - q.index);

  const counts = { points: 0, duplicates: 0, gaps: 0, missing: 0, imputed: 0, openGaps: 0, anomalies: 0 };
  const kept: Array<{ time: number; values: number[] }> = [];
  for (const p of raw) if (p.time >= input.outputFrom) counts.points++;
  const groups = new Map<number, typeof raw>();
  for (const p of raw) {
    if (!groups.has(p.time)) groups.set(p.time, []);
    groups.get(p.time)!.push(p);
  }
  for (const [time, group] of groups) {
    const output = time >= input.outputFrom;
    if (time <= tailLast) {
      if (output) counts.duplicates += group.length;
      continue;
    }
    if (output) counts.duplicates += group.length - 1;
    const values = Array.from({ length: columns }, (_, c) => {
      if (options.duplicates === 'first') return group[0].values[c];
      if (options.duplicates === 'last') return group[group.length - 1].values[c];
      const present = group.map((p) => p.values[c]).filter((v) => !Number.isNaN(v));
      return present.length === 0 ? Number.NaN : present.reduce((s, v) => s + v, 0) / present.length;
    });
    kept.push({ time, values });
  }

  const interval: Interval | null = options.interval ?? detectInterval(Float64Array.from([...tail.map((r) => r.time), ...kept.map((p) => p.time)]));
  const rows: Row[] = [...tail];
  let from = -1;
  for (const p of kept) {
    const output = p.time >= input.outputFrom;
    if (output && from < 0) from = rows.length;
    if (interval !== null && rows.length > 0) {
      const ai = rows.length - 1;
      const a = rows[ai];
      const delta = p.time - a.time;
      let day = 0;
      if (interval.kind === 'calendar') {
        day = utcDay(a.time);
        if (isMonthEnd(a.time)) for (const r of rows.slice(Math.max(0, ai - 12), ai)) if (!r.imputed) day = Math.max(day, utcDay(r.time));
      }
      const missing = interval.kind === 'fixed' ? Math.round(delta / interval.micros) - 1 : calendarSteps(a.time, p.time, interval.months, day) - 1;
      if (missing >= 1) {
        const fill = options.maxGapMicros !== null && delta <= options.maxGapMicros;
        if (output) {
          counts.gaps++;
          counts.missing += missing;
          if (fill) counts.imputed += missing;
          else counts.openGaps++;
        }
        for (let j = 1; fill && j <= missing; j++) {
          const time = interval.kind === 'fixed' ? a.time + j * interval.micros : addMonthsUtc(a.time, j * interval.months, day);
          const values = a.values.map((va, c) => {
            const method = options.impute[c] ?? 'none';
            if (method === 'linear') return va + (p.values[c] - va) * ((time - a.time) / delta);
            return method === 'locf' ? va : Number.NaN;
          });
          rows.push({ time, values, imputed: true });
        }
      }
    }
    rows.push({ time: p.time, values: p.values, imputed: false });
  }
  if (from < 0) from = rows.length;
  const out = rows.slice(from);

  const features: number[][] = [];
  for (let c = 0; c < columns; c++) {
    const x = rows.map((r) => r.values[c]);
    for (const w of options.windows) {
      const stats = out.map((_, r) => {
        const i = from + r;
        const present = x.slice(Math.max(0, i - w + 1), i + 1).filter((v) => !Number.isNaN(v));
        if (present.length === 0) return [Number.NaN, Number.NaN, Number.NaN, Number.NaN];
        const mean = present.reduce((s, v) => s + v, 0) / present.length;
        const std = present.length < 2 ? Number.NaN : Math.sqrt(present.reduce((s, v) => s + (v - mean) ** 2, 0) / (present.length - 1));
        return [mean, std, Math.min(...present), Math.max(...present)];
      });
      for (let f = 0; f < 4; f++) features.push(stats.map((s) => s[f]));
    }
    const ewma: number[] = [];
    let s = Number.NaN;
    for (const v of x) {
      if (!Number.isNaN(v)) s = Number.isNaN(s) ? v : options.ewmaAlpha * v + (1 - options.ewmaAlpha) * s;
      ewma.push(s);
    }
    features.push(ewma.slice(from));
    for (const k of options.lags) {
      features.push(out.map((_, r) => (from + r - k >= 0 ? x[from + r - k] : Number.NaN)));
      features.push(out.map((_, r) => x[from + r] - (from + r - k >= 0 ? x[from + r - k] : Number.NaN)));
    }
    features.push(out.map((_, r) => (from + r === 0 ? Number.NaN : (x[from + r] - x[from + r - 1]) / ((rows[from + r].time - rows[from + r - 1].time) / 1e6))));
  }
  if (options.calendarZone !== null) {
    const parts = out.map((r) => calendarParts(r.time, options.calendarZone!));
    features.push(parts.map((p) => p.hour), parts.map((p) => p.weekday), parts.map((p) => p.month));
  }

  const seasons = options.anomaly.seasonal ? seasonsFor(interval) : [];
  const step = interval?.kind === 'fixed' ? interval.micros : 0;
  const { window, threshold, minPoints } = options.anomaly;
  const seasonalMin = Math.max(minPoints, Math.ceil(window / 2));
  // Per season, references[k − 1][i]: the row nearest rows[i].time − k·season within half a step, scanning the search rows before i.
  const seasonReferences = seasons.map((season) => Array.from({ length: SEASON_REFERENCES }, (_, k) => rows.map((row, i) => {
    const target = row.time - (k + 1) * season;
    let best = -1;
    for (let j = Math.max(0, i - seasonSearchRows(season, step)); j < i; j++) {
      const d = Math.abs(rows[j].time - target);
      if (d <= step / 2 && (best < 0 || d < Math.abs(rows[best].time - target))) best = j;
    }
    return best;
  })));
  const anomaly = out.map(() => 0);
  const score = out.map(() => Number.NaN);
  const events: SeriesEvent[] = [];
  for (let c = 0; c < columns; c++) {
    const observed = rows.map((r) => (r.imputed ? Number.NaN : r.values[c]));
    const { flagged: plainFlag, second: plain } = twoPassScores(observed, window, minPoints, threshold);
    // Per row the score of the season whose first-pass residuals of the previous `window` rows
    // spread least (the shorter on ties; NaN where none applies).
    const seasonal = rows.map(() => Number.NaN);
    const seasonalScale = rows.map(() => Number.NaN);
    // The first-pass flag that applied to a row: the longest season's with a first-pass score so far, else the plain one.
    const applied = [...plainFlag];
    for (const references of seasonReferences) {
      // terms[k][i] = Δ_k(i) − median of the Δ_k of the previous `window` rows (at least minPoints of them).
      const terms = references.map((refs) => {
        const delta = rows.map((_, i) => (refs[i] < 0 ? Number.NaN : observed[i] - observed[refs[i]]));
        return delta.map((d, i) => {
          const previous = delta.slice(Math.max(0, i - window), i).filter((v) => !Number.isNaN(v));
          return Number.isNaN(d) || previous.length < minPoints ? Number.NaN : d - median(previous.sort(ascending));
        });
      });
      const residualsWithout = (excluded: (j: number) => boolean): number[] => rows.map((_, i) => {
        const defined = terms.map((t) => t[i]).filter((t) => !Number.isNaN(t));
        const kept = terms.map((t) => t[i]).filter((t, k) => !Number.isNaN(t) && !excluded(references[k][i]));
        return defined.length >= 2 && kept.length > 0 ? median(kept.sort(ascending)) : Number.NaN;
      });
      // The residuals go through the same two passes as the values; the second pass's residuals
      // leave out the references the first pass flagged and those up to the hold after them,
      // and its windows the first pass's flags.
      const firstResiduals = residualsWithout(() => false);
      const { first: seasonalFirst, flagged: seasonalFlag } = twoPassScores(firstResiduals, window, seasonalMin, threshold);
      seasonalFirst.forEach((score, j) => {
        if (!Number.isNaN(score)) applied[j] = seasonalFlag[j];
      });
      const held = (j: number): boolean => {
        for (let f = Math.max(0, j - referenceHoldRows(window)); f <= j; f++) if (applied[f]) return true;
        return false;
      };
      const residuals = residualsWithout(held);
      const { prev, d } = stepsOf(residuals, window);
      const level = windowScores(residuals, window, seasonalMin, (j) => !seasonalFlag[j]);
      const step = windowScores(d, window, seasonalMin, (j) => !seasonalFlag[j] && !(prev[j] >= 0 && seasonalFlag[prev[j]]));
      level.forEach((l, i) => {
        const s = bothScores(l, step[i]);
        if (Number.isNaN(s)) return;
        const spread = firstResiduals.slice(Math.max(0, i - window), i).filter((v) => !Number.isNaN(v));
        const scale = referenceRobustScale(spread);
        if (Number.isNaN(seasonal[i]) || scale < seasonalScale[i]) {
          seasonal[i] = s;
          seasonalScale[i] = scale;
        }
      });
    }
    const columnScore = out.map((_, r) => (Number.isNaN(seasonal[from + r]) ? plain[from + r] : seasonal[from + r]));
    const method = out.map((_, r) => (Number.isNaN(seasonal[from + r]) ? 'robust_z' as const : 'seasonal_robust_z' as const));
    const flagged = columnScore.map((s) => s >= threshold);
    for (let r = 0; r < out.length; r++) {
      if (!Number.isNaN(columnScore[r]) && !(columnScore[r] <= score[r])) score[r] = columnScore[r];
      if (flagged[r]) anomaly[r] = 1;
      if (!flagged[r] || (r > 0 && flagged[r - 1])) continue;
      let end = r;
      while (end + 1 < out.length && flagged[end + 1]) end++;
      let peak = r;
      for (let q = r; q <= end; q++) if (columnScore[q] > columnScore[peak]) peak = q;
      events.push({ start: out[r].time, end: out[end].time, peak: out[peak].time, column: c, value: out[peak].values[c], score: columnScore[peak], method: method[peak], points: end - r + 1 });
    }
  }
  events.sort((a, b) => a.start - b.start || a.column - b.column);
  counts.anomalies = anomaly.reduce((s, f) => s + f, 0);

  return {
    times: Float64Array.from(out, (r) => r.time),
    values: Array.from({ length: columns }, (_, c) => Float64Array.from(out, (r) => r.values[c])),
    imputed: Uint8Array.from(out, (r) => (r.imputed ? 1 : 0)),
    anomaly: Uint8Array.from(anomaly),
    score: Float64Array.from(score),
    features: features.map((f) => Float64Array.from(f)),
    interval,
    counts,
    events,
  };
}
