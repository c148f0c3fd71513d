import { resolve } from 'node:path';
import type pg from 'pg';
import { normaliseIdentifier } from '../../schema/identifiers.js';
import { QUANTILE_KEYS } from '../../profile/quantile-sketch.js';
import type { QualitySummary } from '../../summary.js';
import type { ColumnFigures, FigureValue } from './column-profile.js';
import { formatTable, tableCell } from '../../text-table.js';

/**
 * A load's stored profile as `sluice profile` shows it: the dataset's latest load that has one (or
 * a given file's, by ledger id, path or URL as loaded), its columns' figures from ingest.profiles
 * in table order, and its quality from ingest.quality.
 */

export interface StoredProfile {
  dataset: string;
  file_id: number;
  file: string;
  loaded_at: string;
  rows: number;
  rejected: number;
  columns: ColumnFigures[];
  quality: QualitySummary;
}

export async function readStoredProfile(client: pg.ClientBase | pg.Pool, dataset: string, file?: string): Promise<StoredProfile | null> {
  const params: unknown[] = [dataset, normaliseIdentifier(dataset, dataset)];
  let which = '';
  if (file !== undefined) {
    params.push(file, resolve(file));
    which = 'AND (f.id::text = $3 OR f.source = $3 OR f.source = $4 OR f.path = $4)';
  }
  const found = await client.query<{ id: number; file: string; dataset: string; loaded_at: string; rows: number; rejected: number } & QualitySummary>(
    `SELECT f.id::float8 AS id, coalesce(f.source, f.path) AS file, f.dataset, coalesce(f.rows, 0)::float8 AS rows, coalesce(f.rejected, 0)::float8 AS rejected,
            to_char(coalesce(f.finished_at, f.created_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS loaded_at,
            q.completeness, q.uniqueness, q.validity, q.consistency, q.timeliness, q.accuracy, q.score
       FROM ingest.files f JOIN ingest.quality q ON q.file_id = f.id
      WHERE (f.dataset = $1 OR f.dataset = $2) ${which}
      ORDER BY coalesce(f.finished_at, f.created_at) DESC, f.id DESC LIMIT 1`, params);
  if (found.rows.length === 0) return null;
  const load = found.rows[0];
  const columns = await client.query<{ stats: ColumnFigures }>('SELECT stats FROM ingest.profiles WHERE file_id = $1 ORDER BY column_no, column_name', [load.id]);
  return {
    dataset: load.dataset, file_id: load.id, file: load.file, loaded_at: load.loaded_at, rows: load.rows, rejected: load.rejected,
    columns: columns.rows.map((r) => inPrintedOrder(r.stats)),
    quality: {
      completeness: load.completeness, uniqueness: load.uniqueness, validity: load.validity, consistency: load.consistency,
      timeliness: load.timeliness, accuracy: load.accuracy, score: load.score,
    },
  };
}

/** jsonb keeps keys shortest first: the figures again in the order ColumnFigures declares them, quantiles by rank. */
function inPrintedOrder(stats: ColumnFigures): ColumnFigures {
  const quantiles = stats.quantiles === null ? null : Object.fromEntries(QUANTILE_KEYS.map((k) => [k, stats.quantiles![k]])) as ColumnFigures['quantiles'];
  return {
    name: stats.name, type: stats.type, count: stats.count, nulls: stats.nulls, distinct: stats.distinct, distinct_exact: stats.distinct_exact,
    min: stats.min, max: stats.max, mean: stats.mean, stddev: stats.stddev, quantiles, top: stats.top, patterns: stats.patterns, text_length: stats.text_length,
  };
}

function shown(value: FigureValue | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toPrecision(6).replace(/\.?0+$/, '');
  return tableCell(String(value), 24);
}

/** A heading, a row per column (count, nulls, distinct, min, median, max, mean, stddev, most common value), then the six scores. */
export function formatStoredProfile(profile: StoredProfile): string {
  const heading = `${profile.dataset}: ${profile.file} (load ${profile.file_id}, ${profile.loaded_at}), ${profile.rows} rows, ${profile.rejected} rejected\n\n`;
  const rows = profile.columns.map((c) => [
    c.name, c.type, String(c.count), String(c.nulls), `${c.distinct_exact ? '' : '~'}${c.distinct}`, shown(c.min), shown(c.quantiles?.['0.5']), shown(c.max),
    shown(c.mean), shown(c.stddev), c.top === null || c.top.length === 0 ? '-' : `${shown(c.top[0].value)} (${c.top[0].count})`,
  ]);
  const columns = formatTable(['column', 'type', 'count', 'nulls', 'distinct', 'min', 'p50', 'max', 'mean', 'stddev', 'top'], rows);
  const q = profile.quality;
  const score = (v: number | null): string => (v === null ? 'not assessed' : v.toFixed(3));
  const quality = formatTable(['quality', 'score'], [
    ['completeness', score(q.completeness)], ['uniqueness', score(q.uniqueness)], ['validity', score(q.validity)],
    ['consistency', score(q.consistency)], ['timeliness', score(q.timeliness)], ['accuracy', score(q.accuracy)], ['score', score(q.score)],
  ]);
  return `${heading}${columns}\n${quality}`;
}
