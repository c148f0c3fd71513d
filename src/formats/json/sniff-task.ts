import { toPlainError, type PlainError } from '../../errors.js';
import { LF } from './json-scanner.js';
import { type JsonLayout, lastNdjsonRowEnd, lastRowEndFor } from './row-boundary.js';
import { type JsonSampleRange, type JsonSniffResult, sniffJson } from './sniffer.js';

/** The worker side of sniffing JSON: the sample arrives as shared buffers; failures return as data. */
export interface JsonSniffTask {
  head: SharedArrayBuffer;
  headLength: number;
  headIsWholeFile: boolean;
  layout: JsonLayout;
  dataStart: number;
  /** File offset where records end (an array's closing bracket, else the size). */
  dataEnd: number;
  /** Stretches from later in the file (NDJSON only: a newline is always a record boundary there). */
  spots: { buffer: SharedArrayBuffer; length: number; position: number }[];
  flattenDepth: number;
}

export type JsonSniffTaskResult = { ok: true; result: JsonSniffResult } | { ok: false; error: PlainError };

/** The complete records of the sample: the head up to its last cut, each spot between its first and last newline. */
export function sampleRanges(task: JsonSniffTask): JsonSampleRange[] {
  const head = Buffer.from(task.head, 0, task.headLength);
  let end = Math.min(task.headLength, task.dataEnd);
  if (!task.headIsWholeFile) {
    const cut = lastRowEndFor(task.layout)(head, task.dataStart, end);
    if (cut > 0) end = Math.min(end, cut);
  }
  const ranges: JsonSampleRange[] = [{ bytes: head, start: task.dataStart, end, base: 0 }];
  for (const spot of task.spots) {
    const bytes = Buffer.from(spot.buffer, 0, spot.length);
    const first = bytes.indexOf(LF);
    const last = first === -1 ? -1 : lastNdjsonRowEnd(bytes, first + 1, spot.length);
    if (last > first + 1) ranges.push({ bytes, start: first + 1, end: last, base: spot.position });
  }
  return ranges;
}

export function runJsonSniffTask(task: JsonSniffTask): JsonSniffTaskResult {
  try {
    const result = sniffJson({ ranges: sampleRanges(task), layout: task.layout, flattenDepth: task.flattenDepth, wholeFile: task.headIsWholeFile });
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: toPlainError(error) };
  }
}
