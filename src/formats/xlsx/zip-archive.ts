import { type FileHandle, open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SluiceError } from '../../errors.js';

/**
 * A zip archive read through its central directory, the way zip was designed to be read: the
 * directory at the end lists every entry with its size and offset, so any entry can be streamed
 * on its own, in any order, without reading the others.
 *
 * exceljs's streaming reader instead parses the archive front to back (unzipper's `Parse`), and
 * that pass is racy on current Node: the last entries are sometimes never delivered — an
 * exceljs-written workbook stores xl/workbook.xml last — so it fails at random, or silently
 * misses a part (exceljs issues #3064, #1558, #2790). Reading by directory also lets a workbook's
 * parts be read in the order that makes sense (relationships, workbook, shared strings, styles,
 * then sheets), with no sheet parked in a temporary file, and an unselected sheet never inflated.
 *
 * ZIP64 (entries or archives past 4 GiB) is read; encryption and compression methods other than
 * stored (0) and deflate (8) are refused.
 */

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX_COMMENT = 0xffff;

function corrupt(path: string, why: string): SluiceError {
  return new SluiceError('SLUICE_ERR_FORMAT_XLSX_CORRUPT', `${path}: not a readable zip archive (${why})`);
}

async function readAt(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  return buffer.subarray(0, bytesRead);
}

function uint64(buffer: Buffer, at: number): number {
  const value = buffer.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError('zip offset past 2^53');
  return Number(value);
}

export class ZipArchive {
  private readonly streams: Readable[] = [];
  private readonly folded = new Map<string, ZipEntry>();

  private constructor(private readonly file: FileHandle, private readonly path: string, readonly entries: ReadonlyMap<string, ZipEntry>) {
    // Part names are case-insensitive in OOXML; a few writers do not match the case they declare.
    for (const [name, entry] of entries) if (!this.folded.has(name.toLowerCase())) this.folded.set(name.toLowerCase(), entry);
  }

  /** Opens the file and reads its central directory; `close()` releases it. Errors from open() are the file system's. */
  static async open(path: string): Promise<ZipArchive> {
    const file = await open(path, 'r');
    try {
      return await ZipArchive.read(file, path);
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  private static async read(file: FileHandle, path: string): Promise<ZipArchive> {
    const size = (await file.stat()).size;
    // The end-of-central-directory record: 22 bytes, then a comment of up to 64 KiB.
    const tailLength = Math.min(size, 22 + MAX_COMMENT);
    const tail = await readAt(file, size - tailLength, tailLength);
    let at = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD && i + 22 + tail.readUInt16LE(i + 20) <= tail.length) { at = i; break; }
    }
    if (at === -1) throw corrupt(path, 'no end of central directory: truncated or not a zip');
    let count = tail.readUInt16LE(at + 10);
    let directorySize = tail.readUInt32LE(at + 12);
    let directoryOffset = tail.readUInt32LE(at + 16);
    const eocdPosition = size - tailLength + at;
    if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
      const locator = await readAt(file, eocdPosition - 20, 20);
      if (locator.length < 20 || locator.readUInt32LE(0) !== ZIP64_LOCATOR) throw corrupt(path, 'ZIP64 locator missing');
      const record = await readAt(file, uint64(locator, 8), 56);
      if (record.length < 56 || record.readUInt32LE(0) !== ZIP64_EOCD) throw corrupt(path, 'ZIP64 end of central directory missing');
      count = uint64(record, 32);
      directorySize = uint64(record, 40);
      directoryOffset = uint64(record, 48);
    }
    if (directoryOffset + directorySize > size) throw corrupt(path, 'central directory past the end of the file');
    const directory = await readAt(file, directoryOffset, directorySize);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let n = 0; n < count; n++) {
      if (p + 46 > directory.length || directory.readUInt32LE(p) !== CENTRAL) throw corrupt(path, `central directory entry ${n + 1} is damaged`);
      const flags = directory.readUInt16LE(p + 8);
      const method = directory.readUInt16LE(p + 10);
      let compressedSize = directory.readUInt32LE(p + 20);
      let uncompressedSize = directory.readUInt32LE(p + 24);
      const nameLength = directory.readUInt16LE(p + 28);
      const extraLength = directory.readUInt16LE(p + 30);
      const commentLength = directory.readUInt16LE(p + 32);
      let localHeaderOffset = directory.readUInt32LE(p + 42);
      const name = directory.toString(flags & 0x800 ? 'utf8' : 'latin1', p + 46, p + 46 + nameLength);
      // ZIP64: the fields that overflowed are in extra field 0x0001, in this order.
      let extra = p + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = directory.readUInt16LE(extra);
        const length = directory.readUInt16LE(extra + 2);
        if (id === 0x0001) {
          let q = extra + 4;
          if (uncompressedSize === 0xffffffff) { uncompressedSize = uint64(directory, q); q += 8; }
          if (compressedSize === 0xffffffff) { compressedSize = uint64(directory, q); q += 8; }
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = uint64(directory, q);
        }
        extra += 4 + length;
      }
      if (flags & 0x1) throw corrupt(path, `${name} is encrypted`);
      entries.set(name, { name, method, compressedSize, uncompressedSize, localHeaderOffset });
      p = extraEnd + commentLength;
    }
    return new ZipArchive(file, path, entries);
  }

  has(name: string): boolean {
    return this.entries.has(name) || this.folded.has(name.toLowerCase());
  }

  /** An entry's content as UTF-8 text chunks (decoded across chunk boundaries), or null if absent. */
  async text(name: string): Promise<Readable | null> {
    const entry = this.entries.get(name) ?? this.folded.get(name.toLowerCase());
    if (entry === undefined) return null;
    const local = await readAt(this.file, entry.localHeaderOffset, 30);
    if (local.length < 30 || local.readUInt32LE(0) !== LOCAL) throw corrupt(this.path, `${name}: local header missing`);
    // The local header's name and extra field may differ in length from the central directory's.
    const start = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    if (entry.method !== 0 && entry.method !== 8) throw corrupt(this.path, `${name}: compression method ${entry.method}`);
    let stream: Readable;
    if (entry.compressedSize === 0) {
      stream = Readable.from([]);
    } else {
      const raw = this.file.createReadStream({ start, end: start + entry.compressedSize - 1, autoClose: false, highWaterMark: 256 * 1024 });
      this.streams.push(raw);
      stream = raw;
      if (entry.method === 8) {
        const inflate = createInflateRaw();
        raw.on('error', (error) => inflate.destroy(error));
        stream = raw.pipe(inflate);
      }
    }
    // Decoded as a stream, so a character split between two chunks stays one character (exceljs
    // decodes each chunk on its own, which turns such a character into two U+FFFD).
    stream.setEncoding('utf8');
    this.streams.push(stream);
    return stream;
  }

  /** Stops every entry stream still open (a failure part way), then closes the file. */
  async close(): Promise<void> {
    for (const stream of this.streams) {
      // A read already queued may still fail on the closing file: nobody is left to hear it.
      stream.on('error', () => undefined);
      stream.destroy();
    }
    await this.file.close();
  }
}
