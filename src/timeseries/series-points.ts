/**
 * One series' points as the main thread gathers them from PostgreSQL: times (µs since 1970 UTC),
 * the row's `_offset` (file order, which decides duplicates) and one column per value, in growing
 * typed arrays — a million points are a few arrays, not a million objects. `keyFields` are the
 * series key's fields exactly as binary COPY wrote them (length-prefixed), so they go back into
 * timeseries.* and features.* byte for byte, whatever the key columns' types.
 */

/** Times from `first` to `last`, both included (µs). */
export interface TimeSpan {
  first: number;
  last: number;
}

/** Every time. */
export const EVERY_TIME: TimeSpan = Object.freeze({ first: Number.NEGATIVE_INFINITY, last: Number.POSITIVE_INFINITY });

export class SeriesPoints {
  length = 0;
  times: Float64Array;
  offsets: Float64Array;
  values: Float64Array[];

  constructor(readonly keyFields: Uint8Array, valueCount: number, capacity = 64) {
    this.times = new Float64Array(capacity);
    this.offsets = new Float64Array(capacity);
    this.values = Array.from({ length: valueCount }, () => new Float64Array(capacity));
  }

  /** Room for one more point; returns its index. */
  add(time: number, offset: number): number {
    if (this.length === this.times.length) this.grow();
    const at = this.length++;
    this.times[at] = time;
    this.offsets[at] = offset;
    return at;
  }

  /** The earliest and the latest time (Infinity and −Infinity without points). */
  span(): TimeSpan {
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.length; i++) {
      const t = this.times[i];
      if (t < first) first = t;
      if (t > last) last = t;
    }
    return { first, last };
  }

  /** The filled part of each array (views, no copy). */
  trimmed(): { times: Float64Array; offsets: Float64Array; values: Float64Array[] } {
    return {
      times: this.times.subarray(0, this.length),
      offsets: this.offsets.subarray(0, this.length),
      values: this.values.map((v) => v.subarray(0, this.length)),
    };
  }

  private grow(): void {
    const capacity = this.times.length * 2;
    const grown = (array: Float64Array): Float64Array => {
      const next = new Float64Array(capacity);
      next.set(array);
      return next;
    };
    this.times = grown(this.times);
    this.offsets = grown(this.offsets);
    this.values = this.values.map(grown);
  }
}

/**
 * Points in (time, file order) — what duplicate policies and slicing need; the same arrays back
 * when they already are in that order (a series written in time order costs one scan).
 */
export function inTimeOrder(points: { times: Float64Array; offsets: Float64Array; values: readonly Float64Array[] }): { times: Float64Array; offsets: Float64Array; values: Float64Array[] } {
  const { times, offsets } = points;
  const n = times.length;
  let sorted = true;
  for (let i = 1; i < n && sorted; i++) sorted = times[i - 1] < times[i] || (times[i - 1] === times[i] && offsets[i - 1] <= offsets[i]);
  if (sorted) return { times, offsets, values: [...points.values] };
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => times[a] - times[b] || offsets[a] - offsets[b]);
  const pick = (array: Float64Array): Float64Array => {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = array[order[i]];
    return out;
  };
  return { times: pick(times), offsets: pick(offsets), values: points.values.map(pick) };
}
