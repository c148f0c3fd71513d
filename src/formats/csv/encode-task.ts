import { ColumnBatch } from '../../batch/column-batch.js';
import { type ChunkReports, finishChunk } from '../../stages/chunk-stages.js';
import { closeSlot, type EncodedSlot, openSlot, type SlotTask } from '../encode-slot.js';
import { ChunkTranscoder } from '../encoding/chunk-transcoder.js';
import { copyQuoteOf } from './dialect.js';
import { type EncodePlan, type EncodeStats, parseCsvChunk } from './parse-chunk.js';

/**
 * The worker side of one chunk: read the input slot, parse it into a ColumnBatch, run the stages
 * and encode the kept rows into the output slots (stages/chunk-stages.ts), report lengths. Kept
 * apart from the thread entry point so it is tested without a pool.
 */
export interface EncodeTask extends SlotTask {
  /** Bytes of the chunk in the input slot (or in `oversizeInput`). */
  length: number;
  /** `encoding` (canonical name) absent or `utf-8`: the bytes are parsed as they are. */
  plan: EncodePlan & { encoding?: string };
}

export interface EncodeResult extends EncodedSlot<EncodeStats> {
  /** What each stage found in the chunk (plain data, merged on the main thread in chunk order). */
  reports: ChunkReports;
  /** ingest.anomalies COPY text rows found in the chunk (empty when none). */
  anomalies: Uint8Array;
}

/** This worker's decoding buffers and batch, reused from chunk to chunk. */
const transcoder = new ChunkTranscoder();
const batch = new ColumnBatch();

export function runEncodeTask(task: EncodeTask): EncodeResult {
  const slot = openSlot(task);
  const { input, data, rejects } = slot;
  const { plan } = task;
  let stats: EncodeStats;
  if (plan.encoding === undefined || plan.encoding === 'utf-8') {
    stats = parseCsvChunk(input, 0, task.length, plan, batch, rejects);
  } else {
    // Decoded here, in the worker, so the main thread never touches the text. The batch holds a
    // copy of the text, so the transcoder's buffers are free again once it is parsed.
    const text = transcoder.transcode(input, 0, task.length, plan.encoding, plan.dialect.newline, plan.baseOffset);
    stats = parseCsvChunk(text.bytes, text.start, text.end, plan, batch, rejects, text.mapOffset);
    transcoder.release();
  }
  if (stats.widen !== undefined) {
    // The loader parses this chunk again under wider types and drops this output: stages would
    // only see values under types the table will not have.
    return { ...closeSlot(task, slot, stats), reports: {}, anomalies: new Uint8Array(0) };
  }
  const output = finishChunk(batch, {
    dataset: plan.dataset, fileId: plan.fileId, chunkNo: plan.chunkNo, stagesKey: plan.stagesKey, stages: plan.stages,
    copyFormat: plan.copyFormat, copyDelimiter: plan.dialect.delimiter, copyQuote: copyQuoteOf(plan.dialect),
  }, data, rejects);
  // Stages may refuse rows the parser kept (they wrote their reject rows already).
  stats.rows = output.rows;
  stats.rejected += batch.rejectedCount;
  return { ...closeSlot(task, slot, stats), reports: output.reports, anomalies: output.anomalies };
}
