import { closeSlot, type EncodedSlot, openSlot, type SlotTask } from '../encode-slot.js';
import { ChunkTranscoder } from '../encoding/chunk-transcoder.js';
import { encodeChunk, type EncodePlan, type EncodeStats } from './chunk-encoder.js';

/**
 * The worker side of one chunk: read the input slot, encode into the output slots, report
 * lengths. Kept apart from the thread entry point so it is tested without a pool.
 */
export interface EncodeTask extends SlotTask {
  /** Bytes of the chunk in the input slot (or in `oversizeInput`). */
  length: number;
  /** `encoding` (canonical name) absent or `utf-8`: the bytes are encoded as they are. */
  plan: EncodePlan & { encoding?: string };
}

export type EncodeResult = EncodedSlot<EncodeStats>;

/** This worker's decoding buffers, reused from chunk to chunk. */
const transcoder = new ChunkTranscoder();

export function runEncodeTask(task: EncodeTask): EncodeResult {
  const slot = openSlot(task);
  const { input, data, rejects } = slot;
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
  return closeSlot(task, slot, stats);
}
