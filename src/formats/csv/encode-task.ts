import { ByteSink } from '../byte-sink.js';
import { type SharedRing, SlotState, slotViews, transition } from '../../ring/slot-ring.js';
import { encodeChunk, type EncodePlan, type EncodeStats } from './chunk-encoder.js';

/**
 * The worker side of one chunk: read the input slot, encode into the output slots, report
 * lengths. Kept apart from the thread entry point so it is tested without a pool.
 */
export interface EncodeTask {
  ring: SharedRing;
  slot: number;
  /** Bytes of the chunk in the input slot (or in `oversizeInput`). */
  length: number;
  /** A chunk larger than a slot (one very long row) arrives in a buffer of its own. */
  oversizeInput?: SharedArrayBuffer;
  plan: EncodePlan;
}

export interface EncodeResult {
  dataLength: number;
  rejectsLength: number;
  /** Set when the output outgrew its slot; the bytes are here instead (shared, not copied). */
  dataOverflow?: SharedArrayBuffer;
  rejectsOverflow?: SharedArrayBuffer;
  stats: EncodeStats;
}

function shareOverflow(sink: ByteSink): SharedArrayBuffer | undefined {
  if (!sink.overflowed) return undefined;
  const shared = new SharedArrayBuffer(sink.length);
  new Uint8Array(shared).set(sink.view());
  return shared;
}

export function runEncodeTask(task: EncodeTask): EncodeResult {
  const views = slotViews(task.ring, task.slot);
  const input = task.oversizeInput === undefined ? views.input : new Uint8Array(task.oversizeInput);
  const data = new ByteSink(views.output);
  const rejects = new ByteSink(views.rejects);
  const stats = encodeChunk(input, 0, task.length, task.plan, data, rejects);
  transition(task.ring, task.slot, SlotState.encoding, SlotState.encoded);
  return {
    dataLength: data.length,
    rejectsLength: rejects.length,
    dataOverflow: shareOverflow(data),
    rejectsOverflow: shareOverflow(rejects),
    stats,
  };
}
