import { fnv1a } from '../batch/fnv1a.js';
import pg from 'pg';
import { ColumnType } from '../schema/column-type.js';
import { readBinaryCopy, readInt64, readTimestampMicros } from '../sink/binary-copy-reader.js';
import { readingFileRows } from '../sink/file-rows-index.js';
import { qualifiedTable } from '../sink/staging-table.js';
import { zonedToUtcMicros } from './local-time.js';
import type { NaiveTimes } from './naive-times.js';
import type { SeriesColumns } from './series-columns.js';
import { SeriesPoints } from './series-points.js';

/**
 * The second pass reads back what the file put in staging.<dataset> (ARCHITECTURE.md, "After the
 * last chunk"): its rows' keys, time, `_offset` and values, by binary COPY, grouped by key here.
 * No ORDER BY: sorting a million rows in PostgreSQL costs more than the workers sorting each
 * series, and the offsets keep file order for duplicates. Rows without a time or with a NULL key
 * belong to no series; they stay in staging and are counted.
 *
 * With a zone, the time values written without an offset are wall-clock times there, which
 * PostgreSQL read as UTC: each is moved to the instant it names in the zone (local-time.ts states
 * how an ambiguous or non-existent local time is resolved; both are counted). Staging no longer
 * shows which values had an offset: the zone stage recorded it while the file loaded
 * (NaiveTimes), and a value written with one keeps its instant.
 */

/** `timeseries.zone` and the rows whose time it applies to. */
export interface SeriesZone {
  name: string;
  naive: NaiveTimes;
}

export interface FileSeries {
  series: SeriesPoints[];
  /** Rows with a NULL time or key. */
  unkeyed: number;
  ambiguous: number;
  nonexistent: number;
}

/** A column's value read back as what the second pass works on: a timestamp, or a double. */
function timeExpression(name: string, type: number): string {
  const column = pg.escapeIdentifier(name);
  return type === ColumnType.date ? `(${column}::timestamp AT TIME ZONE 'UTC')` : column;
}

function groupFilter(keys: readonly string[], group: ReadOptions['group']): string {
  if (group === undefined || group.count <= 1 || keys.length === 0) return '';
  return ` AND abs(hashtext(ROW(${keys.join(', ')})::text) % ${Math.floor(group.count)}) = ${Math.floor(group.index)}`;
}


function findSeries(byHash: Map<number, SeriesPoints[]>, bytes: Uint8Array, start: number, end: number): SeriesPoints | undefined {
  const candidates = byHash.get(fnv1a(bytes, start, end));
  if (candidates === undefined) return undefined;
  const length = end - start;
  for (const points of candidates) {
    const key = points.keyFields;
    if (key.length !== length) continue;
    let k = 0;
    while (k < length && key[k] === bytes[start + k]) k++;
    if (k === length) return points;
  }
  return undefined;
}

export interface ReadOptions {
  /** Read only that many rows (in no particular order), to judge whether the rows are series at all. */
  limit?: number;
  /** Read only the series whose key hashes to `index` of `count` groups (each series whole in one). */
  group?: { count: number; index: number };
}

export async function readFileSeries(client: pg.ClientBase, dataset: string, fileId: number, columns: SeriesColumns, zone: SeriesZone | null, read: ReadOptions = {}): Promise<FileSeries> {
  const keys = columns.keys.map((k) => pg.escapeIdentifier(k.name));
  const values = columns.values.map((v) => `${pg.escapeIdentifier(v)}::float8`);
  const sql = `COPY (SELECT ${[...keys, timeExpression(columns.time, columns.timeType), '_offset', ...values].join(', ')}
                 FROM ${qualifiedTable(dataset)} WHERE _file = ${Number(fileId)}${groupFilter(keys, read.group)}${read.limit === undefined ? '' : ` LIMIT ${Math.floor(read.limit)}`}) TO STDOUT (FORMAT binary)`;
  const keyCount = keys.length;
  const valueCount = values.length;
  const byHash = new Map<number, SeriesPoints[]>();
  const result: FileSeries = { series: [], unkeyed: 0, ambiguous: 0, nonexistent: 0 };
  await readingFileRows(client, () => readBinaryCopy(client, sql, (tuple) => {
    const { bytes, starts, lengths } = tuple;
    let keyed = lengths[keyCount] === 8;
    for (let k = 0; k < keyCount && keyed; k++) keyed = lengths[k] >= 0;
    if (!keyed) { result.unkeyed++; return; }
    // The key fields with their length prefixes: from the first field's prefix to the time's.
    const keyStart = tuple.start + 2;
    const keyEnd = starts[keyCount] - 4;
    let points = findSeries(byHash, bytes, keyStart, keyEnd);
    if (points === undefined) {
      points = new SeriesPoints(Uint8Array.from(bytes.subarray(keyStart, keyEnd)), valueCount);
      const hash = fnv1a(bytes, keyStart, keyEnd);
      byHash.set(hash, [...(byHash.get(hash) ?? []), points]);
      result.series.push(points);
    }
    let time = readTimestampMicros(bytes, starts[keyCount]);
    const offset = readInt64(bytes, starts[keyCount + 1]);
    if (zone !== null && zone.naive.isNaive(offset)) {
      const local = zonedToUtcMicros(time, zone.name);
      time = local.micros;
      if (local.ambiguous) result.ambiguous++;
      if (local.nonexistent) result.nonexistent++;
    }
    const at = points.add(time, offset);
    for (let v = 0; v < valueCount; v++) {
      const f = keyCount + 2 + v;
      points.values[v][at] = lengths[f] === 8 ? bytes.readDoubleBE(starts[f]) : Number.NaN;
    }
  }));
  return result;
}
