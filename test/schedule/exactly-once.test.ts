import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { mulberry32 } from '../helpers/random.js';

/**
 * Kill the loading process with SIGKILL at random points, rerun each time: at the end every source
 * row is in the table exactly once, and the ledger shows the chunks that replays skipped.
 */

const CLI = new URL('../../src/cli.js', import.meta.url).pathname;
const ROWS = 200_000;
const KILLS = 4;

let db: TestDatabase;
let dir: string;

before(async () => {
  db = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sluice-kill-'));
});

after(async () => {
  await db.drop();
  await rm(dir, { recursive: true, force: true });
});

function startLoad(path: string, dataset = 'killed', extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [CLI, 'load', path, '--dataset', dataset, '--json', '--chunk-size', '65536', '--writers', '2', ...extra], {
    env: { ...process.env, DATABASE_URL: db.url },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function committedChunks(): Promise<number> {
  const result = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM ingest.chunks').catch(() => ({ rows: [{ count: 0 }] }));
  return result.rows[0].count;
}

test('SIGKILL at random points, rerun: each source row lands exactly once', { timeout: 180_000 }, async () => {
  const seed = Number(process.env.SLUICE_TEST_SEED ?? Date.now() % 100_000);
  const random = mulberry32(seed);
  const lines = ['id,sensor,value,note'];
  const expected = createHash('md5');
  let valueSum = 0;
  for (let i = 0; i < ROWS; i++) {
    const value = Math.floor(random() * 1_000_000);
    const note = i % 10 === 0 ? `"note, ${i}\nsecond line"` : `n${i}`;
    lines.push(`${i},s${i % 50},${value},${note}`);
    valueSum += value;
    expected.update(`${i}|${value}\n`);
  }
  const path = join(dir, 'big.csv');
  await writeFile(path, `${lines.join('\n')}\n`);

  let kills = 0;
  for (let round = 0; round < KILLS; round++) {
    const before = await committedChunks();
    const child = startLoad(path);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Kill once a random number (1..6) of further chunks has committed — somewhere mid-load.
    const target = before + 1 + Math.floor(random() * 6);
    let finished = false;
    void exited.then(() => { finished = true; });
    while (!finished && (await committedChunks()) < target) await sleep(5);
    if (!finished) {
      await sleep(Math.floor(random() * 30));
      child.kill('SIGKILL');
      kills++;
    }
    await exited;
    // A killed client's last COMMIT may still be in flight in its backend: wait until the backends
    // of the killed process are gone, so the next round's baseline counts every committed chunk.
    for (let waited = 0; waited < 200; waited++) {
      const backends = await db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name LIKE 'sluice%'");
      if (backends.rows[0].n === 0) break;
      await sleep(25);
    }
  }
  assert.ok(kills >= 2, `only ${kills} kills landed mid-load (seed ${seed})`);

  const final = startLoad(path);
  let stdout = '';
  final.stdout!.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  const code = await new Promise<number | null>((resolve) => final.on('exit', resolve));
  assert.equal(code, 0, `final run failed (seed ${seed}): ${stdout}`);
  const summary = JSON.parse(stdout.trim().split('\n').pop()!) as { status: string; rows: number; chunks: { skipped: number } };
  assert.equal(summary.status, 'loaded');
  assert.equal(summary.rows, ROWS);
  assert.ok(summary.chunks.skipped > 0, 'the final run should have skipped chunks committed before the kills');

  const counts = await db.query<{ rows: number; offsets: number; ids: number; sum: string }>(
    'SELECT count(*)::int AS rows, count(DISTINCT _offset)::int AS offsets, count(DISTINCT id)::int AS ids, sum(value)::text AS sum FROM staging.killed');
  assert.deepEqual(counts.rows[0], { rows: ROWS, offsets: ROWS, ids: ROWS, sum: String(valueSum) }, `seed ${seed}`);
  const checksum = await db.query<{ md5: string }>(
    `SELECT md5(string_agg(id || '|' || value || E'\\n', '' ORDER BY id)) AS md5 FROM staging.killed`);
  assert.equal(checksum.rows[0].md5, expected.digest('hex'));

  const ledger = await db.query<{ attempts: number; skipped: number; loaded: number }>(
    'SELECT count(*)::int AS attempts, sum(chunks_skipped)::int AS skipped, sum(chunks_loaded)::int AS loaded FROM ingest.attempts');
  assert.ok(ledger.rows[0].attempts >= kills + 1);
  assert.ok(ledger.rows[0].skipped > 0);
  const chunks = await db.query<{ attempts: number }>('SELECT count(DISTINCT attempt)::int AS attempts FROM ingest.chunks');
  assert.ok(chunks.rows[0].attempts >= 2, 'chunks should have been committed by several attempts');

  // The profile, the quality scores and the value anomalies of the killed-and-resumed load are
  // those of one clean load of the same file (chunk reports are committed with their chunks).
  const clean = startLoad(path, 'clean', ['--force']);
  const cleanCode = await new Promise<number | null>((resolve) => clean.on('exit', resolve));
  assert.equal(cleanCode, 0);
  const profileOf = async (dataset: string) => (await db.query<{ column_name: string; stats: unknown }>(
    'SELECT column_name, stats FROM ingest.profiles WHERE dataset = $1 ORDER BY column_no', [dataset])).rows;
  const killedProfile = await profileOf('killed');
  assert.equal(killedProfile.length, 4);
  assert.deepEqual(killedProfile, await profileOf('clean'));
  const qualityOf = async (dataset: string) => (await db.query(
    'SELECT completeness, uniqueness, validity, consistency, timeliness, accuracy, score FROM ingest.quality WHERE dataset = $1', [dataset])).rows;
  assert.deepEqual(await qualityOf('killed'), await qualityOf('clean'));
  const anomaliesOf = async (dataset: string) => (await db.query(
    'SELECT byte_offset, column_name, value, score, method FROM ingest.anomalies WHERE dataset = $1 ORDER BY byte_offset, column_name', [dataset])).rows;
  assert.deepEqual(await anomaliesOf('killed'), await anomaliesOf('clean'));
});
