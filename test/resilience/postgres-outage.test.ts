/**
 * PostgreSQL going away mid-load, on a private embedded server (never the shared one): restarted,
 * its backends killed with pg_terminate_backend, or gone for longer than the outage timeout. The
 * process stays up, the load pauses and resumes, and the table ends up equal — row count and a
 * checksum of every value — to a clean load of the same file.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine, type Engine } from '../../src/engine.js';
import type { PipelineEvent } from '../../src/events/pipeline-events.js';
import { CLI, ROOT } from '../helpers/cli.js';
import { type PrivatePostgres, startPrivatePostgres } from '../helpers/private-services.js';

const ROWS = 150_000;
const CHUNK = 128 * 1024;
let server: PrivatePostgres;
let root = '';
let file = '';
let expected: Table;
let databases = 0;

interface Table { rows: number; checksum: string }

async function writeRows(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('ts,sensor,value,status,n,note\n');
  for (let i = 0; i < ROWS; i++) {
    const line = `2024-01-${String(1 + (i % 28)).padStart(2, '0')}T00:${String(i % 60).padStart(2, '0')}:00Z,s${i % 97},${(i * 1.37).toFixed(3)},${i % 7 === 0 ? 'late' : 'ok'},${i},"note, ${i}"\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function freshDatabase(): Promise<string> {
  const name = `outage_${++databases}`;
  await server.query(`CREATE DATABASE ${name}`);
  return name;
}

async function tableOf(database: string): Promise<Table> {
  const [row] = await server.query<{ rows: number; checksum: string }>(
    `SELECT count(*)::int AS rows, md5(string_agg(concat_ws(',', ts, sensor, value, status, n, note, _offset), '|' ORDER BY _offset)) AS checksum FROM staging.rows`,
    [], database);
  return row;
}

function engineFor(database: string, options: { dbOutageTimeoutMs?: number } = {}): Engine {
  return createEngine({ databaseUrl: server.urlFor(database), home: join(root, 'home'), workers: 1, writers: 2, chunkSize: CHUNK, config: { datasets: {} }, ...options });
}

/** Calls `fault` once, when the `nth` chunk of the load has committed. */
function onChunk(engine: Engine, nth: number, fault: () => Promise<void>): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const stop = engine.events.subscribe((event) => {
      if (event.type !== 'chunk.committed' || ++seen !== nth) return;
      stop();
      fault().then(resolve, reject);
    });
  });
}

describe('PostgreSQL outages mid-load', { timeout: 240_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-outage-'));
    file = join(root, 'rows.csv');
    await writeRows(file);
    server = await startPrivatePostgres();
    const clean = await freshDatabase();
    const engine = engineFor(clean);
    try {
      const summary = await engine.ingest(file);
      assert.equal(summary.status, 'loaded');
    } finally {
      await engine.close();
    }
    expected = await tableOf(clean);
    assert.equal(expected.rows, ROWS);
  });

  after(async () => {
    await server?.destroy();
    await rm(root, { recursive: true, force: true });
  });

  it('rides through a restart: the breaker opens and closes, every row lands once', { timeout: 60_000 }, async () => {
    const database = await freshDatabase();
    const engine = engineFor(database);
    const events: PipelineEvent[] = [];
    engine.events.subscribe((event) => { if (event.type === 'breaker.changed') events.push(event); });
    try {
      const restarted = onChunk(engine, 3, () => server.restart(1_000));
      const summary = await engine.ingest(file);
      await restarted;
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.equal(summary.rows, ROWS);
      assert.deepEqual(await tableOf(database), expected);
      const states = events.map((e) => (e.data as { state: string }).state);
      assert.ok(states.includes('open'), `breaker states seen: ${states.join(', ')}`);
      assert.deepEqual(engine.breakers.list(), [{ name: 'postgres', state: 'closed' }, { name: 'redis', state: 'closed' }]);
    } finally {
      await engine.close();
    }
  });

  it('rides through pg_terminate_backend of every session, three times', { timeout: 60_000 }, async () => {
    const database = await freshDatabase();
    const engine = engineFor(database);
    const kill = async (): Promise<void> => {
      const killed = await server.query<{ n: number }>(
        'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
      assert.ok(killed[0].n >= 1);
    };
    try {
      const faults = Promise.all([onChunk(engine, 2, kill), onChunk(engine, 10, kill), onChunk(engine, 20, kill)]);
      const summary = await engine.ingest(file);
      await faults;
      assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
      assert.deepEqual(await tableOf(database), expected);
    } finally {
      await engine.close();
    }
  });

  it('sluice load rides through a restart and exits 0', { timeout: 60_000 }, async () => {
    const database = await freshDatabase();
    const child = spawn(process.execPath, [CLI, 'load', file, '--json', '--chunk-size', String(CHUNK), '--workers', '1'], {
      cwd: ROOT, env: { ...process.env, DATABASE_URL: server.urlFor(database), SLUICE_HOME: join(root, 'home'), SLUICE_CONFIG: '' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const exited = once(child, 'exit');
    // Restart once a few chunks are in.
    for (let i = 0; i < 400; i++) {
      const [row] = await server.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'ingest' AND tablename = 'chunks'`, [], database).catch(() => [{ n: 0 }]);
      if (row.n === 1) {
        const [chunks] = await server.query<{ n: number }>('SELECT count(*)::int AS n FROM ingest.chunks', [], database);
        if (chunks.n >= 2) break;
      }
      await sleep(25);
    }
    await server.restart(1_000);
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(JSON.parse(stdout.trim()).status, 'loaded');
    assert.deepEqual(await tableOf(database), expected);
  });

  it('fails the file with SLUICE_ERR_DATABASE_UNAVAILABLE when the database stays away past the timeout', { timeout: 60_000 }, async () => {
    const database = await freshDatabase();
    const engine = engineFor(database, { dbOutageTimeoutMs: 2_000 });
    try {
      await engine.start();
      await server.stop();
      const started = Date.now();
      const summary = await engine.ingest(file);
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.code, 'SLUICE_ERR_DATABASE_UNAVAILABLE');
      assert.match(summary.error!.message, /postgres unavailable for more than 2 s/);
      assert.ok(Date.now() - started < 20_000);
    } finally {
      await server.start();
      await engine.close();
    }
  });
});
