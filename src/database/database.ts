import { join } from 'node:path';
import pg from 'pg';
import type { ResolvedOptions } from '../config.js';
import type { DependencyGuard } from '../resilience/dependency-guard.js';
import { SluiceError } from '../errors.js';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './embedded-postgres.js';
import { migrate } from './migrate.js';

/**
 * The database Sluice loads into: the server `DATABASE_URL` names, or — so a new user needs
 * nothing installed — an embedded PostgreSQL under `<home>/pg` that Sluice starts and stops.
 * Either way the migrations in sql/ are applied before anything else runs.
 */
export interface Database {
  readonly url: string;
  readonly embedded: boolean;
  /** Control connections (ledger, DDL); COPY writers open their own. */
  readonly pool: pg.Pool;
  /** A new dedicated connection for a COPY writer: UTC, ISO dates. */
  connectWriter(): Promise<pg.Client>;
  close(): Promise<void>;
}

// bigint counts come back as strings by default; Sluice's counts fit a double.
pg.types.setTypeParser(20, (value: string) => Number(value));

async function sessionClient(url: string, applicationName: string, log: (line: string) => void): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, application_name: applicationName });
  // Until its user listens (a writer does, at once), a session the server ends — a restart, a
  // pg_terminate_backend — must not be an unhandled 'error' that takes the process down.
  client.on('error', (error) => log(`${applicationName} connection lost: ${error.message}`));
  try {
    await client.connect();
  } catch (error) {
    throw new SluiceError('SLUICE_ERR_DATABASE_CONNECT', `cannot connect to PostgreSQL at ${redact(url)}: ${(error as Error).message}`, { cause: error });
  }
  try {
    // Timestamps without a zone are read as UTC, whatever the server's default.
    await client.query("SET TimeZone = 'UTC'; SET DateStyle = 'ISO, YMD'");
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  return client;
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** `guard`: retry the first connection and the migrations through a database restart (the engine's PostgreSQL breaker). */
export async function openDatabase(options: ResolvedOptions, guard?: DependencyGuard): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = options.databaseUrl;
  if (url === undefined) {
    embedded = await startEmbeddedPostgres({ dataDir: join(options.home, 'pg'), log: options.log });
    url = embedded.url;
  }
  try {
    const migrateOnce = async (): Promise<void> => {
      const first = await sessionClient(url!, 'sluice-migrate', options.log);
      try {
        await migrate(first);
      } finally {
        await first.end().catch(() => undefined);
      }
    };
    await (guard === undefined ? migrateOnce() : guard.run(migrateOnce));
  } catch (error) {
    await embedded?.stop();
    throw error;
  }
  // The time zone is a startup option, not a query on connect: a query the 'connect' event starts
  // would still be running when the pool hands the client to pool.query() (pg warns about that).
  const pool = new pg.Pool({ connectionString: url, application_name: 'sluice', max: 4, options: '-c TimeZone=UTC' });
  pool.on('error', (error) => options.log(`idle database connection failed: ${error.message}`));
  const resolvedUrl = url;
  return {
    url: resolvedUrl,
    embedded: embedded !== undefined,
    pool,
    connectWriter: () => sessionClient(resolvedUrl, 'sluice-writer', options.log),
    async close() {
      await pool.end().catch(() => undefined);
      await embedded?.stop();
    },
  };
}
