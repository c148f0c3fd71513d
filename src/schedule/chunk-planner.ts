import type { FileHandle } from 'node:fs/promises';
import { SluiceError } from '../errors.js';
import type { SlotRing } from '../ring/slot-ring.js';
import type { CommittedChunk } from './ledger.js';
import { LINE_TOO_LONG_RAW_BYTES } from './line-too-long.js';

/**
 * Cuts a file into row-aligned chunks, reading each straight into a slot of the shared ring.
 * A chunk starts where the previous one ended and ends after the last complete row (quote-aware)
 * within `chunkSize` bytes, so the plan is a pure function of the file and the chunk size: a
 * restarted load re-plans the same chunks, and chunks the ledger holds are not read at all.
 *
 * Chunk sizes ramp up from a sixteenth of `chunkSize` (doubling per chunk) and ramp down again over
 * the last two chunk sizes of the file (halving what remains): the first COPY starts as soon as a
 * small chunk is encoded instead of after a full one, and the last COPYs end together instead of
 * one writer finishing a full chunk alone. Both depend only on the file and `chunkSize`.
 *
 * A row that does not end within `maxRowBytes` is one of two things:
 *
 *   row start ──── maxRowBytes ────┤
 *   1,2,xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…xxx\n3,4\n   one line, too long: a chunk of its own,
 *                                                          rejected whole (LINE_TOO_LONG); the next
 *                                                          line starts a row, whatever quotes it held
 *   1,"abc\n5,6\n7,8\n9,10\n…………………………………………………………   a line end inside a quote: an unclosed
 *                                                          quote (or a giant quoted field) — the
 *                                                          record is broken (row-boundary.ts): its
 *                                                          first line is a chunk of its own, which
 *                                                          the encoder rejects (UNCLOSED_QUOTE), and
 *                                                          the next line starts a row
 *
 * (A broken record is usually found well before maxRowBytes, by the lines its quoted field holds;
 * this is the bound for files whose lines are long.)
 * Which one depends only on the bytes and `maxRowBytes`, which the ledger keeps with the chunk size
 * so a resumed load re-plans the same chunks.
 */

export interface PlannedChunk {
  chunkNo: number;
  byteStart: number;
  byteEnd: number;
  slot: number;
  /** A chunk bigger than a slot (one row longer than the chunk size) comes in its own buffer. */
  oversize?: SharedArrayBuffer;
  /**
   * Set when the chunk is one line longer than maxRowBytes: it is not encoded but rejected whole.
   * `head` holds its first bytes (for the reject's raw text); `terminated` whether a line end closes it.
   */
  overlongLine?: { head: Buffer; terminated: boolean };
}

export interface ChunkPlannerOptions {
  file: FileHandle;
  size: number;
  dataStart: number;
  chunkSize: number;
  maxRowBytes: number;
  /**
   * The index just after the last complete row in bytes[from, to), or -1 (the format's rule:
   * quote parity for CSV, a plain newline for NDJSON, …). `from` is always a row start.
   */
  lastRowEnd: (bytes: Buffer, from: number, to: number) => number;
  /**
   * The byte that ends a physical line (LF; CR in CR-only files), or null for a format without
   * lines — then a row that does not end within maxRowBytes always fails the file.
   */
  lineTerminator: number | null;
  ring: SlotRing;
  committed: Map<number, CommittedChunk>;
}

async function readFully(file: FileHandle, into: Uint8Array, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(into, done, length - done, position + done);
    if (bytesRead === 0) throw new SluiceError('SLUICE_ERR_FILE_READ', `file shrank while loading: no bytes at offset ${position + done}`);
    done += bytesRead;
  }
}

/** Block size for finding the end of an over-long line. */
const LINE_SCAN_BYTES = 1024 * 1024;

/** Bytes to read for chunk `chunkNo` when `remaining` bytes of the file are left. */
export function targetChunkSize(chunkNo: number, remaining: number, chunkSize: number): number {
  const smallest = Math.max(Math.min(chunkSize, 64 * 1024), Math.floor(chunkSize / 16));
  const rampUp = chunkNo < 31 ? Math.min(chunkSize, smallest * 2 ** chunkNo) : chunkSize;
  const rampDown = remaining < 2 * chunkSize ? Math.max(smallest, Math.ceil(remaining / 2)) : chunkSize;
  return Math.min(rampUp, rampDown);
}

export class ChunkPlanner {
  private offset: number;
  private chunkNo = 0;
  /** Chunks found in the ledger and not read again. */
  skipped = 0;
  skippedBytes = 0;

  constructor(private readonly options: ChunkPlannerOptions) {
    this.offset = options.dataStart;
  }

