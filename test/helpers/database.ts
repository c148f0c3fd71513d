import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../../src/database/migrate.js';

/**
 * Tests run against a real PostgreSQL: `SLUICE_TEST_DATABASE_URL`, else the local server on
 * 127.0.0.1:5432. Each suite gets a database of its own, dropped afterwards, so suites never see
 * each other's tables.
 */
export const ADMIN_URL = process.env.SLUICE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  name: string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>;
  drop(): Promise<void>;
}

function withDatabase(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${name}`;
  return parsed.toString();
}

export async function createTestDatabase(prefix = 'sluice_test'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(ADMIN_URL, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  // pool.end() resolves before its idle connections have closed; DROP … WITH (FORCE) below may then
  // terminate one, and an 'error' without a listener would crash whichever test runs next.
  pool.on('error', () => undefined);
  return {
    url,
    name,
    query: (sql, params) => pool.query(sql, params as unknown[]),
    async drop() {
      await pool.end();
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** A session of its own on the test database, connected (the caller ends it). */
export async function connectedClient(db: TestDatabase): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  return client;
}

/**
 * Migrates the database and puts file 1 in the ledger, loading into table `t` (made by `tableDdl`):
 * what a writer test needs before it writes chunks.
 */
export async function prepareLedgerFile(db: TestDatabase, tableDdl: string): Promise<void> {
  const client = await connectedClient(db);
  try {
    await migrate(client);
    await client.query(`INSERT INTO ingest.files (id, sha256, path, size_bytes, dataset, table_name, chunk_size, status)
                        VALUES (1, 'x', 'f.csv', 400, 't', 't', 100, 'loading')`);
    await client.query(tableDdl);
  } finally {
    await client.end();
  }
}
