import { extname } from 'node:path';
import { SluiceError } from '../errors.js';

/**
 * Files Sluice recognises but does not read, by their magic numbers (and, for compressions, their
 * name): each fails with a message that says what the file is and what to do, rather than as
 * "binary" after the CSV sniffer tripped over its NUL bytes.
 *
 *   compressed (SLUICE_ERR_FORMAT_UNSUPPORTED)   zstd, xz, bzip2, lz4, lzip, Unix compress, brotli (by name)
 *   archives   (SLUICE_ERR_FORMAT_UNSUPPORTED)   7z, RAR, tar
 *   data files (SLUICE_ERR_FORMAT_UNSUPPORTED)   Parquet, Avro, Arrow, SQLite, Excel 97–2003 (.xls, OLE2)
 *   binary     (SLUICE_ERR_FORMAT_BINARY)        PNG, JPEG, GIF, PDF, ELF, Mach-O, Windows executables, WebAssembly
 *
 * gzip is not here: it is decompressed before the load (sources/gunzip-file.ts); zip is opened as
 * a workbook, and one that is not fails there (SLUICE_ERR_FORMAT_XLSX_NOT_WORKBOOK).
 */

interface Signature {
  /** What the file is, as the message says it. */
  name: string;
  kind: 'compressed' | 'archive' | 'data' | 'binary';
  /** Whether the head starts like this format. */
  matches(head: Uint8Array): boolean;
  /** Names that say this format whatever the bytes (compressions only: their names are deliberate). */
  extensions?: readonly string[];
  /** What to do instead. */
  advice: string;
}

function startsWith(head: Uint8Array, ...bytes: number[]): boolean {
  if (head.length < bytes.length) return false;
  for (let i = 0; i < bytes.length; i++) if (head[i] !== bytes[i]) return false;
  return true;
}

function ascii(head: Uint8Array, at: number, text: string): boolean {
  if (head.length < at + text.length) return false;
  for (let i = 0; i < text.length; i++) if (head[at + i] !== text.charCodeAt(i)) return false;
  return true;
}

