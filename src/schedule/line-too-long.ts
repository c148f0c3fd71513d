import { StringDecoder } from 'node:string_decoder';
import { rejectRow } from '../formats/reject-row.js';
import type { EncodeResult } from '../formats/csv/encode-task.js';

/**
 * A line longer than maxRowBytes, planned as a chunk of its own (see chunk-planner.ts), becomes
 * one reject — reason LINE_TOO_LONG, its first bytes as the raw text — and no rows. It is built
 * here on the main thread rather than by a worker: there is nothing to parse, the whole line is
 * never read into memory, and it is rare. The result has the shape a worker returns, so the
 * writers commit it like any other chunk (ledger row + rejects, one transaction).
 */

/** Bytes of an over-long line kept as the reject's raw text. */
export const LINE_TOO_LONG_RAW_BYTES = 1024;

export interface OverlongLine {
  fileId: number;
  chunkNo: number;
  byteStart: number;
  byteEnd: number;
  /** The line's first bytes. */
  head: Buffer;
  /** Whether a line terminator ends it (not the end of the file). */
  terminated: boolean;
  maxRowBytes: number;
}

export function lineTooLongResult(line: OverlongLine): EncodeResult {
  // A StringDecoder keeps back a character cut in two by the truncation instead of mangling it.
  const raw = new StringDecoder('utf8').write(line.head.subarray(0, LINE_TOO_LONG_RAW_BYTES));
  const detail = `line of ${line.byteEnd - line.byteStart} bytes is longer than maxRowBytes (${line.maxRowBytes}); raw holds only its start`;
  const row = Buffer.from(rejectRow({ fileId: line.fileId, chunkNo: line.chunkNo, chunkLine: 1, byteOffset: line.byteStart, reason: 'LINE_TOO_LONG', detail, raw }));
  const rejects = new SharedArrayBuffer(row.length);
  row.copy(Buffer.from(rejects));
  return {
    dataLength: 0,
    rejectsLength: row.length,
    rejectsOverflow: rejects,
    stats: {
      rows: 0, rejected: 1, lines: line.terminated ? 1 : 0, slowRows: 0,
      samples: [{ chunkLine: 1, byteOffset: line.byteStart, reason: 'LINE_TOO_LONG', detail }],
    },
    reports: {},
    anomalies: new Uint8Array(0),
  };
}

/**
 * The byte that ends a physical line of a prepared file, for the planner: LF (CRLF ends with it
 * too) or CR, in any encoding where that byte is always a newline — ASCII-compatible ones, where
 * no multi-byte character contains 0x0A or 0x0D. Null in UTF-16/32 (there it may be half of
 * another character) and for formats without lines: over-long rows then fail the file.
 */
export function lineTerminatorFor(lineEnding: 'LF' | 'CRLF' | 'CR' | null, encoding: string): number | null {
  if (lineEnding === null || /^utf-?(16|32)/i.test(encoding)) return null;
  return lineEnding === 'CR' ? 0x0d : 0x0a;
}
