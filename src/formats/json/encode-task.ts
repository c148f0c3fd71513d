import { ByteSink } from '../byte-sink.js';
import { type SharedRing, SlotState, slotViews, transition } from '../../ring/slot-ring.js';
import { encodeJsonChunk, type JsonEncodePlan, type JsonEncodeStats } from './chunk-encoder.js';

/**
 * The worker side of one JSON chunk: read the input slot, encode into the output slots, report
 * lengths — the same protocol as the CSV task (csv/encode-task.ts), so the pipeline and the
 * writers do not know which format they carry. Kept apart from the thread entry point so it is
 * tested without a pool.
 */
export interface JsonEncodeTask {
  ring: SharedRing;
  slot: number;
  /** Bytes of the chunk in the input slot (or in `oversizeInput`). */
  length: number;
  /** A chunk larger than a slot (one very long record) arrives in a buffer of its own. */
  oversizeInput?: SharedArrayBuffer;
  plan: JsonEncodePlan;
}

export interface JsonEncodeResult {
  dataLength: number;
  rejectsLength: number;
  /** Set when the output outgrew its slot; the bytes are here instead (shared, not copied). */
  dataOverflow?: SharedArrayBuffer;
  rejectsOverflow?: SharedArrayBuffer;
  stats: JsonEncodeStats;
}

function shareOverflow(sink: ByteSink): SharedArrayBuffer | undefined {
  if (!sink.overflowed) return undefined;
  const shared = new SharedArrayBuffer(sink.length);
  new Uint8Array(shared).set(sink.view());
  return shared;
}

export function runJsonEncodeTask(task: JsonEncodeTask): JsonEncodeResult {
  const views = slotViews(task.ring, task.slot);
  const input = task.oversizeInput === undefined ? views.input : Buffer.from(task.oversizeInput);
  const data = new ByteSink(views.output);
  const rejects = new ByteSink(views.rejects);
  const stats = encodeJsonChunk(input, 0, task.length, task.plan, data, rejects);
  transition(task.ring, task.slot, SlotState.encoding, SlotState.encoded);
  return {
    dataLength: data.length,
    rejectsLength: rejects.length,
    dataOverflow: shareOverflow(data),
    rejectsOverflow: shareOverflow(rejects),
    stats,
  };
}
