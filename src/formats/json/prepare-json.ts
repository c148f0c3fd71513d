import { randomUUID } from 'node:crypto';
import { extname } from 'node:path';
import type { Piscina } from 'piscina';
import { SluiceError } from '../../errors.js';
import { ColumnType } from '../../schema/column-type.js';
import type { FormatOverrides } from '../overrides.js';
import type { PreparedFile } from '../prepared-file.js';
import { columnNamesFor } from '../../schema/identifiers.js';
import { describeFormat } from '../../schema/value-format.js';
import { COMMA, QUOTE } from './json-scanner.js';
import { lastRowEndFor } from './row-boundary.js';
import { type JsonFileSniff, sniffJsonFile } from './sniff-file.js';
import type { JsonSniffColumn } from './sniffer.js';

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
 * A key the sample did not show is found by the chunk that holds it (EncodeLoad.lateKeys): the
 * loader adds its columns (`withLateColumns`) and loads the rest of the file with them. Keys found
 * once the loader stopped adding columns are counted, and the count is the summary's
 * `ignored_keys` (occurrences, in the chunks this run encoded). `label` names the input in
 * messages (`path` may be a spool copy).
 */
export async function prepareJson(
  piscina: Piscina, path: string, size: number, detected: 'json' | 'ndjson', overrides: FormatOverrides = {}, label = path,
): Promise<PreparedFile> {
  const extension = extname(path).toLowerCase();
  const jsonPath = overrides.jsonPath === undefined ? undefined : overrides.jsonPath.split('.').filter((key) => key !== '');
  const flattenDepth = flattenDepthFrom(overrides);
  const sniff = await sniffJsonFile(piscina, path, size, extension === '.ndjson' || extension === '.jsonl', flattenDepth, label, jsonPath);
  const types = overrides.types ?? {};

  // Workers add the keys they skip to the counter of the load's latest plan (a restarted
  // pipeline asks for a new plan, and its chunks are the ones that are written).
  const counter: { buffer?: SharedArrayBuffer } = {};
  const describe: PreparedFile['describe'] = {
    delimiter: null, quote: null, line_ending: null, header: null, confidence: { schema: sniff.result.schemaConfidence },
    ...(sniff.envelope === null ? {} : { json_path: sniff.envelope.join('.') }),
  };
  Object.defineProperty(describe, 'ignored_keys', {
    enumerable: true,
    get: () => (counter.buffer === undefined ? undefined : Number(Atomics.load(new BigInt64Array(counter.buffer), 0))),
  });
  const file: JsonFile = {
    ...sniff, format: sniff.layout === 'ndjson' && detected === 'ndjson' ? 'ndjson' : 'json', flattenDepth, types, counter, describe,
  };
  return preparedJson(file, sniff.result.columns.map((column) => withForcedType(column, types)));
}

/** What a JSON file's prepared forms share, whatever columns they have. */
interface JsonFile extends JsonFileSniff {
  format: 'json' | 'ndjson';
  flattenDepth: number;
  types: NonNullable<FormatOverrides['types']>;
  counter: { buffer?: SharedArrayBuffer };
  describe: PreparedFile['describe'];
}

/** The column with the type the user named for it (`types`, by name or JSON path), if any. */
function withForcedType(column: JsonSniffColumn, types: JsonFile['types']): JsonSniffColumn {
  const forced = types[column.name] ?? types[column.source];
  if (forced === undefined) return column;
  // A format read for another type than the one named does not apply: values are read as they are.
  return { ...column, type: ColumnType[forced], format: ColumnType[forced] === column.type ? column.format : null, confidence: 1 };
}

function preparedJson(file: JsonFile, columns: readonly JsonSniffColumn[]): PreparedFile {
  // Names the key set: a worker builds its key tables once per schema.
  const schemaKey = randomUUID();
  const columnFormats = columns.map((c) => c.format);
  const paths = columns.map((c) => c.path);
  const { layout, dataEnd, firstDataLine, flattenDepth } = file;
  return {
    format: file.format,
    encoding: 'utf-8',
    dataStart: file.dataStart,
    columns: columns.map(({ name, source, type, confidence, format }) => ({ name, source, type, confidence, format: format === null ? null : describeFormat(format) })),
    lastRowEnd: lastRowEndFor(layout),
    encodeTask: 'encodeJson',
    sampleValues: columns.map((c) => c.samples),
    encodePlan: ({ lateKeys, ...load }) => {
      const counters = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
      file.counter.buffer = counters;
      return { layout, schemaKey, paths, dataEnd, counters, columnFormats, ...(lateKeys === true ? { lateKeys: { flattenDepth } } : {}), ...load };
    },
    withLateColumns: (found) => {
      // Named after the columns there are, as the sniff names them: the same keys get the same names on a resume.
      const sources = [...columns.map((c) => c.path), ...found.map((c) => c.path)].map((p) => p.join('_'));
      const names = columnNamesFor(sources);
      // No sampled values: a late column's come from the chunk where this run met the key, which a
      // resume meets elsewhere, and the stages' baselines (profile origins, value anomalies) must
      // be the same for every chunk of one file.
      const added = found.map((c, i) => withForcedType({ ...c, name: names[columns.length + i], source: c.path.join('.'), samples: [] }, file.types));
      return preparedJson(file, [...columns, ...added]);
    },
    copyDelimiter: COMMA,
    copyQuote: QUOTE,
    firstDataLine: () => Promise.resolve(firstDataLine),
    describe: file.describe,
  };
}
