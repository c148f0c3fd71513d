import type pg from 'pg';
import { ColumnType } from '../schema/column-type.js';
import type { SeriesColumns } from './series-columns.js';
import type { SeriesPoints } from './series-points.js';
import type { WrittenSeries } from './run-series-tasks.js';

/**
 * Each anomaly event of the series becomes one ingest.anomalies row of kind `series`: `at` its
 * peak (the flagged point with the largest score), the value column, the value there, the score
 * and the method; `detail` has the series' keys, the event's first and last time and its points.
 * A completion that runs again replaces the rows an earlier attempt wrote (clearSeriesAnomalies first).
 */

export type KeyValue = string | number | boolean | null;

/** The key's values from its binary COPY fields (text, integer, bigint or boolean columns). */
export function keyValues(keyFields: Uint8Array, columns: SeriesColumns): KeyValue[] {
  const bytes = Buffer.from(keyFields.buffer, keyFields.byteOffset, keyFields.length);
  const out: KeyValue[] = [];
  let at = 0;
  for (const key of columns.keys) {
    const length = bytes.readInt32BE(at);
    at += 4;
    if (length < 0) { out.push(null); continue; }
    switch (key.type) {
      case ColumnType.int: out.push(bytes.readInt32BE(at)); break;
      case ColumnType.bigint: out.push(Number(bytes.readBigInt64BE(at))); break;
      case ColumnType.bool: out.push(bytes[at] === 1); break;
      default: out.push(bytes.toString('utf8', at, at + length));
    }
    at += length;
  }
  return out;
}

const iso = (micros: number): string => new Date(Math.floor(micros / 1000)).toISOString();

/** Removes the series anomaly rows an earlier attempt at completing the load wrote. */
export async function clearSeriesAnomalies(client: pg.ClientBase, fileId: number): Promise<void> {
  await client.query(`DELETE FROM ingest.anomalies WHERE file_id = $1 AND kind = 'series'`, [fileId]);
}

export async function recordSeriesAnomalies(client: pg.ClientBase, load: {
  dataset: string; fileId: number; columns: SeriesColumns; series: readonly SeriesPoints[]; events: WrittenSeries['events'];
}): Promise<void> {
  const { dataset, fileId, columns } = load;
  if (load.events.length === 0) return;
  const rows = load.events.map((e) => ({
    at: iso(e.peak), column_name: columns.values[e.column], value: String(e.value), score: Number.isFinite(e.score) ? e.score : null, method: e.method,
    detail: {
      keys: Object.fromEntries(columns.keys.map((k, i) => [k.name, keyValues(load.series[e.series].keyFields, columns)[i]])),
      start: iso(e.start), end: iso(e.end), points: e.points,
    },
  }));
  await client.query(
    `INSERT INTO ingest.anomalies (kind, dataset, file_id, at, column_name, value, score, method, detail)
     SELECT 'series', $1, $2, r.at, r.column_name, r.value, r.score, r.method, r.detail
       FROM jsonb_to_recordset($3::jsonb) AS r(at timestamptz, column_name text, value text, score float8, method text, detail jsonb)`,
    [dataset, fileId, JSON.stringify(rows)]);
}
