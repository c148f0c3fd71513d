import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createEngine, type Engine } from '../../src/index.js';
import { CORPUS } from '../fixtures/corpus.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * Fuzzing the whole engine with random bytes and mutated corpus files, bounded in time and count:
 * the engine never crashes, every file ends `loaded` or `failed` with a SLUICE_ERR_* code, and for
 * a loaded file the rows in the table plus the rejects are every record of the file
 * (rows + rejected = records), so nothing is lost or loaded twice.
 */

const BUDGET_MS = Number(process.env.SLUICE_FUZZ_MS ?? 20_000);
const MAX_CASES = Number(process.env.SLUICE_FUZZ_CASES ?? 400);

const INTERESTING = [0x22, 0x2c, 0x3b, 0x09, 0x7c, 0x0a, 0x0d, 0x00, 0x5c, 0x27, 0xef, 0xbb, 0xbf, 0xff, 0xfe, 0xc3, 0xa9, 0x20];

function mutate(random: () => number, input: Buffer): Buffer {
  const bytes = [...input];
  const edits = 1 + Math.floor(random() * 8);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (bytes.length + 1));
    const pick = (): number => (random() < 0.7 ? INTERESTING[Math.floor(random() * INTERESTING.length)] : Math.floor(random() * 256));
    const kind = random();
    if (kind < 0.3 && bytes.length > 0) bytes[Math.min(at, bytes.length - 1)] = pick();
    else if (kind < 0.6) bytes.splice(at, 0, pick());
    else if (kind < 0.8 && bytes.length > 0) bytes.splice(at, 1 + Math.floor(random() * 4));
    else {
      // Duplicate a slice: repeated lines, doubled quotes, longer rows.
      const from = Math.floor(random() * bytes.length);
      bytes.splice(at, 0, ...bytes.slice(from, from + 1 + Math.floor(random() * 40)));
    }
  }
  return Buffer.from(bytes);
}

function randomText(random: () => number): Buffer {
  const columns = 1 + Math.floor(random() * 4);
  const lines: string[] = [];
  const count = Math.floor(random() * 30);
  for (let r = 0; r < count; r++) {
    const fields: string[] = [];
    for (let c = 0; c < columns + (random() < 0.1 ? 1 : 0); c++) {
      const pieces = ['1', '2.5', '"q"', '""', 'x,y', '"a,b"', '2024-01-01', 'NA', 'true', '', ' ', 'é', '"', '\r', '-0', '1e5'];
      fields.push(pieces[Math.floor(random() * pieces.length)]);
    }
    lines.push(fields.join(','));
  }
  return Buffer.from(lines.join(random() < 0.5 ? '\n' : '\r\n'));
}

let db: TestDatabase;
let engine: Engine;
let dir: string;

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sluice-fuzz-'));
  engine = createEngine({ databaseUrl: db.url, workers: 2, writers: 2, chunkSize: 256, maxRowBytes: 64 * 1024 });
});

after(async () => {
  await engine.close();
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

test('random and mutated files never crash the engine and rows + rejected = records', { timeout: BUDGET_MS + 60_000 }, async () => {
  const seed = Number(process.env.SLUICE_TEST_SEED ?? Date.now() % 1_000_000);
  const random = mulberry32(seed);
  const started = performance.now();
  let cases = 0;
  let loaded = 0;
  const seeds = CORPUS.filter((c) => c.bytes.length < 20_000).map((c) => c.bytes);
  while (cases < MAX_CASES && performance.now() - started < BUDGET_MS) {
    const kind = random();
    const bytes = kind < 0.15
      ? Buffer.from(Array.from({ length: Math.floor(random() * 2048) }, () => Math.floor(random() * 256)))
      : kind < 0.4 ? randomText(random) : mutate(random, seeds[Math.floor(random() * seeds.length)]);
    const path = join(dir, `case_${cases}.csv`);
    await writeFile(path, bytes);
    const summary = await engine.ingest(path, { dataset: `fuzz_${cases}` });
    const context = `seed ${seed}, case ${cases}: ${JSON.stringify(bytes.toString('latin1').slice(0, 200))}`;
    assert.ok(summary.status === 'loaded' || summary.status === 'failed' || summary.status === 'skipped', context);
    if (summary.status === 'failed') {
      assert.match(summary.error?.code ?? '', /^SLUICE_ERR_/, `${context}: ${JSON.stringify(summary.error)}`);
    } else if (summary.status === 'loaded') {
      loaded++;
      const counts = await db.query<{ rows: number; rejects: number; records: number }>(
        `SELECT (SELECT count(*)::int FROM ${summary.table} WHERE _file = f.id) AS rows,
                (SELECT count(*)::int FROM ingest.rejects r WHERE r.file_id = f.id) AS rejects,
                (SELECT coalesce(sum(c.rows + c.rejected), 0)::int FROM ingest.chunks c WHERE c.file_id = f.id) AS records
           FROM ingest.files f WHERE f.sha256 = $1 ORDER BY f.generation DESC LIMIT 1`, [summary.sha256]);
      const { rows, rejects, records } = counts.rows[0];
      assert.equal(rows, summary.rows, `${context}: table rows vs summary`);
      assert.equal(rejects, summary.rejected, `${context}: rejects vs summary`);
      assert.equal(rows + rejects, records, `${context}: rows + rejected vs the chunks' records`);
      // No row offset twice: nothing loaded twice.
      const distinct = await db.query<{ n: number }>(`SELECT count(DISTINCT _offset)::int AS n FROM ${summary.table} WHERE _file = (SELECT id FROM ingest.files WHERE sha256 = $1 ORDER BY generation DESC LIMIT 1)`, [summary.sha256]);
      assert.equal(distinct.rows[0].n, rows, context);
    }
    cases++;
  }
  assert.ok(cases >= 20, `only ${cases} cases ran`);
  assert.ok(loaded > 0, 'no fuzz case loaded at all');
});
