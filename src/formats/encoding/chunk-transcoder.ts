import assert from 'node:assert/strict';
import { isAscii } from 'node:buffer';
import { bufferView, indexOfUnit } from './code-units.js';
import { type GrowableOutput, singleByteTable, transcodeSingleByte } from './single-byte.js';
import { codeUnitsOf, createDecoder, unitWidth } from './text-encoding.js';

/**
 * The worker side of a file that is not UTF-8: a chunk is decoded into UTF-8 bytes (single-byte
 * encodings through a byte table, the others with TextDecoder), which the encoder then reads
 * exactly as it reads a UTF-8 file — fields are split and
 * values checked on the decoded text, so a Shift_JIS trail byte that happens to be `|` or `\`
 * never splits a field.
 *
 * Provenance stays in the original file's bytes. A row starts at the chunk start or just after a
 * newline, and newlines correspond one to one between the original and the decoded text (no
 * decoder makes or swallows one: an invalid sequence before a newline becomes U+FFFD and the
 * newline is read again as itself). So one memchr pass over each side records where every line
 * starts, and a row's UTF-8 index maps to its file offset through that table — exact, and O(1)
 * per row because rows are looked up in order.
 *
 * A chunk that is pure ASCII (most chunks of a mostly-English Windows-1252 file) decodes to
 * itself in every encoding whose decoder maps ASCII to ASCII: it is passed through untouched.
 *
 * Buffers are per worker and reused from chunk to chunk; a very large one (after an oversize row)
 * is let go rather than held.
 */

/** Decode this much at a time: the intermediate JS string stays small, whatever the chunk size. */
const PIECE_BYTES = 1 << 20;
/** Buffers larger than this are not kept for the next chunk. */
const KEEP_BYTES = 64 << 20;

export interface TranscodedChunk {
  /** UTF-8 bytes of the chunk in bytes[start, end) — the input itself when it needed no decoding. */
  bytes: Uint8Array;
  start: number;
  end: number;
  /** File offset of a row starting at a UTF-8 index; undefined when the bytes are the file's own. */
  mapOffset: ((utf8Index: number) => number) | undefined;
}

const asciiIdentity = new Map<string, boolean>();

/** Whether the encoding's decoder maps every ASCII byte to itself (ICU's Shift_JIS does not: 0x1A, 0x1C, 0x7F). */
function decodesAsciiAsItself(encoding: string): boolean {
  let same = asciiIdentity.get(encoding);
  if (same === undefined) {
    const ascii = new Uint8Array(128);
    for (let i = 0; i < 128; i++) ascii[i] = i;
    const text = createDecoder(encoding).decode(ascii);
    same = text.length === 128;
    for (let i = 0; same && i < 128; i++) same = text.charCodeAt(i) === i;
    asciiIdentity.set(encoding, same);
  }
  return same;
}

export class ChunkTranscoder {
  private utf8 = Buffer.alloc(0);
  /** After each newline: its end in the original chunk and in the UTF-8 text (relative to the chunk start). */
  private sourceLineStarts = new Float64Array(1024);
  private utf8LineStarts = new Float64Array(1024);
  private lines = 0;
  private cursor = 0;
  private baseOffset = 0;
  /** One function for the worker's lifetime: no closure per chunk or per row. */
  readonly mapOffset = (utf8Index: number): number => this.fileOffset(utf8Index);
  /** The single-byte transcoder's view of `utf8`, which it may ask to grow. */
  private readonly output: GrowableOutput = {
    bytes: this.utf8,
    grow: (written, extra) => {
      this.reserve(written, extra);
      this.output.bytes = this.utf8;
      return this.utf8;
    },
  };

