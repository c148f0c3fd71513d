import type pg from 'pg';

/**
 * The catalog's entries as the API shows them, and the changes users make to them. A soft-deleted
 * entry is invisible here (as if it did not exist) until a load registers it again (register.ts).
 * Every value reaches SQL as a parameter.
 */

export type DatasetKind = 'file' | 'staging' | 'timeseries' | 'features' | 'external';
export const DATASET_KINDS: readonly DatasetKind[] = ['file', 'staging', 'timeseries', 'features', 'external'];

export interface CatalogColumn {
  name: string;
  type?: string;
  source?: string;
  [detail: string]: unknown;
}

export interface CatalogEntry {
  id: number;
  name: string;
  kind: DatasetKind;
  dataset: string;
  tables: string[];
  format: string | null;
  columns: CatalogColumn[];
  row_count: number | null;
  quality_score: number | null;
  /** The first timestamptz/date column and the range of its values; null without one. */
  time_range: { column: string; min: string | null; max: string | null } | null;
  tags: string[];
  description: string | null;
  owner: string | null;
  /** The run (UUID v7) of the load that last registered it. */
  run_id: string | null;
  /** For a file: how it was read (path, format, encoding, delimiter, header). */
  schema: unknown;
  created_at: string;
  updated_at: string;
}

/** An entry's key in a URL: its numeric id, or its name (`staging.sales`). */
export type EntryKey = { id: number } | { name: string };

export function entryKey(text: string): EntryKey {
  return /^[1-9]\d{0,15}$/.test(text) ? { id: Number(text) } : { name: text };
}

export const ENTRY_COLUMNS = `d.id, d.name, d.kind, d.dataset, d.tables, d.format, d.columns, d.row_count, d.quality_score, d.time_column,
  d.time_min, d.time_max, d.tags, d.description, d.owner, d.run_id, d.schema, d.created_at, d.updated_at`;

export interface EntryRow {
  id: string | number;
  name: string;
  kind: DatasetKind;
  dataset: string;
  tables: string[];
  format: string | null;
  columns: CatalogColumn[];
  row_count: string | number | null;
  quality_score: number | null;
  time_column: string | null;
  time_min: Date | null;
  time_max: Date | null;
  tags: string[];
  description: string | null;
  owner: string | null;
  run_id: string | null;
  schema: unknown;
  created_at: Date;
  updated_at: Date;
}

export function toEntry(row: EntryRow): CatalogEntry {
  return {
    id: Number(row.id), name: row.name, kind: row.kind, dataset: row.dataset, tables: row.tables, format: row.format, columns: row.columns,
    row_count: row.row_count === null ? null : Number(row.row_count), quality_score: row.quality_score,
    time_range: row.time_column === null ? null : { column: row.time_column, min: row.time_min?.toISOString() ?? null, max: row.time_max?.toISOString() ?? null },
    tags: row.tags, description: row.description, owner: row.owner, run_id: row.run_id, schema: row.schema,
    created_at: row.created_at.toISOString(), updated_at: row.updated_at.toISOString(),
  };
}

