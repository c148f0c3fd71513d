import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { createEngine, type Engine } from '../../src/index.js';
import { parseRetryAfter, remoteFileName } from '../../src/sources/remote-file.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startServer, type TestServer } from '../helpers/http-server.js';

/** A small CSV whose content names `tag`, so that no two routes serve the same bytes (same bytes = skipped). */
function csvFor(tag: string, rows = 50): string {
  const lines = ['id,tag,reading'];
  for (let i = 1; i <= rows; i++) lines.push(`${i},${tag},${(i * 1.5).toFixed(1)}`);
  return `${lines.join('\n')}\n`;
}

const LIMIT = 256 * 1024;

describe('remote files: http(s) URLs are downloaded into the spool, then loaded', () => {
  let db: TestDatabase;
  let home: string;
  let engine: Engine;
  let server: TestServer;
  const logged: string[] = [];
  /** Bytes the size-limit routes managed to send before the client hung up. */
  const sent = { declared: 0, endless: 0 };

  before(async () => {
    db = await createTestDatabase();
    home = await mkdtemp(join(tmpdir(), 'sluice-remote-'));
    server = await startServer({
      '/sensors.csv': (_req, res) => { res.writeHead(200, { 'content-type': 'text/csv' }).end(csvFor('sensors')); },
      '/flaky.csv': (_req, res, attempt) => {
        if (attempt <= 2) res.writeHead(503).end('try later');
        else res.writeHead(200).end(csvFor('flaky'));
      },
      '/missing.csv': (_req, res) => { res.writeHead(404).end('no such file'); },
      '/busy.csv': (_req, res, attempt) => {
        if (attempt === 1) res.writeHead(429, { 'retry-after': '1' }).end();
        else res.writeHead(200).end(csvFor('busy'));
      },
      '/much-later.csv': (_req, res) => { res.writeHead(429, { 'retry-after': '3600' }).end(); },
      '/stalls.csv': (_req, res) => {
        // Headers and the first rows, then silence: the body idle timeout must end it.
        res.writeHead(200, { 'content-length': '100000' });
        res.write(csvFor('stalls', 5));
      },
      '/silent.csv': () => { /* never answers */ },
      '/cut-short.csv': (_req, res, attempt) => {
        const body = Buffer.from(csvFor('cut-short', 2000));
        if (attempt > 1) { res.writeHead(200).end(body); return; }
        // Half the promised bytes, then the connection drops: this copy must never load.
        res.writeHead(200, { 'content-length': String(body.length) });
        res.write(body.subarray(0, body.length / 2), () => res.socket?.destroy());
      },
      '/declared-huge.csv': (_req, res) => {
        res.writeHead(200, { 'content-length': String(1024 ** 3) });
        res.write(Buffer.alloc(64 * 1024, 0x61), () => { sent.declared += 64 * 1024; });
      },
      '/endless.csv': (_req, res) => {
        // A chunked body that never ends on its own; it stops at 64 MiB so the test is bounded
        // even if the client did not cut it off.
        const block = Buffer.from(`${'1,endless,2.5\n'.repeat(4681)}`);
        let closed = false;
        res.on('close', () => { closed = true; });
        res.writeHead(200, { 'content-type': 'text/csv' });
        const pump = (): void => {
          while (!closed && sent.endless < 64 * 1024 * 1024) {
            sent.endless += block.length;
            if (!res.write(block)) { res.once('drain', pump); return; }
          }
          res.end();
        };
        pump();
      },
      '/moved.csv': (_req, res) => { res.writeHead(302, { location: '/data/redirected.csv' }).end(); },
      '/data/redirected.csv': (_req, res) => { res.writeHead(200).end(csvFor('redirected')); },
      '/exports/daily%20sales.csv.gz': (_req, res) => { res.writeHead(200).end(gzipSync(csvFor('gzipped', 300))); },
    });
    engine = createEngine({
      databaseUrl: db.url, home, workers: 1, writers: 1, chunkSize: 4096,
      maxDownloadBytes: LIMIT, downloadTimeoutMs: 400, downloadAttempts: 3, downloadBackoffMs: 10,
      log: (line) => logged.push(line),
    });
  });

  after(async () => {
    await engine.close();
    await server.close();
    await db.drop();
    await rm(home, { recursive: true, force: true });
  });

  async function spoolLeft(): Promise<string[]> {
    return readdir(join(home, 'spool')).catch(() => []);
  }

  test('a CSV served over HTTP loads like a local file; the summary names the URL and the ledger keeps it as the source', async () => {
    const url = server.url('/sensors.csv');
    const summary = await engine.ingest(url);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.file, summary.dataset, summary.rows, summary.rejected, summary.compression], [url, 'sensors', 50, 0, null]);
    const ledger = await db.query<{ source: string; path: string }>(`SELECT source, path FROM ingest.files WHERE dataset = 'sensors'`);
    assert.equal(ledger.rows[0].source, url);
    assert.ok(ledger.rows[0].path.startsWith(join(home, 'spool')), ledger.rows[0].path);
    const loaded = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM staging.sensors');
    assert.equal(loaded.rows[0].count, 50);
    assert.deepEqual(await spoolLeft(), [], 'the spooled copy is removed after the load');
  });

  test('a server that fails twice with 503 is retried and the file loads', async () => {
    const summary = await engine.ingest(server.url('/flaky.csv'));
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 50);
    assert.equal(server.requests('/flaky.csv'), 3);
  });

  test('a 404 fails at once with a clear summary and is not retried', async () => {
    const url = server.url('/missing.csv');
    const summary = await engine.ingest(url);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.file, url);
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_HTTP');
    assert.match(summary.error?.message ?? '', /404/);
    assert.equal(server.requests('/missing.csv'), 1);
    assert.deepEqual(await spoolLeft(), []);
  });

  test('a 429 is retried no earlier than its Retry-After says', async () => {
    const started = performance.now();
    const summary = await engine.ingest(server.url('/busy.csv'));
    const elapsed = performance.now() - started;
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(server.requests('/busy.csv'), 2);
    assert.ok(elapsed >= 1000, `retried after ${Math.round(elapsed)} ms, before the 1 s the server asked for`);
  });

  test('a Retry-After beyond the cap ends the download instead of sleeping for it', async () => {
    const started = performance.now();
    const summary = await engine.ingest(server.url('/much-later.csv'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_HTTP');
    assert.equal(server.requests('/much-later.csv'), 1);
    assert.ok(performance.now() - started < 5000);
  });

  test('a body that stops arriving times out (idle timeout), is retried, then fails with SLUICE_ERR_SOURCE_TIMEOUT', async () => {
    const summary = await engine.ingest(server.url('/stalls.csv'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_TIMEOUT');
    assert.equal(server.requests('/stalls.csv'), 3);
    assert.deepEqual(await spoolLeft(), [], 'no partial download is left behind');
    const ledger = await db.query(`SELECT 1 FROM ingest.files WHERE dataset = 'stalls'`);
    assert.equal(ledger.rowCount, 0, 'nothing of a partial download reached the ledger');
  });

  test('a server that never sends headers times out with SLUICE_ERR_SOURCE_TIMEOUT', async () => {
    const summary = await engine.ingest(server.url('/silent.csv'));
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_TIMEOUT');
    assert.equal(server.requests('/silent.csv'), 3);
  });

  test('a connection that drops mid-body is retried from the start; the half-downloaded copy is never loaded', async () => {
    const summary = await engine.ingest(server.url('/cut-short.csv'));
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.rows, summary.rejected], [2000, 0]);
    assert.equal(server.requests('/cut-short.csv'), 2);
    const loaded = await db.query<{ count: number }>('SELECT count(*)::int AS count FROM staging.cut_short');
    assert.equal(loaded.rows[0].count, 2000);
  });

  test('connection refused is retried, then fails with SLUICE_ERR_SOURCE_NETWORK', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const before = logged.length;
    const summary = await engine.ingest(`http://127.0.0.1:${port}/gone.csv`);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_NETWORK');
    assert.equal(logged.slice(before).filter((line) => /retry \d+ of 2/.test(line)).length, 2);
  });

  test('a Content-Length above maxDownloadBytes is refused before the body is read', async () => {
    const summary = await engine.ingest(server.url('/declared-huge.csv'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_TOO_LARGE');
    assert.equal(server.requests('/declared-huge.csv'), 1, 'a size refusal is not retried');
    assert.deepEqual(await spoolLeft(), []);
  });

  test('a chunked body that grows past maxDownloadBytes is cut off and removed', async () => {
    const summary = await engine.ingest(server.url('/endless.csv'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.code, 'SLUICE_ERR_SOURCE_TOO_LARGE');
    assert.equal(server.requests('/endless.csv'), 1);
    assert.deepEqual(await spoolLeft(), []);
    // The server stops at 64 MiB by itself; the client hung up long before (socket buffers aside).
    assert.ok(sent.endless < 16 * 1024 * 1024, `the server sent ${sent.endless} bytes before the client hung up`);
  });

  test('redirects are followed', async () => {
    const summary = await engine.ingest(server.url('/moved.csv'));
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.equal(summary.rows, 50);
  });

  test('a remote .csv.gz is downloaded, decompressed and loaded; the dataset comes from the decoded name inside', async () => {
    const url = server.url('/exports/daily%20sales.csv.gz');
    const summary = await engine.ingest(url);
    assert.equal(summary.status, 'loaded', JSON.stringify(summary.error));
    assert.deepEqual([summary.dataset, summary.format, summary.compression, summary.rows], ['daily_sales', 'csv', 'gzip', 300]);
    const ledger = await db.query<{ source: string }>(`SELECT source FROM ingest.files WHERE dataset = 'daily_sales'`);
    assert.equal(ledger.rows[0].source, url);
    assert.deepEqual(await spoolLeft(), []);
  });
});

describe('remote files: helpers', () => {
  test('Retry-After is read as seconds or as an HTTP date', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(Date.UTC(2030, 0, 1, 0, 0, 10)).toUTCString(), Date.UTC(2030, 0, 1)), 10_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  test('the spool name is the URL\'s last path segment, decoded and made safe', () => {
    assert.equal(remoteFileName(new URL('https://example.org/a/b/sales%20q1.csv?token=x')), 'sales q1.csv');
    assert.equal(remoteFileName(new URL('https://example.org/a/..%2F..%2Fetc%2Fpasswd')), '.._.._etc_passwd');
    assert.equal(remoteFileName(new URL('https://example.org/')), 'download');
  });
});
