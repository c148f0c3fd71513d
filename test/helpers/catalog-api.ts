import { Hono } from 'hono';
import pg from 'pg';
import { metadataRoutes } from '../../src/api/metadata-routes.js';
import { migrate } from '../../src/database/migrate.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/**
 * The catalog routes mounted as the API mounts them (`/api`), on a private migrated database, with
 * a token; `call` sends a request through `app.request()` (no socket), with the token unless told.
 */
export const TOKEN = 'catalog-test-token';

export interface CatalogApi {
  db: TestDatabase;
  pool: pg.Pool;
  app: Hono;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): Promise<void>;
}

export async function startCatalogApi(): Promise<CatalogApi> {
  const db = await createTestDatabase();
  const pool = new pg.Pool({ connectionString: db.url, max: 4 });
  pool.on('error', () => undefined);
  const client = await pool.connect();
  try {
    await migrate(client);
  } finally {
    client.release();
  }
  const app = new Hono().route('/api', metadataRoutes({ pool, token: TOKEN }));
  return {
    db, pool, app,
    call: (method, path, body, headers = { authorization: `Bearer ${TOKEN}` }) => Promise.resolve(app.request(path, {
      method,
      headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    })),
    async close() {
      await pool.end();
      await db.drop();
    },
  };
}

/** Registers an entry through the API and returns its id. */
export async function register(api: CatalogApi, entry: Record<string, unknown>): Promise<number> {
  const response = await api.call('POST', '/api/metadata', entry);
  if (response.status !== 201) throw new Error(`POST /api/metadata answered ${response.status}: ${await response.text()}`);
  return ((await response.json()) as { id: number }).id;
}