function keyCondition(key: EntryKey, first: number): { sql: string; params: unknown[] } {
  return 'id' in key ? { sql: `d.id = $${first}`, params: [key.id] } : { sql: `d.name = $${first}`, params: [key.name] };
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export async function listEntries(pool: pg.Pool, query: { limit: number; offset: number; tags: string[]; kind: DatasetKind | null }): Promise<Page<CatalogEntry>> {
  const where = `d.deleted_at IS NULL AND d.tags @> $1::text[] AND ($2::text IS NULL OR d.kind = $2)`;
  const params = [query.tags, query.kind];
  const [rows, count] = await Promise.all([
    pool.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM metadata_datasets d WHERE ${where} ORDER BY d.updated_at DESC, d.id DESC LIMIT $3 OFFSET $4`,
      [...params, query.limit, query.offset]),
    pool.query<{ total: number }>(`SELECT count(*)::float8 AS total FROM metadata_datasets d WHERE ${where}`, params),
  ]);
  return { items: rows.rows.map(toEntry), total: count.rows[0].total, limit: query.limit, offset: query.offset };
}

export async function getEntry(pool: pg.Pool, key: EntryKey): Promise<CatalogEntry | null> {
  const condition = keyCondition(key, 1);
  const found = await pool.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM metadata_datasets d WHERE ${condition.sql} AND d.deleted_at IS NULL`, condition.params);
  return found.rows.length === 0 ? null : toEntry(found.rows[0]);
}

export interface NewEntry {
  name: string;
  kind: DatasetKind;
  dataset?: string;
  tables?: string[];
  format?: string | null;
  columns?: CatalogColumn[];
  tags?: string[];
  description?: string | null;
  owner?: string | null;
}

/**
 * Registers an entry; null when the name is taken by a live entry. A soft-deleted entry of that
 * name is replaced (created again, with a new creation time).
 */
export async function createEntry(pool: pg.Pool, entry: NewEntry): Promise<CatalogEntry | null> {
  const created = await pool.query<EntryRow>(
    `INSERT INTO metadata_datasets AS d (name, kind, dataset, tables, format, columns, tags, description, owner)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (name) DO UPDATE SET kind = EXCLUDED.kind, dataset = EXCLUDED.dataset, tables = EXCLUDED.tables, format = EXCLUDED.format,
       columns = EXCLUDED.columns, tags = EXCLUDED.tags, description = EXCLUDED.description, owner = EXCLUDED.owner,
       schema = NULL, row_count = NULL, quality_score = NULL, time_column = NULL, time_min = NULL, time_max = NULL, run_id = NULL,
       deleted_at = NULL, created_at = now(), updated_at = now()
       WHERE d.deleted_at IS NOT NULL
     RETURNING ${ENTRY_COLUMNS}`,
    [entry.name, entry.kind, entry.dataset ?? entry.name, entry.tables ?? [], entry.format ?? null, JSON.stringify(entry.columns ?? []),
      uniqueTags(entry.tags ?? []), entry.description ?? null, entry.owner ?? null]);
  return created.rows.length === 0 ? null : toEntry(created.rows[0]);
}

/** What a user may change of an entry; a key left out stays as it is. */
export interface EntryPatch {
  tags?: string[];
  description?: string | null;
  owner?: string | null;
}

export async function updateEntry(pool: pg.Pool, key: EntryKey, patch: EntryPatch): Promise<CatalogEntry | null> {
  const condition = keyCondition(key, 4);
  const updated = await pool.query<EntryRow>(
    `UPDATE metadata_datasets d SET
       tags = coalesce($1::text[], d.tags),
       description = CASE WHEN $2::boolean THEN $5 ELSE d.description END,
       owner = CASE WHEN $3::boolean THEN $6 ELSE d.owner END,
       updated_at = now()
     WHERE ${condition.sql} AND d.deleted_at IS NULL
     RETURNING ${ENTRY_COLUMNS}`,
    [patch.tags === undefined ? null : uniqueTags(patch.tags), 'description' in patch, 'owner' in patch, ...condition.params, patch.description ?? null, patch.owner ?? null]);
  return updated.rows.length === 0 ? null : toEntry(updated.rows[0]);
}

/** Soft-deletes an entry; false when there is no live entry with that key. */
export async function deleteEntry(pool: pg.Pool, key: EntryKey): Promise<boolean> {
  const condition = keyCondition(key, 1);
  const deleted = await pool.query(`UPDATE metadata_datasets d SET deleted_at = now(), updated_at = now() WHERE ${condition.sql} AND d.deleted_at IS NULL`, condition.params);
  return (deleted.rowCount ?? 0) > 0;
}

function uniqueTags(tags: readonly string[]): string[] {
  return [...new Set(tags)].sort();
}
