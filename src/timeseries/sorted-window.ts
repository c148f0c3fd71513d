import { MAD_TO_SIGMA, robustScaleFloor } from '../profile/robust-scale.js';

/**
 * A trailing window kept sorted: a value enters and leaves by binary search and one copyWithin
 * (O(window) moves, no allocation), so the median is read in O(1) and the MAD in O(window / 2)
 * by merging the deviations on either side of the median, which are already in order. Sorting
 * each window afresh costs O(window · log window) per point (bench/series-features.ts).
 */
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
    const values = this.values;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    values.copyWithin(lo + 1, lo, this.size);
    values[lo] = x;
    this.size++;
  }

  /** Removes one copy of x, which the window holds. */
  remove(x: number): void {
    const values = this.values;
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    if (values[lo] !== x) throw new Error(`sorted window: ${x} is not in the window`);
    values.copyWithin(lo, lo + 1, this.size);
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
  const median = medianOfSorted(sorted, n);
  // Deviations left of `split` are median − sorted[k], growing as k falls; from `split` on,
  // sorted[k] − median, growing as k rises: the k-th smallest deviation is a merge of the two.
  let split = 0;
  let hi = n;
  while (split < hi) {
    const mid = (split + hi) >>> 1;
    if (sorted[mid] < median) split = mid + 1;
    else hi = mid;
  }
  let left = split - 1;
  let right = split;
  const wanted = n >> 1;
  let previous = 0;
  let current = 0;
  for (let k = 0; k <= wanted; k++) {
    previous = current;
    if (right < n && (left < 0 || sorted[right] - median <= median - sorted[left])) current = sorted[right++] - median;
    else current = median - sorted[left--];
  }
  const mad = n % 2 === 1 ? current : (previous + current) / 2;
  let step = Infinity;
  let deviationSum = 0;
  for (let k = 0; k < n; k++) {
    deviationSum += Math.abs(sorted[k] - median);
    if (k > 0) {
      const gap = sorted[k] - sorted[k - 1];
      if (gap > 0 && gap < step) step = gap;
    }
  }
  const scale = Math.max(MAD_TO_SIGMA * mad, robustScaleFloor(step, mad, deviationSum / n, median, false), ABSOLUTE_SCALE_FLOOR);
  return Math.abs(x - median) / scale;
}
