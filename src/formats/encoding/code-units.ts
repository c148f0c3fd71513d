import type { CodeUnits } from './text-encoding.js';

/**
 * Finding an ASCII character (a newline, a quote) as a code unit of the file's encoding, in raw
 * bytes. For ASCII-compatible encodings that is the byte itself; in UTF-16 it is a two-byte unit
 * at an even offset whose other byte is zero — a 0x0A byte elsewhere is half of another character
 * (U+0A0D, U+010A, …). Both search with Buffer#indexOf (memchr) and check the rare false hits.
 *
 * `view` must start on a code-unit boundary (a row start, the chunk start, the data start).
 */

/** `bytes` as a Buffer over the same memory (Buffer#indexOf is memchr; Uint8Array's is not). */
export function bufferView(bytes: Uint8Array, from = 0, to = bytes.length): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset + from, to - from);
}

/** Index of the first code unit `char` (< 0x80) at or after `from` (a unit boundary) in `view`, or -1. */
export function indexOfUnit(view: Buffer, char: number, from: number, units: CodeUnits): number {
  if (units === 'bytes') return view.indexOf(char, from);
  // Where the ASCII byte sits within its unit: first in little-endian, second in big-endian.
  const low = units === 'utf16le' ? 0 : 1;
  const high = 1 - low;
  for (let p = view.indexOf(char, from + low); p !== -1; p = view.indexOf(char, p + 1)) {
    const unit = p - low;
    if ((unit & 1) === 0 && unit + 1 < view.length && view[unit + high] === 0) return unit;
  }
  return -1;
}

/** Code units `char` in `view`. */
export function countUnits(view: Buffer, char: number, units: CodeUnits): number {
  const width = units === 'bytes' ? 1 : 2;
  let count = 0;
  for (let i = indexOfUnit(view, char, 0, units); i !== -1; i = indexOfUnit(view, char, i + width, units)) count++;
  return count;
}
