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
 * What timeseries.<dataset> already holds for the series a file brings, per series:
 *
 * - a reloaded range is replaced, not doubled: the stored rows of each series between the file's
 *   first and last time go (in features.* too) before the new rows are written;
 * - the stored rows after the range whose features or anomaly scores reach back into it are
 *   computed again: the first contextPoints observed rows after it (the reach of the windows,
 *   lags, EWMA horizon and anomaly windows, as for a slice) go too, and come back as raw points
 *   of the file's task, which outputs them with the file's own; a row past them depends only on
 *   rows that did not change, so it stays;
 * - the span cleared never cuts a run of flagged rows (one anomaly event) or a filled gap in two:
 *   it reaches back over the flagged and imputed rows just before the range and on over the
 *   flagged rows just after its reach, so the events and the imputed rows there come out as one
 *   pass over the final points gives them; the series' events in ingest.anomalies within the span
 *   go with its rows;
 * - the stored tail (the last rows before the span, as many as the windows reach back:
 *   contextPoints) continues the series — its grid, features and anomaly window go on from there.
 *
 *   stored:  … tail ┊ flagged/imputed ┊ file's range ┊ ≤ contextPoints observed (+ flagged) ┊ kept …
 *                   └──────────────── cleared, computed again ──────────────────────────────┘
 *
 * The series' keys and ranges go to a temporary table by binary COPY (the key fields as staging
 * gave them), so each step is one statement whatever the number of series and the keys' types.
 */

export interface StoredTail {
  times: Float64Array;
  values: Float64Array[];
  imputed: Uint8Array;
}

/** Observed stored rows of a series within the cleared span, outside the file's range: computed again as raw points. */
export interface RestoredPoints {
  times: Float64Array;
  values: Float64Array[];
}

export interface StoredSeries {
  /** Per series (by index), the stored rows just before its cleared span, oldest first; empty when none. */
  tails: StoredTail[];
  /** Per series, the observed rows of its cleared span outside the file's range; empty when none. */
  restored: RestoredPoints[];
}

const RANGES = 'pg_temp.sluice_series_ranges';
/**
 * Stored rows read per load at most, over all its series, for the tails and again for the rows
 * after a reloaded range: a one-minute series' weekly seasonal score reaches back four weeks
 * (80,640 rows), and a thousand such series would be 80 million rows. Past this share the reach
 * is cut (each series gets MAX_TAIL_ROWS / series): the first points of the continued series then
 * see less seasonal history than one pass over both files, and the rows after a reloaded range
 * past the cut keep seasonal scores of the old points.
 */
const MAX_TAIL_ROWS = 2_000_000;

function keyMatch(columns: SeriesColumns, alias: string): string {
  return columns.keys.map((k) => `${alias}.${pg.escapeIdentifier(k.name)} = r.${pg.escapeIdentifier(k.name)}`).join(' AND ') || 'true';
}

/**
 * Clears what the file's series replace and returns what they go on from: the file's ranges to
 * the temporary table, each series' span to clear (bounded as the module comment says), the
 * observed rows of the span outside the file's range read back, the span deleted from both tables
 * and from the series' events, then the tails before the spans.
 */
export async function clearStoredSpans(
  client: pg.ClientBase, tables: SeriesTables, dataset: string, columns: SeriesColumns, series: readonly SeriesPoints[], options: SeriesOptions, interval: Interval | null,
): Promise<StoredSeries> {
  const empty: StoredSeries = {
    tails: series.map(() => ({ times: new Float64Array(0), values: columns.values.map(() => new Float64Array(0)), imputed: new Uint8Array(0) })),
    restored: series.map(() => ({ times: new Float64Array(0), values: columns.values.map(() => new Float64Array(0)) })),
  };
  await writeRanges(client, columns, series);
  if (series.length === 0) return empty;
  const stored = await client.query(`SELECT 1 FROM ${tables.timeseries} LIMIT 1`);
  if (stored.rows.length === 0) return empty;

  const reach = Math.max(1, Math.min(Math.floor(MAX_TAIL_ROWS / series.length), contextPoints(options, interval ?? { kind: 'fixed', micros: 1e6 })));
  await boundSpans(client, tables, columns, reach);
  const restored = await readRestoredPoints(client, tables, columns, series.length);
  await deleteSpans(client, tables, dataset, columns);
  const tails = await readTails(client, tables, columns, series.length, reach);
  return { tails, restored };
}

