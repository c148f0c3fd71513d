import pg from 'pg';
import { type ColumnTypeCode, columnTypeFromPostgres, postgresTypeName } from '../schema/column-type.js';

/**
 * `staging.<dataset>`: the typed rows of every file loaded into a dataset, plus provenance —
 * `_file` (ingest.files.id) and `_offset` (the row's byte offset in that file, unique per file).
 * Created on first use; a later file with new columns adds them. A column that exists keeps its
 * type, and rows are checked against that type (widening types is the schema registry's job).
 */

export interface StagingColumn {
  name: string;
  type: ColumnTypeCode;
}

export function qualifiedTable(dataset: string): string {
  return `staging.${pg.escapeIdentifier(dataset)}`;
}

/** The name users see and write (`staging.sales`), quoted only where needed. */
export function displayTable(dataset: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(dataset) ? `staging.${dataset}` : qualifiedTable(dataset);
}

async function existingColumns(client: pg.ClientBase, table: string): Promise<Map<string, string>> {
  const existing = await client.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`, [table]);
  return new Map(existing.rows.map((r) => [r.name, r.type]));
}

function effectiveColumns(columns: readonly StagingColumn[], existing: Map<string, string>): StagingColumn[] {
  return columns.map((column) => {
    const current = existing.get(column.name);
    return current === undefined ? { ...column } : { name: column.name, type: columnTypeFromPostgres(current) };
  });
}

/** The types rows would be checked against, without changing anything (the table may not exist yet). */
export async function plannedColumns(client: pg.ClientBase, dataset: string, columns: readonly StagingColumn[]): Promise<StagingColumn[]> {
  return effectiveColumns(columns, await existingColumns(client, qualifiedTable(dataset)));
}

export function sameColumns(a: readonly StagingColumn[], b: readonly StagingColumn[]): boolean {
  return a.length === b.length && a.every((column, i) => column.name === b[i].name && column.type === b[i].type);
}

/** Ensures the table has every column; returns the types rows must be checked against. */
export async function ensureStagingTable(client: pg.ClientBase, dataset: string, columns: readonly StagingColumn[]): Promise<StagingColumn[]> {
  const table = qualifiedTable(dataset);
  await client.query('BEGIN');
  try {
    // Two loads into one new dataset must not both try to create it.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice:ddl:${dataset}`]);
    const existing = await existingColumns(client, table);
    if (existing.size === 0) {
      const definitions = ['_file bigint NOT NULL', '_offset bigint NOT NULL',
        ...columns.map((c) => `${pg.escapeIdentifier(c.name)} ${postgresTypeName(c.type)}`)];
      await client.query(`CREATE TABLE ${table} (${definitions.join(', ')})`);
      await client.query('COMMIT');
      return columns.map((c) => ({ ...c }));
    }
    for (const column of columns) {
      if (!existing.has(column.name)) {
        await client.query(`ALTER TABLE ${table} ADD COLUMN ${pg.escapeIdentifier(column.name)} ${postgresTypeName(column.type)}`);
      }
    }
    const effective = effectiveColumns(columns, existing);
    await client.query('COMMIT');
    return effective;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
