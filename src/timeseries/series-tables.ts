import pg from 'pg';
import { postgresTypeName } from '../schema/column-type.js';
import { isPartitionSpan, type PartitionSpan, spanInterval, spansBetween, spanStart, nextSpanStart } from './partition-span.js';
import type { SeriesColumns } from './series-columns.js';

/**
 * timeseries.<dataset> (the processed series: time, keys and values under their staging names,
 * `is_imputed`, `is_anomaly`, `anomaly_score`, `_file`) and features.<dataset> (time, keys, one
 * column per feature, `_file`). With the TimescaleDB extension they are hypertables; without it,
 * tables partitioned by range of time, whose partitions are made as rows need them (`ensurePartitions`),
 * never a DEFAULT partition (a default partition holding rows blocks creating the partition they
 * belong to). timeseries.* has an index on (keys, time): the second pass reads each series' stored
 * tail by it, and users a series. features.* has none: an index costs PostgreSQL about as much as
 * the COPY of a narrow table (1M rows: 1.1 s more on 0.5 s, measured), its rows are found by
 * time (partition pruning) or joined to timeseries.* on (keys, time). A later load with a new value column adds it; a key column
 * staging widened is widened here too, so binary COPY's types always match.
 */

export interface SeriesTables {
  timeseries: string;
  features: string;
  /** As users write them (`timeseries.sensors`). */
  names: [string, string];
  span: PartitionSpan;
  timescale: boolean;
  /** Column lists for COPY, in the order the workers write them. */
  timeseriesColumns: string[];
  featureColumns: string[];
}

const COMMENT_PREFIX = 'sluice: time series; partition span ';

export async function timescaleInstalled(client: pg.ClientBase): Promise<boolean> {
  const { rows } = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
  return rows.length > 0;
}

function displayName(schema: string, dataset: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(dataset) ? `${schema}.${dataset}` : `${schema}.${pg.escapeIdentifier(dataset)}`;
}

export async function ensureSeriesTables(
  client: pg.ClientBase, dataset: string, columns: SeriesColumns, features: readonly { name: string; type: 'double precision' | 'integer' }[], span: PartitionSpan,
): Promise<SeriesTables> {
  const timescale = await timescaleInstalled(client);
  const time = pg.escapeIdentifier(columns.time);
  const keyDefs = columns.keys.map((k) => ({ name: k.name, type: postgresTypeName(k.type) }));
  const timeseriesDefs = [
    { name: columns.time, type: 'timestamp with time zone' }, ...keyDefs,
    ...columns.values.map((name) => ({ name, type: 'double precision' })),
    { name: 'is_imputed', type: 'boolean' }, { name: 'is_anomaly', type: 'boolean' }, { name: 'anomaly_score', type: 'double precision' }, { name: '_file', type: 'bigint' },
  ];
  const featureDefs = [{ name: columns.time, type: 'timestamp with time zone' }, ...keyDefs, ...features, { name: '_file', type: 'bigint' }];
  const tables: SeriesTables = {
    timeseries: `timeseries.${pg.escapeIdentifier(dataset)}`, features: `features.${pg.escapeIdentifier(dataset)}`,
    names: [displayName('timeseries', dataset), displayName('features', dataset)], span, timescale,
    timeseriesColumns: timeseriesDefs.map((d) => d.name), featureColumns: featureDefs.map((d) => d.name),
  };
  const spans: PartitionSpan[] = [];
  for (const [table, defs, indexed] of [[tables.timeseries, timeseriesDefs, true], [tables.features, featureDefs, false]] as const) {
    spans.push(await ensureTable(client, table, defs, columns, time, span, timescale, indexed));
  }
  // The span a table was made with wins over the one this load would choose.
  tables.span = spans[0];
  return tables;
}

