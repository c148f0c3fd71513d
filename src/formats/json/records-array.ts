import type { FileHandle } from 'node:fs/promises';
import { stringEnd } from './row-boundary.js';
import { BACKSLASH, COLON, COMMA, isWhitespace, LBRACE, LBRACKET, QUOTE, RBRACE, RBRACKET, skipWhitespace } from './json-scanner.js';

/**
 * Records that live inside an envelope object — `{"data": [...]}`, `{"results": {"items": [...]}}`
 * — as APIs and exports write them. The sniffer finds the array of objects in the head of the file
 * (or the one `--json-path a.b` names) and loads its elements as an array layout whose data starts
 * after the array's `[` and ends at its `]`; the envelope's other keys are not records.
 *
 * Search without a path: breadth first to MAX_DEPTH levels of objects, the first key whose value is
 * an array whose first element is an object. Keys are compared as their JSON text decodes.
 */

const MAX_DEPTH = 3;

export interface RecordsArray {
  /** The keys from the top-level object down to the array. */
  path: string[];
  /** Index just after the array's `[`. */
  dataStart: number;
}

/** The end of the JSON value at `i` (index after it), or -1 when it does not end before `end`. */
function valueEnd(bytes: Uint8Array, i: number, end: number): number {
  const c = bytes[i];
  if (c === QUOTE) return stringEnd(bytes, i + 1, end);
  if (c !== LBRACE && c !== LBRACKET) {
    while (i < end && bytes[i] !== COMMA && bytes[i] !== RBRACE && bytes[i] !== RBRACKET && !isWhitespace(bytes[i])) i++;
    return i < end ? i : -1;
  }
  let depth = 0;
  while (i < end) {
    const b = bytes[i];
    if (b === QUOTE) {
      i = stringEnd(bytes, i + 1, end);
      if (i === -1) return -1;
      continue;
    }
    if (b === LBRACE || b === LBRACKET) depth++;
    else if (b === RBRACE || b === RBRACKET) {
      if (--depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

interface Member {
  key: string;
  /** Index of the value's first byte. */
  value: number;
}

/** The members of the object at `open` (its `{`) that start within the head; stops at the first it cannot read. */
function members(bytes: Uint8Array, open: number, end: number): Member[] {
  const found: Member[] = [];
  let i = skipWhitespace(bytes, open + 1, end);
  while (i < end && bytes[i] === QUOTE) {
    const keyEnd = stringEnd(bytes, i + 1, end);
    if (keyEnd === -1) break;
    let key: string;
    try {
      key = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + i, keyEnd - i).toString('utf8')) as string;
    } catch {
      break;
    }
    i = skipWhitespace(bytes, keyEnd, end);
    if (bytes[i] !== COLON) break;
    const value = skipWhitespace(bytes, i + 1, end);
    if (value >= end) break;
    found.push({ key, value });
    const after = valueEnd(bytes, value, end);
    if (after === -1) break;
    i = skipWhitespace(bytes, after, end);
    if (bytes[i] !== COMMA) break;
    i = skipWhitespace(bytes, i + 1, end);
  }
  return found;
}

function isRecordsArray(bytes: Uint8Array, at: number, end: number): boolean {
  if (bytes[at] !== LBRACKET) return false;
  const first = skipWhitespace(bytes, at + 1, end);
  return first < end && bytes[first] === LBRACE;
}

/**
 * The records array in the object at `open`, by `path` (every key must be there, the last one an
 * array) or searched for; null when there is none in bytes[open, end).
 */
export function findRecordsArray(bytes: Uint8Array, open: number, end: number, path?: readonly string[]): RecordsArray | null {
  if (path !== undefined) {
    let at = open;
    for (let k = 0; k < path.length; k++) {
      if (bytes[at] !== LBRACE) return null;
      const member = members(bytes, at, end).find((m) => m.key === path[k]);
      if (member === undefined) return null;
      at = member.value;
    }
    return bytes[at] === LBRACKET ? { path: [...path], dataStart: at + 1 } : null;
  }
  let level: { at: number; path: string[] }[] = [{ at: open, path: [] }];
  for (let depth = 0; depth < MAX_DEPTH && level.length > 0; depth++) {
    const next: { at: number; path: string[] }[] = [];
    for (const object of level) {
      for (const member of members(bytes, object.at, end)) {
        if (isRecordsArray(bytes, member.value, end)) return { path: [...object.path, member.key], dataStart: member.value + 1 };
        if (bytes[member.value] === LBRACE) next.push({ at: member.value, path: [...object.path, member.key] });
      }
    }
    level = next;
  }
  return null;
}

const TAIL_BYTES = 4096;
const SCAN_BLOCK = 4 * 1024 * 1024;

/**
 * File offset of the `]` that closes the records array opened just before `dataStart`, `depth`
 * objects deep. Usually the array is the envelope's last value and the file ends `] } }`: read
 * from the tail. Otherwise (keys after the array) the file is scanned forward from dataStart for
 * the bracket that closes it. The file's size when it never closes (a truncated file: its last
 * record is then a reject, as for a top-level array).
 */
export async function recordsArrayEnd(file: FileHandle, size: number, dataStart: number, depth: number): Promise<number> {
  const length = Math.min(size - dataStart, TAIL_BYTES);
  const tail = Buffer.alloc(length);
  await file.read(tail, 0, length, size - length);
  let i = length - 1;
  let closed = 0;
  for (; i >= 0; i--) {
    if (isWhitespace(tail[i])) continue;
    if (tail[i] === RBRACE && closed < depth) { closed++; continue; }
    break;
  }
  if (closed === depth && i >= 0 && tail[i] === RBRACKET) return size - length + i;
  // A forward scan: strings skipped (escapes and all), brackets counted from inside the array.
  let nesting = 0;
  let inString = false;
  let escaped = false;
  const block = Buffer.alloc(SCAN_BLOCK);
  for (let position = dataStart; position < size; position += SCAN_BLOCK) {
    const { bytesRead } = await file.read(block, 0, Math.min(SCAN_BLOCK, size - position), position);
    for (let k = 0; k < bytesRead; k++) {
      const c = block[k];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) {
        inString = true;
      } else if (c === LBRACE || c === LBRACKET) {
        nesting++;
      } else if (c === RBRACE || c === RBRACKET) {
        if (nesting === 0) return position + k;
        nesting--;
      }
    }
    if (bytesRead === 0) break;
  }
  return size;
}