  /**
   * Decodes bytes[start, end) (a chunk starting at file offset `baseOffset`, on a row start) from
   * `encoding` to UTF-8. `newline` is the dialect's row terminator (LF, or CR).
   */
  transcode(bytes: Uint8Array, start: number, end: number, encoding: string, newline: number, baseOffset: number): TranscodedChunk {
    const units = codeUnitsOf(encoding);
    const source = bufferView(bytes, start, end);
    if (units === 'bytes' && isAscii(source) && decodesAsciiAsItself(encoding)) return { bytes, start, end, mapOffset: undefined };

    const length = this.decode(source, encoding);
    const width = unitWidth(units);
    let lines = 0;
    for (let i = indexOfUnit(source, newline, 0, units); i !== -1; i = indexOfUnit(source, newline, i + width, units)) {
      if (lines === this.sourceLineStarts.length) this.growTables();
      this.sourceLineStarts[lines++] = i + width;
    }
    const utf8 = this.utf8.subarray(0, length);
    let decodedLines = 0;
    for (let i = utf8.indexOf(newline); i !== -1; i = utf8.indexOf(newline, i + 1)) {
      if (decodedLines === lines) { decodedLines++; break; }
      this.utf8LineStarts[decodedLines++] = i + 1;
    }
    assert.equal(decodedLines, lines, `decoding ${encoding} changed the number of line breaks in a chunk at offset ${baseOffset}`);
    this.lines = lines;
    this.cursor = 0;
    this.baseOffset = baseOffset;
    return { bytes: this.utf8, start: 0, end: length, mapOffset: this.mapOffset };
  }

  /** Drops buffers grown for an unusually large chunk. */
  release(): void {
    if (this.utf8.length > KEEP_BYTES) this.utf8 = Buffer.alloc(0);
    if (this.sourceLineStarts.length * 8 > KEEP_BYTES) {
      this.sourceLineStarts = new Float64Array(1024);
      this.utf8LineStarts = new Float64Array(1024);
    }
  }

  /**
   * The file offset of the line that contains UTF-8 index `utf8Index`: exact for a line start,
   * which every row start is. Lookups come in row order, so the cursor moves a step at a time.
   */
  fileOffset(utf8Index: number): number {
    const starts = this.utf8LineStarts;
    let k = this.cursor;
    while (k < this.lines && starts[k] <= utf8Index) k++;
    while (k > 0 && starts[k - 1] > utf8Index) k--;
    this.cursor = k;
    return this.baseOffset + (k === 0 ? 0 : this.sourceLineStarts[k - 1]);
  }

  private decode(source: Buffer, encoding: string): number {
    const table = singleByteTable(encoding);
    if (table !== null) {
      this.reserve(0, source.length + (source.length >> 3));
      this.output.bytes = this.utf8;
      return transcodeSingleByte(source, 0, source.length, table, this.output);
    }
    const decoder = createDecoder(encoding);
    let written = 0;
    for (let at = 0; at < source.length; at += PIECE_BYTES) {
      const pieceEnd = Math.min(source.length, at + PIECE_BYTES);
      const text = decoder.decode(source.subarray(at, pieceEnd), { stream: pieceEnd < source.length });
      // A UTF-16 code unit becomes at most 3 UTF-8 bytes (a surrogate pair, 2 units, becomes 4).
      this.reserve(written, text.length * 3);
      written += this.utf8.write(text, written, 'utf8');
    }
    return written;
  }

  /** Room for `extra` more bytes after the `written` ones. */
  private reserve(written: number, extra: number): void {
    if (written + extra <= this.utf8.length) return;
    const grown = Buffer.allocUnsafe(Math.max(written + extra, this.utf8.length * 2, 64 * 1024));
    this.utf8.copy(grown, 0, 0, written);
    this.utf8 = grown;
  }

  private growTables(): void {
    const source = new Float64Array(this.sourceLineStarts.length * 2);
    source.set(this.sourceLineStarts);
    this.sourceLineStarts = source;
    const utf8 = new Float64Array(this.utf8LineStarts.length * 2);
    utf8.set(this.utf8LineStarts);
    this.utf8LineStarts = utf8;
  }
}
