import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { createEngine, type Engine, type EngineOptions } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from './database.js';

/** What a load test works with: its own database, an engine on it, a client, a temporary folder. */
export interface EngineFixture {
  db: TestDatabase;
  engine: Engine;
  client: pg.Client;
  dir: string;
}

/**
 * Registers before/after hooks in the calling describe that set the fixture up and tear it down;
 * its fields are filled once `before` has run.
 */
export function engineFixture(prefix: string, options: Omit<EngineOptions, 'databaseUrl'> = {}): EngineFixture {
  const fixture = {} as EngineFixture;
  before(async () => {
    fixture.db = await createTestDatabase();
    fixture.dir = await mkdtemp(join(tmpdir(), `sluice-${prefix}-`));
    fixture.engine = createEngine({ databaseUrl: fixture.db.url, ...options });
    fixture.client = new pg.Client({ connectionString: fixture.db.url });
    await fixture.client.connect();
  });
  after(async () => {
    await fixture.client.end();
    await fixture.engine.close();
    await fixture.db.drop();
    await rm(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
