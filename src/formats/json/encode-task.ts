import { ColumnBatch } from '../../batch/column-batch.js';
import { type ChunkReports, type CopyFormat, finishChunk, type StagePlan } from '../../stages/chunk-stages.js';
import { closeSlot, type EncodedSlot, openSlot, type SlotTask } from '../encode-slot.js';
import { COMMA, QUOTE } from './json-scanner.js';
import { type JsonParsePlan, type JsonParseStats, parseJsonChunk } from './parse-chunk.js';

/**
 * The worker side of one JSON chunk: read the input slot, parse it into this worker's batch, run
 * the stages and encode the rows they kept into the output slots, report lengths — the same
 * protocol as the CSV task (csv/encode-task.ts), so the pipeline and the writers do not know which
 * format they carry. Kept apart from the thread entry point so it is tested without a pool.
 */

/** The parse plan, and what the stages need (filled by the loader from the dataset's configuration). */
export interface JsonEncodePlan extends JsonParsePlan {
  dataset?: string;
  stagesKey?: string;
  stages?: StagePlan;
  copyFormat?: CopyFormat;
}

export interface JsonEncodeTask extends SlotTask {
  /** Bytes of the chunk in the input slot (or in `oversizeInput`). */
  length: number;
  plan: JsonEncodePlan;
}

export type JsonEncodeResult = EncodedSlot<JsonParseStats> & {
  /** Each stage's report on this chunk (plain data, merged on the main thread in chunk order). */
  reports: ChunkReports;
  /** ingest.anomalies COPY text rows of this chunk. */
  anomalies: Uint8Array;
};

/** This worker's batch, reused from chunk to chunk (its arrays only grow). */
const batch = new ColumnBatch();

export function runJsonEncodeTask(task: JsonEncodeTask): JsonEncodeResult {
  const slot = openSlot(task);
  const { plan } = task;
  const stats = parseJsonChunk(slot.input, 0, task.length, plan, batch, slot.rejects);
  if (stats.lateColumns !== undefined) {
    // The loader adds these columns and parses the chunk again: this output is dropped unwritten.
    return { ...closeSlot(task, slot, stats), reports: {}, anomalies: new Uint8Array(0) };
  }
  const output = finishChunk(batch, {
    dataset: plan.dataset, fileId: plan.fileId, chunkNo: plan.chunkNo, stagesKey: plan.stagesKey, stages: plan.stages,
    copyFormat: plan.copyFormat,
    // What prepare-json.ts declares as the COPY dialect of this format.
    copyDelimiter: COMMA, copyQuote: QUOTE,
  }, slot.data, slot.rejects);
  stats.rows = output.rows;
  stats.rejected += batch.rejectedCount;
  return { ...closeSlot(task, slot, stats), reports: output.reports, anomalies: output.anomalies };
}
