import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import type { Piscina } from 'piscina';
import { SluiceError } from '../../errors.js';
import { ColumnType } from '../../schema/column-type.js';
import type { FormatOverrides } from '../overrides.js';
import type { PreparedFile } from '../prepared-file.js';
import { describeFormat } from '../../schema/value-format.js';
import { COMMA, QUOTE } from './json-scanner.js';
import { lastRowEndFor } from './row-boundary.js';
import { sniffJsonFile } from './sniff-file.js';

/** Nested objects become columns down to this many levels of path (`a.b.c` → `a_b_c`). */
export const DEFAULT_FLATTEN_DEPTH = 3;
const MAX_FLATTEN_DEPTH = 32;

function flattenDepthFrom(overrides: FormatOverrides): number {
  const depth = overrides.flattenDepth ?? DEFAULT_FLATTEN_DEPTH;
  if (!Number.isInteger(depth) || depth < 1 || depth > MAX_FLATTEN_DEPTH) {
    throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `flattenDepth must be an integer from 1 to ${MAX_FLATTEN_DEPTH}, got ${String(depth)}`);
  }
  return depth;
}

/**
 * A JSON or NDJSON file, sniffed (in a worker) and ready for the loader. JSON is UTF-8 (RFC 8259):
 * the CSV decisions (encoding, delimiter, quote, header) do not apply and are ignored; `types`
 * (by column name or JSON path) and `flattenDepth` do.
 *
 * Keys that the sample did not show are not loaded: they are counted, and the count is the
 * summary's `ignored_keys` (occurrences, in the chunks this run encoded). A JSON file sniffed again
 * may find them and add their columns. `label` names the input in messages (`path` may be a spool copy).
 */
export async function prepareJson(
  piscina: Piscina, path: string, size: number, detected: 'json' | 'ndjson', overrides: FormatOverrides = {}, label = path,
): Promise<PreparedFile> {
  const extension = extname(path).toLowerCase();
  const jsonPath = overrides.jsonPath === undefined ? undefined : overrides.jsonPath.split('.').filter((key) => key !== '');
  const sniff = await sniffJsonFile(piscina, path, size, extension === '.ndjson' || extension === '.jsonl', flattenDepthFrom(overrides), label, jsonPath);
  const types = overrides.types ?? {};
  const columns = sniff.result.columns.map((column) => {
    const forced = types[column.name] ?? types[column.source];
    if (forced === undefined) return column;
    // A format read for another type than the one named does not apply: values are read as they are.
    return { ...column, type: ColumnType[forced], format: ColumnType[forced] === column.type ? column.format : null, confidence: 1 };
  });
  const schemaKey = randomUUID();
  const columnFormats = columns.map((c) => c.format);
  const paths = columns.map((c) => c.path);
  const { layout, dataStart, dataEnd, firstDataLine } = sniff;

  // Workers add the keys they skip to the counter of the load's latest plan (a restarted
  // pipeline asks for a new plan, and its chunks are the ones that are written).
  let counters: SharedArrayBuffer | undefined;
  const describe: PreparedFile['describe'] = {
    delimiter: null, quote: null, line_ending: null, header: null, confidence: { schema: sniff.result.schemaConfidence },
    ...(sniff.envelope === null ? {} : { json_path: sniff.envelope.join('.') }),
  };
  Object.defineProperty(describe, 'ignored_keys', {
    enumerable: true,
    get: () => (counters === undefined ? undefined : Number(Atomics.load(new BigInt64Array(counters), 0))),
  });

  return {
    format: layout === 'ndjson' && detected === 'ndjson' ? 'ndjson' : 'json',
    encoding: 'utf-8',
    dataStart,
    columns: columns.map(({ name, source, type, confidence, format }) => ({ name, source, type, confidence, format: format === null ? null : describeFormat(format) })),
    lastRowEnd: lastRowEndFor(layout),
    encodeTask: 'encodeJson',
    sampleValues: columns.map((c) => c.samples),
    encodePlan: (load) => {
      counters = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
      return { layout, schemaKey, paths, dataEnd, counters, columnFormats, ...load };
    },
    copyDelimiter: COMMA,
    copyQuote: QUOTE,
    firstDataLine: () => Promise.resolve(firstDataLine),
    describe,
  };
}