  /** The next chunk to encode (holding a ring slot), or null at the end of the file. */
  async next(): Promise<PlannedChunk | null> {
    const { size, chunkSize, ring, committed } = this.options;
    for (;;) {
      if (this.offset >= size) return null;
      const done = committed.get(this.chunkNo);
      if (done !== undefined) {
        if (done.byteStart !== this.offset) {
          throw new SluiceError('SLUICE_ERR_FILE_READ', `chunk ${this.chunkNo} was committed as bytes ${done.byteStart}..${done.byteEnd} but re-planned at ${this.offset}`);
        }
        this.offset = done.byteEnd;
        this.skippedBytes += done.byteEnd - done.byteStart;
        this.chunkNo++;
        this.skipped++;
        continue;
      }
      const slot = await ring.acquire();
      const start = this.offset;
      const want = Math.min(targetChunkSize(this.chunkNo, size - start, chunkSize), size - start);
      const input = ring.views(slot).input;
      await readFully(this.options.file, input, want, start);
      let byteEnd = size;
      if (start + want < size) {
        const cut = this.options.lastRowEnd(input, 0, want);
        if (cut <= 0) {
          const long = await this.readLongRow(start, input, want);
          this.offset = long.byteEnd;
          return { chunkNo: this.chunkNo++, byteStart: start, slot, ...long };
        }
        byteEnd = start + cut;
      }
      this.offset = byteEnd;
      return { chunkNo: this.chunkNo++, byteStart: start, byteEnd, slot };
    }
  }

  /**
   * No row ends within the first read (`first`, `tried` bytes): read more, doubling, up to
   * maxRowBytes, until a row ends or the file does. Reads never pass maxRowBytes, so memory per
   * row is bounded by it.
   */
  private async readLongRow(start: number, first: Buffer, tried: number): Promise<{ byteEnd: number; oversize?: SharedArrayBuffer; overlongLine?: PlannedChunk['overlongLine'] }> {
    const { size, maxRowBytes } = this.options;
    let bytes = first;
    let length = tried;
    while (length < maxRowBytes) {
      length = Math.min(length * 2, maxRowBytes, size - start);
      const oversize = new SharedArrayBuffer(length);
      bytes = Buffer.from(oversize);
      await readFully(this.options.file, bytes, length, start);
      if (start + length >= size) return { byteEnd: size, oversize };
      const cut = this.options.lastRowEnd(bytes, 0, length);
      if (cut > 0) return { byteEnd: start + cut, oversize };
    }
    return this.overlongLine(start, bytes.subarray(0, Math.min(length, maxRowBytes)), bytes === first ? undefined : bytes.buffer as SharedArrayBuffer);
  }

  /** `head`: the first maxRowBytes bytes of a row that does not end within them (see the class comment), in `oversize` if not in the slot. */
  private async overlongLine(start: number, head: Buffer, oversize: SharedArrayBuffer | undefined): Promise<{ byteEnd: number; oversize?: SharedArrayBuffer; overlongLine?: NonNullable<PlannedChunk['overlongLine']> }> {
    const { lineTerminator, maxRowBytes } = this.options;
    const tooLong = `the row at byte offset ${start} does not end within maxRowBytes (${maxRowBytes} bytes)`;
    if (lineTerminator === null) throw new SluiceError('SLUICE_ERR_FORMAT_ROW_TOO_LONG', tooLong);
    const firstLineEnd = head.indexOf(lineTerminator);
    // A line end inside a quoted field that runs past maxRowBytes: a broken record, its first line.
    if (firstLineEnd !== -1) return { byteEnd: start + firstLineEnd + 1, ...(oversize !== undefined ? { oversize } : {}) };
    const { end, terminated } = await this.lineEnd(start + head.length);
    return { byteEnd: end, overlongLine: { head: Buffer.from(head.subarray(0, LINE_TOO_LONG_RAW_BYTES)), terminated } };
  }

  /** Index just after the first line terminator at or after `from` (or the file's size), read in blocks. */
  private async lineEnd(from: number): Promise<{ end: number; terminated: boolean }> {
    const { file, size, lineTerminator } = this.options;
    const block = Buffer.allocUnsafe(Math.max(1, Math.min(LINE_SCAN_BYTES, size - from)));
    for (let position = from; position < size; position += block.length) {
      const length = Math.min(block.length, size - position);
      await readFully(file, block, length, position);
      const at = block.subarray(0, length).indexOf(lineTerminator!);
      if (at !== -1) return { end: position + at + 1, terminated: true };
    }
    return { end: size, terminated: false };
  }
}
