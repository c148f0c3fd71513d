import { toPlainError, type PlainError } from '../../errors.js';
import { type CsvFileSniff, sniffCsvFile } from './sniff-encoded.js';
import type { SniffOverrides } from './sniffer.js';

/** The worker side of sniffing: the sample arrives as shared buffers; failures return as data. */
export interface SniffTask {
  head: SharedArrayBuffer;
  headLength: number;
  headIsWholeFile: boolean;
  /** Each with its byte offset in the file (a UTF-16 spot is aligned to a code unit). */
  spots: { buffer: SharedArrayBuffer; length: number; position: number; endsFile?: boolean }[];
  overrides: SniffOverrides;
  /** `--encoding`, already checked: detection is skipped. */
  encoding?: string;
}

export type SniffTaskResult = { ok: true; result: CsvFileSniff } | { ok: false; error: PlainError };

export function runSniffTask(task: SniffTask): SniffTaskResult {
  try {
    const result = sniffCsvFile({
      head: new Uint8Array(task.head, 0, task.headLength),
      headIsWholeFile: task.headIsWholeFile,
      spots: task.spots.map((s) => ({ bytes: new Uint8Array(s.buffer, 0, s.length), position: s.position, endsFile: s.endsFile })),
    }, task.overrides, task.encoding);
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: toPlainError(error) };
  }
}
