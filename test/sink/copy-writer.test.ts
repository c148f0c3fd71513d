import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { createEngine, type Engine } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let dir: string;
let engine: Engine;

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sluice-writer-'));
  engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 2, chunkSize: 256 });
});

after(async () => {
  await engine.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('a writer connection the server drops while idle is replaced at the next load, not fatal to the process', async () => {
  const first = join(dir, 'before_restart.csv');
  const second = join(dir, 'after_restart.csv');
  await writeFile(first, `k,v\n${Array.from({ length: 200 }, (_, i) => `${i},a`).join('\n')}\n`);
  await writeFile(second, `k,v\n${Array.from({ length: 200 }, (_, i) => `${i},b`).join('\n')}\n`);
  assert.equal((await engine.ingest(first)).status, 'loaded');
  // What a server restart or an idle timeout does to the writers' idle sessions.
  const killed = await db.query<{ ok: boolean }>(
    "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'sluice-writer'");
  assert.ok(killed.rows.length > 0, 'the writers had open sessions');
  await sleep(200);
  const summary = await engine.ingest(second);
  assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
  assert.equal(summary.rows, 200);
});
