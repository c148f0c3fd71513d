/**
 * Run events POSTed to OPENLINEAGE_URL, against real HTTP servers on 127.0.0.1: what arrives is
 * what ingest.lineage_events keeps; failed attempts are retried; a refusal (4xx) is not; an
 * endpoint that never answers delays neither the load nor close beyond its time limit; a full
 * queue drops events and counts them.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createEngine, type EngineOptions } from '../../src/index.js';
import { LineageDelivery } from '../../src/lineage/lineage-delivery.js';
import type { RunEvent } from '../../src/lineage/run-event.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { startServer, type TestServer } from '../helpers/http-server.js';

const ENDPOINT = '/api/v1/lineage';

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** A server that answers `status(attempt)` (null: never answers; 'reset': drops the connection) and keeps the bodies it accepted. */
async function lineageServer(status: (attempt: number) => number | null | 'reset'): Promise<{ server: TestServer; received: RunEvent[]; headers: IncomingMessage['headers'][] }> {
  const received: RunEvent[] = [];
  const headers: IncomingMessage['headers'][] = [];
  const server = await startServer({
    [ENDPOINT]: (request, response, attempt) => {
      void readBody(request).then((body) => {
        const answer = status(attempt);
        if (answer === null) return;
        if (answer === 'reset') {
          request.socket.destroy();
          return;
        }
        if (answer >= 200 && answer < 300) {
          received.push(JSON.parse(body) as RunEvent);
          headers.push(request.headers);
        }
        response.writeHead(answer, { 'content-type': 'application/json' }).end('{}');
      });
    },
  });
  return { server, received, headers };
}

