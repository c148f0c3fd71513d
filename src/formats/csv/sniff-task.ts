import { toPlainError, type PlainError } from '../../errors.js';
import { type CsvSniffResult, sniffCsv, type SniffOverrides } from './sniffer.js';

/** The worker side of sniffing: the sample arrives as shared buffers; failures return as data. */
export interface SniffTask {
  head: SharedArrayBuffer;
  headLength: number;
  headIsWholeFile: boolean;
  spots: { buffer: SharedArrayBuffer; length: number }[];
  overrides: SniffOverrides;
}

export type SniffTaskResult = { ok: true; result: CsvSniffResult } | { ok: false; error: PlainError };

export function runSniffTask(task: SniffTask): SniffTaskResult {
  try {
    const result = sniffCsv({
      head: new Uint8Array(task.head, 0, task.headLength),
      headIsWholeFile: task.headIsWholeFile,
      spots: task.spots.map((s) => new Uint8Array(s.buffer, 0, s.length)),
    }, task.overrides);
    return { ok: true, result };
  } catch (error) {
    return { ok: false, error: toPlainError(error) };
  }
}
