import { type SharedRing, SlotState, slotViews, transition } from '../ring/slot-ring.js';
import { ByteSink } from './byte-sink.js';

/**
 * What every format's encode task shares: open a ring slot (the chunk's input, the output and
 * rejects sinks), and hand it back encoded with the lengths written. Output that outgrew its slot
 * travels in a SharedArrayBuffer of its own (shared, not copied, by postMessage).
 */

export interface SlotTask {
  ring: SharedRing;
  slot: number;
  /** A chunk larger than a slot (one very long record) arrives in a buffer of its own. */
  oversizeInput?: SharedArrayBuffer;
}

export interface EncodedSlot<Stats> {
  dataLength: number;
  rejectsLength: number;
  /** Set when the output outgrew its slot; the bytes are here instead. */
  dataOverflow?: SharedArrayBuffer;
  rejectsOverflow?: SharedArrayBuffer;
  stats: Stats;
  /** What the worker stages found in the chunk, per stage (stages/chunk-stages.ts); kept in ingest.chunks.reports. */
  reports?: Record<string, unknown>;
  /** ingest.anomalies COPY text rows found in the chunk, committed with it. */
  anomalies?: Uint8Array;
}

export interface OpenSlot {
  input: Buffer;
  data: ByteSink;
  rejects: ByteSink;
}

export function openSlot(task: SlotTask): OpenSlot {
  const views = slotViews(task.ring, task.slot);
  return {
    input: task.oversizeInput === undefined ? views.input : Buffer.from(task.oversizeInput),
    data: new ByteSink(views.output),
    rejects: new ByteSink(views.rejects),
  };
}

function shareOverflow(sink: ByteSink): SharedArrayBuffer | undefined {
  if (!sink.overflowed) return undefined;
  const shared = new SharedArrayBuffer(sink.length);
  new Uint8Array(shared).set(sink.view());
  return shared;
}

/** Marks the slot encoded (the writer may take it) and reports what was written. */
export function closeSlot<Stats>(task: SlotTask, slot: OpenSlot, stats: Stats): EncodedSlot<Stats> {
  transition(task.ring, task.slot, SlotState.encoding, SlotState.encoded);
  return {
    dataLength: slot.data.length,
    rejectsLength: slot.rejects.length,
    dataOverflow: shareOverflow(slot.data),
    rejectsOverflow: shareOverflow(slot.rejects),
    stats,
  };
}
