import { open } from 'node:fs/promises';
import { extname } from 'node:path';
import { COLON, COMMA, JsonScanner, LBRACE, LBRACKET, QUOTE, ScanError, skipWhitespace } from './json/json-scanner.js';
import { unreadableFormat } from './unreadable-format.js';

/**
 * Which format a file is in, from its first bytes (magic numbers) and, where they cannot tell,
 * its extension — the content wins over the name. Files Sluice recognises but does not read (zstd
 * and other compressions, archives, images, executables: unreadable-format.ts) fail here, named.
 *
 * JSON or CSV, for a text file that is not named .json/.ndjson/.jsonl: its first non-blank byte
 * must open a JSON value, and the head must read as JSON — lists like `[1.2.3.4]` per line, or
 * `[a],[b]` rows, are CSV that happens to start with a bracket:
 *
 *   `[` first   JSON when the array is well-formed and nothing but whitespace follows it; or it
 *               nests past the depth limit (a JSON_DEPTH failure, as JSON); or its first element is
 *               an object (`{"key":` — a record: a broken one later is a JSON_SYNTAX reject); or
 *               its first element is a well-formed value followed by `,` (a JSON array broken
 *               further on). Anything else is CSV: `[1],[2]`, `[1.2.3.4]`, one `[…]` per line.
 *   `{` first   JSON (NDJSON or a sequence) when the first object is well-formed, or starts as a
 *               record (`{"key":`), or nests past the limit; else CSV (`{3F2504E0-…},x`).
 *
 * The head grows from 4 KiB (doubling, up to 1 MiB) while its end cuts the deciding value short;
 * a value still unfinished at 1 MiB is taken for JSON.
 */
export type DetectedFormat = 'csv' | 'json' | 'ndjson' | 'xlsx' | 'gzip';

const PROBE_BYTES = 4096;
const MAX_PROBE_BYTES = 1024 * 1024;

type Verdict = 'json' | 'csv' | 'more';

/** `head`: the file's first bytes; `headIsWholeFile`: whether they are all of it. */
export function formatFromBytes(head: Uint8Array, path: string, headIsWholeFile: boolean): DetectedFormat {
  const verdict = verdictFromBytes(head, path, headIsWholeFile);
  if (verdict === 'more') return head[firstValue(head)] === LBRACE ? 'ndjson' : 'json';
  return verdict;
}

function verdictFromBytes(head: Uint8Array, path: string, headIsWholeFile: boolean): DetectedFormat | 'more' {
  const extension = extname(path).toLowerCase();
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) return 'xlsx';
  const unreadable = unreadableFormat(head, path);
  if (unreadable !== null) throw unreadable;
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  if (extension === '.json') return 'json';
  const first = firstValue(head);
  if (first >= head.length || (head[first] !== LBRACKET && head[first] !== LBRACE)) return 'csv';
  const verdict = head[first] === LBRACKET ? arrayVerdict(head, first, headIsWholeFile) : objectVerdict(head, first, headIsWholeFile);
  if (verdict === 'csv') return 'csv';
  if (verdict === 'more') return 'more';
  return head[first] === LBRACKET ? 'json' : 'ndjson';
}

/** The first byte that is not a UTF-8 BOM or whitespace. */
function firstValue(head: Uint8Array): number {
  const from = head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  return skipWhitespace(head, from, head.length);
}

function arrayVerdict(head: Uint8Array, first: number, whole: boolean): Verdict {
  const end = head.length;
  const scanner = new JsonScanner();
  scanner.reset(head, first, end);
  if (scanner.skipValue(0) >= 0) {
    const after = skipWhitespace(head, scanner.pos, end);
    // One JSON text is one value: more after it is CSV (`[1],[2]`), unless the array holds
    // records (arrays of objects one after another, as some paginated exports write them).
    if (after < end) return startsRecord(head, skipWhitespace(head, first + 1, end)) ? 'json' : 'csv';
    return whole ? 'json' : 'more';
  }
  if (scanner.error === ScanError.depth) return 'json';
  return elementVerdict(head, first, whole);
}

/** An array that is not one well-formed value, by its first element. */
function elementVerdict(head: Uint8Array, first: number, whole: boolean): Verdict {
  const end = head.length;
  const element = skipWhitespace(head, first + 1, end);
  if (element >= end) return whole ? 'csv' : 'more';
  if (startsRecord(head, element)) return 'json';
  const scanner = new JsonScanner();
  scanner.reset(head, element, end);
  if (scanner.skipValue(1) >= 0) {
    const after = skipWhitespace(head, scanner.pos, end);
    if (after < end) return head[after] === COMMA ? 'json' : 'csv';
    return whole ? 'csv' : 'more';
  }
  if (scanner.error === ScanError.depth) return 'json';
  return !whole && ranOut(head, scanner.errorAt, end) ? 'more' : 'csv';
}

function objectVerdict(head: Uint8Array, first: number, whole: boolean): Verdict {
  const end = head.length;
  if (startsRecord(head, first)) return 'json';
  const scanner = new JsonScanner();
  scanner.reset(head, first, end);
  if (scanner.skipValue(0) >= 0 || scanner.error === ScanError.depth) return 'json';
  return !whole && ranOut(head, scanner.errorAt, end) ? 'more' : 'csv';
}

/** `{`, a key and a colon: how a JSON record starts, and no CSV field does. */
function startsRecord(head: Uint8Array, at: number): boolean {
  const end = head.length;
  if (at >= end || head[at] !== LBRACE) return false;
  const key = skipWhitespace(head, at + 1, end);
  if (key >= end || head[key] !== QUOTE) return false;
  const scanner = new JsonScanner();
  scanner.reset(head, key, end);
  if (!scanner.scanString()) return false;
  const colon = skipWhitespace(head, scanner.pos, end);
  return colon < end && head[colon] === COLON;
}

/**
 * Whether a scan that failed at `at` ran out of bytes rather than met a mistake: the end itself,
 * a string with no closing quote before the end, or a literal cut short.
 */
function ranOut(head: Uint8Array, at: number, end: number): boolean {
  if (at >= end) return true;
  const c = head[at];
  if (c === QUOTE) {
    for (let i = at + 1; i < end; i++) {
      if (head[i] === 0x5c) i++;
      else if (head[i] === QUOTE) return false;
    }
    return true;
  }
  if (c === 0x74 || c === 0x6e) return at + 4 > end;
  if (c === 0x66) return at + 5 > end;
  return false;
}

export async function detectFormat(path: string): Promise<DetectedFormat> {
  const file = await open(path, 'r');
  try {
    const size = (await file.stat()).size;
    for (let probe = PROBE_BYTES; ; probe *= 2) {
      const length = Math.min(size, probe, MAX_PROBE_BYTES);
      const head = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await file.read(head, done, length - done, done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      const bytes = head.subarray(0, done);
      const whole = done >= size;
      if (whole || length >= MAX_PROBE_BYTES) return formatFromBytes(bytes, path, whole);
      const verdict = verdictFromBytes(bytes, path, false);
      if (verdict !== 'more') return verdict;
    }
  } finally {
    await file.close();
  }
}
