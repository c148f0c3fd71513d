import pg from 'pg';
import type { DatasetConfig } from '../configuration/config-schema.js';
import { readingFileRows } from '../sink/file-rows-index.js';
import { qualifiedTable } from '../sink/staging-table.js';
import type { FileSummary } from '../summary.js';

/**
 * Records a completed load in the catalog, in one transaction:
 *
 *   file:<sha256>  ──loaded_into (run id)──▶  staging.<dataset>
 *   (dialect, columns as headed)               (tables, format, columns, rows, quality, time range,
 *                                               tags, description, owner)
 *
 * Both entries are un-deleted: a load is the one thing that brings back a dataset deleted through
 * the API. Tags, description and owner set through the API are kept; the configuration's
 * `catalog` keys, when set, are written at every load (tags added to those already there).
 */
export interface StagingLoad {
  fileId: number;
  /** The engine's run id of this load (file.started); null when loaded outside an engine run. */
  runId: string | null;
  summary: FileSummary;
  datasetConfig?: DatasetConfig;
}

const TIME_TYPES = new Set(['timestamp with time zone', 'date']);

export async function registerStagingLoad(client: pg.ClientBase, load: StagingLoad): Promise<void> {
  const { summary, runId } = load;
  if (summary.table === null || summary.dataset === null || summary.sha256 === null) return;
  const fileName = `file:${summary.sha256}`;
  const catalog = load.datasetConfig?.catalog;
  await client.query('BEGIN');
  try {
    await client.query(
      `INSERT INTO metadata_datasets (name, kind, dataset, schema, columns, format, row_count, run_id, description)
       VALUES ($1, 'file', $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (name) DO UPDATE SET schema = EXCLUDED.schema, columns = EXCLUDED.columns, format = EXCLUDED.format,
         row_count = EXCLUDED.row_count, run_id = EXCLUDED.run_id, deleted_at = NULL, updated_at = now()`,
      [fileName, summary.dataset,
        JSON.stringify({ path: summary.file, format: summary.format, encoding: summary.encoding, delimiter: summary.delimiter, header: summary.header }),
        JSON.stringify(summary.columns), summary.format,
        // A workbook's sheets share the file entry; its rows are the sheets' tables'.
        summary.sheet === null ? summary.rows : null, runId, `source file ${summary.file}`]);

    const totals = await client.query<{ rows: number; loads: number }>(
      `SELECT coalesce(sum(rows), 0)::float8 AS rows, count(*)::int AS loads FROM ingest.files WHERE dataset = $1 AND status = 'loaded'`, [summary.dataset]);
    const range = await timeRange(client, load, totals.rows[0].loads);
    await client.query(
      `INSERT INTO metadata_datasets AS d (name, kind, dataset, schema, columns, tables, format, row_count, quality_score,
                                           time_column, time_min, time_max, run_id, tags, description, owner)
       VALUES ($1, 'staging', $2, $3, $4, ARRAY[$1], $5, $6, $7, $8, $9, $10, $11, $12, coalesce($13, $14), $15)
       ON CONFLICT (name) DO UPDATE SET
         kind = EXCLUDED.kind, schema = EXCLUDED.schema, columns = EXCLUDED.columns, format = EXCLUDED.format, row_count = EXCLUDED.row_count,
         tables = CASE WHEN $1 = ANY(d.tables) THEN d.tables ELSE d.tables || $1 END,
         quality_score = coalesce(EXCLUDED.quality_score, d.quality_score),
         time_column = EXCLUDED.time_column, time_min = EXCLUDED.time_min, time_max = EXCLUDED.time_max,
         run_id = EXCLUDED.run_id,
         tags = ARRAY(SELECT DISTINCT unnest(d.tags || EXCLUDED.tags) ORDER BY 1),
         description = coalesce($13, d.description), owner = coalesce($15, d.owner),
         deleted_at = NULL, updated_at = now()`,
      [summary.table, summary.dataset, JSON.stringify({ columns: summary.columns }), JSON.stringify(summary.columns), summary.format,
        totals.rows[0].rows, summary.quality?.score ?? null, range?.column ?? null, range?.min ?? null, range?.max ?? null, runId,
        [...new Set(catalog?.tags ?? [])].sort(), catalog?.description ?? null, `typed rows of dataset ${summary.dataset}, with _file/_offset provenance`, catalog?.owner ?? null]);

    await client.query(
      `INSERT INTO metadata_lineage (source, target, relation, file_id, run_id) VALUES ($1, $2, 'loaded_into', $3, $4)
       ON CONFLICT (source, target, relation) DO UPDATE SET file_id = EXCLUDED.file_id, run_id = EXCLUDED.run_id, created_at = now()`,
      [fileName, summary.table, load.fileId, runId]);
    await registerSeriesTables(client, load);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/**
 * The time-series pass's tables (when it ran): timeseries.<dataset> and features.<dataset> in the
 * catalog (kinds `timeseries` and `features`, with their columns as PostgreSQL has them and the
 * time column, keys and interval in the schema), and the lineage staging → timeseries → features.
 */
async function registerSeriesTables(client: pg.ClientBase, load: StagingLoad): Promise<void> {
  const series = load.summary.timeseries;
  if (series === null || !series.detected || series.tables.length !== 2) return;
  const [timeseries, features] = series.tables;
  const schema = JSON.stringify({ time_column: series.time_column, keys: series.keys, values: series.values, interval: series.interval });
  const entries: Array<[string, 'timeseries' | 'features', string]> = [
    [timeseries, 'timeseries', `time series of dataset ${load.summary.dataset}: normalised to UTC, gap-filled (is_imputed), flagged (is_anomaly, anomaly_score)`],
    [features, 'features', `features of the series of dataset ${load.summary.dataset}: rolling statistics, EWMA, lags, differences, rate of change, calendar parts`],
  ];
  for (const [name, kind, description] of entries) {
    await client.query(
      `INSERT INTO metadata_datasets AS d (name, kind, dataset, schema, columns, tables, time_column, run_id, description)
       VALUES ($1, $2, $3, $4,
               coalesce((SELECT jsonb_agg(jsonb_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) ORDER BY a.attnum)
                           FROM pg_attribute a WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped), '[]'),
               ARRAY[$1], $5, $6, $7)
       ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, schema = EXCLUDED.schema, columns = EXCLUDED.columns, time_column = EXCLUDED.time_column,
         run_id = EXCLUDED.run_id, deleted_at = NULL, updated_at = now()`,
      [name, kind, load.summary.dataset, schema, series.time_column, load.runId, description]);
  }
  for (const [source, target, relation] of [[load.summary.table, timeseries, 'processed_into'], [timeseries, features, 'derived_into']]) {
    await client.query(
      `INSERT INTO metadata_lineage (source, target, relation, file_id, run_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (source, target, relation) DO UPDATE SET file_id = EXCLUDED.file_id, run_id = EXCLUDED.run_id, created_at = now()`,
      [source, target, relation, load.fileId, load.runId]);
  }
}

interface TimeRange {
  column: string;
  min: string | null;
  max: string | null;
}

/**
 * The range of the first timestamptz or date column over the whole table, without reading the
 * whole table at every load: this load's range (from its profile, else from its own rows) merged
 * with the range the catalog holds. Only when the time column changed (a new column, a widened
 * one) while other loads' rows are in the table is the table read in full.
 */
async function timeRange(client: pg.ClientBase, load: StagingLoad, loads: number): Promise<TimeRange | null> {
  const { summary } = load;
  const column = summary.columns.find((c) => TIME_TYPES.has(c.type));
  if (column === undefined) return null;
  const table = qualifiedTable(summary.dataset!);
  const name = pg.escapeIdentifier(column.name);
  const known = await client.query<{ time_column: string | null; time_min: string | null; time_max: string | null }>(
    `SELECT time_column, time_min::text, time_max::text FROM metadata_datasets WHERE name = $1`, [summary.table]);
  const previous = known.rows[0];
  if (previous?.time_column !== column.name && loads > 1) {
    const whole = await client.query<{ min: string | null; max: string | null }>(`SELECT min(${name})::timestamptz::text AS min, max(${name})::timestamptz::text AS max FROM ${table}`);
    return { column: column.name, ...whole.rows[0] };
  }
  const own = await loadRange(client, load, column.name, column.type);
  const merged = await client.query<{ min: string | null; max: string | null }>(
    `SELECT least($1::timestamptz, $2::timestamptz)::text AS min, greatest($3::timestamptz, $4::timestamptz)::text AS max`,
    [own.min, previous?.time_column === column.name ? previous.time_min : null, own.max, previous?.time_column === column.name ? previous.time_max : null]);
  return { column: column.name, ...merged.rows[0] };
}

/** This load's range of the column: its profile's min and max, else a look at its own rows. */
async function loadRange(client: pg.ClientBase, load: StagingLoad, column: string, type: string): Promise<{ min: string | null; max: string | null }> {
  const profiled = await client.query<{ min: string | null; max: string | null }>(
    `SELECT stats ->> 'min' AS min, stats ->> 'max' AS max FROM ingest.profiles WHERE file_id = $1 AND column_name = $2 AND column_type = $3`,
    [load.fileId, column, type]);
  if (profiled.rows.length > 0) return profiled.rows[0];
  const name = pg.escapeIdentifier(column);
  const own = await readingFileRows(client, () => client.query<{ min: string | null; max: string | null }>(
    `SELECT min(${name})::timestamptz::text AS min, max(${name})::timestamptz::text AS max FROM ${qualifiedTable(load.summary.dataset!)} WHERE _file = $1`, [load.fileId]));
  return own.rows[0];
}
