/**
 * A writer opens its session ahead of its first chunk (CopyWriter.prepare, called as the engine
 * opens): the first write uses that session, and a writer closed while the session is still
 * opening leaves none behind.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { CopyWriter, type CopyJob } from '../../src/sink/copy-writer.js';
import { until } from '../helpers/until.js';
import { createTestDatabase, prepareLedgerFile, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;

before(async () => {
  db = await createTestDatabase();
  await prepareLedgerFile(db, 'CREATE TABLE t (_file bigint, _offset bigint, v text)');
});

after(async () => {
  await db.drop();
});

/** A writer whose sessions carry `name`, with the sessions it opened (each settled once connected). */
function writerNamed(name: string): { writer: CopyWriter; opened: () => number; connected: () => Promise<unknown> } {
  const connects: Promise<unknown>[] = [];
  const writer = new CopyWriter(async () => {
    const client = new pg.Client({ connectionString: db.url, application_name: name });
    const connect = client.connect();
    connects.push(connect);
    await connect;
    return client;
  });
  return { writer, opened: () => connects.length, connected: () => Promise.allSettled(connects) };
}

async function sessions(name: string): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [name]);
  return rows[0].n;
}

function csvJob(chunkNo: number): CopyJob {
  return {
    fileId: 1, chunkNo, attempt: 1, byteStart: chunkNo * 100, byteEnd: chunkNo * 100 + 100, rows: 1, rejected: 0, lines: 1,
    data: Buffer.from(`1,${chunkNo * 100},row ${chunkNo}\n`), rejects: new Uint8Array(0), delimiter: 0x2c, quote: 0x22, columnTypes: [],
    copySql: 'COPY t (_file, _offset, v) FROM STDIN WITH (FORMAT csv)', chunkLineOf: () => 1,
  };
}

test('a prepared writer writes its first chunk over the session it opened ahead', async () => {
  const name = `sluice-prepare-${randomBytes(3).toString('hex')}`;
  const { writer, opened } = writerNamed(name);
  try {
    writer.prepare();
    await until('the prepared session', async () => (await sessions(name)) === 1);
    assert.equal(await writer.write(csvJob(0)), 'committed');
    assert.equal(await writer.write(csvJob(1)), 'committed');
    assert.equal(opened(), 1, 'one session: the prepared one');
  } finally {
    await writer.close();
  }
  assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n, 2);
});

test('a writer closed while its session is still opening leaves no session open', async () => {
  const name = `sluice-prepare-${randomBytes(3).toString('hex')}`;
  const { writer, opened, connected } = writerNamed(name);
  writer.prepare();
  await writer.close();
  assert.equal(opened(), 1);
  // The session finished opening after the close: it is ended then, not left to the process.
  await connected();
  await until('no session left', async () => (await sessions(name)) === 0, 2000);
  assert.equal(await sessions(name), 0);
});

test('preparing twice, or writing while the session opens, opens one session', async () => {
  const name = `sluice-prepare-${randomBytes(3).toString('hex')}`;
  const { writer, opened } = writerNamed(name);
  try {
    writer.prepare();
    writer.prepare();
    assert.equal(await writer.write(csvJob(2)), 'committed');
    assert.equal(opened(), 1);
  } finally {
    await writer.close();
  }
});
