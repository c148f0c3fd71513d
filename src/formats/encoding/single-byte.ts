import { createDecoder } from './text-encoding.js';

/**
 * Single-byte encodings (Windows-125x, ISO-8859-x, KOI8, …) transcoded to UTF-8 straight from
 * bytes: ASCII runs are copied with memcpy, every other byte through a 128-entry table of its
 * UTF-8 bytes. No JS string is built (TextDecoder + a UTF-8 write would build one per piece and
 * leave it to the GC), which measured about twice as fast on the Windows-1252 benchmark file.
 */

/** Encodings whose characters take more than one byte (WHATWG), besides UTF-8/16. */
const MULTI_BYTE = new Set(['utf-8', 'utf-16le', 'utf-16be', 'gbk', 'gb18030', 'big5', 'euc-jp', 'euc-kr', 'shift_jis', 'iso-2022-jp']);

/** Per byte 0x80–0xFF: UTF-8 length in the low byte, then up to three UTF-8 bytes. */
export type HighHalfTable = Uint32Array;

const tables = new Map<string, HighHalfTable | null>();

/** The table for a single-byte encoding, or null for any other. */
export function singleByteTable(encoding: string): HighHalfTable | null {
  let table = tables.get(encoding);
  if (table === undefined) {
    table = null;
    if (!MULTI_BYTE.has(encoding)) {
      const decoder = createDecoder(encoding);
      table = new Uint32Array(128);
      for (let byte = 0x80; byte <= 0xff; byte++) {
        // An unmapped byte decodes to U+FFFD (three bytes), like any decoder's invalid input.
        const utf8 = Buffer.from(decoder.decode(Uint8Array.of(byte)), 'utf8');
        if (utf8.length < 2 || utf8.length > 3) throw new Error(`${encoding} byte ${byte} is not one character of 2–3 UTF-8 bytes`);
        table[byte - 0x80] = utf8.length | (utf8[0] << 8) | (utf8[1] << 16) | ((utf8[2] ?? 0) << 24);
      }
    }
    tables.set(encoding, table);
  }
  return table;
}

/** Where the UTF-8 goes: may be replaced by a larger buffer (`grow` returns the new one). */
export interface GrowableOutput {
  bytes: Buffer;
  grow(written: number, extra: number): Buffer;
}

/** Transcodes source[start, end) into output from index 0; returns the UTF-8 length. */
export function transcodeSingleByte(source: Buffer, start: number, end: number, table: HighHalfTable, output: GrowableOutput): number {
  let out = output.bytes;
  let o = 0;
  let i = start;
  while (i < end) {
    let j = i;
    while (j < end && source[j] < 0x80) j++;
    if (o + (j - i) + 3 > out.length) out = output.grow(o, j - i + 3);
    // memcpy pays off past a few bytes; a short run is cheaper copied here.
    if (j - i > 16) {
      source.copy(out, o, i, j);
      o += j - i;
    } else {
      for (let k = i; k < j; k++) out[o++] = source[k];
    }
    if (j === end) break;
    const packed = table[source[j] - 0x80];
    out[o++] = (packed >>> 8) & 0xff;
    out[o++] = (packed >>> 16) & 0xff;
    if ((packed & 0xff) === 3) out[o++] = packed >>> 24;
    i = j + 1;
  }
  return o;
}
