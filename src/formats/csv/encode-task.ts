import { ByteSink } from '../byte-sink.js';
import { type SharedRing, SlotState, slotViews, transition } from '../../ring/slot-ring.js';
import { ChunkTranscoder } from '../encoding/chunk-transcoder.js';
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
  /** `encoding` (canonical name) absent or `utf-8`: the bytes are encoded as they are. */
  plan: EncodePlan & { encoding?: string };
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

/** This worker's decoding buffers, reused from chunk to chunk. */
const transcoder = new ChunkTranscoder();

export function runEncodeTask(task: EncodeTask): EncodeResult {
  const views = slotViews(task.ring, task.slot);
  const input = task.oversizeInput === undefined ? views.input : new Uint8Array(task.oversizeInput);
  const data = new ByteSink(views.output);
  const rejects = new ByteSink(views.rejects);
  const { plan } = task;
  let stats: EncodeStats;
  if (plan.encoding === undefined || plan.encoding === 'utf-8') {
    stats = encodeChunk(input, 0, task.length, plan, data, rejects);
  } else {
    // Decoded here, in the worker, so the main thread never touches the text.
    const text = transcoder.transcode(input, 0, task.length, plan.encoding, plan.dialect.newline, plan.baseOffset);
    stats = encodeChunk(text.bytes, text.start, text.end, plan, data, rejects, text.mapOffset);
    transcoder.release();
  }
  transition(task.ring, task.slot, SlotState.encoding, SlotState.encoded);
  return {
    dataLength: data.length,
    rejectsLength: rejects.length,
    dataOverflow: shareOverflow(data),
    rejectsOverflow: shareOverflow(rejects),
    stats,
  };
}
