import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Piscina } from 'piscina';
import { createEngine, type Engine } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/** A worker thread that dies mid-load is replaced by the pool and its chunk is encoded again. */

let db: TestDatabase;
let engine: Engine;
let dir: string;

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sluice-dead-worker-'));
  engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 1, chunkSize: 16 * 1024 });
});

after(async () => {
  await engine.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('terminating the worker threads mid-load loses no row and loads none twice', { timeout: 120_000 }, async () => {
  const rows = 100_000;
  const path = join(dir, 'many.csv');
  await writeFile(path, `id,v,note\n${Array.from({ length: rows }, (_, i) => `${i},${i * 2},"n ${i}"`).join('\n')}\n`);
  await engine.start();
  // The pool is internal: reach it the way an operator's `kill` of a thread would, from outside.
  const pool = (engine as unknown as { piscina: Piscina }).piscina;
  let kills = 0;
  engine.on('progress', ({ doneBytes, totalBytes }) => {
    if (kills < 2 && doneBytes > totalBytes * (kills === 0 ? 0.2 : 0.5)) {
      kills++;
      for (const thread of pool.threads) void thread.terminate();
    }
  });
  const summary = await engine.ingest(path);
  assert.equal(kills, 2, 'the workers were terminated twice during the load');
  assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
  assert.equal(summary.rows, rows);
  const counts = await db.query<{ n: number; offsets: number; sum: string }>(
    'SELECT count(*)::int AS n, count(DISTINCT _offset)::int AS offsets, sum(v)::text AS sum FROM staging.many');
  assert.deepEqual(counts.rows[0], { n: rows, offsets: rows, sum: String(rows * (rows - 1)) });
  // The engine goes on working with the replacement threads.
  const next = join(dir, 'next.csv');
  await writeFile(next, 'a\n1\n');
  assert.equal((await engine.ingest(next)).status, 'loaded');
});
