/**
 * Redis stopped and started mid-load, on a private redis-server (never the shared one): the load
 * goes on while Redis is away (the publisher is degraded, the breaker opens), and the events
 * kept meanwhile reach a subscriber once Redis is back.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { createEngine } from '../../src/engine.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { type PrivateRedis, startPrivateRedis } from '../helpers/private-services.js';

const ROWS = 60_000;
let db: TestDatabase;
let redis: PrivateRedis;
let root = '';
let file = '';

describe('Redis outage mid-load', { timeout: 60_000 }, () => {
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'sluice-redis-outage-'));
    file = join(root, 'events.csv');
    const out = createWriteStream(file);
    out.write('id,value,label\n');
    for (let i = 0; i < ROWS; i++) if (!out.write(`${i},${i * 0.5},label ${i % 13}\n`)) await once(out, 'drain');
    out.end();
    await once(out, 'finish');
    db = await createTestDatabase();
    redis = await startPrivateRedis();
  });

  after(async () => {
    await redis?.stop();
    await db?.drop();
    await rm(root, { recursive: true, force: true });
  });

  it('loads every row while Redis is down, and publishes the kept events when it is back', async () => {
    const engine = createEngine({ databaseUrl: db.url, redisUrl: redis.url, home: join(root, 'home'), workers: 1, writers: 1, chunkSize: 64 * 1024, config: { datasets: {} } });
    const states: string[] = [];
    engine.events.subscribe((event) => { if (event.type === 'breaker.changed' && event.data.name === 'redis') states.push(event.data.state); });
    try {
      await engine.start();
      let chunks = 0;
      let stopped: Promise<void> | undefined;
      engine.events.subscribe((event) => {
        if (event.type === 'chunk.committed' && ++chunks === 2) stopped = redis.stop();
      });
      const summary = await engine.ingest(file);
      await stopped;
      assert.equal(summary.status, 'loaded');
      const [{ n }] = (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM staging.events')).rows;
      assert.equal(n, ROWS);
      assert.equal(engine.redisEvents?.state, 'degraded');
      assert.ok(states.includes('open'), `redis breaker states: ${states.join(', ')}`);

      await redis.start();
      const subscriber = new Redis(redis.url);
      const received: string[] = [];
      subscriber.on('message', (_channel, message: string) => received.push(JSON.parse(message).type));
      await subscriber.subscribe('sluice:events');
      // A new load's events, after those kept from the first.
      const again = await engine.ingest(file);
      assert.equal(again.status, 'skipped');
      for (let i = 0; i < 100 && !received.includes('file.skipped'); i++) await sleep(100);
      subscriber.disconnect();
      assert.ok(received.includes('file.skipped'), `received: ${received.join(', ')}`);
      assert.equal(engine.redisEvents?.state, 'up');
    } finally {
      await engine.close();
    }
  });
});
