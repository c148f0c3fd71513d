/**
 * Real servers, no mocks: every pitfall the wrapper handles was seen on a real machine, so the
 * test reproduces each one (restart on an initialised dir, a SIGKILLed parent, a stale pid file,
 * a failing start) against the bundled PostgreSQL.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import type { EmbeddedDatabase } from '../../src/database/embedded-postgres.js';
import { SluiceError } from '../../src/errors.js';

const moduleUrl = new URL('../../src/database/embedded-postgres.js', import.meta.url).href;

let root = '';
let dataDir = '';
const servers: EmbeddedDatabase[] = [];
const children: ChildProcess[] = [];
let orphanPid: number | undefined;

async function start(dir = dataDir): Promise<EmbeddedDatabase> {
  // SLUICE_TEST_PG_LOG=1 shows the server log when a run needs diagnosing.
  const log = process.env.SLUICE_TEST_PG_LOG ? (line: string) => console.error(line) : undefined;
  const db = await startEmbeddedPostgres({ dataDir: dir, log });
  servers.push(db);
  return db;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** kill(pid, 0) also succeeds for a zombie, and this machine's init reaps orphans lazily. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return !existsSync('/proc/self');
  }
}

function pgrep(pattern: string): Promise<string> {
  return new Promise((resolve) => {
    // Exit status 1 just means "no match".
    execFile('pgrep', ['-af', pattern], (_error, stdout) => resolve(stdout.trim()));
  });
}

/** Runs an ES module snippet in a fresh node process; the data dir travels by env, not argv. */
function runNode(source: string): ChildProcess {
  const child = spawn(process.execPath, ['--input-type=module', '-e', source], {
    env: { ...process.env, SLUICE_TEST_PG_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return child;
}

async function readLine(child: ChildProcess, prefix: string, timeoutMs: number): Promise<string> {
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${prefix}" line; stderr: ${err}`)), timeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n').find((l) => l.startsWith(prefix));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before "${prefix}"; stderr: ${err}`));
    });
  });
}

