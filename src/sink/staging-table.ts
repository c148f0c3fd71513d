import pg from 'pg';
import { type ColumnTypeCode, columnTypeFromPostgres, postgresTypeName } from '../schema/column-type.js';
import { joinTypes } from '../schema/type-widening.js';
import { ensureFileRowsIndex } from './file-rows-index.js';

/**
 * `staging.<dataset>`: the typed rows of every file loaded into a dataset, plus provenance —
 * `_file` (ingest.files.id) and `_offset` (the row's byte offset in that file, unique per file).
 * Created on first use; a later file with new columns adds them. A column that exists keeps its
 * type, and rows are checked against that type — until a value needs a wider one: a table Sluice
 * created is widened (`widenStagingColumns`); one the user created keeps its types.
 */

/** Marks the tables Sluice created, which it may widen; a table without it was made by someone else. */
const OWNED_COMMENT = 'sluice: created by sluice load; columns widen when a value needs it';

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

/** A column of a dataset's table as PostgreSQL has it. */
export interface TableColumn {
  name: string;
  /** PostgreSQL type name (format_type). */
  type: string;
  nullable: boolean;
}

/** The table's columns in order, `_file` and `_offset` included; none when it does not exist. */
export async function tableColumns(client: pg.ClientBase | pg.Pool, dataset: string): Promise<TableColumn[]> {
  const { rows } = await client.query<TableColumn>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, NOT a.attnotnull AS nullable
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY a.attnum`, [qualifiedTable(dataset)]);
  return rows;
}

async function existingColumns(client: pg.ClientBase, dataset: string): Promise<Map<string, string>> {
  return new Map((await tableColumns(client, dataset)).map((c) => [c.name, c.type]));
}

function effectiveColumns(columns: readonly StagingColumn[], existing: Map<string, string>): StagingColumn[] {
  return columns.map((column) => {
    const current = existing.get(column.name);
    return current === undefined ? { ...column } : { name: column.name, type: columnTypeFromPostgres(current) };
  });
}

/** The types rows would be checked against, without changing anything (the table may not exist yet). */
export async function plannedColumns(client: pg.ClientBase, dataset: string, columns: readonly StagingColumn[]): Promise<StagingColumn[]> {
  return effectiveColumns(columns, await existingColumns(client, dataset));
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
    const existing = await existingColumns(client, dataset);
    if (existing.size === 0) {
      const definitions = ['_file bigint NOT NULL', '_offset bigint NOT NULL',
        ...columns.map((c) => `${pg.escapeIdentifier(c.name)} ${postgresTypeName(c.type)}`)];
      await client.query(`CREATE TABLE ${table} (${definitions.join(', ')})`);
      await client.query(`COMMENT ON TABLE ${table} IS ${pg.escapeLiteral(OWNED_COMMENT)}`);
      await ensureFileRowsIndex(client, table);
      await client.query('COMMIT');
      return columns.map((c) => ({ ...c }));
    }
    for (const column of columns) {
      if (!existing.has(column.name)) {
        await client.query(`ALTER TABLE ${table} ADD COLUMN ${pg.escapeIdentifier(column.name)} ${postgresTypeName(column.type)}`);
      }
    }
    const effective = effectiveColumns(columns, existing);
    if (await ownedTable(client, table)) await ensureFileRowsIndex(client, table);
    await client.query('COMMIT');
    return effective;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function ownedTable(client: pg.ClientBase, table: string): Promise<boolean> {
  const { rows } = await client.query<{ comment: string | null }>(`SELECT obj_description(to_regclass($1), 'pg_class') AS comment`, [table]);
  return rows[0].comment === OWNED_COMMENT;
}

/** Whether Sluice may widen the dataset's columns: it created the table, or the table does not exist yet. */
export async function stagingTableWidens(client: pg.ClientBase, dataset: string): Promise<boolean> {
  const result = await client.query<{ exists: boolean; comment: string | null }>(
    `SELECT to_regclass($1) IS NOT NULL AS exists, obj_description(to_regclass($1), 'pg_class') AS comment`, [qualifiedTable(dataset)]);
  const { exists, comment } = result.rows[0];
  return !exists || comment === OWNED_COMMENT;
}

export interface ColumnWidening {
  name: string;
  from: ColumnTypeCode;
  to: ColumnTypeCode;
}

/**
 * Widens the table's columns to hold `columns`' types (never narrows: a column already as wide or
 * wider stays, whoever widened it). One ALTER TABLE under the dataset's DDL lock; its ACCESS
 * EXCLUSIVE lock waits for the COPY transactions already open on the table — they commit on their
 * own, holding nothing this waits on — and COPYs that start meanwhile queue behind it. Rows already
 * loaded are converted by PostgreSQL's cast. Returns what changed.
 */
export async function widenStagingColumns(client: pg.ClientBase, dataset: string, columns: readonly StagingColumn[]): Promise<ColumnWidening[]> {
  const table = qualifiedTable(dataset);
  await client.query('BEGIN');
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice:ddl:${dataset}`]);
    // date → timestamptz reads midnight in the session's zone: UTC, as the writers read values.
    await client.query(`SET LOCAL TimeZone = 'UTC'`);
    const existing = await existingColumns(client, dataset);
    const changes: ColumnWidening[] = [];
    for (const column of columns) {
      const current = existing.get(column.name);
      if (current === undefined) continue;
      const from = columnTypeFromPostgres(current);
      const to = joinTypes(from, column.type);
      if (to !== from) changes.push({ name: column.name, from, to });
    }
    if (changes.length > 0) {
      const alters = changes.map(({ name, to }) => {
        const type = postgresTypeName(to);
        return `ALTER COLUMN ${pg.escapeIdentifier(name)} TYPE ${type} USING ${pg.escapeIdentifier(name)}::${type}`;
      });
      await client.query(`ALTER TABLE ${table} ${alters.join(', ')}`);
    }
    await client.query('COMMIT');
    return changes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