/** A zstd frame (28 B5 2F FD) or a skippable frame (5? 2A 4D 18), which may come first. */
function zstd(head: Uint8Array): boolean {
  return startsWith(head, 0x28, 0xb5, 0x2f, 0xfd) || (head.length >= 4 && (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18);
}

/** `BZh1`–`BZh9` and then a block (the digits of π) or the end of the stream (of √π): not a CSV header that starts "BZh". */
function bzip2(head: Uint8Array): boolean {
  if (!ascii(head, 0, 'BZh') || head.length < 10 || head[3] < 0x31 || head[3] > 0x39) return false;
  const block = [0x31, 0x41, 0x59, 0x26, 0x53, 0x59];
  const end = [0x17, 0x72, 0x45, 0x38, 0x50, 0x90];
  return block.every((b, i) => head[4 + i] === b) || end.every((b, i) => head[4 + i] === b);
}

/** A Windows executable: `MZ` and, where the header says, `PE\0\0`. */
function portableExecutable(head: Uint8Array): boolean {
  if (!ascii(head, 0, 'MZ') || head.length < 0x40) return false;
  const at = head[0x3c] | (head[0x3d] << 8) | (head[0x3e] << 16) | (head[0x3f] << 24);
  return at > 0 && at + 4 <= head.length && startsWith(head.subarray(at), 0x50, 0x45, 0, 0);
}

/** A compression Sluice does not decompress (gzip it does). */
function compressed(name: string, matches: (head: Uint8Array) => boolean, extensions: readonly string[], tool: string): Signature {
  return { name: `${name}-compressed`, kind: 'compressed', matches, extensions, advice: `Sluice decompresses gzip only; decompress it first (${tool}) or recompress it with gzip` };
}

const EXTRACT = 'extract it and load the files inside';
const NOT_DATA = 'not a data file Sluice can read';

const SIGNATURES: readonly Signature[] = [
  compressed('zstd', zstd, ['.zst', '.zstd'], 'zstd -d'),
  compressed('xz', (h) => startsWith(h, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00), ['.xz'], 'xz -d'),
  compressed('bzip2', bzip2, ['.bz2'], 'bunzip2'),
  compressed('lz4', (h) => startsWith(h, 0x04, 0x22, 0x4d, 0x18), ['.lz4'], 'lz4 -d'),
  compressed('lzip', (h) => ascii(h, 0, 'LZIP'), ['.lz'], 'lzip -d'),
  compressed('Unix compress (.Z)', (h) => startsWith(h, 0x1f, 0x9d), ['.z'], 'uncompress'),
  // Brotli has no magic number: only its name tells.
  compressed('brotli', () => false, ['.br'], 'brotli -d'),
  { name: 'a 7z archive', kind: 'archive', matches: (h) => startsWith(h, 0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c), extensions: ['.7z'], advice: EXTRACT },
  { name: 'a RAR archive', kind: 'archive', matches: (h) => ascii(h, 0, 'Rar!\x1a\x07'), extensions: ['.rar'], advice: EXTRACT },
  { name: 'a tar archive', kind: 'archive', matches: (h) => ascii(h, 257, 'ustar'), advice: EXTRACT },
  { name: 'a Parquet file', kind: 'data', matches: (h) => ascii(h, 0, 'PAR1'), advice: 'Parquet is not read yet; export it as CSV or NDJSON' },
  { name: 'an Avro container file', kind: 'data', matches: (h) => ascii(h, 0, 'Obj\x01'), advice: 'Avro is not read yet; export it as CSV or NDJSON' },
  { name: 'an Arrow IPC file', kind: 'data', matches: (h) => ascii(h, 0, 'ARROW1'), advice: 'Arrow is not read yet; export it as CSV or NDJSON' },
  { name: 'an SQLite database', kind: 'data', matches: (h) => ascii(h, 0, 'SQLite format 3\0'), advice: 'export its tables as CSV (sqlite3 -csv)' },
  {
    name: 'an Excel 97–2003 workbook (.xls) or another OLE2 document', kind: 'data',
    matches: (h) => startsWith(h, 0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1), advice: 'save it as .xlsx or CSV',
  },
  { name: 'a PNG image', kind: 'binary', matches: (h) => startsWith(h, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), advice: NOT_DATA },
  { name: 'a JPEG image', kind: 'binary', matches: (h) => startsWith(h, 0xff, 0xd8, 0xff), advice: NOT_DATA },
  { name: 'a GIF image', kind: 'binary', matches: (h) => ascii(h, 0, 'GIF87a') || ascii(h, 0, 'GIF89a'), advice: NOT_DATA },
  { name: 'a PDF document', kind: 'binary', matches: (h) => ascii(h, 0, '%PDF-'), advice: 'export its tables as CSV' },
  { name: 'an ELF executable', kind: 'binary', matches: (h) => startsWith(h, 0x7f, 0x45, 0x4c, 0x46), advice: NOT_DATA },
  {
    name: 'a Mach-O executable', kind: 'binary', advice: NOT_DATA,
    matches: (h) => startsWith(h, 0xfe, 0xed, 0xfa, 0xce) || startsWith(h, 0xfe, 0xed, 0xfa, 0xcf) || startsWith(h, 0xce, 0xfa, 0xed, 0xfe) || startsWith(h, 0xcf, 0xfa, 0xed, 0xfe),
  },
  { name: 'a Windows executable', kind: 'binary', matches: portableExecutable, advice: NOT_DATA },
  { name: 'a WebAssembly module', kind: 'binary', matches: (h) => startsWith(h, 0x00, 0x61, 0x73, 0x6d), advice: NOT_DATA },
];

/**
 * The error for a file Sluice recognises and does not read, or null. `path` is looked at for its
 * extension only (the message does not name the file: the summary does, as the user gave it).
 */
export function unreadableFormat(head: Uint8Array, path: string): SluiceError | null {
  const extension = extname(path).toLowerCase();
  for (const signature of SIGNATURES) {
    const byBytes = signature.matches(head);
    if (!byBytes && signature.extensions?.includes(extension) !== true) continue;
    const what = `the input is ${signature.name}${byBytes ? '' : ' (by its name)'}`;
    return new SluiceError(signature.kind === 'binary' ? 'SLUICE_ERR_FORMAT_BINARY' : 'SLUICE_ERR_FORMAT_UNSUPPORTED', `${what}: ${signature.advice}`);
  }
  return null;
}
