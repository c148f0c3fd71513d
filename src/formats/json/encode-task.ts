import { closeSlot, type EncodedSlot, openSlot, type SlotTask } from '../encode-slot.js';
import { encodeJsonChunk, type JsonEncodePlan, type JsonEncodeStats } from './chunk-encoder.js';

/**
 * The worker side of one JSON chunk: read the input slot, encode into the output slots, report
 * lengths — the same protocol as the CSV task (csv/encode-task.ts), so the pipeline and the
 * writers do not know which format they carry. Kept apart from the thread entry point so it is
 * tested without a pool.
 */
export interface JsonEncodeTask extends SlotTask {
  /** Bytes of the chunk in the input slot (or in `oversizeInput`). */
  length: number;
  plan: JsonEncodePlan;
}

export type JsonEncodeResult = EncodedSlot<JsonEncodeStats>;

export function runJsonEncodeTask(task: JsonEncodeTask): JsonEncodeResult {
  const slot = openSlot(task);
  const stats = encodeJsonChunk(slot.input, 0, task.length, task.plan, slot.data, slot.rejects);
  return closeSlot(task, slot, stats);
}
