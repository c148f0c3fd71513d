/**
 * What the time-series computation costs per row of one series, beside the alternatives it
 * replaces: rolling mean/std/min/max slid incrementally (Welford add/remove, monotone deques)
 * against recomputing every window; the robust z over a trailing window kept sorted (insert and
 * remove by binary search, MAD by merging the two sides of the median) against sorting a copy of
 * each window; and processSeries whole with the default options, on 1-second data (no season)
 * and on 15-minute data over 3 weeks (the seasonal score on).
 * `node dist/bench/series-features.js` (BENCH_SERIES_ROWS, BENCH_SERIES_ROUNDS; --json).
 */
import { processSeries } from '../src/timeseries/process-series.js';
import { rollingWindow } from '../src/timeseries/rolling-features.js';
import { scoreBuffers, scoreColumn } from '../src/timeseries/series-anomalies.js';
import { DEFAULT_SERIES_OPTIONS } from '../src/timeseries/series-options.js';
import { robustScore, SortedWindow } from '../src/timeseries/sorted-window.js';
import { mulberry32 } from '../test/helpers/random.js';
import { nsPerValue } from './stage-bench.js';
import { envInteger, isMain } from './support.js';

/** Every window's mean, std, min and max from its values, O(w) per row. */
function recomputeWindows(values: Float64Array, w: number, mean: Float64Array, std: Float64Array, min: Float64Array, max: Float64Array): void {
  for (let i = 0; i < values.length; i++) {
    let sum = 0;
    let count = 0;
    let lo = Infinity;
    let hi = -Infinity;
    for (let j = Math.max(0, i - w + 1); j <= i; j++) {
      const x = values[j];
      if (Number.isNaN(x)) continue;
      sum += x;
      count++;
      if (x < lo) lo = x;
      if (x > hi) hi = x;
    }
    const mu = sum / count;
    let m2 = 0;
    for (let j = Math.max(0, i - w + 1); j <= i; j++) if (!Number.isNaN(values[j])) m2 += (values[j] - mu) ** 2;
    mean[i] = mu;
    std[i] = Math.sqrt(m2 / (count - 1));
    min[i] = lo;
    max[i] = hi;
  }
}

/** The robust z of every row against a sorted copy of its trailing window. */
function sortEachWindow(values: Float64Array, window: number, minPoints: number, out: Float64Array): void {
  const copy = new Float64Array(window);
  for (let i = 0; i < values.length; i++) {
    let n = 0;
    for (let j = Math.max(0, i - window); j < i; j++) copy[n++] = values[j];
    out[i] = n >= minPoints ? robustScore(copy.subarray(0, n).sort(), n, values[i]) : Number.NaN;
  }
}

/** The sorted window as it was before the branch-free search: a branching binary search for both positions and one copyWithin. */
class BranchingSortedWindow {
  readonly values: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
  }

  private search(x: number, after: boolean): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.values[mid] < x || (after && this.values[mid] === x)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(x: number): void {
    const at = this.search(x, true);
    this.values.copyWithin(at + 1, at, this.size++);
    this.values[at] = x;
  }

  replace(out: number, x: number): void {
    const p = this.search(out, false);
    const above = this.search(x, true);
    if (x >= out) {
      this.values.copyWithin(p, p + 1, above);
      this.values[above - 1] = x;
    } else {
      this.values.copyWithin(above + 1, above, p);
      this.values[above] = x;
    }
  }
}

/** Slides a window of `w` over the values, reading its middle value each step. */
function slide(window: { insert(x: number): void; replace(out: number, x: number): void; values: Float64Array }, values: Float64Array, w: number): number {
  let sink = 0;
  for (let i = 0; i < values.length; i++) {
    if (i < w) window.insert(values[i]);
    else window.replace(values[i - w], values[i]);
    sink += window.values[w >> 1];
  }
  return sink;
}

export async function runSeriesFeaturesBench(options: { log?: (line: string) => void } = {}): Promise<Array<{ task: string; nsPerValue: number }>> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const n = envInteger('BENCH_SERIES_ROWS', 100_000, 1000);
  const rounds = envInteger('BENCH_SERIES_ROUNDS', 3, 1);
  const random = mulberry32(42);
  const gaussian = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const values = Float64Array.from({ length: n }, () => 20 + gaussian());
  const seconds = Float64Array.from({ length: n }, (_, i) => 1.7e15 + i * 1e6);
  const seasonalRows = Math.min(n, 21 * 96);
  const quarterHours = Float64Array.from({ length: seasonalRows }, (_, i) => 1.7e15 + i * 900e6);
  const daily = Float64Array.from({ length: seasonalRows }, (_, i) => 10 * Math.sin((2 * Math.PI * i) / 96) + gaussian());
  const imputed = new Uint8Array(n);
  const out = Array.from({ length: 4 }, () => new Float64Array(n));
  const anomaly = DEFAULT_SERIES_OPTIONS.anomaly;
  const buffers = scoreBuffers(n, 0, anomaly.window);
  const tail = { times: new Float64Array(0), values: [new Float64Array(0)], imputed: new Uint8Array(0) };
  let sink = 0;
  const figures = await nsPerValue({
    'rolling w=10: incremental (Welford, deques)': { perRun: n, run: () => { rollingWindow(values, n, 0, 10, out[0], out[1], out[2], out[3]); sink += out[1][n - 1]; } },
    'alternative: rolling w=10, recompute each window': { perRun: n, run: () => { recomputeWindows(values, 10, out[0], out[1], out[2], out[3]); sink += out[1][n - 1]; } },
    'rolling w=60: incremental (Welford, deques)': { perRun: n, run: () => { rollingWindow(values, n, 0, 60, out[0], out[1], out[2], out[3]); sink += out[1][n - 1]; } },
    'alternative: rolling w=60, recompute each window': { perRun: n, run: () => { recomputeWindows(values, 60, out[0], out[1], out[2], out[3]); sink += out[1][n - 1]; } },
    'sorted window w=60 slid by one: branch-free search, moves in a loop': { perRun: n, run: () => { sink += slide(new SortedWindow(61), values, 60); } },
    'alternative: branching binary searches and copyWithin': { perRun: n, run: () => { sink += slide(new BranchingSortedWindow(61), values, 60); } },
    'robust z of level and step, window 60, two passes: sorted windows': { perRun: n, run: () => { sink += scoreColumn(values, imputed, n, 0, [], anomaly, buffers).score[n - 1]; } },
    'alternative: one pass, sort each window': { perRun: n, run: () => { sortEachWindow(values, anomaly.window, anomaly.minPoints, out[0]); sink += out[0][n - 1]; } },
    'processSeries, defaults, 1-second data': { perRun: n, run: () => { sink += processSeries({ tail, times: seconds, values: [values], outputFrom: -Infinity }, DEFAULT_SERIES_OPTIONS).times.length; } },
    [`processSeries, defaults, 15-minute data (${seasonalRows} rows, seasonal)`]: { perRun: seasonalRows, run: () => { sink += processSeries({ tail, times: quarterHours, values: [daily], outputFrom: -Infinity }, DEFAULT_SERIES_OPTIONS).times.length; } },
  }, rounds);
  if (sink === 0) throw new Error('series-features: no work done');
  log(`  time-series computation, ${n.toLocaleString('en-US')} rows of one value column per run (ns per row)`);
  for (const f of figures) log(`  ${f.task.padEnd(66)} ${f.nsPerValue.toFixed(1).padStart(8)}`);
  return figures;
}

if (isMain(import.meta.url)) {
  const figures = await runSeriesFeaturesBench();
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify({ bench: 'series-features', figures })}\n`);
}
