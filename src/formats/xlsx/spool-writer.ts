import { type FileHandle, open } from 'node:fs/promises';
import { SluiceError } from '../../errors.js';

/**
 * A spool file written through one buffer: `write` only copies (it returns false once the buffer
 * passes its high-water mark) and `flush` is the one await, once per buffer-full rather than once
 * per row, so a sheet of a million rows costs a few hundred file writes and memory stays at about
 * one buffer.
 */

const HIGH_WATER = 1024 * 1024;

export class SpoolWriter {
  private buffer = Buffer.allocUnsafe(HIGH_WATER + 64 * 1024);
  private length = 0;
  /** Bytes handed to the file so far (flushed or not). */
  bytes = 0;

  private constructor(private readonly file: FileHandle, readonly path: string) {}

  static async create(path: string): Promise<SpoolWriter> {
    try {
      return new SpoolWriter(await open(path, 'wx'), path);
    } catch (error) {
      throw spoolError(path, error);
    }
  }

  private room(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + extra));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  /** Appends text as UTF-8; false when the caller should `await flush()`. */
  write(text: string): boolean {
    // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
    this.room(text.length * 3);
    const written = this.buffer.write(text, this.length, 'utf8');
    this.length += written;
    this.bytes += written;
    return this.length < HIGH_WATER;
  }

  writeByte(byte: number): boolean {
    this.room(1);
    this.buffer[this.length++] = byte;
    this.bytes++;
    return this.length < HIGH_WATER;
  }

  async flush(): Promise<void> {
    let offset = 0;
    try {
      while (offset < this.length) {
        const { bytesWritten } = await this.file.write(this.buffer, offset, this.length - offset);
        offset += bytesWritten;
      }
    } catch (error) {
      throw spoolError(this.path, error);
    }
    this.length = 0;
  }

  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.file.close();
    }
  }

  /** Closes without flushing (the file is abandoned). */
  async abandon(): Promise<void> {
    await this.file.close().catch(() => undefined);
  }
}

function spoolError(path: string, error: unknown): SluiceError {
  return new SluiceError('SLUICE_ERR_SPOOL_WRITE', `cannot write spool file ${path}: ${(error as Error).message}`, { cause: error });
}
