import pg from 'pg';
import { ByteSink } from '../formats/byte-sink.js';
import { postgresTypeName } from '../schema/column-type.js';
import { BinaryCopyEncoder } from '../sink/binary-copy.js';
import { readBinaryCopy, readTimestampMicros } from '../sink/binary-copy-reader.js';
import { copyIn } from '../sink/copy-writer.js';
import type { SeriesColumns } from './series-columns.js';
import { contextPoints, type Interval, type SeriesOptions } from './series-options.js';
import type { SeriesPoints } from './series-points.js';
import type { SeriesTables } from './series-tables.js';

/**
 * What timeseries.<dataset> already holds for the series a file brings:
 *
 * - a reloaded range is replaced, not doubled: the stored rows of each series between the file's
 *   first and last time go (in features.* too) before the new rows are written;
 * - the stored tail (the last rows before the file's first time, as many as the windows, lags,
 *   EWMA and anomaly windows reach back: contextPoints) continues the series — its grid, features
 *   and anomaly window go on from there. Rows stored after the file's range keep their features.
 *
 * The series' keys and ranges go to a temporary table by binary COPY (the key fields as staging
 * gave them), so both are one statement whatever the number of series and the keys' types.
 */

export interface StoredTail {
  times: Float64Array;
  values: Float64Array[];
  imputed: Uint8Array;
}

const RANGES = 'pg_temp.sluice_series_ranges';
/**
 * Stored rows read per load at most, over all its series: a one-minute series' weekly seasonal
 * score reaches back four weeks (80,640 rows), and a thousand such series would be 80 million
 * rows. Past this share the tails are cut (each series gets MAX_TAIL_ROWS / series): the first
 * points of the continued series then see less seasonal history than one pass over both files.
 */
const MAX_TAIL_ROWS = 2_000_000;

function keyMatch(columns: SeriesColumns, alias: string): string {
  return columns.keys.map((k) => `${alias}.${pg.escapeIdentifier(k.name)} = r.${pg.escapeIdentifier(k.name)}`).join(' AND ') || 'true';
}

export async function clearReloadedRanges(client: pg.ClientBase, tables: SeriesTables, columns: SeriesColumns, series: readonly SeriesPoints[]): Promise<void> {
  const keyDefs = columns.keys.map((k) => `${pg.escapeIdentifier(k.name)} ${postgresTypeName(k.type)}`);
  await client.query(`DROP TABLE IF EXISTS ${RANGES}`);
  await client.query(`CREATE TEMP TABLE sluice_series_ranges (${[...keyDefs, 'lo timestamptz', 'hi timestamptz', 'series_no integer'].join(', ')}) ON COMMIT DROP`);
  const encoder = new BinaryCopyEncoder(new ByteSink(new Uint8Array(64 * 1024)));
  encoder.header();
  let from = Number.POSITIVE_INFINITY;
  let to = Number.NEGATIVE_INFINITY;
  series.forEach((points, s) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < points.length; i++) {
      const t = points.times[i];
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    from = Math.min(from, lo);
    to = Math.max(to, hi);
    encoder.row(columns.keys.length + 3);
    encoder.sink.pushBytes(points.keyFields, 0, points.keyFields.length);
    encoder.timestamptzMicros(lo);
    encoder.timestamptzMicros(hi);
    encoder.int4(s);
  });
  encoder.trailer();
  await copyIn(client, `COPY ${RANGES} FROM STDIN WITH (FORMAT binary)`, encoder.sink.view());
  await client.query(`ANALYZE ${RANGES}`);
  if (series.length === 0) return;
  const time = pg.escapeIdentifier(columns.time);
  // The load's whole range as constants too: the planner then scans only the partitions it covers
  // (features.* has no index; timeseries.* is found by its (keys, time) index either way).
  const bounds = [new Date(Math.floor(from / 1000)).toISOString(), new Date(Math.ceil(to / 1000)).toISOString()];
  for (const table of [tables.timeseries, tables.features]) {
    await client.query(`DELETE FROM ${table} t USING ${RANGES} r WHERE ${keyMatch(columns, 't')} AND t.${time} BETWEEN r.lo AND r.hi
                          AND t.${time} BETWEEN $1::timestamptz AND $2::timestamptz`, bounds);
  }
}

/** Per series (by index), the stored rows just before its range, oldest first; empty when none. */
export async function readStoredTails(
  client: pg.ClientBase, tables: SeriesTables, columns: SeriesColumns, seriesCount: number, options: SeriesOptions, interval: Interval | null,
): Promise<StoredTail[]> {
  const valueCount = columns.values.length;
  const empty = (): StoredTail => ({ times: new Float64Array(0), values: columns.values.map(() => new Float64Array(0)), imputed: new Uint8Array(0) });
  const tails = Array.from({ length: seriesCount }, empty);
  const stored = await client.query(`SELECT 1 FROM ${tables.timeseries} LIMIT 1`);
  if (stored.rows.length === 0) return tails;

  const limit = Math.max(1, Math.min(Math.floor(MAX_TAIL_ROWS / Math.max(1, seriesCount)), contextPoints(options, interval ?? { kind: 'fixed', micros: 1e6 })));
  const time = pg.escapeIdentifier(columns.time);
  const values = columns.values.map((v) => `t.${pg.escapeIdentifier(v)}`);
  const sql = `COPY (SELECT r.series_no, t.${time}, ${[...values, 't.is_imputed'].join(', ')} FROM ${RANGES} r
                 CROSS JOIN LATERAL (SELECT * FROM ${tables.timeseries} t WHERE ${keyMatch(columns, 't')} AND t.${time} < r.lo
                                     ORDER BY t.${time} DESC LIMIT ${limit}) t) TO STDOUT (FORMAT binary)`;
  const gathered = Array.from({ length: seriesCount }, () => ({ times: [] as number[], values: columns.values.map(() => [] as number[]), imputed: [] as number[] }));
  await readBinaryCopy(client, sql, ({ bytes, starts, lengths }) => {
    const into = gathered[bytes.readInt32BE(starts[0])];
    into.times.push(readTimestampMicros(bytes, starts[1]));
    for (let v = 0; v < valueCount; v++) into.values[v].push(lengths[2 + v] === 8 ? bytes.readDoubleBE(starts[2 + v]) : Number.NaN);
    into.imputed.push(bytes[starts[2 + valueCount]]);
  });
  // Read newest first (the LIMIT's order): reversed into time order.
  return gathered.map((g) => (g.times.length === 0 ? empty() : {
    times: Float64Array.from(g.times.reverse()), values: g.values.map((v) => Float64Array.from(v.reverse())), imputed: Uint8Array.from(g.imputed.reverse()),
  }));
}
