import { type FileHandle, open } from 'node:fs/promises';
import type { Piscina } from 'piscina';
import { SluiceError, type SluiceErrorCode } from '../../errors.js';
import { isWhitespace, LBRACE, LBRACKET, LF, RBRACKET, skipWhitespace } from './json-scanner.js';
import { brokenRecordEnd, type JsonLayout, lastRowEndFor } from './row-boundary.js';
import type { JsonSniffTask, JsonSniffTaskResult } from './sniff-task.js';
import type { JsonSniffResult } from './sniffer.js';
import { findRecordsArray, recordsArrayEnd } from './records-array.js';

/**
 * The main-thread side of sniffing JSON: decide the layout from the first bytes, read a sample
 * that holds at least one whole record, and let a worker sniff it.
 *
 *   .ndjson / .jsonl            ndjson, whatever the content
 *   `[` first                   array: records are the elements; dataStart is just after the `[`,
 *                               dataEnd at the closing `]` (found from the end of the file)
 *   `{` first, ends on line 1   ndjson (a .json file of one object per line)
 *   `{` first, spans lines      sequence: one pretty-printed object, or several one after another
 *   `{` holding the whole file  array, when it holds an array of objects (an envelope such as
 *                               `{"data": [...]}`, or the array `--json-path` names): its elements
 *
 * The sample is the head of the file (1 MiB) and, for NDJSON, stretches spread through it — a
 * newline is always a record boundary there. An array's elements cannot be found from an arbitrary
 * offset (a `{` may be inside a string or a nested array), so an array is sampled from its head.
 */

const SNIFF_HEAD_BYTES = 1024 * 1024;
const SNIFF_SPOT_BYTES = 128 * 1024;
const SNIFF_SPOTS = 4;
/**
 * The head grows (doubling) until it holds a whole record, up to this — the default maxRowBytes: a
 * first record longer than that is refused here as the planner would refuse it later.
 */
const SNIFF_MAX_BYTES = 64 * 1024 * 1024;
const TAIL_BYTES = 4096;

export interface JsonFileSniff {
  layout: JsonLayout;
  /** The keys down to the records array when the records sit in an envelope object (records-array.ts). */
  envelope: string[] | null;
  dataStart: number;
  dataEnd: number;
  /** 1-based line of dataStart. */
  firstDataLine: number;
  result: JsonSniffResult;
}

