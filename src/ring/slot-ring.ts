import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import type { FixedDeque as FixedDequeClass } from 'mnemonist';

// The one class, not the package index: importing all of mnemonist costs ~70 ms per thread, and
// worker threads load this module too (for slotViews).
const FixedDeque = createRequire(import.meta.url)('mnemonist/fixed-deque.js') as typeof FixedDequeClass;

/**
 * A ring of fixed-size slots in shared memory: the only way chunk bytes move between the main
 * thread, the workers and the COPY writers. A task message carries a slot number, never row data.
 *
 *   main thread (scheduler)        worker thread (piscina task)         main thread (COPY writer)
 *   ───────────────────────        ────────────────────────────         ─────────────────────────
 *   acquire() ─ FREE → FILLING
 *   pread file bytes → input[s]
 *   run({ slot: s })  ─ ENCODING ─▶ parse input[s], write COPY bytes
 *                                   into output[s] and rejects[s]
 *                                   ─ ENCODED, return lengths ────────▶ queue (bounded) ─▶ COPY output[s]
 *                                                                        release(s) ─ WRITING → FREE
 *
 * The number of slots bounds everything in flight (reading + encoding + queued + writing), so
 * when PostgreSQL is slow the writers hold their slots, `acquire()` waits, the scheduler stops
 * reading, and memory stays flat whatever the file size. Slot states live in an Int32Array in the
 * same shared memory so each side can assert the protocol (a slot is never handed out twice).
 */

export const SlotState = { free: 0, filling: 1, encoding: 2, encoded: 3, writing: 4 } as const;

/** What a worker needs to reach the ring: plain data that postMessage shares, not copies. */
export interface SharedRing {
  slots: number;
  control: SharedArrayBuffer;
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
  rejects: SharedArrayBuffer;
  inputCapacity: number;
  outputCapacity: number;
  rejectsCapacity: number;
}

export interface SlotViews {
  input: Buffer;
  output: Buffer;
  rejects: Buffer;
}

/**
 * Buffer views, not plain Uint8Arrays, over the shared memory: Buffer#indexOf is memchr while a
 * Uint8Array's is a generic loop (3-4x slower in bench/parser-vs-csv-parser), and Buffer#copy
 * copies a row without allocating a view (bench/row-copy).
 */
export function slotViews(ring: SharedRing, slot: number): SlotViews {
  return {
    input: Buffer.from(ring.input, slot * ring.inputCapacity, ring.inputCapacity),
    output: Buffer.from(ring.output, slot * ring.outputCapacity, ring.outputCapacity),
    rejects: Buffer.from(ring.rejects, slot * ring.rejectsCapacity, ring.rejectsCapacity),
  };
}

/** Moves a slot from one state to the next, failing loudly if the protocol was broken. */
export function transition(ring: SharedRing, slot: number, from: number, to: number): void {
  const control = new Int32Array(ring.control);
  const previous = Atomics.compareExchange(control, slot, from, to);
  assert.equal(previous, from, `slot ${slot} was in state ${previous}, expected ${from}`);
}

export interface SlotRingOptions {
  slots: number;
  inputCapacity: number;
  /** Room for the COPY bytes of one chunk (default: OUTPUT_PER_INPUT_BYTE × input, plus 64 KiB). */
  outputCapacity?: number;
  rejectsCapacity?: number;
}

/**
 * Output bytes a slot has room for per input byte. Binary COPY of the benchmark file's rows takes
 * ~1.5× their CSV bytes (a provenance prefix and a length per field), and a derived double adds 12
 * bytes a row (~1.7×): output beyond the slot is written to a buffer of its own and copied again to
 * be shared (~10 ms per 4 MiB chunk, a tenth of a load with one derived column). Room is cheap:
 * pages of shared memory nobody writes are never resident, so a larger slot costs address space,
 * not memory.
 */
export const OUTPUT_PER_INPUT_BYTE = 2.5;

export class SlotRing {
  readonly shared: SharedRing;
  private readonly free: FixedDequeClass<number>;
  private readonly waiters: ((slot: number) => void)[] = [];

  constructor(options: SlotRingOptions) {
    assert.ok(options.slots >= 1, 'a ring needs at least one slot');
    const outputCapacity = options.outputCapacity ?? Math.ceil(options.inputCapacity * OUTPUT_PER_INPUT_BYTE) + 64 * 1024;
    const rejectsCapacity = options.rejectsCapacity ?? 256 * 1024;
    this.shared = {
      slots: options.slots,
      control: new SharedArrayBuffer(options.slots * 4),
      input: new SharedArrayBuffer(options.slots * options.inputCapacity),
      output: new SharedArrayBuffer(options.slots * outputCapacity),
      rejects: new SharedArrayBuffer(options.slots * rejectsCapacity),
      inputCapacity: options.inputCapacity,
      outputCapacity,
      rejectsCapacity,
    };
    this.free = new FixedDeque<number>(Array, options.slots);
    for (let slot = 0; slot < options.slots; slot++) this.free.push(slot);
  }

  get slots(): number {
    return this.shared.slots;
  }

  /** Slots not currently handed out. */
  get available(): number {
    return this.free.size;
  }

  views(slot: number): SlotViews {
    return slotViews(this.shared, slot);
  }

  state(slot: number): number {
    return Atomics.load(new Int32Array(this.shared.control), slot);
  }

  /** A free slot, now FILLING; waits (without polling) while every slot is in use. */
  acquire(): Promise<number> | number {
    const slot = this.free.shift();
    if (slot !== undefined) {
      transition(this.shared, slot, SlotState.free, SlotState.filling);
      return slot;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Returns a slot from any state; hands it straight to the oldest waiter if there is one. */
  release(slot: number): void {
    Atomics.store(new Int32Array(this.shared.control), slot, SlotState.free);
    const waiter = this.waiters.shift();
    if (waiter !== undefined) {
      transition(this.shared, slot, SlotState.free, SlotState.filling);
      waiter(slot);
    } else {
      this.free.push(slot);
    }
  }
}