describe('OpenLineage delivery', () => {
  let db: TestDatabase;
  let dir: string;
  let files = 0;

  before(async () => {
    db = await createTestDatabase();
    dir = await mkdtemp(join(tmpdir(), 'sluice-delivery-'));
  });

  after(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  /** Loads one new small file with an engine sending to `url`; resolves when the engine has closed. */
  async function loadWith(url: string, openLineage: EngineOptions['openLineage'] = {}): Promise<{ loadMs: number; closeMs: number; runId: string; stats: ReturnType<import('../../src/lineage/attach-lineage.js').Lineage['deliveryStats']> }> {
    const engine = createEngine({ databaseUrl: db.url, workers: 1, writers: 1, openLineage: { url, ...openLineage } });
    let runId = '';
    engine.events.subscribe((event) => { if (event.type === 'file.started') runId = event.data.runId; });
    const path = join(dir, `delivered_${++files}.csv`);
    await writeFile(path, `id,v\n1,${files}\n2,${files * 2}\n`);
    await engine.start();
    const loadStart = performance.now();
    const summary = await engine.ingest(path);
    const loadMs = performance.now() - loadStart;
    assert.equal(summary.status, 'loaded');
    const stats = () => engine.lineage.deliveryStats();
    const closeStart = performance.now();
    await engine.close();
    return { loadMs, closeMs: performance.now() - closeStart, runId, stats: stats() };
  }

  test('START and COMPLETE arrive in order, as stored, as JSON, and are marked delivered', async () => {
    const { server, received, headers } = await lineageServer(() => 200);
    try {
      const { runId, stats } = await loadWith(server.url(''), { apiKey: 'ol-key' });
      assert.deepEqual(received.map((e) => e.eventType), ['START', 'COMPLETE']);
      assert.ok(received.every((e) => e.run.runId === runId));
      assert.equal(headers[0]['content-type'], 'application/json');
      assert.equal(headers[0].authorization, 'Bearer ol-key');
      const stored = await db.query<{ event: RunEvent; delivered_at: Date | null }>('SELECT event, delivered_at FROM ingest.lineage_events WHERE run_id = $1 ORDER BY id', [runId]);
      assert.deepEqual(stored.rows.map((r) => r.event), received);
      assert.ok(stored.rows.every((r) => r.delivered_at !== null));
      assert.deepEqual(stats, { queued: 0, delivered: 2, failed: 0, dropped: 0 });
    } finally {
      await server.close();
    }
  });

  test('an endpoint that fails the first attempts (503, then a dropped connection) gets the events on a retry', async () => {
    const { server, received } = await lineageServer((attempt) => (attempt === 1 ? 503 : attempt === 2 ? 'reset' : 200));
    try {
      const { stats } = await loadWith(server.url(''), { delivery: { initialDelayMs: 20, maxDelayMs: 100 } });
      assert.deepEqual(received.map((e) => e.eventType), ['START', 'COMPLETE']);
      assert.equal(server.requests(ENDPOINT), 4);
      assert.deepEqual(stats, { queued: 0, delivered: 2, failed: 0, dropped: 0 });
    } finally {
      await server.close();
    }
  });

  test('a refusal (400) is not retried: the events are counted failed, the load is loaded', async () => {
    const { server } = await lineageServer(() => 400);
    try {
      const { stats, runId } = await loadWith(server.url(''), { delivery: { initialDelayMs: 20 } });
      assert.equal(server.requests(ENDPOINT), 2);
      assert.deepEqual(stats, { queued: 0, delivered: 0, failed: 2, dropped: 0 });
      const stored = await db.query<{ delivered_at: Date | null }>('SELECT delivered_at FROM ingest.lineage_events WHERE run_id = $1', [runId]);
      assert.deepEqual(stored.rows.map((r) => r.delivered_at), [null, null]);
    } finally {
      await server.close();
    }
  });

  test('an endpoint that never answers holds up neither the load nor close (beyond its time limit)', async () => {
    const { server } = await lineageServer(() => null);
    try {
      const { loadMs, closeMs, stats, runId } = await loadWith(server.url(''), { drainTimeoutMs: 300, delivery: { requestTimeoutMs: 60_000 } });
      assert.ok(loadMs < 5000, `load took ${loadMs} ms`);
      assert.ok(closeMs < 3000, `close took ${closeMs} ms`);
      assert.equal(stats?.delivered, 0);
      assert.equal(stats?.dropped, 2);
      // Kept in the database all the same.
      const stored = await db.query('SELECT 1 FROM ingest.lineage_events WHERE run_id = $1', [runId]);
      assert.equal(stored.rows.length, 2);
    } finally {
      await server.close();
    }
  });

  test('an OPENLINEAGE_URL that is not an http(s) URL fails createEngine with SLUICE_ERR_CONFIG_INVALID', () => {
    for (const url of ['marquez:5000', 'ftp://example.org', 'not a url']) {
      assert.throws(() => createEngine({ databaseUrl: db.url, openLineage: { url } }), (error: Error & { code?: string }) => error.code === 'SLUICE_ERR_CONFIG_INVALID', url);
    }
  });

  test('a full queue drops events and counts them; close drops what is still waiting', async () => {
    const { server } = await lineageServer(() => null);
    try {
      const delivery = new LineageDelivery({ url: server.url(''), capacity: 2 });
      const event = { eventType: 'START', run: { runId: '01939a7e-8c00-7000-8000-000000000001' } } as RunEvent;
      // The first is taken by the sender at once, the next two wait, the last two do not fit.
      const accepted = Array.from({ length: 5 }, () => delivery.enqueue(event));
      assert.deepEqual(accepted, [true, true, true, false, false]);
      assert.deepEqual(delivery.stats(), { queued: 2, delivered: 0, failed: 0, dropped: 2 });
      const start = performance.now();
      await delivery.close(100);
      assert.ok(performance.now() - start < 2000);
      assert.deepEqual(delivery.stats(), { queued: 0, delivered: 0, failed: 0, dropped: 5 });
      assert.equal(delivery.enqueue(event), false);
    } finally {
      await server.close();
    }
  });
});
