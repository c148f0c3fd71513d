/**
 * Quantiles with DDSketch (@datadog/sketches-js, logarithmic mapping, relative accuracy 1 %): every
 * returned quantile is within 1 % (relative) of the value at that rank. The state that crosses
 * threads is the bucket counts (integers), and merging adds counts key by key — exact, so any merge
 * order gives the same buckets. A worker counts buckets itself, with the library's keys
 * (quantile-key.ts) in a dense typed array: the library's sketch per value costs a logarithm, a
 * method call and a JS array per store. The library answers the quantiles of a finished state
 * (quantile-values.ts, on the main thread only). Its own merge() is not used: in 2.1.1 it drops
 * the other sketch's negative values.
 */
import { ZERO_BELOW, quantileKey } from './quantile-key.js';

export { QUANTILE_RELATIVE_ACCURACY } from './quantile-key.js';
export const QUANTILE_KEYS = ['0.01', '0.05', '0.25', '0.5', '0.75', '0.95', '0.99'] as const;
export type QuantileKey = (typeof QUANTILE_KEYS)[number];

/** Counts for the contiguous keys minKey, minKey + 1, … (empty: counts = []). */
export interface BucketsState {
  minKey: number;
  counts: number[];
}

export interface QuantileState {
  zeros: number;
  positive: BucketsState;
  negative: BucketsState;
}

/** Counts by key in a typed array that grows to cover the keys seen (a column spans a few hundred). */
class BucketCounts {
  private counts = new Float64Array(256);
  /** The key of counts[0]. */
  private offset = 0;
  minKey = Infinity;
  maxKey = -Infinity;

  add(key: number): void {
    if (key < this.minKey || key > this.maxKey) this.extend(key);
    this.counts[key - this.offset]++;
  }

  private extend(key: number): void {
    const minKey = Math.min(this.minKey, key);
    const maxKey = Math.max(this.maxKey, key);
    if (this.minKey === Infinity) this.offset = key - (this.counts.length >> 1);
    if (minKey < this.offset || maxKey >= this.offset + this.counts.length) {
      const length = Math.max(this.counts.length * 2, maxKey - minKey + 1 + 256);
      const counts = new Float64Array(length);
      const offset = minKey - ((length - (maxKey - minKey + 1)) >> 1);
      if (this.minKey !== Infinity) counts.set(this.counts.subarray(this.minKey - this.offset, this.maxKey - this.offset + 1), this.minKey - offset);
      this.counts = counts;
      this.offset = offset;
    }
    this.minKey = minKey;
    this.maxKey = maxKey;
  }

  toState(): BucketsState {
    if (this.minKey === Infinity) return { minKey: 0, counts: [] };
    return { minKey: this.minKey, counts: Array.from(this.counts.subarray(this.minKey - this.offset, this.maxKey - this.offset + 1)) };
  }

  reset(): void {
    if (this.minKey !== Infinity) this.counts.fill(0, this.minKey - this.offset, this.maxKey - this.offset + 1);
    this.minKey = Infinity;
    this.maxKey = -Infinity;
  }
}

export class QuantileSketch {
  private zeros = 0;
  private readonly positive = new BucketCounts();
  private readonly negative = new BucketCounts();
  /** [positive, negative]: one call site for both, so a column's first negative value finds its feedback there. */
  private readonly sides = [this.positive, this.negative];

  /**
   * Finite values only. No code of its own for the first negative value or the first zero: code
   * first reached part way through a load, after the caller's loop was compiled without it,
   * deoptimised that loop (and it was compiled again).
   */
  add(x: number): void {
    const magnitude = Math.abs(x);
    const zero = magnitude > ZERO_BELOW ? 0 : 1;
    this.zeros += zero;
    if (zero === 0) this.sides[x > 0 ? 0 : 1].add(quantileKey(magnitude));
  }

  toState(): QuantileState {
    return { zeros: this.zeros, positive: this.positive.toState(), negative: this.negative.toState() };
  }

  reset(): void {
    this.zeros = 0;
    this.positive.reset();
    this.negative.reset();
  }
}

function mergeBuckets(a: BucketsState, b: BucketsState): BucketsState {
  if (a.counts.length === 0) return { minKey: b.minKey, counts: b.counts.slice() };
  if (b.counts.length === 0) return { minKey: a.minKey, counts: a.counts.slice() };
  const minKey = Math.min(a.minKey, b.minKey);
  const maxKey = Math.max(a.minKey + a.counts.length, b.minKey + b.counts.length);
  const counts = new Array<number>(maxKey - minKey).fill(0);
  for (let i = 0; i < a.counts.length; i++) counts[a.minKey - minKey + i] += a.counts[i];
  for (let i = 0; i < b.counts.length; i++) counts[b.minKey - minKey + i] += b.counts[i];
  return { minKey, counts };
}

export function mergeQuantiles(a: QuantileState, b: QuantileState): QuantileState {
  return {
    zeros: a.zeros + b.zeros,
    positive: mergeBuckets(a.positive, b.positive),
    negative: mergeBuckets(a.negative, b.negative),
  };
}
