/**
 * The quantiles of a merged DDSketch state (quantile-sketch.ts), answered by the library itself
 * (@datadog/sketches-js): its dense stores are filled with the state's bucket counts, which carry
 * the library's own keys. Its own module so that only the thread that finishes profiles loads the
 * library.
 */
import { DDSketch } from '@datadog/sketches-js';
import { QUANTILE_RELATIVE_ACCURACY } from './quantile-key.js';
import { QUANTILE_KEYS, type QuantileKey, type QuantileState } from './quantile-sketch.js';

interface DenseStoreLike {
  count: number;
  add(key: number, weight?: number): void;
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
