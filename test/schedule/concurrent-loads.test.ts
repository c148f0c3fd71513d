import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEngine } from '../../src/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * Two engines (as two processes would) load the same file at the same time: one loads it, the
 * other waits for it and finds it loaded; every row lands exactly once.
 */

let db: TestDatabase;
let dir: string;

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sluice-concurrent-'));
});

after(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('the same file loaded by two engines at once lands once', { timeout: 120_000 }, async () => {
  const rows = 60_000;
  const path = join(dir, 'shared.csv');
  await writeFile(path, `id,v\n${Array.from({ length: rows }, (_, i) => `${i},${i % 97}`).join('\n')}\n`);
  const engines = [0, 1].map(() => createEngine({ databaseUrl: db.url, workers: 1, writers: 2, chunkSize: 32 * 1024 }));
  try {
    await Promise.all(engines.map((e) => e.start()));
    const summaries = await Promise.all(engines.map((e) => e.ingest(path)));
    assert.deepEqual(summaries.map((s) => s.status).sort(), ['loaded', 'skipped'], JSON.stringify(summaries.map((s) => s.error)));
    const attempts = await db.query<{ status: string }>('SELECT status FROM ingest.attempts ORDER BY attempt');
    assert.ok(attempts.rows.every((a) => a.status !== 'running'), JSON.stringify(attempts.rows));
    const counts = await db.query<{ n: number; offsets: number; files: number }>(
      'SELECT count(*)::int AS n, count(DISTINCT _offset)::int AS offsets, count(DISTINCT _file)::int AS files FROM staging.shared');
    assert.deepEqual(counts.rows[0], { n: rows, offsets: rows, files: 1 });
    const ledger = await db.query<{ chunks: number; distinct: number }>('SELECT count(*)::int AS chunks, count(DISTINCT chunk_no)::int AS distinct FROM ingest.chunks');
    assert.equal(ledger.rows[0].chunks, ledger.rows[0].distinct);
  } finally {
    await Promise.all(engines.map((e) => e.close()));
  }
});
