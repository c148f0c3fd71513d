import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiService, type ApiService, type ApiServiceOptions } from '../../src/api/api-service.js';
import type { EngineOptions } from '../../src/config.js';
import { createEngine, type Engine } from '../../src/engine.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/**
 * An engine on a private test database with its API service, and a folder for the files a test
 * loads. `service.app.request()` drives the API without a socket; tests that need one start a
 * server on port 0.
 */
export interface ApiFixture {
  db: TestDatabase;
  engine: Engine;
  service: ApiService;
  dir: string;
  /** Writes `text` to `<dir>/<name>` and returns the path. */
  file(name: string, text: string): Promise<string>;
  close(): Promise<void>;
}

export async function startApiFixture(options: Omit<ApiServiceOptions, 'engine'> = {}, engineOptions: EngineOptions = {}): Promise<ApiFixture> {
  const db = await createTestDatabase();
  const dir = await mkdtemp(join(tmpdir(), 'sluice-api-'));
  const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 2, config: {}, ...engineOptions });
  await engine.start();
  const service = createApiService({ heartbeatSeconds: 0.05, ...options, engine });
  return {
    db, engine, service, dir,
    async file(name, text) {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    },
    async close() {
      await service.close();
      await engine.close();
      await db.drop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A CSV of `rows` rows: id, name, amount (amount 10 + i % 7, except where `outliers` says). */
export function csvRows(rows: number, outliers: Record<number, number> = {}): string {
  const lines = ['id,name,amount'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},name ${i},${outliers[i] ?? 10 + (i % 7)}`);
  return `${lines.join('\n')}\n`;
}

export async function json<T>(response: Response): Promise<T> {
  return await response.json() as T;
}

export interface ErrorBody {
  error: { code: string; message: string };
}
