import { createHash } from 'node:crypto';
import type pg from 'pg';
import { registerFinisher, type FinishedLoad, type FinisherResult } from '../stages/load-finish.js';
import { tableColumns } from '../sink/staging-table.js';

/**
 * The schema registry (`ingest.schema_versions`): after every load, the staging table's columns
 * with the source each was read from in this file make the load's schema; a schema not seen
 * before for the dataset is a new version, numbered from 1, with what changed from the latest
 * version before it. The load's version and changes go to the summary (`schema_version`,
 * `schema_changes`) and to ingest.files.schema_version. Runs as a load finisher, in the
 * transaction that marks the file loaded, under a per-dataset lock so two loads finishing at once
 * number their versions one after the other.
 */

export interface SchemaColumn {
  name: string;
  /** PostgreSQL type name. */
  type: string;
  nullable: boolean;
  /** The header text or JSON key this load read the column from; null: this file had no such column. */
  source: string | null;
}

export type SchemaChangeKind = 'added' | 'widened' | 'missing' | 'returned' | 'source';

/**
 * `added`: a new column; `widened`: its type grew (from → to); `missing`: this file had no value
 * for it (loaded as NULL); `returned`: present again after a file without it; `source`: read from
 * another header than before (a mapping matched a renamed source; from → to).
 */
export interface SchemaChange {
  change: SchemaChangeKind;
  column: string;
  from: string | null;
  to: string | null;
}

export interface SchemaVersion {
  dataset: string;
  version: number;
  fingerprint: string;
  columns: SchemaColumn[];
  changes: SchemaChange[];
  file_id: number | null;
  file: string | null;
  created_at: string;
}

export function schemaFingerprint(columns: readonly SchemaColumn[]): string {
  return createHash('sha256').update(JSON.stringify(columns.map((c) => [c.name, c.type, c.nullable, c.source]))).digest('hex');
}

/** What changed from `before` (the dataset's latest version; none: the first) to `after`. */
export function schemaChanges(before: readonly SchemaColumn[] | null, after: readonly SchemaColumn[]): SchemaChange[] {
  if (before === null) return after.map((c) => ({ change: 'added', column: c.name, from: null, to: c.type }));
  const previous = new Map(before.map((c) => [c.name, c]));
  const changes: SchemaChange[] = [];
  for (const column of after) {
    const old = previous.get(column.name);
    if (old === undefined) { changes.push({ change: 'added', column: column.name, from: null, to: column.type }); continue; }
    if (old.type !== column.type) changes.push({ change: 'widened', column: column.name, from: old.type, to: column.type });
    if (old.source !== null && column.source === null) changes.push({ change: 'missing', column: column.name, from: old.source, to: null });
    else if (old.source === null && column.source !== null) changes.push({ change: 'returned', column: column.name, from: null, to: column.source });
    else if (old.source !== column.source) changes.push({ change: 'source', column: column.name, from: old.source, to: column.source });
  }
  return changes;
}

export async function recordSchemaVersion(load: FinishedLoad): Promise<FinisherResult> {
  const { client, dataset, fileId } = load;
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sluice:schema:${dataset}`]);
  const columns: SchemaColumn[] = (await tableColumns(client, dataset))
    .filter((c) => c.name !== '_file' && c.name !== '_offset')
    .map((c) => ({ ...c, source: load.sources.get(c.name) ?? null }));
  const fingerprint = schemaFingerprint(columns);
  const latest = await client.query<{ version: number; fingerprint: string; columns: SchemaColumn[] }>(
    'SELECT version, fingerprint, columns FROM ingest.schema_versions WHERE dataset = $1 ORDER BY version DESC LIMIT 1', [dataset]);
  const before = latest.rows[0];
  let version: number;
  let changes: SchemaChange[];
  if (before?.fingerprint === fingerprint) {
    version = before.version;
    changes = [];
  } else {
    changes = schemaChanges(before?.columns ?? null, columns);
    // A schema seen before (a column missing once, then back) is its old version again.
    const known = await client.query<{ version: number }>('SELECT version FROM ingest.schema_versions WHERE dataset = $1 AND fingerprint = $2', [dataset, fingerprint]);
    if (known.rows.length > 0) {
      version = known.rows[0].version;
    } else {
      version = (before?.version ?? 0) + 1;
      await client.query(
        'INSERT INTO ingest.schema_versions (dataset, version, fingerprint, columns, changes, file_id) VALUES ($1, $2, $3, $4, $5, $6)',
        [dataset, version, fingerprint, JSON.stringify(columns), JSON.stringify(changes), fileId]);
    }
  }
  await client.query('UPDATE ingest.files SET schema_version = $2 WHERE id = $1', [fileId, version]);
  return { summary: { schema_version: version, schema_changes: changes } };
}

registerFinisher({ name: 'schema', finish: recordSchemaVersion });

/** A dataset's versions, oldest first, with the path of the file that introduced each. */
export async function readSchemaVersions(client: pg.ClientBase | pg.Pool, dataset: string): Promise<SchemaVersion[]> {
  const { rows } = await client.query<SchemaVersion & { created_at: Date }>(
    `SELECT v.dataset, v.version, v.fingerprint, v.columns, v.changes, v.file_id::int AS file_id, f.path AS file, v.created_at
       FROM ingest.schema_versions v LEFT JOIN ingest.files f ON f.id = v.file_id
      WHERE v.dataset = $1 ORDER BY v.version`, [dataset]);
  return rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() }));
}

/** `sluice schema` as text: one block per version, its columns and what changed. */
export function formatSchemaVersions(dataset: string, versions: readonly SchemaVersion[]): string {
  if (versions.length === 0) return `no schema versions recorded for dataset ${dataset}\n`;
  const lines: string[] = [];
  for (const v of versions) {
    lines.push(`version ${v.version}  ${v.created_at}  ${v.file ?? '(file removed)'}`);
    for (const c of v.columns) lines.push(`  ${c.name.padEnd(24)} ${c.type.padEnd(26)} ${c.source === null ? '(not in the file)' : `from ${JSON.stringify(c.source)}`}`);
    if (v.changes.length > 0 && v.version > 1) {
      lines.push(`  changes: ${v.changes.map((c) => `${c.change} ${c.column}${c.from !== null || c.to !== null ? ` (${c.from ?? '—'} → ${c.to ?? '—'})` : ''}`).join('; ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
