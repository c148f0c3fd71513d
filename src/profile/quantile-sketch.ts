/**
 * Quantiles with DDSketch (@datadog/sketches-js, logarithmic mapping, relative accuracy 1 %): every
 * returned quantile is within 1 % (relative) of the value at that rank. A worker feeds the
 * library's sketch; the state that crosses threads is the bucket counts (integers), and merging
 * adds counts key by key — exact, so any merge order gives the same buckets. The library's own
 * merge() is not used: in 2.1.1 it drops the other sketch's negative values.
 */
import { DDSketch } from '@datadog/sketches-js';

export const QUANTILE_RELATIVE_ACCURACY = 0.01;
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

interface DenseStoreLike {
  bins: number[];
  count: number;
  minKey: number;
  maxKey: number;
  offset: number;
  add(key: number, weight?: number): void;
}

function storeToBuckets(store: DenseStoreLike): BucketsState {
  if (store.count === 0) return { minKey: 0, counts: [] };
  const counts: number[] = [];
  for (let key = store.minKey; key <= store.maxKey; key++) counts.push(store.bins[key - store.offset] ?? 0);
  return trimBuckets({ minKey: store.minKey, counts });
}

function trimBuckets(buckets: BucketsState): BucketsState {
  let first = 0;
  let last = buckets.counts.length - 1;
  while (first <= last && buckets.counts[first] === 0) first++;
  while (last >= first && buckets.counts[last] === 0) last--;
  if (first > last) return { minKey: 0, counts: [] };
  return { minKey: buckets.minKey + first, counts: buckets.counts.slice(first, last + 1) };
}

export class QuantileSketch {
  private readonly sketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });

  /** Finite values only. */
  add(x: number): void {
    this.sketch.accept(x);
  }

  toState(): QuantileState {
    return {
      zeros: this.sketch.zeroCount,
      positive: storeToBuckets(this.sketch.store as unknown as DenseStoreLike),
      negative: storeToBuckets(this.sketch.negativeStore as unknown as DenseStoreLike),
    };
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

/**
 * The quantiles of a state, clamped to the exact [min, max] (which only brings an answer closer),
 * or null when the state holds no value.
 */
export function quantilesOf(state: QuantileState, min: number, max: number): Record<QuantileKey, number> | null {
  const sketch = new DDSketch({ relativeAccuracy: QUANTILE_RELATIVE_ACCURACY });
  const positive = sketch.store as unknown as DenseStoreLike;
  const negative = sketch.negativeStore as unknown as DenseStoreLike;
  for (let i = 0; i < state.positive.counts.length; i++) {
    if (state.positive.counts[i] > 0) positive.add(state.positive.minKey + i, state.positive.counts[i]);
  }
  for (let i = 0; i < state.negative.counts.length; i++) {
    if (state.negative.counts[i] > 0) negative.add(state.negative.minKey + i, state.negative.counts[i]);
  }
  sketch.zeroCount = state.zeros;
  sketch.count = positive.count + negative.count + state.zeros;
  if (sketch.count === 0) return null;
  const result = {} as Record<QuantileKey, number>;
  for (const key of QUANTILE_KEYS) {
    const value = sketch.getValueAtQuantile(Number(key));
    result[key] = Math.min(max, Math.max(min, value));
  }
  return result;
}
