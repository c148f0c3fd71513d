import type { FileHandle } from 'node:fs/promises';
import { SluiceError } from '../errors.js';
import type { SlotRing } from '../ring/slot-ring.js';
import type { CommittedChunk } from './ledger.js';

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
 */

export interface PlannedChunk {
  chunkNo: number;
  byteStart: number;
  byteEnd: number;
  slot: number;
  /** A chunk bigger than a slot (one row longer than the chunk size) comes in its own buffer. */
  oversize?: SharedArrayBuffer;
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
      let length = want;
      let oversize: SharedArrayBuffer | undefined;
      if (start + want < size) {
        const cut = this.options.lastRowEnd(input, 0, want);
        if (cut > 0) length = cut;
        else ({ length, oversize } = await this.readLongRow(start, want));
      }
      this.offset = start + length;
      return { chunkNo: this.chunkNo++, byteStart: start, byteEnd: start + length, slot, oversize };
    }
  }

  /** No row ends within one chunk: read more, doubling, until one does (or the file ends). */
  private async readLongRow(start: number, tried: number): Promise<{ length: number; oversize: SharedArrayBuffer }> {
    const { size, maxRowBytes } = this.options;
    for (let want = tried * 2; ; want *= 2) {
      const length = Math.min(want, size - start);
      if (length > maxRowBytes) {
        throw new SluiceError('SLUICE_ERR_FORMAT_ROW_TOO_LONG', `no row ends within ${maxRowBytes} bytes from offset ${start} (an unclosed quote, or a row longer than maxRowBytes)`);
      }
      const oversize = new SharedArrayBuffer(length);
      const bytes = Buffer.from(oversize);
      await readFully(this.options.file, bytes, length, start);
      if (start + length >= size) return { length, oversize };
      const cut = this.options.lastRowEnd(bytes, 0, length);
      if (cut > 0) return { length: cut, oversize };
    }
  }
}
