import { readdir, readFile } from 'node:fs/promises';
import type pg from 'pg';
import { SluiceError } from '../errors.js';

/** Where the numbered migrations live: `sql/` at the package root. */
export const MIGRATIONS_DIR = new URL('../../../sql/', import.meta.url);

/**
 * Applies `sql/NNN_name.sql` files in order, each once, each in its own transaction, recorded in
 * ingest.schema_migrations. An advisory lock makes several Sluice processes starting together
 * apply them once.
 */
export async function migrate(client: pg.ClientBase, dir: URL = MIGRATIONS_DIR): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  const applied: string[] = [];
  await client.query('SELECT pg_advisory_lock(hashtext($1))', ['sluice:migrate']);
  try {
    await client.query('CREATE SCHEMA IF NOT EXISTS ingest');
    await client.query(`CREATE TABLE IF NOT EXISTS ingest.schema_migrations (
      name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM ingest.schema_migrations')).rows.map((r) => r.name));
    for (const file of files) {
      if (done.has(file)) continue;
      const sql = await readFile(new URL(file, dir), 'utf8');
      try {
        await client.query('BEGIN');
        await client.query(sql);
        await client.query('INSERT INTO ingest.schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw new SluiceError('SLUICE_ERR_DATABASE_MIGRATE', `migration ${file} failed: ${(error as Error).message}`, { cause: error });
      }
      applied.push(file);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(hashtext($1))', ['sluice:migrate']);
  }
  return applied;
}
