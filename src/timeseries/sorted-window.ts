import { MAD_TO_SIGMA, robustScaleFloor } from '../profile/robust-scale.js';

/**
 * A trailing window kept sorted: a value enters and leaves by binary search and moves of the
 * values between (O(window) moves, no allocation), so the median is read in O(1) and the MAD in
 * O(log window) from the deviations on either side of the median, which are already in order.
 * Sorting each window afresh costs O(window · log window) per point (bench/series-features.ts).
 */

/**
 * The first index of sorted[0, size) whose value is ≥ x (> x when `after`). Branch-free: each
 * step adds half or 0 by arithmetic on the comparison, so the CPU has no branch to mispredict
 * on where a value lands — mispredictions were most of a sliding window's cost (with the loop
 * below, a slide of a 60-value window takes 54 ns instead of 94: bench/series-features.ts).
 */
function searchSorted(values: Float64Array, size: number, x: number, after: boolean): number {
  if (size === 0) return 0;
  let base = 0;
  let n = size;
  if (after) {
    while (n > 1) {
      const half = n >>> 1;
      base += half & -Number(values[base + half] <= x);
      n -= half;
    }
    return base + Number(values[base] <= x);
  }
  while (n > 1) {
    const half = n >>> 1;
    base += half & -Number(values[base + half] < x);
    n -= half;
  }
  return base + Number(values[base] < x);
}

export class SortedWindow {
  readonly values: Float64Array;
  size = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(Math.max(1, capacity));
  }

  clear(): void {
    this.size = 0;
  }

  insert(x: number): void {
    const at = searchSorted(this.values, this.size, x, true);
    this.values.copyWithin(at + 1, at, this.size);
    this.values[at] = x;
    this.size++;
  }

  /**
   * Removes one copy of `out` (which the window holds) and inserts x: the values between the two
   * positions move by one, toward out's slot, in one loop that also finds where x goes: one
   * binary search instead of two, and no copyWithin call for the ~window/3 values a slide moves
   * on average.
   */
  replace(out: number, x: number): void {
    const values = this.values;
    let at = searchSorted(values, this.size, out, false);
    if (values[at] !== out) throw new Error(`sorted window: ${out} is not in the window`);
    if (x >= out) {
      const last = this.size - 1;
      while (at < last && values[at + 1] <= x) {
        values[at] = values[at + 1];
        at++;
      }
    } else {
      while (at > 0 && values[at - 1] > x) {
        values[at] = values[at - 1];
        at--;
      }
    }
    values[at] = x;
  }

  /**
   * The window moves on by one row: `out` (the row leaving) goes and `x` (the row entering) comes,
   * where NaN is no value — a NULL leaves a hole in the window rather than reaching further back.
   */
  slide(out: number, x: number): void {
    if (Number.isNaN(x)) {
      if (!Number.isNaN(out)) this.remove(out);
    } else if (Number.isNaN(out)) this.insert(x);
    else this.replace(out, x);
  }

  /** Removes one copy of x, which the window holds. */
  remove(x: number): void {
    const at = searchSorted(this.values, this.size, x, false);
    if (this.values[at] !== x) throw new Error(`sorted window: ${x} is not in the window`);
    this.values.copyWithin(at, at + 1, this.size);
    this.size--;
  }
}

/** Scales below this are raised to it: a series flat at exactly 0 has nothing else to measure a move by. */
export const ABSOLUTE_SCALE_FLOOR = 1e-9;

export function medianOfSorted(sorted: Float64Array, n: number): number {
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * The robust z of x against sorted[0, n) (n ≥ 1): |x − median| / max(1.4826 · MAD, floor, 1e-9),
 * with the floor of profile/robust-scale.ts. The arithmetic (sums in ascending order) is fixed so
 * that any implementation computing the same window gets the same bits.
 */
export function robustScore(sorted: Float64Array, n: number, x: number): number {
  return Math.abs(x - medianOfSorted(sorted, n)) / robustScale(sorted, n);
}

/** The scale of robustScore: max(1.4826 · MAD, floor, 1e-9) of sorted[0, n) (n ≥ 1). */
export function robustScale(sorted: Float64Array, n: number): number {
  const median = medianOfSorted(sorted, n);
  // Deviations left of `split` are A(i) = median − sorted[split − 1 − i], growing with i; from
  // `split` on, B(j) = sorted[split + j] − median, growing with j. The MAD needs the k-th
  // smallest of the two sorted runs (and the one before it when n is even): a binary search for
  // how many of the `taken` smallest come from A, O(log n) instead of merging half the window.
  // The values from the middle on are ≥ the median; when the one before is below it (no tie
  // across the middle, nearly always) the split is the middle, without a search.
  const middle = n >> 1;
  const split = middle === 0 || sorted[middle - 1] < median ? middle : searchSorted(sorted, middle, median, false);
  const fromA = split;
  const fromB = n - split;
  const taken = (n >> 1) + 1;
  // i, from max(0, taken − fromB) to min(taken, fromA): the first at which B's last taken no
  // longer exceeds A's next (below it, it does), found branch-free as in searchSorted. Every i
  // compared is below min(taken, fromA), so j = taken − i ≥ 1 and A's next exists.
  let i = Math.max(0, taken - fromB);
  let length = Math.min(taken, fromA) - i;
  while (length > 0) {
    const half = length >>> 1;
    const at = i + half;
    const more = Number(sorted[split + taken - at - 1] - median > median - sorted[split - 1 - at]);
    i += (half + 1) & -more;
    length = half - (more & ~length & 1);
  }
  const j = taken - i;
  const lastA = i > 0 ? median - sorted[split - i] : -Infinity;
  const lastB = j > 0 ? sorted[split + j - 1] - median : -Infinity;
  const kth = Math.max(lastA, lastB);
  let mad = kth;
  if (n % 2 === 0) {
    const before = lastA >= lastB
      ? Math.max(i > 1 ? median - sorted[split - i + 1] : -Infinity, lastB)
      : Math.max(lastA, j > 1 ? sorted[split + j - 2] - median : -Infinity);
    mad = (before + kth) / 2;
  }
  const spread = MAD_TO_SIGMA * mad;
  let scale: number;
  if (mad > 0) {
    // Two distinct values at least, so the floor is the smallest positive step, which matters
    // only when every step exceeds 1.4826 · MAD: one step at or below it ends the scan (on
    // continuous data, the first).
    let step = Infinity;
    for (let k = 1; k < n; k++) {
      const gap = sorted[k] - sorted[k - 1];
      if (gap > 0 && gap < step) {
        step = gap;
        if (step <= spread) break;
      }
    }
    scale = Math.max(spread, step, ABSOLUTE_SCALE_FLOOR);
  } else {
    let step = Infinity;
    let deviationSum = 0;
    for (let k = 0; k < n; k++) {
      deviationSum += Math.abs(sorted[k] - median);
      if (k > 0) {
        const gap = sorted[k] - sorted[k - 1];
        if (gap > 0 && gap < step) step = gap;
      }
    }
    scale = Math.max(robustScaleFloor(step, mad, deviationSum / n, median, false), ABSOLUTE_SCALE_FLOOR);
  }
  return scale;
}