async function writeRanges(client: pg.ClientBase, columns: SeriesColumns, series: readonly SeriesPoints[]): Promise<void> {
  const keyDefs = columns.keys.map((k) => `${pg.escapeIdentifier(k.name)} ${postgresTypeName(k.type)}`);
  await client.query(`DROP TABLE IF EXISTS ${RANGES}`);
  // lo, hi: the file's first and last time; first, stop: the span cleared, [first, stop).
  await client.query(`CREATE TEMP TABLE sluice_series_ranges (${[...keyDefs, 'lo timestamptz', 'hi timestamptz', 'series_no integer', 'first timestamptz', 'stop timestamptz'].join(', ')}) ON COMMIT DROP`);
  const encoder = new BinaryCopyEncoder(new ByteSink(new Uint8Array(64 * 1024)));
  encoder.header();
  series.forEach((points, s) => {
    const { first, last } = points.span();
    encoder.row(columns.keys.length + 3);
    encoder.sink.pushBytes(points.keyFields, 0, points.keyFields.length);
    encoder.timestamptzMicros(first);
    encoder.timestamptzMicros(last);
    encoder.int4(s);
  });
  encoder.trailer();
  await copyIn(client, `COPY ${RANGES} (${[...columns.keys.map((k) => pg.escapeIdentifier(k.name)), 'lo', 'hi', 'series_no'].join(', ')}) FROM STDIN WITH (FORMAT binary)`, encoder.sink.view());
  await client.query(`ANALYZE ${RANGES}`);
}

/**
 * Each series' span: `first` the earliest of the flagged or imputed rows just before the file's
 * range (after its last observed, unflagged row before it), else the range's start; `stop` the
 * first unflagged row after the `reach`-th observed row after the range, else just past the
 * series' last row (the rest of it is within reach) — a finite end, so the delete's bounds prune
 * the partitions after it. All on the (keys, time) index: a few rows per series, and `reach`
 * after the range.
 */
async function boundSpans(client: pg.ClientBase, tables: SeriesTables, columns: SeriesColumns, reach: number): Promise<void> {
  const time = pg.escapeIdentifier(columns.time);
  const ts = tables.timeseries;
  await client.query(`UPDATE ${RANGES} r SET
      first = coalesce((SELECT min(t.${time}) FROM ${ts} t WHERE ${keyMatch(columns, 't')} AND t.${time} < r.lo
                           AND t.${time} > coalesce((SELECT u.${time} FROM ${ts} u WHERE ${keyMatch(columns, 'u')} AND u.${time} < r.lo AND NOT u.is_imputed AND NOT u.is_anomaly
                                                     ORDER BY u.${time} DESC LIMIT 1), '-infinity')), r.lo),
      stop = coalesce((SELECT min(t.${time}) FROM ${ts} t WHERE ${keyMatch(columns, 't')} AND NOT t.is_anomaly
                          AND t.${time} > (SELECT u.${time} FROM ${ts} u WHERE ${keyMatch(columns, 'u')} AND u.${time} > r.hi AND NOT u.is_imputed
                                            ORDER BY u.${time} OFFSET ${reach - 1} LIMIT 1)),
                      (SELECT max(t.${time}) FROM ${ts} t WHERE ${keyMatch(columns, 't')} AND t.${time} > r.hi) + interval '1 microsecond',
                      r.hi + interval '1 microsecond')`);
}

/** The observed rows of each span outside the file's range, in time order. */
async function readRestoredPoints(client: pg.ClientBase, tables: SeriesTables, columns: SeriesColumns, seriesCount: number): Promise<RestoredPoints[]> {
  const time = pg.escapeIdentifier(columns.time);
  return readStoredRows(client, columns, seriesCount, `SELECT * FROM ${tables.timeseries} t WHERE ${keyMatch(columns, 't')} AND NOT t.is_imputed
                                       AND ((t.${time} >= r.first AND t.${time} < r.lo) OR (t.${time} > r.hi AND t.${time} < r.stop)) ORDER BY t.${time}`);
}