async function readAt(file: FileHandle, length: number, position: number): Promise<{ buffer: SharedArrayBuffer; length: number }> {
  const buffer = new SharedArrayBuffer(Math.max(1, length));
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(new Uint8Array(buffer), done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return { buffer, length: done };
}

/** File offset of an array's closing `]`: the last byte that is not whitespace; the size if it is not a `]` (a truncated file). */
async function arrayDataEnd(file: FileHandle, size: number): Promise<number> {
  const length = Math.min(size, TAIL_BYTES);
  const tail = await readAt(file, length, size - length);
  const bytes = new Uint8Array(tail.buffer, 0, tail.length);
  let i = bytes.length - 1;
  while (i >= 0 && isWhitespace(bytes[i])) i--;
  return i >= 0 && bytes[i] === RBRACKET ? size - length + i : size;
}

function fail(code: SluiceErrorCode, message: string): never {
  throw new SluiceError(code, message);
}

/**
 * `declaredNdjson`: the file's name says NDJSON (.ndjson, .jsonl): one record per line, whatever
 * the content. `label`: the input as messages name it (`path` may be a spooled copy).
 */
export async function sniffJsonFile(piscina: Piscina, path: string, size: number, declaredNdjson: boolean, flattenDepth: number, label = path,
  jsonPath?: readonly string[]): Promise<JsonFileSniff> {
  const file = await open(path, 'r');
  try {
    let headLength = Math.min(size, SNIFF_HEAD_BYTES);
    let head = await readAt(file, headLength, 0);
    let bytes = Buffer.from(head.buffer, 0, head.length);
    if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
      fail('SLUICE_ERR_FORMAT_UNSUPPORTED', `${label}: JSON in UTF-16 is not supported (RFC 8259 JSON is UTF-8): convert it to UTF-8`);
    }
    const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;

    let layout: JsonLayout | undefined;
    let dataStart = bom;
    let envelope: string[] | null = null;
    for (;;) {
      const first = skipWhitespace(bytes, bom, bytes.length);
      const whole = bytes.length >= size;
      if (declaredNdjson) {
        layout = 'ndjson';
      } else if (first >= bytes.length) {
        // Nothing but whitespace so far (an empty file has no records).
        layout = whole ? 'ndjson' : undefined;
      } else if (bytes[first] === LBRACKET) {
        layout = 'array';
        dataStart = first + 1;
      } else if (bytes[first] === LBRACE) {
        const end = brokenRecordEnd(bytes, first, bytes.length, 'sequence');
        // One object holding the whole file (it does not end in the head, or nothing follows it)
        // may be an envelope around the records; so may any object a --json-path names.
        const alone = (end >= bytes.length && !whole) || (whole && skipWhitespace(bytes, end, bytes.length) >= bytes.length);
        const records = jsonPath !== undefined || alone ? findRecordsArray(bytes, first, bytes.length, jsonPath) : null;
        if (records !== null) {
          layout = 'array';
          dataStart = records.dataStart;
          envelope = records.path;
        } else if (jsonPath !== undefined && (end < bytes.length || whole)) {
          fail('SLUICE_ERR_FORMAT_JSON_INVALID', `${label}: no array at JSON path ${jsonPath.join('.')} in the top-level object`);
        } else if (end < bytes.length || whole) {
          const lf = bytes.indexOf(LF, first);
          layout = lf !== -1 && lf < end ? 'sequence' : 'ndjson';
        }
      } else {
        fail('SLUICE_ERR_FORMAT_JSON_INVALID', `${label}: expected a JSON array or object at byte ${first}, found ${JSON.stringify(String.fromCharCode(bytes[first]))}`);
      }
      // Enough: the layout is known and the head holds a whole record (or is the whole file).
      if (layout !== undefined && (whole || lastRowEndFor(layout)(bytes, dataStart, bytes.length) > 0)) break;
      if (headLength >= SNIFF_MAX_BYTES) {
        fail('SLUICE_ERR_FORMAT_ROW_TOO_LONG', `${label}: the first JSON record does not end within ${SNIFF_MAX_BYTES} bytes`);
      }
      headLength = Math.min(size, headLength * 2, SNIFF_MAX_BYTES);
      head = await readAt(file, headLength, 0);
      bytes = Buffer.from(head.buffer, 0, head.length);
    }

    const headIsWholeFile = bytes.length >= size;
    const dataEnd = layout !== 'array' ? size : envelope !== null ? await recordsArrayEnd(file, size, dataStart, envelope.length) : await arrayDataEnd(file, size);
    const spots: JsonSniffTask['spots'] = [];
    if (layout === 'ndjson' && size > headLength + 2 * SNIFF_SPOT_BYTES) {
      const positions = Array.from({ length: SNIFF_SPOTS }, (_, k) => Math.floor((size * (k + 1)) / (SNIFF_SPOTS + 1)));
      positions.push(size - SNIFF_SPOT_BYTES);
      for (const position of positions) {
        if (position < headLength) continue;
        spots.push({ ...await readAt(file, SNIFF_SPOT_BYTES, position), position });
      }
    }
    let firstDataLine = 1;
    for (let i = bytes.indexOf(LF); i !== -1 && i < dataStart; i = bytes.indexOf(LF, i + 1)) firstDataLine++;

    const task: JsonSniffTask = { head: head.buffer, headLength: head.length, headIsWholeFile, layout, dataStart, dataEnd, spots, flattenDepth };
    const outcome = await piscina.run(task, { name: 'sniffJson' }) as JsonSniffTaskResult;
    if (!outcome.ok) throw new SluiceError(outcome.error.code as SluiceErrorCode, `${label}: ${outcome.error.message}`);
    return { layout, envelope, dataStart, dataEnd, firstDataLine, result: outcome.result };
  } finally {
    await file.close();
  }
}
