/**
 * The exact phase of distinct counting: up to `limit` values by their 53-bit hash (value-hash.ts),
 * with a count each and what the profile shows for it. Open addressing over typed arrays keyed by
 * the hash's two halves: no Map entry, boxed key or object per value. Entries are kept in the
 * order they were first seen; the table holds at most half its slots, so a probe is short.
 *
 * For a text value the entry also keeps the pattern class and length in characters of the bytes it
 * was first seen with: the same hash is taken to be the same text (as distinct and the top values
 * already take it), so a repeated value is not classified again.
 */
import type { SketchValue } from './column-sketch.js';

export class DistinctTable {
  size = 0;
  private readonly mask: number;
  /** Per slot, entry index + 1 (0: empty). */
  private readonly slots: Int32Array;
  readonly highs: Uint32Array;
  readonly lows: Uint32Array;
  readonly counts: Float64Array;
  readonly patterns: Uint8Array;
  readonly lengths: Float64Array;
  readonly values: SketchValue[] = [];

  constructor(readonly limit: number) {
    let capacity = 16;
    while (capacity < 2 * (limit + 1)) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity);
    this.highs = new Uint32Array(limit + 1);
    this.lows = new Uint32Array(limit + 1);
    this.counts = new Float64Array(limit + 1);
    this.patterns = new Uint8Array(limit + 1);
    this.lengths = new Float64Array(limit + 1);
  }

  /** The entry of the hash (high, low), or -1. */
  find(high: number, low: number): number {
    let slot = (high ^ low) & this.mask;
    for (;;) {
      const entry = this.slots[slot] - 1;
      if (entry < 0) return -1;
      if (this.highs[entry] === high && this.lows[entry] === low) return entry;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds a hash not in the table, counted once; returns its entry. The caller checks size against limit. */
  insert(high: number, low: number, value: SketchValue): number {
    let slot = (high ^ low) & this.mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
    const entry = this.size++;
    this.slots[slot] = entry + 1;
    this.highs[entry] = high;
    this.lows[entry] = low;
    this.counts[entry] = 1;
    this.values[entry] = value;
    return entry;
  }

  reset(): void {
    this.slots.fill(0);
    this.values.length = 0;
    this.size = 0;
  }
}