describe('startEmbeddedPostgres', { timeout: 60_000 }, () => {
  before(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'sluice-embedded-pg-'));
    // Nested and not yet existing: the parents must be created and reachable by postgres.
    dataDir = path.join(root, 'nested', 'pg');
  });

  after(async () => {
    for (const db of servers) await db.stop().catch(() => undefined);
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    if (orphanPid !== undefined && isAlive(orphanPid)) process.kill(orphanPid, 'SIGKILL');
    if (root !== '') await rm(root, { recursive: true, force: true });
  });

  it('initialises, starts on a free port and answers SELECT 1', async (t) => {
    const listenersBefore = ['beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e));
    const began = Date.now();
    const db = await start();
    t.diagnostic(`first start (initdb + start) took ${Date.now() - began} ms`);
    try {
      assert.notEqual(db.port, 5432);
      assert.equal(db.url, `postgres://postgres@127.0.0.1:${db.port}/postgres`);
      assert.equal(db.dataDir, dataDir);
      assert.deepEqual(await query(db.url, 'SELECT 1 AS one'), [{ one: 1 }]);
      const [{ encoding, upper }] = await query<{ encoding: string; upper: string }>(
        db.url,
        "SELECT current_setting('server_encoding') AS encoding, upper('é') AS upper",
      );
      assert.equal(encoding, 'UTF8');
      assert.equal(upper, 'É');
      // The package's async-exit-hook must not stay hooked into signals / beforeExit.
      const listenersAfter = ['beforeExit', 'SIGINT', 'SIGTERM', 'SIGHUP'].map((e) => process.listenerCount(e));
      assert.deepEqual(listenersAfter, listenersBefore);
      await query(db.url, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives restarts')");
    } finally {
      await db.stop();
    }
    await db.stop(); // idempotent
    await assert.rejects(query(db.url, 'SELECT 1'));
  });

  it('restarts on the same data dir and keeps the data', async (t) => {
    const began = Date.now();
    const db = await start();
    t.diagnostic(`restart took ${Date.now() - began} ms`);
    try {
      assert.deepEqual(await query(db.url, 'SELECT v FROM kept'), [{ v: 'survives restarts' }]);
    } finally {
      await db.stop();
    }
  });

  it('refuses a data dir in use, and recovers after its parent was SIGKILLed', async (t) => {
    const child = runNode(`
      import { startEmbeddedPostgres } from ${JSON.stringify(moduleUrl)};
      const db = await startEmbeddedPostgres({ dataDir: process.env.SLUICE_TEST_PG_DIR });
      process.stdout.write('READY ' + db.port + '\\n');
      setInterval(() => {}, 1000);
    `);
    await readLine(child, 'READY ', 30_000);

    // While its parent lives the server is in use: a second start must refuse, not kill it.
    await assert.rejects(start(), (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'SLUICE_ERR_DATABASE_EMBEDDED_START');
      assert.match(error.message, /in use/);
      return true;
    });

    child.kill('SIGKILL');
    await once(child, 'exit');

    // The orphan is still running and still holds the data dir.
    orphanPid = Number.parseInt((await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8')).split('\n')[0], 10);
    assert.ok(isAlive(orphanPid), 'the orphaned postmaster should still be running');

    const began = Date.now();
    const db = await start();
    t.diagnostic(`start over an orphaned server took ${Date.now() - began} ms`);
    try {
      assert.ok(!isAlive(orphanPid), 'the orphaned postmaster should have been stopped');
      assert.deepEqual(await query(db.url, 'SELECT v FROM kept'), [{ v: 'survives restarts' }]);
    } finally {
      await db.stop();
    }
  });

  it('ignores a stale postmaster.pid naming a dead or unrelated process', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const unrelated = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    children.push(unrelated);
    try {
      for (const pid of [dead, unrelated.pid]) {
        await writeFile(path.join(dataDir, 'postmaster.pid'), `${pid}\n${dataDir}\n0\n5432\n\n127.0.0.1\n0 0\nready\n`);
        const db = await start();
        try {
          assert.deepEqual(await query(db.url, 'SELECT count(*)::int AS n FROM kept'), [{ n: 1 }]);
        } finally {
          await db.stop();
        }
      }
      assert.ok(isAlive(unrelated.pid ?? 0), 'an unrelated process must not be touched');
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  it('lets the process exit with its own exit code after stop()', async () => {
    const child = runNode(`
      import { startEmbeddedPostgres } from ${JSON.stringify(moduleUrl)};
      const db = await startEmbeddedPostgres({ dataDir: process.env.SLUICE_TEST_PG_DIR });
      await db.stop();
      process.exitCode = 7;
    `);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    // 7, not 0 (the package's beforeExit hook) and not a kill (something keeping the loop alive).
    assert.equal(code, 7);
  });

  it('rejects with SLUICE_ERR_DATABASE_EMBEDDED_START when the data dir is a file', async () => {
    const file = path.join(root, 'not-a-dir');
    await writeFile(file, 'plain file');
    await assert.rejects(start(file), (error: unknown) => {
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'SLUICE_ERR_DATABASE_EMBEDDED_START');
      assert.notEqual(error.message, 'undefined');
      assert.match(error.message, /not a directory/);
      return true;
    });
  });

  it('reports the server log when postgres itself refuses to start', async () => {
    const conf = path.join(dataDir, 'postgresql.auto.conf');
    const original = await readFile(conf, 'utf8');
    await writeFile(conf, `${original}\nthis line is not valid configuration\n`);
    try {
      await assert.rejects(start(), (error: unknown) => {
        assert.ok(error instanceof SluiceError);
        assert.equal(error.code, 'SLUICE_ERR_DATABASE_EMBEDDED_START');
        assert.match(error.message, /Last log lines/);
        assert.match(error.message, /postgresql\.auto\.conf/);
        return true;
      });
    } finally {
      await writeFile(conf, original);
    }
    const db = await start();
    await db.stop();
  });

  it('leaves no postgres process behind', async () => {
    for (const db of servers) await db.stop();
    assert.equal(await pgrep(dataDir), '');
  });
});
