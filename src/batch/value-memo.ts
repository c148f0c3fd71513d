import { fnv1a } from './fnv1a.js';

/**
 * What a function of a value's bytes gave, remembered from chunk to chunk, so a low-cardinality
 * column (a status, a sensor id) pays for a verdict once per distinct value instead of once per
 * row: a regex verdict costs a decoded string and RegExp.test (~110 ns a value), a lookup here a
 * hash of the bytes and one comparison with the remembered value (~25 ns for 11 bytes).
 *
 * The memo keeps its own copy of each value's bytes and a lookup compares them with the value's,
 * so two values that hash alike never share a result, and nothing depends on the batch the value
 * came from (its bytes are reused chunk after chunk). Memory is bounded: at most MAX_ENTRIES
 * values of at most MAX_VALUE_BYTES; once it is full and lookups miss more often than they hit
 * (a column of mostly distinct values), it stops looking, so such a column pays for no hashing.
 */

const SLOTS = 1024;
const MASK = SLOTS - 1;
/** Half the slots: probe runs stay short. */
const MAX_ENTRIES = SLOTS / 2;
const MAX_VALUE_BYTES = 256;
const EMPTY = -1;

export class ValueMemo {
  /** Per slot: where its value's bytes start in `keys`, or EMPTY. */
  private readonly starts = new Int32Array(SLOTS).fill(EMPTY);
  private readonly lengths = new Int32Array(SLOTS);
  private readonly results = new Int32Array(SLOTS);
  private readonly keys = new Uint8Array(MAX_ENTRIES * MAX_VALUE_BYTES);
  private keysLength = 0;
  private size = 0;
  private hits = 0;
  private misses = 0;
  /** Where the last miss would be remembered, or EMPTY (no room, or the memo is off). */
  private pending = EMPTY;
  /** False once the memo stopped paying for itself. */
  active = true;

  /**
   * The result remembered for the value bytes[start, end), or -1 when none (then `remember` the
   * result computed for it). Results are non-negative integers.
   */
  find(bytes: Uint8Array, start: number, end: number): number {
    this.pending = EMPTY;
    if (!this.active) return -1;
    const length = end - start;
    const hash = fnv1a(bytes, start, end);
    let slot = (hash ^ (hash >>> 15)) & MASK;
    const { starts, lengths, keys } = this;
    for (;;) {
      const at = starts[slot];
      if (at === EMPTY) break;
      if (lengths[slot] === length) {
        let i = 0;
        while (i < length && keys[at + i] === bytes[start + i]) i++;
        if (i === length) {
          this.hits++;
          return this.results[slot];
        }
      }
      slot = (slot + 1) & MASK;
    }
    this.misses++;
    if (this.size < MAX_ENTRIES) {
      if (length <= MAX_VALUE_BYTES) this.pending = slot;
    } else if (this.misses > this.hits) this.active = false;
    return -1;
  }

  /** Remembers `result` for bytes[start, end), the value of the last `find` that found nothing (if there is room). */
  remember(bytes: Uint8Array, start: number, end: number, result: number): void {
    const slot = this.pending;
    if (slot === EMPTY) return;
    this.pending = EMPTY;
    this.keys.set(bytes.subarray(start, end), this.keysLength);
    this.starts[slot] = this.keysLength;
    this.lengths[slot] = end - start;
    this.results[slot] = result;
    this.keysLength += end - start;
    this.size++;
  }
}