/**
 * Per series (by series_no), the rows `rowsOf` (a subquery over timeseries.* as t, correlated
 * with the range r) gives, in its order.
 */
async function readStoredRows(client: pg.ClientBase, columns: SeriesColumns, seriesCount: number, rowsOf: string): Promise<StoredTail[]> {
  const valueCount = columns.values.length;
  const values = columns.values.map((v) => `t.${pg.escapeIdentifier(v)}`);
  const sql = `COPY (SELECT r.series_no, t.${pg.escapeIdentifier(columns.time)}, ${[...values, 't.is_imputed'].join(', ')} FROM ${RANGES} r
                 CROSS JOIN LATERAL (${rowsOf}) t) TO STDOUT (FORMAT binary)`;
  const gathered = Array.from({ length: seriesCount }, () => ({ times: [] as number[], values: columns.values.map(() => [] as number[]), imputed: [] as number[] }));
  await readBinaryCopy(client, sql, ({ bytes, starts, lengths }) => {
    const into = gathered[bytes.readInt32BE(starts[0])];
    into.times.push(readTimestampMicros(bytes, starts[1]));
    for (let v = 0; v < valueCount; v++) into.values[v].push(lengths[2 + v] === 8 ? bytes.readDoubleBE(starts[2 + v]) : Number.NaN);
    into.imputed.push(bytes[starts[2 + valueCount]]);
  });
  return gathered.map((g) => ({ times: Float64Array.from(g.times), values: g.values.map((v) => Float64Array.from(v)), imputed: Uint8Array.from(g.imputed) }));
}

async function deleteSpans(client: pg.ClientBase, tables: SeriesTables, dataset: string, columns: SeriesColumns): Promise<void> {
  const time = pg.escapeIdentifier(columns.time);
  // The spans' overall bounds as constants too: the planner then scans only the partitions they
  // cover (features.* has no index; timeseries.* is found by its (keys, time) index either way).
  // As PostgreSQL's own text, so the microseconds come back exactly.
  const { rows } = await client.query<{ from: string; to: string }>(`SELECT min(first)::text AS "from", max(stop)::text AS "to" FROM ${RANGES}`);
  const bounds = [rows[0].from, rows[0].to];
  for (const table of [tables.timeseries, tables.features]) {
    await client.query(`DELETE FROM ${table} t USING ${RANGES} r WHERE ${keyMatch(columns, 't')} AND t.${time} >= r.first AND t.${time} < r.stop
                          AND t.${time} BETWEEN $1::timestamptz AND $2::timestamptz`, bounds);
  }
  // An event's `at` is its peak in milliseconds, truncated: the span's start truncated the same way.
  const keys = columns.keys.map((k) => `${pg.escapeLiteral(k.name)}, r.${pg.escapeIdentifier(k.name)}`).join(', ');
  await client.query(`DELETE FROM ingest.anomalies a USING ${RANGES} r WHERE a.kind = 'series' AND a.dataset = $1 AND a.detail -> 'keys' = jsonb_build_object(${keys})
                        AND a.at >= date_trunc('milliseconds', r.first) AND a.at < r.stop`, [dataset]);
}

/** The last `limit` rows before each span, oldest first. */
async function readTails(client: pg.ClientBase, tables: SeriesTables, columns: SeriesColumns, seriesCount: number, limit: number): Promise<StoredTail[]> {
  const time = pg.escapeIdentifier(columns.time);
  const newestFirst = await readStoredRows(client, columns, seriesCount,
    `SELECT * FROM ${tables.timeseries} t WHERE ${keyMatch(columns, 't')} AND t.${time} < r.first ORDER BY t.${time} DESC LIMIT ${limit}`);
  // Read newest first (the LIMIT's order): reversed into time order.
  return newestFirst.map((g) => ({ times: g.times.reverse(), values: g.values.map((v) => v.reverse()), imputed: g.imputed.reverse() }));
}