async function ensureTable(
  client: pg.ClientBase, table: string, defs: ReadonlyArray<{ name: string; type: string }>, columns: SeriesColumns, time: string, span: PartitionSpan, timescale: boolean, indexed: boolean,
): Promise<PartitionSpan> {
  const existing = await client.query<{ name: string; type: string; comment: string | null }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, obj_description(a.attrelid, 'pg_class') AS comment
       FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`, [table]);
  if (existing.rows.length === 0) {
    const notNull = new Set([columns.time, ...columns.keys.map((k) => k.name), 'is_imputed', 'is_anomaly', '_file']);
    const body = defs.map((d) => `${pg.escapeIdentifier(d.name)} ${d.type}${notNull.has(d.name) ? ' NOT NULL' : ''}`).join(', ');
    await client.query(`CREATE TABLE ${table} (${body})${timescale ? '' : ` PARTITION BY RANGE (${time})`}`);
    if (timescale) {
      await client.query(`SELECT create_hypertable($1::regclass, $2::name, chunk_time_interval => $3::interval)`, [table, columns.time, spanInterval(span)]);
    }
    if (indexed) {
      const keys = columns.keys.map((k) => pg.escapeIdentifier(k.name));
      await client.query(`CREATE INDEX ON ${table} (${[...keys, time].join(', ')})`);
    }
    await client.query(`COMMENT ON TABLE ${table} IS ${pg.escapeLiteral(COMMENT_PREFIX + span)}`);
    return span;
  }
  const have = new Map(existing.rows.map((r) => [r.name, r.type]));
  for (const d of defs) {
    const type = have.get(d.name);
    if (type === undefined) await client.query(`ALTER TABLE ${table} ADD COLUMN ${pg.escapeIdentifier(d.name)} ${d.type}`);
    else if (type !== d.type && columns.keys.some((k) => k.name === d.name)) {
      await client.query(`ALTER TABLE ${table} ALTER COLUMN ${pg.escapeIdentifier(d.name)} TYPE ${d.type} USING ${pg.escapeIdentifier(d.name)}::${d.type}`);
    }
  }
  const comment = existing.rows[0].comment ?? '';
  const stored = comment.startsWith(COMMENT_PREFIX) ? comment.slice(COMMENT_PREFIX.length) : '';
  return isPartitionSpan(stored) ? stored : span;
}

/** A partition's name: the table's, cut to leave room, and the span's first day. */
function partitionName(dataset: string, startMs: number): string {
  const day = new Date(startMs).toISOString().slice(0, 10).replaceAll('-', '');
  return `${Buffer.from(dataset, 'utf8').subarray(0, 50).toString('utf8').replace(/\uFFFD+$/, '')}_p${day}`;
}

/**
 * Creates the partitions that rows from `fromMs` to `toMs` need, in both tables (none with
 * TimescaleDB, which makes its chunks itself). `made` remembers what this load created or found,
 * by span start: true when both are partitions of their tables (a table of that name that is not
 * — made by hand, or detached — gets no rows written into it directly: copyTargets).
 */
export async function ensurePartitions(client: pg.ClientBase, tables: SeriesTables, dataset: string, fromMs: number, toMs: number, made: Map<number, boolean>): Promise<void> {
  if (tables.timescale) return;
  for (const start of spansBetween(tables.span, fromMs, toMs)) {
    if (made.has(start)) continue;
    const end = nextSpanStart(tables.span, start);
    const bounds = `FOR VALUES FROM (${pg.escapeLiteral(new Date(start).toISOString())}) TO (${pg.escapeLiteral(new Date(end).toISOString())})`;
    const name = pg.escapeIdentifier(partitionName(dataset, start));
    for (const [schema, parent] of [['timeseries', tables.timeseries], ['features', tables.features]] as const) {
      await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.${name} PARTITION OF ${parent} ${bounds}`);
    }
    const { rows } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_inherits WHERE (inhrelid, inhparent) IN ((to_regclass($1), to_regclass($2)), (to_regclass($3), to_regclass($4)))`,
      [`timeseries.${name}`, tables.timeseries, `features.${name}`, tables.features]);
    made.set(start, rows[0].n === 2);
  }
}

/**
 * Where COPY writes rows from `fromMs` to `toMs`: the partition of each table when they all fall
 * in one that ensurePartitions found attached (nearly every flush: a month of rows per partition
 * by default), else the parents. The partition itself spares PostgreSQL finding each row's
 * partition: 1M rows of both tables cost its backend 1.95 s of CPU instead of 2.05 s.
 */
export function copyTargets(tables: SeriesTables, dataset: string, fromMs: number, toMs: number, made: ReadonlyMap<number, boolean>): { timeseries: string; features: string } {
  const start = spanStart(tables.span, fromMs);
  if (made.get(start) !== true || toMs >= nextSpanStart(tables.span, start)) return { timeseries: tables.timeseries, features: tables.features };
  const name = pg.escapeIdentifier(partitionName(dataset, start));
  return { timeseries: `timeseries.${name}`, features: `features.${name}` };
}
